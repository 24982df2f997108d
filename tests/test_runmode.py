import numpy as np
import pytest

import utils
from utils.errors import CourseError, ModeError


def test_default_mode_is_full(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    assert utils.course_mode() == "full"
    assert utils.by_mode(smoke=1, full=10) == 10


def test_smoke_mode_picks_smoke_values(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", " Smoke ")
    assert utils.course_mode() == "smoke"
    assert utils.is_smoke()
    assert utils.by_mode(smoke=1, full=10) == 1


def test_unknown_mode_fails_in_one_clear_line(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(ModeError) as err:
        utils.course_mode()
    message = str(err.value)
    assert "\n" not in message
    assert "'fast'" in message and "COURSE_MODE=full" in message and "COURSE_MODE=smoke" in message
    assert isinstance(err.value, CourseError) and isinstance(err.value, ValueError)


def test_seed_everything_repeats_numpy_and_keras_draws():
    import keras

    draws = []
    for _ in range(2):
        utils.seed_everything(7)
        draws.append((np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        utils.seed_everything(seed)


def test_setup_notebook_prints_banner(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    info = utils.setup_notebook(seed=3)
    banner = capsys.readouterr().out
    assert info["mode"] == "smoke" and info["seed"] == 3
    assert "mode: smoke" in banner and "seed: 3" in banner and "Keras" in banner and "devices:" in banner
