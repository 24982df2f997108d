"""Run mode, seeding and the banner every chapter prints in its setup cell.

``COURSE_MODE=full`` (the default) trains for real and asserts the chapter's targets;
``COURSE_MODE=smoke`` runs the same cells on small real subsets in seconds (what ``make test`` uses).

This module also owns what native code writes to file descriptor 2 (TensorFlow's log noise is filtered out line
by line, everything else gets through: :func:`filter_native_stderr`, :func:`install_native_stderr_filter`) and the
accelerator query; :mod:`utils.doctor` builds on it, never the other way round.
"""

from __future__ import annotations

import atexit
import os
import platform
import re
import select
import shutil
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import ArgumentError, BackendError, ModeError, show_as_one_line, show_course_errors_as_one_line

MODES = ("full", "smoke")
DEFAULT_SEED = 42
BACKENDS = ("tensorflow", "jax", "torch")

# --------------------------------------------------------------------------- native stderr
# TensorFlow's C++ start-up notes are written straight to file descriptor 2, before TF_CPP_MIN_LOG_LEVEL is read
# (absl's "before absl::InitializeLog" lines), and it logs a harmless error on every fit; in Jupyter they would land
# in every notebook's saved outputs. They are dropped line by line; any other line (a CUDA/cuDNN load error, a crash
# message) passes unchanged. tests/test_runmode.py scans the committed chapters for any that got through.
_ABSL_LINE = re.compile(r"(?P<level>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ (?P<source>[\w.+-]+):\d+\] (?P<message>.*)")
_OLD_TF_LINE = re.compile(  # TensorFlow before 2.16
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<level>[IWEF]) (?P<source>\S+):\d+\] (?P<message>.*)")
_NOISE_LINES = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
)
_NOISE_MESSAGES = re.compile(  # warnings and errors TensorFlow logs on healthy installs
    r"Local rendezvous is aborting with status: OUT_OF_RANGE: End of sequence"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|NodeDef mentions attribute \w+ which is not in the op definition"  # tf.data, on every fit in TF 2.21
    r"|Allocation of \d+ exceeds 10% of free system memory"
    r"|oneDNN supports DT_\w+ only on platforms with"  # then falls back to Eigen: nothing to act on
    # Grappler's remapper pass trips over LeakyRelu's gradient; TensorFlow then runs the graph without that pass.
    r"|remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout '[^']*LeakyReluGrad' exist for missing node"
    # Once per process when a tf.distribute strategy feeds a dataset to its replicas: the per-device copy of the
    # input pipeline skips tf.data's graph rewrites, nothing else.
    r"|Input of GeneratorDatasetOp::Dataset will not be optimized because the dataset does not implement the "
    r"AsGraphDefInternal\(\) method needed to apply optimizations\."
)
# "No CUDA driver" restated by TensorFlow: noise on a machine without an NVIDIA driver, the message that matters
# on a machine with one.
_NO_DRIVER_MESSAGES = re.compile(r"Could not find cuda drivers on your machine|failed call to cuInit")
TF_LOG_LEVEL_DEFAULT = "1"  # TensorFlow's own filter after start-up: hide INFO, show warnings and errors


