"""In a notebook, a CourseError is one line, and the cell still fails (so nbval and "Run All" stop there)."""

from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from utils import notebooks


def run(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources],
                      metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    return notebooks.execute(nb, mode="smoke", cwd=Path("."), timeout=120, allow_errors=True)


def test_course_error_is_one_line_error_output():
    nb = run("from utils.errors import show_course_errors_as_one_line\nshow_course_errors_as_one_line()",
             "import utils\nutils.load_mnist(n_train=0)")
    errors = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0].ename == "ArgumentError"
    assert errors[0].traceback == ["ArgumentError: n_train must be a positive int or None (all examples), got 0"]


def test_course_error_still_fails_the_cell():
    nb = new_notebook(cells=[
        new_code_cell("from utils.errors import show_course_errors_as_one_line\nshow_course_errors_as_one_line()"),
        new_code_cell("import os\nos.environ['COURSE_MODE'] = 'turbo'\nimport utils\nutils.course_mode()"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    with pytest.raises(CellExecutionError, match="ModeError"):
        notebooks.execute(nb, mode="smoke", cwd=Path("."), timeout=120)


def test_other_errors_keep_their_full_traceback():
    nb = run("from utils.errors import show_course_errors_as_one_line\nshow_course_errors_as_one_line()",
             "def f():\n    raise KeyError('x')\nf()")
    error = [o for o in nb.cells[1].outputs if o.output_type == "error"][0]
    assert error.ename == "KeyError" and len(error.traceback) > 1


def test_a_bad_mode_in_the_first_cell_is_one_line():
    nb = run("import os\nos.environ['COURSE_MODE'] = 'turbo'\nimport utils\ninfo = utils.setup_notebook()")
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ModeError" and len(errors[0].traceback) == 1


def test_a_tensorflow_chapter_started_on_another_backend_stops_in_one_line():
    """A chapter that declares TensorFlow only, started under KERAS_BACKEND=jax: its setup cell says what to set, in
    one line, before anything runs. Without JAX installed (as in `make test`), Keras cannot even start that backend,
    and that is said in one line too."""
    import importlib.util

    nb = run("import os\nos.environ['KERAS_BACKEND'] = 'jax'\nimport utils\n"
             "info = utils.setup_notebook(seed=0, backends=('tensorflow',), why='it uses tf.GradientTape')")
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "BackendError" and len(errors[0].traceback) == 1
    assert "KERAS_BACKEND=tensorflow" in errors[0].evalue
    if importlib.util.find_spec("jax"):
        assert "tf.GradientTape" in errors[0].evalue
    else:
        assert "needs the package 'jax', which is not installed" in errors[0].evalue
    assert not [o for o in nb.cells[0].outputs if o.output_type == "stream" and o.name == "stderr"]
