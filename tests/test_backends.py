"""Each chapter declares the Keras backends it supports, in three places that must agree: the `backends=` of its
`utils.setup_notebook` call (which enforces it), the "**Backends.**" line of its header, and the README's
chapter table. Started on another backend, a chapter stops in its setup cell with one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import utils
from utils import runmode
from utils.errors import ArgumentError, BackendError
from utils.notebooks import declared_backends, main

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def readme_backends() -> dict[str, str]:
    """Chapter number → the README table's "backends" cell."""
    lines = (ROOT / "README.md").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| # |"))
    columns = [c.strip() for c in lines[header].strip("|").split("|")]
    column = columns.index("backends")
    rows = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[column]
    return rows


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_declares_its_backends_in_code_header_and_readme(path):
    backends = declared_backends(path)
    assert backends and backends[0] == "tensorflow", "every chapter runs on TensorFlow, the course's default"
    header = nbformat.read(path, as_version=4).cells[0].source
    line = re.search(r"\*\*Backends\.\*\*(.*)", header)
    assert line, f"{path.name}: the first cell needs a '**Backends.**' line"
    named = {key for key, name in NAMES.items() if re.search(rf"\b{name}\b", line.group(1))}
    assert named == set(backends), f"{path.name}: header names {sorted(named)}, setup_notebook {list(backends)}"
    cell = readme_backends()[path.name[:2]]
    in_readme = {key for key, name in NAMES.items() if re.search(rf"\b{name}\b", cell)}
    assert in_readme == set(backends), f"README row {path.name[:2]}: {cell!r}, setup_notebook {list(backends)}"


def test_a_chapter_started_on_an_unsupported_backend_stops_with_one_line(monkeypatch):
    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(BackendError) as caught:
        utils.check_backend(("tensorflow",), why="it uses tf.GradientTape")
    message = str(caught.value)
    assert "\n" not in message and "it uses tf.GradientTape" in message and "KERAS_BACKEND=tensorflow" in message
    assert utils.check_backend(("tensorflow", "jax")) == "jax"


def test_setup_notebook_checks_the_backend_before_starting_it(monkeypatch):
    import keras

    monkeypatch.setenv("COURSE_MODE", "smoke")
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setattr(runmode, "start_backend", lambda: pytest.fail("the backend started before the check"))
    with pytest.raises(BackendError, match="KERAS_BACKEND=tensorflow"):
        utils.setup_notebook(seed=0, backends=("tensorflow", "jax"))


@pytest.mark.parametrize("backends", ["tensorflow", (), ("tensorflow", "theano"), None])
def test_bad_backend_declarations_are_rejected(backends):
    with pytest.raises(ArgumentError, match="give a tuple of Keras backends"):
        utils.check_backend(backends)


def test_the_active_backend_is_the_one_the_tests_were_asked_for():
    """`make test` and `make test-jax` set KERAS_BACKEND; a run that silently fell back would prove nothing."""
    import keras

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


def test_make_lists_the_chapters_that_declare_a_backend(capsys):
    assert main(["--list-supporting", "jax", *map(str, CHAPTERS)]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == [str(p) for p in CHAPTERS if "jax" in declared_backends(p)]
    assert "chapters/01_forward_backprop_math.ipynb" not in " ".join(listed)


def test_a_backend_whose_package_is_missing_is_one_line():
    """KERAS_BACKEND=jax without jax installed: Keras' own ModuleNotFoundError becomes one line saying what to do.
    (A fresh process, with jax made unimportable, so the test means the same with or without jax installed.)"""
    code = ("import sys; sys.modules['jax'] = None\nimport utils\n"
            "try:\n    utils.check_backend(('tensorflow', 'jax'))\n"
            "except utils.BackendError as exc:\n    print('BackendError:', exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=ROOT, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert result.stdout.strip() == (
        "BackendError: KERAS_BACKEND='jax' needs the package 'jax', which is not installed: install it "
        "(`make JAX=1 venv` for JAX) or set KERAS_BACKEND=tensorflow"), result.stdout + result.stderr
