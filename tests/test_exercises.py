"""Exercises work in both directions: every check passes on the solution, every check fails on the blank copy."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import exercises, notebooks
from utils.errors import CourseError

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("[0-9][0-9]_*.ipynb"))
BEGIN, END = exercises.MARKER_BEGIN, exercises.MARKER_END


def solution(source, gid="ex"):
    return new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False, "locked": False,
                                                        "grade_id": gid, "schema_version": 3}})


def check(source, gid="ex-check"):
    return new_code_cell(source, metadata={"nbgrader": {"solution": False, "grade": True, "locked": True,
                                                        "points": 1, "grade_id": gid, "schema_version": 3}})


def toy_notebook():
    return new_notebook(cells=[
        new_markdown_cell("Write double."),
        solution(f"def double(x):\n    {BEGIN}\n    return 2 * x\n    {END}"),
        check("assert double(3) == 6"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})


def test_student_notebook_stubs_the_solution_and_locks_the_check():
    student = exercises.make_student_notebook(toy_notebook())
    assert "return 2 * x" not in student.cells[1].source
    assert "raise NotImplementedError()" in student.cells[1].source
    assert student.cells[1].source.startswith("def double(x):")  # the scaffold around the answer stays
    assert student.cells[2].metadata["editable"] is False and student.cells[2].metadata["deletable"] is False


@pytest.mark.parametrize("cells, message", [
    ([solution(f"{BEGIN}\nx = 1\n{END}")], "has no check cell"),
    ([check("assert True")], "follows no solution cell"),
    ([new_code_cell(f"{BEGIN}\nx = 1\n{END}")], "not an nbgrader solution cell"),
    ([solution("x = 1"), check("assert x")], "lacks the begin/end solution markers"),
])
def test_malformed_exercises_are_refused(cells, message):
    with pytest.raises(CourseError, match=message):
        exercises.exercise_pairs(new_notebook(cells=cells))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_exercises_are_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercises.exercise_pairs(nb)
    assert len(pairs) >= (1 if path.name.startswith("00_") else 3), "chapters need at least three exercises"
    ids = [exercises.nbgrader_meta(c)["grade_id"] for c in nb.cells if "nbgrader" in c.get("metadata", {})]
    assert len(ids) == len(set(ids)), "nbgrader grade_ids must be unique"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_has_no_solution_and_every_check_fails(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercises.exercise_pairs(nb)
    student = exercises.make_student_notebook(nb)
    for sol, _ in pairs:
        inside, answer = False, []
        for line in nb.cells[sol].source.splitlines():
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = False
            elif inside and line.strip():
                answer.append(line.strip())
        assert answer, f"solution cell {sol} is empty"
        assert not any(line in student.cells[sol].source for line in answer), f"solution left in cell {sol}"
    assert not any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")

    executed = notebooks.execute(student, mode="smoke", cwd=path.parent, timeout=300, allow_errors=True)
    for _, chk in pairs:
        outputs = executed.cells[chk].get("outputs", [])
        assert any(o.get("output_type") == "error" for o in outputs), (
            f"{path.name}: check cell {chk} passed without a solution, so it checks nothing")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_committed_solution_passes_every_check(path):
    """The committed outputs (a full-mode run) show each check cell ran without error."""
    nb = nbformat.read(path, as_version=4)
    for _, chk in exercises.exercise_pairs(nb):
        outputs = nb.cells[chk].get("outputs", [])
        assert outputs, f"{path.name}: check cell {chk} has no committed output; run `make reproduce`"
        assert not any(o.get("output_type") == "error" for o in outputs), f"{path.name}: check {chk} failed"
