"""Exercise tooling: find the exercises of a chapter (each a solution cell followed by its check cell).

An exercise is a *solution cell* (nbgrader metadata ``solution: true``) holding nbgrader's solution markers,
followed by a *check cell* (``grade: true``, locked) that asserts properties of the learner's answer.
The chapters are nbgrader source notebooks, so an instructor can also use them in a full nbgrader course.

The learner's copies (``make lab``'s workbook) are made by :mod:`utils.workbook`, the nbgrader course by
:mod:`utils.course`.
"""

from __future__ import annotations

from .errors import CourseError

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
