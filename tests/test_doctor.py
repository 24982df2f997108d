import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import doctor
from utils.errors import ArgumentError, CourseError


def test_report_names_versions_backend_and_datasets():
    info = doctor.report()
    for key in ("python", "tensorflow", "keras", "keras backend", "accelerators", "dataset mnist"):
        assert key in info
    assert "Keras 3" in info["keras"]


def test_require_gpu_fails_in_one_line_without_a_gpu():
    if doctor.accelerator_devices():
        result = subprocess.run([sys.executable, "-m", "utils.doctor", "--require-gpu"], capture_output=True,
                                text=True)
        assert result.returncode == 0
        return
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "utils.doctor", "--require-gpu"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 1
    last = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(last) == 1 and "no GPU is visible" in last[0]
    assert "Traceback" not in result.stderr


def test_unknown_mode_on_the_command_line_is_one_line():
    env = {**os.environ, "COURSE_MODE": "turbo", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "utils.doctor"], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: COURSE_MODE='turbo' is not a mode" in result.stderr


def test_report_shows_no_machine_paths(monkeypatch, tmp_path):
    data = tmp_path / "datasets"
    data.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    assert doctor.display_path(data / "mnist.npz") == "$COURSE_DATA_DIR/mnist.npz"
    assert doctor.display_path(data) == "$COURSE_DATA_DIR"
    assert doctor.display_path(doctor.REPO_ROOT / ".venv" / "bin" / "python") == ".venv/bin/python"
    assert doctor.display_path(doctor.REPO_ROOT.parent / "shared" / "datasets") == "../shared/datasets"
    assert doctor.display_path(Path.home() / "envs" / "py", under_data_dir=False).startswith("~/")
    line = f"{data}/cifar10.npz (exact prefix; full set as lossy JPEG: {data}/lossy.npz)"
    assert doctor.display_paths_in(line) == ("$COURSE_DATA_DIR/cifar10.npz (exact prefix; full set as lossy JPEG: "
                                             "$COURSE_DATA_DIR/lossy.npz)")
    info = doctor.report()
    assert info["COURSE_DATA_DIR"] == doctor.display_path(data, under_data_dir=False)
    for key, value in info.items():  # the repository's own folder is never shown (data is outside all bases)
        assert str(doctor.REPO_ROOT) not in value and (key == "COURSE_DATA_DIR" or str(data) not in value), key


def test_gpu_hint_names_a_real_make_target():
    makefile = (doctor.REPO_ROOT / "Makefile").read_text()
    assert "\nvenv:" in makefile and "make GPU=1 venv" in doctor.GPU_INSTALL_HINT
    assert "make GPU=1 .venv" not in Path(doctor.__file__).read_text()


def mnist_like_batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def test_training_step_runs_on_the_backend_device_and_lowers_the_loss():
    x, y = mnist_like_batch()
    step = doctor.training_step_check(x, y, steps=4)
    expected = doctor.accelerator_devices()
    assert ("CPU" in step.device) if not expected else doctor._is_accelerator(step.device)
    assert len(step.losses) == 4 and all(np.isfinite(step.losses)) and step.losses[-1] < step.losses[0]
    assert step.first_step_s > 0 and step.later_step_s > 0
    assert str(step).startswith(f"on {step.device} (")


def test_training_step_fails_in_one_line_when_the_gpu_is_not_used():
    if doctor.accelerator_devices():
        pytest.skip("a real accelerator is visible: the step would run on it")
    x, y = mnist_like_batch()
    with pytest.raises(CourseError, match=r"the backend sees GPU:0 but the training step ran on CPU:0: .*GPU=1 venv"):
        doctor.training_step_check(x, y, steps=3, devices=["GPU:0"])


def test_training_step_turns_a_backend_failure_into_one_line(monkeypatch):
    import keras

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA_ERROR_NO_BINARY_FOR_GPU\nmore details")

    monkeypatch.setattr(keras.Model, "train_on_batch", broken)
    x, y = mnist_like_batch()
    with pytest.raises(CourseError, match=r"training step failed on GPU:0 \(\w+\): RuntimeError: "
                                          r"CUDA_ERROR_NO_BINARY_FOR_GPU: .*GPU=1 venv.*CUDA_VISIBLE_DEVICES") as err:
        doctor.training_step_check(x, y, devices=["GPU:0"])
    assert "\n" not in str(err.value)


def test_training_step_rejects_nan_or_flat_losses_and_bad_arguments(monkeypatch):
    import keras

    x, y = mnist_like_batch()
    for losses, message in [([2.3, float("nan"), 2.0], "non-finite loss"), ([2.3, 2.4, 2.3], "did not lower its loss")]:
        it = iter(losses)
        monkeypatch.setattr(keras.Model, "train_on_batch", lambda self, *a, it=it, **k: next(it))
        with pytest.raises(CourseError, match=message):
            doctor.training_step_check(x, y, steps=3)
    monkeypatch.undo()
    for args, message in [((x[:, 0], y), "images must be a batch"), ((x, y[:-1]), "labels must be 64 integer"),
                          ((x, y + 10), r"class ids in \[0, 10\)")]:
        with pytest.raises(ArgumentError, match=message):
            doctor.training_step_check(*args)
    with pytest.raises(ArgumentError, match="steps must be"):
        doctor.training_step_check(x, y, steps=1)


def test_report_names_jax_and_every_dataset_including_fashion_mnist():
    info = doctor.report()
    assert "jax" in info
    for name in ("mnist", "fashion_mnist", "cifar10", "imdb"):
        assert f"dataset {name}" in info


def test_report_finds_the_course_copy_of_fashion_mnist(shared_data):
    if not (shared_data / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("the course's Fashion-MNIST copy is not in $COURSE_DATA_DIR/fashion-mnist/")
    info = doctor.report()
    assert info["dataset fashion_mnist"] == "$COURSE_DATA_DIR/fashion-mnist"
    assert info["dataset mnist"] == "$COURSE_DATA_DIR/mnist.npz"


def test_doctor_builds_on_runmode_not_the_other_way_round():
    from utils import runmode

    assert doctor.accelerator_devices is runmode.accelerator_devices  # moved; the import graph is tested there
    assert doctor.nvidia_driver_present is runmode.nvidia_driver_present
