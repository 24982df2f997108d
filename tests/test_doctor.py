import os
import subprocess
import sys

from utils import doctor


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