def nvidia_driver_present() -> bool:
    """An NVIDIA driver is installed on this machine (whether or not the backend can use the GPU)."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/version").exists()


def is_native_noise(line: str, *, nvidia_driver: bool = False) -> bool:
    """True for a native log line that tells a learner nothing: absl/TensorFlow INFO lines, its start-up notes,
    and the known harmless warnings. A line this does not recognise is never noise."""
    line = line.rstrip("\r\n")
    if _NOISE_LINES.fullmatch(line):
        return True
    match = _ABSL_LINE.fullmatch(line) or _OLD_TF_LINE.fullmatch(line)
    if match is None:
        return False
    if _NO_DRIVER_MESSAGES.search(match["message"]):
        return not nvidia_driver
    return match["level"] == "I" or _NOISE_MESSAGES.search(match["message"]) is not None


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(fd, data):]
        except OSError:  # the reader went away: nothing left to tell
            return


def _pump(read_fd: int, out_fd: int, nvidia_driver: bool) -> None:
    """Copy ``read_fd`` to ``out_fd`` line by line, dropping noise, until every writer has closed the pipe."""
    pending = b""
    try:
        while True:
            # A partial line (a prompt, a progress bar) is passed on once nothing more arrives for 50 ms.
            if pending and not select.select([read_fd], [], [], 0.05)[0]:
                _write_all(out_fd, pending)
                pending = b""
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            lines = (pending + chunk).splitlines(keepends=True)
            pending = lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b""
            kept = [ln for ln in lines if not is_native_noise(ln.decode("utf-8", "replace"),
                                                               nvidia_driver=nvidia_driver)]
            _write_all(out_fd, b"".join(kept))
        _write_all(out_fd, pending)
    finally:
        os.close(read_fd)
        os.close(out_fd)


class _StderrFilter:
    """File descriptor 2 pointed at a pipe whose reader thread forwards what is not noise to the real stderr."""

    def __init__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)  # where kept lines go: the terminal, or Jupyter's own capture of fd 2
        read_fd, write_fd = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(write_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # room for a chatty start-up
        except (ImportError, OSError):
            pass
        self.pipe = os.fstat(read_fd).st_ino
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self.pump = threading.Thread(target=_pump, args=(read_fd, os.dup(self.saved), nvidia_driver_present()),
                                     name="utils-native-stderr-filter", daemon=True)
        self.pump.start()
        self.persistent = False  # installed for the session: a block that found it running leaves it on
        self.stopped = False

    def running(self) -> bool:
        """fd 2 is still this filter's pipe (a test harness or a kernel may have pointed it elsewhere since)."""
        try:
            return self.pump.is_alive() and os.fstat(2).st_ino == self.pipe
        except OSError:
            return False

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        if self.running():
            os.dup2(self.saved, 2)  # closes the pipe's write end: the pump forwards what is left and stops
        os.close(self.saved)
        self.pump.join(timeout=2)  # longer only while a child process holds the pipe; the pump then carries on


_filter: _StderrFilter | None = None
_filter_lock = threading.RLock()


def _start_filter() -> _StderrFilter | None:
    """Start a filter unless one is running; return the one started (None: already filtered, or not possible)."""
    global _filter
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_LOG_LEVEL_DEFAULT)  # read once, when TensorFlow loads
    if os.environ["TF_CPP_MIN_LOG_LEVEL"].strip() == "0" or os.name == "nt":  # 0: the learner wants every line
        return None
    with _filter_lock:
        if _filter is not None and _filter.running():
            return None
        try:
            _filter = _StderrFilter()
        except (OSError, ValueError):  # no real file descriptor 2 (some embedded interpreters)
            _filter = None
        return _filter


@contextmanager
def filter_native_stderr():
    """Drop TensorFlow's known native log noise from file descriptor 2 while the block runs; keep everything else.

    The backend import, the first device query and seeding run inside this (TensorFlow prints its start-up
    notes there, bypassing ``TF_CPP_MIN_LOG_LEVEL``). Lines :func:`is_native_noise` does not recognise (a CUDA
    or cuDNN load error, anything a library writes that the course has not seen) reach the terminal or the
    notebook unchanged. Also sets ``TF_CPP_MIN_LOG_LEVEL=1`` unless set (TensorFlow's own filter after start-up:
    warnings and errors show, INFO does not); ``TF_CPP_MIN_LOG_LEVEL=0`` turns all filtering off.
    Python exceptions are unaffected. Inside :func:`install_native_stderr_filter`'s filter this does nothing.
    """
    started = _start_filter()
    try:
        yield
    finally:
        if started is not None:
            with _filter_lock:
                if not started.persistent:
                    started.stop()


def install_native_stderr_filter() -> bool:
    """Keep :func:`filter_native_stderr`'s filter on for the rest of the session (what notebooks use: TensorFlow
    2.21 also logs a harmless C++ error line on every ``fit``). Returns True when a filter is running."""
    with _filter_lock:
        _start_filter()
        if _filter is None or not _filter.running():
            return False
        if not _filter.persistent:
            _filter.persistent = True
            atexit.register(_filter.stop)  # forward the last lines before the interpreter exits
        return True


quiet_native_stderr = filter_native_stderr  # the name utils.datasets uses


