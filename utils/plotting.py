"""Plots the chapters share: training curves, labelled image grids and confusion matrices.

Each function draws into a new figure and returns it, so a notebook can show it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .errors import ArgumentError


def _history_dict(history) -> Mapping[str, Sequence[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping) or not values:
        raise ArgumentError("plot_history needs a keras History (model.fit's return value) or a non-empty "
                            f"dict of metric lists, got {type(history).__name__}")
    return values


def plot_history(history, metrics: Sequence[str] | None = None, title: str | None = None):
    """One panel per metric, training and validation curves together (``val_`` prefix).

    ``history`` is what ``model.fit`` returns, or a dict such as ``history.history``.
    """
    values = _history_dict(history)
    if metrics is None:
        metrics = [k for k in values if not k.startswith("val_") and k != "learning_rate"]
    missing = [m for m in metrics if m not in values]
    if missing:
        raise ArgumentError(f"history has no {missing}; it has {sorted(values)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], "o-", label="train")
        if f"val_{metric}" in values:
            ax.plot(epochs, values[f"val_{metric}"], "s--", label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_image_grid(images, labels=None, predictions=None, class_names: Sequence[str] | None = None,
                    ncols: int = 8, title: str | None = None):
    """Images in a grid, captioned ``label`` or ``label → prediction`` (red where they differ)."""
    images = np.asarray(images)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ArgumentError(f"plot_image_grid needs a non-empty batch of images (n, h, w[, c]), "
                            f"got shape {images.shape}")
    n = len(images)
    if labels is not None and len(labels) != n or predictions is not None and len(predictions) != n:
        raise ArgumentError(f"plot_image_grid got {n} images but labels/predictions of another length")
    name = (lambda i: class_names[int(i)]) if class_names is not None else (lambda i: str(int(i)))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, min(ncols, n), figsize=(1.4 * min(ncols, n), 1.6 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = images[i]
        ax.imshow(image.squeeze(), cmap="gray" if image.ndim == 2 or image.shape[-1] == 1 else None)
        if labels is not None:
            caption, color = name(np.ravel(labels[i])[0]), "black"
            if predictions is not None:
                pred = np.ravel(predictions[i])[0]
                caption += f" → {name(pred)}"
                color = "black" if pred == np.ravel(labels[i])[0] else "red"
            ax.set_title(caption, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_image_rows(rows, row_labels: Sequence[str], title: str | None = None, ylabel: str | None = None,
                    value_range: tuple[float, float] = (-1.0, 1.0)):
    """One mosaic: each row of ``rows`` (shape ``(n_rows, n_cols, h, w[, 1])``) becomes a row of grayscale
    images, labelled on the left with ``row_labels`` (e.g. the epoch that produced it).

    All images share one grey scale, ``value_range`` (a generator with ``tanh`` output gives [-1, 1]), so that
    rows can be compared: a per-image scale would make a faint blur look as crisp as a finished sample.
    """
    rows = np.asarray(rows, dtype="float32")
    if rows.ndim == 5 and rows.shape[-1] == 1:
        rows = rows[..., 0]
    if rows.ndim != 4 or rows.shape[0] == 0 or rows.shape[1] == 0:
        raise ArgumentError(f"plot_image_rows needs images shaped (rows, columns, height, width[, 1]), "
                            f"got {rows.shape}")
    if len(row_labels) != rows.shape[0]:
        raise ArgumentError(f"plot_image_rows got {rows.shape[0]} rows but {len(row_labels)} row labels")
    n_rows, n_cols, h, w = rows.shape
    gap = 2  # pixels of background between images
    mosaic = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), value_range[0], dtype="float32")
    for r in range(n_rows):
        for c in range(n_cols):
            mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = rows[r, c]
    fig, ax = plt.subplots(figsize=(0.55 * n_cols + 1.2, 0.55 * n_rows + 0.6))
    ax.imshow(mosaic, cmap="gray", vmin=value_range[0], vmax=value_range[1])
    ax.set_yticks([r * (h + gap) + h / 2 for r in range(n_rows)], [str(label) for label in row_labels])
    ax.set_xticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _class_ids(y_true, y_pred, n_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    if len(y_true) != len(y_pred):
        raise ArgumentError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    y_true, y_pred = y_true.astype(int), y_pred.astype(int)
    both = np.concatenate([y_true, y_pred])
    lowest, highest = int(both.min(initial=0)), int(both.max(initial=0))
    n_classes = n_classes or highest + 1
    if lowest < 0 or highest >= n_classes:
        raise ArgumentError(f"labels must be class ids in [0, {n_classes}): got values from {lowest} to {highest}")
    return y_true, y_pred, n_classes


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j`` (scikit-learn's ``confusion_matrix``).

    Classes are the ids ``0 .. n_classes - 1`` (default: the largest id seen + 1), so a class that never occurs
    still has its row and column.
    """
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    y_true, y_pred, n_classes = _class_ids(y_true, y_pred, n_classes)
    return sklearn_confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None, normalize: bool = False,
                          title: str = "Confusion matrix", errors_only: bool = False):
    """A confusion matrix heat map with the count (or row share) written in each cell, drawn by scikit-learn's
    ``ConfusionMatrixDisplay``.

    With ``errors_only=True`` the diagonal (the correct answers) is masked: it is left blank and the colour
    scale spans only the errors, which the diagonal's large counts would otherwise wash out.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    n = len(class_names) if class_names is not None else None
    matrix = confusion_matrix(y_true, y_pred, n)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    diagonal = np.eye(len(matrix), dtype=bool)
    if errors_only:
        shown = np.where(diagonal, 0, shown)  # text colours are chosen from the errors' range
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(matrix))]
    fig, ax = plt.subplots(figsize=(0.55 * len(names) + 2.5, 0.55 * len(names) + 2))
    display = ConfusionMatrixDisplay(shown, display_labels=names)
    display.plot(ax=ax, cmap="Reds" if errors_only else "Blues", colorbar=False, xticks_rotation=45,
                 values_format=".2f" if normalize else "d", text_kw={"fontsize": 7})
    if errors_only:
        display.im_.set_data(np.ma.masked_array(shown, mask=diagonal))  # blank diagonal cells
        display.im_.autoscale()  # the colour scale spans the errors only
        for i in range(len(names)):
            display.text_[i, i].set_text("")
    fig.colorbar(display.im_, ax=ax, fraction=0.046)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    plt.setp(ax.get_xticklabels(), ha="right")
    fig.tight_layout()
    return fig
