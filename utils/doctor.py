"""The environment report ("doctor"): versions, Keras 3 or legacy, accelerators, local datasets.

Run it as ``make doctor`` or ``python -m utils.doctor``; ``--require-gpu`` exits 1 with a one-line message
when the Keras backend sees no GPU (what ``make test-gpu`` checks first).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys

from .errors import CourseError, main_with_one_line_errors


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


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


def report() -> dict[str, str]:
    """Everything a learner (or someone helping them) needs to know about this environment."""
    from .datasets import cache_dir, dataset_status
    from .runmode import course_mode, start_backend

    mode = course_mode()
    devices = start_backend()
    import keras

    legacy = os.environ.get("TF_USE_LEGACY_KERAS", "") in ("1", "true", "True")
    info = {
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "tensorflow": _version("tensorflow"),
        "keras": f"{keras.__version__} (Keras {'2, legacy tf_keras' if legacy else '3'})",
        "tf-keras (legacy, chapter 07 only)": _version("tf-keras"),
        "ai-edge-litert": _version("ai-edge-litert"),
        "keras backend": keras.backend.backend(),
        "accelerators": ", ".join(devices) or "none (CPU only)",
        "COURSE_MODE": mode,
        "COURSE_DATA_DIR": os.environ.get("COURSE_DATA_DIR") or "(not set)",
        "data cache": str(cache_dir()),
    }
    for name, where in dataset_status().items():
        info[f"dataset {name}"] = where
    return info


def print_report() -> None:
    info = report()
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 unless the backend sees a GPU")
    args = parser.parse_args(argv)
    if args.require_gpu:
        from .runmode import start_backend

        devices = start_backend()
        import keras

        if not devices:
            raise CourseError(f"no GPU is visible to the Keras backend ({keras.backend.backend()}): install "
                              "the GPU pins (make GPU=1 .venv) and check `nvidia-smi`, or use `make test-full`")
        print(f"GPU check: {keras.backend.backend()} sees {', '.join(devices)}")
        return 0
    print_report()
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
