"""Run ``forecast`` in a fresh process for tests/test_distribute.py.

``python tests/distributed_fit.py CPUS INTERRUPT_AT -- ARGS...``: split the CPU into ``CPUS``
logical devices (this must happen before TensorFlow starts, hence a process of its own), make
training raise ``KeyboardInterrupt`` as epoch ``INTERRUPT_AT`` (0-based) begins when it is
``>= 0``, then run the CLI with ``ARGS``; the exit status is the CLI's.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def split_cpu(n: int) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    )


def interrupt_at(k: int) -> None:
    import forecast.training.train

    original = forecast.training.train.epoch_clock

    def clock():
        base = original()
        begin = base.on_epoch_begin

        def on_epoch_begin(epoch, logs=None):
            if epoch == k:
                raise KeyboardInterrupt()
            begin(epoch, logs)

        base.on_epoch_begin = on_epoch_begin
        return base

    forecast.training.train.epoch_clock = clock


def main(argv: list[str]) -> None:
    cpus, interrupt = int(argv[0]), int(argv[1])
    args = argv[argv.index("--") + 1 :]
    if cpus > 1:
        split_cpu(cpus)
    if interrupt >= 0:
        interrupt_at(interrupt)
    from forecast.cli import cli

    cli(args)


if __name__ == "__main__":
    main(sys.argv[1:])
