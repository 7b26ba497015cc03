"""Which kernel forecast's recurrent layers get on this machine: prints the GPUs TensorFlow sees,
its CUDA/cuDNN build, and for gru / lstm / hybrid (float32 and mixed_float16) whether the traced
forward pass contains the fused ``CudnnRNNV3`` op (cuDNN) or a generic ``While`` loop.

    python bench/gpu_check.py          # run by bench/gpu.sh
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def op_types(model, window: int, n_features: int) -> set[str]:
    import tensorflow as tf

    spec = tf.TensorSpec((None, window, n_features), tf.float32)
    graph = tf.function(lambda x: model(x, training=True)).get_concrete_function(spec).graph
    types = {op.type for op in graph.get_operations()}
    for f in graph._functions.values():  # noqa: SLF001 - bodies of cond / while branches
        types |= {node.op for node in f.definition.node_def}
    return types


def main() -> None:
    import keras
    import tensorflow as tf

    from forecast.models.registry import Architecture, build_model

    info = tf.sysconfig.get_build_info()
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}")
    print(f"built with CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}")
    gpus = tf.config.list_physical_devices("GPU")
    print(f"GPUs: {[g.name for g in gpus] or 'none'}")
    for policy in ("float32", "mixed_float16"):
        keras.config.set_dtype_policy(policy)
        for name in ("gru", "lstm", "hybrid"):
            model = build_model(Architecture(name, 96, 8, 24, 64))
            types = op_types(model, 96, 8)
            kernel = "cuDNN (CudnnRNNV3)" if any("Cudnn" in t for t in types) else "generic loop"
            print(f"  {policy:14} {name:7} {kernel}")
    keras.config.set_dtype_policy("float32")


if __name__ == "__main__":
    main()
