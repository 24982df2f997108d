import numpy as np
import pytest

from utils.errors import ArgumentError
from utils.schedules import one_cycle


def test_one_cycle_rises_linearly_then_falls_to_end():
    keras = pytest.importorskip("keras")
    schedule = one_cycle(0.4, total_steps=100, warmup_fraction=0.2)
    values = [float(keras.ops.convert_to_numpy(schedule(s))) for s in (0, 10, 20, 60, 100, 150)]
    np.testing.assert_allclose(values, [0.0, 0.2, 0.4, 0.2, 0.0, 0.0], atol=1e-6)


def test_one_cycle_start_and_end_values_and_config():
    keras = pytest.importorskip("keras")
    schedule = one_cycle(1.0, total_steps=10, warmup_fraction=0.5, start=0.1, end=0.05)
    assert abs(float(keras.ops.convert_to_numpy(schedule(0))) - 0.1) < 1e-6
    assert abs(float(keras.ops.convert_to_numpy(schedule(10))) - 0.05) < 1e-6
    assert schedule.get_config()["peak"] == 1.0


@pytest.mark.parametrize("kwargs", [{"peak": 0, "total_steps": 10}, {"peak": 0.1, "total_steps": 1},
                                    {"peak": 0.1, "total_steps": 10, "warmup_fraction": 1.0}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ArgumentError):
        one_cycle(**kwargs)
