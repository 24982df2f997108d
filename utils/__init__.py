"""Shared, unit-tested code for the keras-course chapters.

A chapter starts with::

    import utils
    info = utils.setup_notebook(seed=42)   # checks COURSE_MODE, seeds everything, prints the banner
    EPOCHS = utils.by_mode(smoke=1, full=10)

Importing this package does not import TensorFlow or Keras; the functions that need them import them.
"""

from .artifacts import artifact_path, artifacts_dir
from .datasets import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    IMDB_CLASSES,
    MNIST_CLASSES,
    load_cifar10,
    load_fashion_mnist,
    load_imdb_text,
    load_mnist,
    stratified_subset,
)
from .errors import ArgumentError, BackendError, CourseError, DatasetError, ModeError
from .gradients import float64_precision, gradient_check, numerical_gradient, relative_error
from .plotting import confusion_matrix, plot_confusion_matrix, plot_history, plot_image_grid
from .progress import ProgressLine, keras_progress
from .runmode import by_mode, check_backend, course_mode, is_smoke, seed_everything, setup_notebook

__all__ = [
    "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "IMDB_CLASSES", "MNIST_CLASSES",
    "ArgumentError", "BackendError", "CourseError", "artifact_path", "artifacts_dir", "DatasetError", "ModeError",
    "ProgressLine", "by_mode", "check_backend", "confusion_matrix", "course_mode", "float64_precision",
    "gradient_check", "is_smoke", "keras_progress", "load_cifar10", "load_fashion_mnist", "load_imdb_text",
    "load_mnist", "numerical_gradient", "plot_confusion_matrix", "plot_history", "plot_image_grid", "relative_error",
    "seed_everything", "setup_notebook", "stratified_subset",
]