# --------------------------------------------------------------------------- backend
def accelerator_devices() -> list[str]:
    """GPUs/TPUs the current Keras backend can use (empty on a CPU-only machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices()
                if d.device_type in ("GPU", "TPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform != "cpu"]
    if backend == "torch":
        import torch

        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return []


def start_backend() -> list[str]:
    """Import Keras and its backend with their start-up noise filtered; return the accelerators it sees."""
    with filter_native_stderr():
        import keras  # noqa: F401  (imports the backend)

        return accelerator_devices()


# --------------------------------------------------------------------------- mode
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


# --------------------------------------------------------------------------- seeding
_DETERMINISM_ERROR = re.compile(r"[^\n]*\bdeterminis[^\n]*", re.IGNORECASE)
_notes_shown: set[str] = set()


def _note_once(text: str) -> None:
    if text not in _notes_shown:
        _notes_shown.add(text)
        print(text)


def determinism_error_line(exc: BaseException) -> str | None:
    """One line for a TensorFlow op that has no deterministic kernel while op determinism is on, else None."""
    found = _DETERMINISM_ERROR.search(str(exc))
    if found is None:
        return None
    return (f"{type(exc).__name__}: {found.group(0).strip()[:200]}: this op has no deterministic kernel here; "
            "run utils.seed_everything(seed, deterministic_ops=False) first to run it without op determinism "
            "(repeated runs may then differ slightly)")


def _set_op_determinism(on: bool) -> None:
    """Turn TensorFlow's op determinism on or off; one printed line (never an exception) when it ends up off."""
    import tensorflow as tf

    if not on:
        from tensorflow.python.framework import config  # TF 2.21 exports no name for turning it off

        config.disable_op_determinism()
        _note_once("op determinism: off (deterministic_ops=False); repeated runs may differ slightly")
        return
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception as exc:  # an old or unusual TensorFlow build: run without it, and say so
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        _note_once(f"op determinism: off ({type(exc).__name__}: {first}); repeated runs may differ slightly")
        return
    show_as_one_line(tf.errors.OpError, determinism_error_line)  # a GPU op without a deterministic kernel


def seed_everything(seed: int = DEFAULT_SEED, *, deterministic_ops: bool = True) -> int:
    """Seed Python, NumPy and the Keras backend (``keras.utils.set_random_seed``); on TensorFlow also ask for
    deterministic kernels.

    Op determinism makes "Restart & Run All" repeat its numbers on the same machine. It is not promised
    across machines or library versions, which is why notebook tests assert properties, not exact values.
    When it cannot be turned on, or ``deterministic_ops=False``, one line says so.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    with filter_native_stderr():  # set_random_seed imports TensorFlow when it is installed, on any backend
        import keras

        keras.utils.set_random_seed(seed)  # Python's random, NumPy's global RNG, TensorFlow, torch, keras.random
        if keras.backend.backend() == "tensorflow":
            _set_op_determinism(deterministic_ops)
    return seed


# --------------------------------------------------------------------------- banner
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


def check_backend(backends, why: str = "") -> str:
    """Raise a one-line :class:`BackendError` unless the active Keras backend is one of ``backends``.

    ``why`` names what ties the chapter to those backends. Returns the active backend.
    """
    if isinstance(backends, str) or not backends or any(b not in BACKENDS for b in backends):
        raise ArgumentError(f"backends={backends!r}: give a tuple of Keras backends from {BACKENDS}")
    try:
        with filter_native_stderr():
            import keras  # its choice (KERAS_BACKEND, else ~/.keras/keras.json) is final once imported
    except ModuleNotFoundError as exc:  # the backend's own package, e.g. KERAS_BACKEND=jax without jax
        raise BackendError(
            f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '')!r} needs the package {exc.name!r}, which is not "
            f"installed: install it (`make JAX=1 venv` for JAX) or set KERAS_BACKEND={backends[0]}") from None

    active = keras.backend.backend()
    if active not in backends:
        because = f" ({why})" if why else ""
        raise BackendError(
            f"this chapter runs on the Keras backend {' or '.join(backends)}{because}, not {active!r}: set "
            f"KERAS_BACKEND={backends[0]} and restart the kernel")
    return active


def setup_notebook(seed: int = DEFAULT_SEED, *, backends=("tensorflow",), why: str = "",
                   deterministic_ops: bool = True) -> dict:
    """The first call of every chapter: check the mode and the backend, seed everything, print the banner.

    ``backends`` is the chapter's declaration of the Keras backends it supports (``why`` says what needs them);
    started on another one, the chapter stops here with one line saying what to set.
    Returns a dict with ``mode``, ``seed``, the versions and the devices, for later cells to use.
    """
    show_course_errors_as_one_line()  # first, so that even a mistyped COURSE_MODE shows as one line
    mode = course_mode()
    install_native_stderr_filter()  # for the whole session: TensorFlow logs noise on every fit, too
    check_backend(backends, why)
    devices = start_backend()
    seed_everything(seed, deterministic_ops=deterministic_ops)
    info = {"mode": mode, "seed": seed, **_versions(), "devices": devices or ["CPU"]}
    lib = f"TensorFlow {info['tensorflow']}" if "tensorflow" in info else f"JAX {info.get('jax', '?')}"
    print(
        f"mode: {mode} | seed: {seed} | Python {info['python']} | Keras {info['keras']} "
        f"(backend: {info['backend']}) | {lib} | devices: {', '.join(info['devices'])}"
    )
    return info
