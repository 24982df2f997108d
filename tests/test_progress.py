"""Progress: one permanent line per epoch (never carriage-return spam), clear errors for bad arguments."""

import numpy as np
import pytest

import utils
from utils.progress import ProgressLine


def test_one_line_per_epoch_and_every(capsys):
    line = ProgressLine(epochs=5, steps=3, label="demo", every=2)
    for epoch in range(5):
        for step in range(3):
            line.update(step + 1, {"loss": 1.0 / (epoch + 1)})
        line.end_epoch({"loss": 1.0 / (epoch + 1), "learning_rate": 0.1})
    line.close()
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert [ln.split()[2] for ln in lines] == ["2/5", "4/5", "5/5"]  # every 2nd epoch, and the last
    assert "\r" not in out and "learning_rate" not in out and "loss 0.2" in lines[-1]


@pytest.mark.parametrize("kwargs", [dict(epochs=0), dict(epochs=2, every=0), dict(epochs="3")])
def test_bad_arguments_fail_in_one_line(kwargs):
    with pytest.raises(utils.ArgumentError):
        ProgressLine(**kwargs)


def test_keras_callback_prints_each_epoch(capsys):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((32, 4), "float32"), np.zeros((32, 1), "float32")
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[utils.keras_progress(label="fit")])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("fit: epoch 3/3  loss ")
