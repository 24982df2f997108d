"""Run mode, seeding and the banner every chapter prints in its setup cell.

``COURSE_MODE=full`` (the default) trains for real and asserts the chapter's targets;
``COURSE_MODE=smoke`` runs the same cells on small real subsets in seconds (what ``make test`` uses).
"""

from __future__ import annotations

import os
import platform
import random
import sys
from contextlib import contextmanager

import numpy as np

from .errors import ModeError, show_course_errors_as_one_line

MODES = ("full", "smoke")
DEFAULT_SEED = 42


@contextmanager
def quiet_native_stderr():
    """Silence what native code writes straight to file descriptor 2 while the backend starts.

    TensorFlow's C++ start-up notes (absl INFO lines, "could not find cuda drivers") bypass Python and
    ``TF_CPP_MIN_LOG_LEVEL``; in Jupyter they would land in every notebook's saved outputs. Only the backend
    import and the first device query run inside this; Python exceptions are unaffected.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real file descriptor 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def start_backend() -> list[str]:
    """Import Keras and its backend quietly; return the accelerators it sees (empty on CPU).

    TensorFlow 2.21 also logs a harmless C++ error line from tf.data on every ``fit``; log level 3 hides
    TensorFlow's C++ log lines (Python exceptions still show). Set ``TF_CPP_MIN_LOG_LEVEL=0`` to see them all.
    """
    from .doctor import accelerator_devices

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read once, when TensorFlow loads
    with quiet_native_stderr():
        import keras  # noqa: F401  (imports the backend)

        return accelerator_devices()


def course_mode() -> str:
    """The current run mode, read from ``COURSE_MODE`` (default ``full``)."""
    raw = os.environ.get("COURSE_MODE", "full")
    value = raw.strip().lower()
    if value not in MODES:
        raise ModeError(
            f"COURSE_MODE={raw!r} is not a mode: set COURSE_MODE=full (real training) or COURSE_MODE=smoke "
            "(quick check on small subsets)"
        )
    return value


def is_smoke() -> bool:
    return course_mode() == "smoke"


def by_mode(*, smoke, full):
    """Pick the value for the current mode: ``EPOCHS = by_mode(smoke=1, full=10)``.

    Sizes and epochs are the only things that differ between modes; the code path is the same.
    """
    return smoke if is_smoke() else full


def seed_everything(seed: int = DEFAULT_SEED, *, deterministic_ops: bool = True) -> int:
    """Seed Python, NumPy and the Keras backend; on TensorFlow also ask for deterministic kernels.

    Op determinism makes "Restart & Run All" repeat its numbers on the same machine. It is not promised
    across machines or library versions, which is why notebook tests assert properties, not exact values.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


def _versions() -> dict[str, str]:
    import keras

    versions = {"python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__}
    backend = keras.backend.backend()
    versions["backend"] = backend
    if backend == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    elif backend == "jax":
        import jax

        versions["jax"] = jax.__version__
    return versions


def setup_notebook(seed: int = DEFAULT_SEED) -> dict:
    """The first call of every chapter: check the mode, seed everything, print the banner.

    Returns a dict with ``mode``, ``seed``, the versions and the devices, for later cells to use.
    """
    show_course_errors_as_one_line()  # first, so that even a mistyped COURSE_MODE shows as one line
    mode = course_mode()
    devices = start_backend()
    seed_everything(seed)
    info = {"mode": mode, "seed": seed, **_versions(), "devices": devices or ["CPU"]}
    lib = f"TensorFlow {info['tensorflow']}" if "tensorflow" in info else f"JAX {info.get('jax', '?')}"
    print(
        f"mode: {mode} | seed: {seed} | Python {info['python']} | Keras {info['keras']} "
        f"(backend: {info['backend']}) | {lib} | devices: {', '.join(info['devices'])}"
    )
    return info
