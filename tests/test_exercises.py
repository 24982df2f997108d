"""Exercises work in both directions: every check passes on the solution, every check fails on the blank copy,
and every exercise has wrong answers registered (tests/test_wrong_answers_NN.py) that its check rejects."""

import importlib
from pathlib import Path

import exercise_mutations as mutations
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import exercises, notebooks, workbook
from utils.errors import CourseError

TESTS = Path(__file__).resolve().parent
CHAPTERS = sorted((TESTS.parent / "chapters").glob("[0-9][0-9]_*.ipynb"))
MIN_WRONG_ANSWERS = 2
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


def test_learner_notebook_stubs_the_solution_and_locks_the_check():
    student = workbook.learner_notebook(toy_notebook())
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
def test_learner_copy_has_no_solution_and_every_check_fails(path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercises.exercise_pairs(nb)
    student = workbook.learner_notebook(nb)
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
    assert not any(student.cells[i].get("outputs") for pair in pairs for i in pair), "exercise output left"
    # That every check FAILS on the learner's blank is proved in the chapter's wrong-answer run, by the
    # test_learners_blank_fails_every_check of tests/test_wrong_answers_NN.py (checked below to exist).


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_committed_solution_passes_every_check(path):
    """The committed outputs (a full-mode run) show each check cell ran without error."""
    nb = nbformat.read(path, as_version=4)
    for _, chk in exercises.exercise_pairs(nb):
        outputs = nb.cells[chk].get("outputs", [])
        assert outputs, f"{path.name}: check cell {chk} has no committed output; run `make reproduce`"
        assert not any(o.get("output_type") == "error" for o in outputs), f"{path.name}: check {chk} failed"


def registered_wrong_answers() -> dict[str, list[mutations.WrongAnswer]]:
    """chapter stem -> the WRONG list of the tests/test_wrong_answers_*.py module naming that CHAPTER (one each)."""
    registered: dict[str, list[mutations.WrongAnswer]] = {}
    for module_path in sorted(TESTS.glob("test_wrong_answers_*.py")):
        module = importlib.import_module(module_path.stem)
        assert module.CHAPTER not in registered, f"{module_path.name}: a second module for {module.CHAPTER}"
        assert callable(getattr(module, "test_learners_blank_fails_every_check", None)), (
            f"{module_path.name} must define test_learners_blank_fails_every_check (assert_blanks_rejected)")
        registered[module.CHAPTER] = list(module.WRONG)
    return registered


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_wrong_answers_registered(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [exercises.nbgrader_meta(nb.cells[sol])["grade_id"] for sol, _ in exercises.exercise_pairs(nb)]
    wrongs = registered_wrong_answers().get(path.stem, [])
    stale = sorted({w.grade_id for w in wrongs} - set(solutions))
    assert not stale, f"{path.name}: wrong answers registered for solution grade_ids that do not exist: {stale}"
    counts = {gid: len({w.name for w in wrongs if w.grade_id == gid}) for gid in solutions}
    short = {gid: n for gid, n in counts.items() if n < MIN_WRONG_ANSWERS}
    assert not short, (f"{path.name}: exercises with fewer than {MIN_WRONG_ANSWERS} wrong answers in "
                       f"tests/test_wrong_answers_{path.stem[:2]}.py: {short}")


def toy_wrongs():
    return [
        mutations.wrong_answer("ex", "triple", "def double(x):\n    return 3 * x"),
        mutations.wrong_answer("ex", "crashes", "def double(x):\n    return x +"),
        mutations.wrong_answer("ex", "right-answer", "def double(x):\n    return x + x"),
        mutations.wrong_answer("ex", "type-error", "def double(x):\n    return None + x", expect="TypeError"),
        mutations.wrong_answer("ex", "wrong-expectation", "def double(x):\n    return 0", expect="ValueError"),
    ]


def test_wrong_answer_framework_on_a_toy_notebook(tmp_path):
    """The mutation run inserts every wrong answer before the solution and tells each outcome apart."""
    path = tmp_path / "99_toy.ipynb"
    nb = toy_notebook()
    nb.cells.append(new_code_cell("assert double(5) == 10"))  # a later cell sees the real solution again
    nbformat.write(nb, path)
    wrongs = toy_wrongs()
    mutated = mutations.mutated_notebook(nb, wrongs)
    assert len(mutated.cells) == len(nb.cells) + 2 * (len(wrongs) + 1)  # + the learner's blank and its check
    run = mutations.mutation_run(path, wrongs)
    assert mutations.mutation_run(path, wrongs) is run  # executed once per session
    triple, crashes, right, type_error, wrong_expectation = wrongs
    mutations.check_rejected(run, triple)
    mutations.check_rejected(run, type_error)
    for wrong, message in [(crashes, "wrong solution itself crashed"), (right, "check PASSED"),
                           (wrong_expectation, "raised AssertionError .* expected ValueError")]:
        with pytest.raises(AssertionError, match=f"wrong answer 'ex:{wrong.name}'.*{message}"):
            mutations.check_rejected(run, wrong)
    executed_errors = [c for c in notebooks.execute(mutated, mode="smoke", cwd=tmp_path, allow_errors=True).cells
                       if c.get("outputs") and any(o.output_type == "error" for o in c.outputs)]
    mutations.check_blank_rejected(run, "ex")  # the blank's double() raises NotImplementedError in the check
    assert run.blanks["ex"].check_error[0] == "NotImplementedError"
    # the blank's check, triple's check, the crash and its check, type-error's and wrong-expectation's
    # checks; the real cells pass
    assert len(executed_errors) == 6


def test_wrong_answers_must_name_an_existing_exercise():
    with pytest.raises(ValueError, match="no exercise solution cell has grade_id"):
        mutations.mutated_notebook(toy_notebook(), [mutations.wrong_answer("nope", "x", "y = 1")])
    with pytest.raises(ValueError, match="solution markers"):
        mutations.wrong_answer("ex", "x", f"{BEGIN}\ny = 1")
