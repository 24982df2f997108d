import numpy as np
import pytest

from utils.errors import ArgumentError
from utils.schedules import OneCycle, one_cycle

keras = pytest.importorskip("keras")


def _values(schedule, steps):
    return [float(keras.ops.convert_to_numpy(schedule(s))) for s in steps]


def test_one_cycle_rises_linearly_then_falls_to_end():
    schedule = one_cycle(0.4, total_steps=100, warmup_fraction=0.2)
    np.testing.assert_allclose(_values(schedule, (0, 10, 20, 60, 100, 150)), [0.0, 0.2, 0.4, 0.2, 0.0, 0.0],
                               atol=1e-6)


def test_one_cycle_start_and_end_values_and_config():
    schedule = one_cycle(1.0, total_steps=10, warmup_fraction=0.5, start=0.1, end=0.05)
    assert abs(_values(schedule, [0])[0] - 0.1) < 1e-6
    assert abs(_values(schedule, [10])[0] - 0.05) < 1e-6
    assert schedule.get_config()["peak"] == 1.0


@pytest.mark.parametrize("kwargs", [{"peak": 0, "total_steps": 10}, {"peak": 0.1, "total_steps": 1},
                                    {"peak": 0.1, "total_steps": 10.0},
                                    {"peak": 0.1, "total_steps": 10, "warmup_fraction": 1.0}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ArgumentError):
        one_cycle(**kwargs)


def test_one_cycle_serializes_without_custom_objects():
    schedule = one_cycle(0.4, total_steps=100, warmup_fraction=0.25, end=0.01)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(restored, OneCycle) and restored.get_config() == schedule.get_config()
    steps = (0, 13, 25, 70, 100, 120)
    np.testing.assert_allclose(_values(restored, steps), _values(schedule, steps), atol=1e-7)


def test_saved_model_with_one_cycle_optimizer_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=one_cycle(0.1, total_steps=20)), loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), epochs=1, batch_size=4, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the schedule is registered
    config = loaded.optimizer.get_config()["learning_rate"]
    assert config["registered_name"] == "course>OneCycle", config
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 2
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loaded.optimizer.learning_rate)),
                               float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), atol=1e-7)
