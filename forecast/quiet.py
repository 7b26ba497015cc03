"""Import TensorFlow without its start-up chatter on stderr.

``import tensorflow`` loads two shared libraries whose static initialisers log through Abseil
before anything has initialised Abseil's logging, and Abseil then writes every message, whatever
``TF_CPP_MIN_LOG_LEVEL`` says (abseil/abseil-cpp#1718, tensorflow/tensorflow#102212)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.

once per library, so twice per fit. No environment variable reaches them
(``TF_ENABLE_ONEDNN_OPTS=0`` would drop one line by changing the kernels, which we do not want),
so during the import (hooked by ``quiet_tensorflow_import``, which the CLI calls at start-up)
file descriptor 2 is pointed at a temporary file, and afterwards every captured line that is not
one of the known notices above is written back to stderr: real errors during the import stay
visible. A user who sets ``TF_CPP_MIN_LOG_LEVEL`` below 3 gets TensorFlow's logging untouched.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

# Start-up notices that say nothing actionable on a CPU machine (one pattern per line).
CHATTER = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|port\.cc:\d+\] oneDNN custom operations are on"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    r"|cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized"
    r"|^To enable the following instructions: .* rebuild TensorFlow"
    r"|cuda_(platform|executor|diagnostics)\.cc:\d+\].*(cuInit|kernel driver|CUDA driver)"
)


def quiet_tensorflow_import() -> None:
    """Arrange for the first ``import tensorflow`` (direct, or through Keras) to run with its
    start-up chatter filtered out of stderr. Cheap: TensorFlow itself is not imported here.

    Does nothing when TensorFlow is already imported, or when the user set
    ``TF_CPP_MIN_LOG_LEVEL`` below 3 (they asked to see TensorFlow's logs).
    """
    if "tensorflow" in sys.modules or any(isinstance(f, QuietFinder) for f in sys.meta_path):
        return
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") != "3":
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # C++ logs once Abseil is set up (e.g. cuInit)
    sys.meta_path.insert(0, QuietFinder())


class QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` with the other finders and wraps its loader in ``QuietLoader``; then
    leaves ``sys.meta_path``."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = QuietLoader(spec.loader)
        return spec


class QuietLoader(importlib.abc.Loader):
    """Runs the real loader with stderr filtered (``filtered_stderr``); delegates the rest."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with filtered_stderr():
            self.loader.exec_module(module)

    def __getattr__(self, name):  # resource readers and the like
        return getattr(self.loader, name)


@contextlib.contextmanager
def filtered_stderr(pattern: re.Pattern = CHATTER):
    """Capture what is written to file descriptor 2 (C++ and Python alike) inside the block; on
    exit write back every line that does not match ``pattern``."""
    fd = 2  # C++ writes here whatever Python's sys.stderr is
    try:
        os.fstat(fd)
    except OSError:  # no file descriptor 2 at all: nothing to filter
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            capture.seek(0)
            kept = keep_lines(capture.read().decode("utf-8", errors="replace"), pattern)
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def keep_lines(text: str, pattern: re.Pattern = CHATTER) -> str:
    """``text`` without the lines matching ``pattern``."""
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not pattern.search(line))
