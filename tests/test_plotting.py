import numpy as np
import pytest

import utils
from utils.errors import ArgumentError


def test_plot_history_draws_one_panel_per_metric_with_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    fig = utils.plot_history(history)
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]


def test_plot_history_accepts_a_keras_history_object():
    class History:
        history = {"loss": [3.0, 2.0, 1.0]}

    fig = utils.plot_history(History())
    assert len(fig.axes[0].lines[0].get_xdata()) == 3


def test_plot_history_names_missing_metrics():
    with pytest.raises(ArgumentError, match="no \\['auc'\\]"):
        utils.plot_history({"loss": [1.0]}, metrics=["auc"])
    with pytest.raises(ArgumentError, match="History"):
        utils.plot_history([1, 2])


def test_image_grid_marks_wrong_predictions_in_red():
    images = np.zeros((3, 8, 8), np.uint8)
    fig = utils.plot_image_grid(images, labels=[1, 2, 3], predictions=[1, 0, 3], ncols=3)
    colors = [ax.title.get_color() for ax in fig.axes]
    assert colors == ["black", "red", "black"]
    assert fig.axes[1].get_title() == "2 → 0"


def test_image_grid_rejects_mismatched_lengths():
    with pytest.raises(ArgumentError):
        utils.plot_image_grid(np.zeros((2, 8, 8)), labels=[1])


def test_confusion_matrix_counts():
    matrix = utils.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], n_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    fig = utils.plot_confusion_matrix([0, 1], [1, 1], class_names=["a", "b"], normalize=True)
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.00", "1.00", "0.00", "1.00"]


def test_confusion_matrix_errors_only_masks_the_diagonal():
    y_true = [0] * 50 + [1] * 50 + [2] * 2
    y_pred = [0] * 48 + [1, 2] + [1] * 47 + [0, 0, 2] + [2, 0]
    fig = utils.plot_confusion_matrix(y_true, y_pred, errors_only=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == texts[4] == texts[8] == "", "the diagonal should be blank"
    assert texts[1:4] == ["1", "1", "2"]
    image = fig.axes[0].images[0]
    assert image.get_clim()[1] == 2, "the colour scale should span the errors only, not the diagonal's 48"
    assert image.get_array().mask.diagonal().all()
    full = utils.plot_confusion_matrix(y_true, y_pred)
    assert full.axes[0].images[0].get_clim()[1] == 48


def test_confusion_matrix_is_scikit_learns_with_every_class_kept():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    np.testing.assert_array_equal(utils.confusion_matrix(y_true, y_pred), confusion_matrix(y_true, y_pred))
    matrix = utils.confusion_matrix([0, 2], [0, 2])  # class 1 never occurs: its row and column stay
    assert matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert utils.confusion_matrix([0, 1], [1, 1], n_classes=4).shape == (4, 4)


@pytest.mark.parametrize("y_true, y_pred, n_classes", [([0, 3], [0, 1], 3), ([0, -1], [0, 1], None)])
def test_confusion_matrix_rejects_labels_outside_the_classes(y_true, y_pred, n_classes):
    with pytest.raises(ArgumentError, match=r"labels must be class ids in \[0, \d\)"):
        utils.confusion_matrix(y_true, y_pred, n_classes)


def test_plot_confusion_matrix_labels_axes_and_classes():
    fig = utils.plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], class_names=["cat", "dog", "cow"], title="T")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true" and ax.get_title() == "T"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "cow"]
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "0", "1", "0", "1", "1"]
    assert len(fig.axes) == 2, "a colour bar"


def test_image_rows_keep_one_grey_scale_and_label_each_row():
    from utils.plotting import plot_image_rows

    rows = np.zeros((3, 4, 28, 28, 1), dtype="float32")
    rows[1] = 1.0
    fig = plot_image_rows(rows, ["epoch 1", "epoch 2", "epoch 3"], ylabel="epoch")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["epoch 1", "epoch 2", "epoch 3"]
    image = ax.get_images()[0]
    assert image.get_clim() == (-1.0, 1.0) and image.get_array().shape == (3 * 30 - 2, 4 * 30 - 2)
    assert image.get_array()[30:58, 0:28].min() == 1.0 and image.get_array()[0:28, 0:28].max() == 0.0


def test_image_rows_reject_bad_shapes_and_labels():
    from utils.plotting import plot_image_rows

    with pytest.raises(ArgumentError, match="rows, columns, height, width"):
        plot_image_rows(np.zeros((4, 28, 28)), ["a"] * 4)
    with pytest.raises(ArgumentError, match="2 rows but 3 row labels"):
        plot_image_rows(np.zeros((2, 3, 28, 28)), ["a", "b", "c"])
