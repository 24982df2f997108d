"""Exercise tooling: find exercises in a chapter and make the student version with nbgrader's preprocessors.

An exercise is a *solution cell* (nbgrader metadata ``solution: true``) holding nbgrader's solution markers,
followed by a *check cell* (``grade: true``, locked) that asserts properties of the learner's answer.
The chapters are nbgrader source notebooks, so an instructor can also use them in a full nbgrader course.

``make student`` runs ``python -m utils.exercises chapters student``: solutions are replaced by nbgrader's
stub (``raise NotImplementedError()``), outputs are cleared and check cells are locked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

from .errors import ArgumentError, CourseError, main_with_one_line_errors

MARKER_BEGIN = "### BEGIN " + "SOLUTION"  # split so nbgrader never mistakes this file's text for a marker
MARKER_END = "### END " + "SOLUTION"


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_check_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def exercise_pairs(nb) -> list[tuple[int, int]]:
    """``(solution_cell_index, check_cell_index)`` for every exercise, in notebook order.

    Each solution cell must be followed (after any markdown) by its check cell; anything else is an
    authoring mistake and raises :class:`CourseError` naming the cell.
    """
    pairs, pending = [], None
    for i, cell in enumerate(nb.cells):
        source = cell.get("source", "")
        if MARKER_BEGIN in source and not is_solution_cell(cell):
            raise CourseError(f"cell {i} holds a solution marker but is not an nbgrader solution cell")
        if is_solution_cell(cell):
            if pending is not None:
                raise CourseError(f"solution cell {pending} has no check cell before the next solution")
            if MARKER_BEGIN not in source or MARKER_END not in source:
                raise CourseError(f"solution cell {i} lacks the begin/end solution markers")
            pending = i
        elif is_check_cell(cell):
            if pending is None:
                raise CourseError(f"check cell {i} follows no solution cell")
            pairs.append((pending, i))
            pending = None
    if pending is not None:
        raise CourseError(f"solution cell {pending} has no check cell after it")
    return pairs


def make_student_notebook(nb):
    """The learner's copy of a chapter: solutions stubbed, outputs cleared, check cells locked."""
    from nbgrader.preprocessors import ClearOutput, ClearSolutions, LockCells

    nb = nbformat.from_dict(nb)  # a copy: the preprocessors work in place
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearOutput(), LockCells()):
        nb, resources = preprocessor.preprocess(nb, resources)
    left = [i for i, c in enumerate(nb.cells) if MARKER_BEGIN in c.source or MARKER_END in c.source]
    if left:
        raise CourseError(f"solution markers survived in cells {left}")
    return nb


def make_student_versions(source_dir: Path, out_dir: Path) -> list[Path]:
    """Write the student version of every chapter notebook in ``source_dir`` to ``out_dir``."""
    notebooks = sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ArgumentError(f"no chapter notebooks (NN_name.ipynb) in {source_dir}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        exercise_pairs(nb)  # refuse to publish a chapter whose exercises are malformed
        target = out_dir / path.name
        nbformat.write(make_student_notebook(nb), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.exercises", description="Write student versions.")
    parser.add_argument("source", type=Path, help="folder of chapter notebooks (chapters)")
    parser.add_argument("out", type=Path, help="folder for the student versions (student)")
    args = parser.parse_args(argv)
    for path in make_student_versions(args.source, args.out):
        nb = nbformat.read(path, as_version=4)
        checks = sum(is_check_cell(c) for c in nb.cells)
        print(f"{path}: {checks} exercise(s), solutions removed")
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
