"""The environment report ("doctor"): versions, Keras 3 or legacy, accelerators, local datasets, and one real
training step on the backend's device.

Run it as ``make doctor`` or ``python -m utils.doctor``; ``--require-gpu`` exits 1 with a one-line message
when the Keras backend sees no GPU, or when the training step cannot run on it (what ``make test-gpu`` checks
first). Paths are shown relative to the repository, as ``$COURSE_DATA_DIR/...`` or ``~/...``, so the report
describes the learner's setup rather than one machine's folders.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ArgumentError, CourseError, main_with_one_line_errors
from .runmode import accelerator_devices, course_mode, nvidia_driver_present, start_backend

__all__ = ["REPO_ROOT", "TrainingStepReport", "accelerator_devices", "display_path", "display_paths_in", "main",
           "nvidia_driver_present", "print_report", "report", "training_step_check"]

REPO_ROOT = Path(__file__).resolve().parent.parent
GPU_INSTALL_HINT = "`make GPU=1 venv` installs TensorFlow's CUDA libraries; check the driver with `nvidia-smi`"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def display_path(path: str | os.PathLike, *, under_data_dir: bool = True) -> str:
    """``path`` as a learner would write it: ``$COURSE_DATA_DIR/x``, relative to the repository, or ``~/x``.

    Only a path outside all of these stays absolute.
    """
    path = Path(path).expanduser().absolute()
    data_dir = os.environ.get("COURSE_DATA_DIR") if under_data_dir else None
    if data_dir and path.is_relative_to(Path(data_dir).expanduser().absolute()):
        rest = path.relative_to(Path(data_dir).expanduser().absolute()).as_posix()
        return "$COURSE_DATA_DIR" + ("" if rest == "." else f"/{rest}")
    for base in (REPO_ROOT, REPO_ROOT.parent):  # ../shared/datasets beside the clone is the course's CI layout
        if path.is_relative_to(base):
            return os.path.relpath(path, REPO_ROOT)
    home = Path.home()
    if path.is_relative_to(home):
        return "~/" + path.relative_to(home).as_posix()
    return str(path)


def display_paths_in(text: str) -> str:
    """Every absolute path in ``text`` (e.g. a dataset status line) replaced by :func:`display_path`."""
    words = text.split(" ")
    for i, word in enumerate(words):
        stripped = word.strip("():;,")
        if stripped.startswith("/"):
            words[i] = word.replace(stripped, display_path(stripped))
    return " ".join(words)


def report() -> dict[str, str]:
    """Everything a learner (or someone helping them) needs to know about this environment."""
    from .datasets import cache_dir, dataset_status

    mode = course_mode()
    devices = start_backend()
    import keras

    legacy = os.environ.get("TF_USE_LEGACY_KERAS", "") in ("1", "true", "True")
    accelerators = ", ".join(devices) or "none (CPU only)"
    if not devices and nvidia_driver_present():
        accelerators += f"; an NVIDIA driver is installed but the backend cannot use it: {GPU_INSTALL_HINT}"
    data_dir = os.environ.get("COURSE_DATA_DIR")
    info = {
        "python": f"{platform.python_version()} ({display_path(sys.executable)})",
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores",
        "tensorflow": _version("tensorflow"),
        "jax": _version("jax"),
        "keras": f"{keras.__version__} (Keras {'2, legacy tf_keras' if legacy else '3'})",
        "tf-keras (legacy, chapter 07 only)": _version("tf-keras"),
        "ai-edge-litert": _version("ai-edge-litert"),
        "keras backend": keras.backend.backend(),
        "accelerators": accelerators,
        "COURSE_MODE": mode,
        "COURSE_DATA_DIR": display_path(data_dir, under_data_dir=False) if data_dir else "(not set)",
        "data cache": display_path(cache_dir()),
    }
    for name, where in dataset_status().items():
        info[f"dataset {name}"] = display_paths_in(where)
    return info


@dataclass(frozen=True)
class TrainingStepReport:
    backend: str
    device: str  # where the model's weights live and its training step ran, e.g. "CPU:0" or "GPU:0"
    first_step_s: float  # the first train_on_batch: traces and compiles the step, creates the optimizer state
    later_step_s: float  # median of the later steps: the compiled step alone
    losses: tuple[float, ...]  # the loss each step saw (before its update)

    def __str__(self) -> str:
        return (f"on {self.device} ({self.backend}): first step {self.first_step_s:.2f} s "
                f"(traces and compiles), later steps {1000 * self.later_step_s:.1f} ms each; "
                f"loss {self.losses[0]:.3f} -> {self.losses[-1]:.3f} over {len(self.losses)} steps")


def _device_of(variable) -> str:
    """Short device name ("CPU:0", "GPU:0", "cuda:0") of a Keras variable, for any backend."""
    value = getattr(variable, "value", variable)
    device = getattr(value, "device", None)
    if device is None or callable(device):  # JAX arrays: .devices() is a set
        devices = value.devices() if hasattr(value, "devices") else set()
        device = ", ".join(sorted(f"{d.platform}:{d.id}" for d in devices)) or "unknown"
    return str(device).split("device:")[-1]


def _is_accelerator(device: str) -> bool:
    return any(kind in device.lower() for kind in ("gpu", "tpu", "cuda"))


def training_step_check(images, labels, *, steps: int = 5, devices: list[str] | None = None,
                        learning_rate: float = 0.01) -> TrainingStepReport:
    """Train a small CNN for ``steps`` steps on one real batch, timed, on the backend's device.

    ``images``: (n, h, w) or (n, h, w, c), uint8 pixels or floats in [0, 1]; ``labels``: ints in [0, 10).
    When the backend sees an accelerator (``devices``, default :func:`accelerator_devices`), the step must run
    on it. Raises :class:`CourseError` in one line when the step fails, runs on the wrong device, gives a
    non-finite loss, or does not lower the loss on the batch it keeps seeing (a working install always does).
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ArgumentError(f"images must be a batch shaped (n, h, w) or (n, h, w, c), got {images.shape}")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ArgumentError(f"labels must be {len(images)} integer class ids, got {labels.dtype} {labels.shape}")
    if labels.min() < 0 or labels.max() >= 10:
        raise ArgumentError("labels must be class ids in [0, 10)")
    if not isinstance(steps, int) or steps < 3:
        raise ArgumentError(f"steps must be an int >= 3 (one to compile, the rest to time), got {steps!r}")
    x = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    x = x[..., None] if x.ndim == 3 else x
    import keras

    if devices is None:
        devices = start_backend()
    backend = keras.backend.backend()
    expected = devices[0] if devices else "CPU"
    where = f"on {expected} ({backend})"
    try:
        model = keras.Sequential([
            keras.Input(shape=x.shape[1:]),
            keras.layers.Conv2D(8, 3, strides=2, activation="relu"),  # convolutions need cuDNN on a GPU
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss="sparse_categorical_crossentropy")
        losses, times = [], []
        for _ in range(steps):
            start = time.perf_counter()
            loss = model.train_on_batch(x, labels)
            losses.append(float(np.asarray(loss).reshape(-1)[0]))  # float() waits for the device to finish
            times.append(time.perf_counter() - start)
        device = _device_of(model.weights[0])
    except CourseError:
        raise
    except Exception as exc:  # a broken CUDA/cuDNN install surfaces here, as one of many exception types
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        hint = f": {GPU_INSTALL_HINT}, or hide the GPU with CUDA_VISIBLE_DEVICES= to train on the CPU" \
            if devices else ""
        raise CourseError(f"a Keras training step failed {where}: {type(exc).__name__}: {first}{hint}") from exc
    if devices and not _is_accelerator(device):
        raise CourseError(f"the backend sees {', '.join(devices)} but the training step ran on {device}: "
                          f"{GPU_INSTALL_HINT}")
    if not all(math.isfinite(v) for v in losses):
        raise CourseError(f"the training step {where} gave a non-finite loss {losses}: the install computes wrong "
                          "numbers; reinstall with `make distclean venv` and run `make doctor`")
    if not losses[-1] < losses[0]:
        raise CourseError(f"{steps} training steps {where} on one batch did not lower its loss "
                          f"({losses[0]:.4f} -> {losses[-1]:.4f}): the install computes wrong gradients")
    return TrainingStepReport(backend, device, times[0], float(np.median(times[1:])), tuple(losses))


def _doctor_batch(n: int = 128):
    """A real MNIST batch when MNIST is on disk, otherwise random images (any batch can be memorized)."""
    from .datasets import dataset_status, load_mnist

    if not dataset_status()["mnist"].startswith("not local"):
        try:
            (x, y), _ = load_mnist(n_train=n, n_test=10)
            return x, y, "an MNIST batch"
        except CourseError:
            pass
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n), "a random batch"


def print_report(*, training_step: bool = False) -> None:
    """Print :func:`report` as an aligned table; ``training_step=True`` adds a timed training step's line."""
    info = report()
    if training_step:
        x, y, what = _doctor_batch()
        info["training step"] = f"{training_step_check(x, y)} ({what})"
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 unless the backend sees a GPU")
    parser.add_argument("--no-train-step", action="store_true", help="skip the timed training step")
    args = parser.parse_args(argv)
    if args.require_gpu:
        devices = start_backend()
        import keras

        if not devices:
            raise CourseError(f"no GPU is visible to the Keras backend ({keras.backend.backend()}): install "
                              "the GPU pins (make GPU=1 venv) and check `nvidia-smi`, or use `make test-full`")
        print(f"GPU check: {keras.backend.backend()} sees {', '.join(devices)}")
        x, y, what = _doctor_batch()
        print(f"GPU check: a training step ran {training_step_check(x, y, devices=devices)} ({what})")
        return 0
    print_report(training_step=not args.no_train_step)
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
