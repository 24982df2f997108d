"""Wrong-answer (mutation) tests for exercise checks: prove that each check rejects plausible wrong answers.

A chapter's test file registers its wrong answers and asserts, one parametrized test per wrong answer, that the
exercise's check cell rejects it::

    from exercise_mutations import assert_rejected, wrong_answer
    import pytest

    CHAPTER = "00_getting_started"
    WRONG = [
        wrong_answer("ex00-unit-range-solution", "no-scaling", "def to_unit_range(images):\\n    return ..."),
        ...
    ]

    @pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
    def test_wrong_answer(wrong):
        assert_rejected(CHAPTER, WRONG, wrong)

    def test_learners_blank_fails_every_check():
        assert_blanks_rejected(CHAPTER, WRONG)

The chapter is executed in smoke mode once per ``(chapter, WRONG)`` for the whole pytest session: before each
exercise's real solution cell, the learner's blank copy of the solution (``raise NotImplementedError()``, as the
workbook has it) and every wrong answer to that exercise are inserted, each as a solution cell followed by a
copy of the exercise's check cell. The blank's check must fail too (``assert_blanks_rejected``): the learner's
copy is proved to check something in the same run instead of a second one. All of a chapter's tests live in its
one module, so that ``pytest -n N --dist loadfile`` (``make test``) runs the chapter on one worker, once.
The real solution runs after them, so the cells that follow see the right answer again. A wrong answer must
therefore not corrupt shared state (e.g. change a dataset array in place); if it does, the real solution's
check fails in the mutated run and every test of that chapter says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from utils import exercises, notebooks, workbook

CHAPTERS_DIR = Path(__file__).resolve().parent.parent / "chapters"
_KEY = "wrong_answer_test"  # cell metadata key of the inserted cells (and of the real checks we watch)
_BLANK = "learner-blank"  # the name of the inserted learner's blank solution


@dataclass(frozen=True)
class WrongAnswer:
    grade_id: str  # nbgrader grade_id of the SOLUTION cell it replaces, e.g. "ex01-tanh-solution"
    name: str  # short slug, e.g. "relu-derivative"
    source: str  # full replacement source of that solution cell (scaffold included, no solution markers)
    expect: str = "AssertionError"  # the error (exception class name) the CHECK cell must raise

    @property
    def label(self) -> str:
        return f"{self.grade_id}:{self.name}"


def wrong_answer(grade_id: str, name: str, source: str, expect: str = "AssertionError") -> WrongAnswer:
    """A plausible wrong solution to the exercise whose solution cell has nbgrader ``grade_id``."""
    for field, value in (("grade_id", grade_id), ("name", name), ("source", source), ("expect", expect)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"wrong_answer: {field} must be a non-empty string, got {value!r}")
    if exercises.MARKER_BEGIN in source or exercises.MARKER_END in source:
        raise ValueError(f"wrong_answer {grade_id}:{name}: the source must not hold solution markers")
    return WrongAnswer(grade_id, name, source, expect)


@dataclass
class _Outcome:
    solution_error: tuple[str, str] | None  # (ename, evalue) of the wrong solution cell, None if it ran cleanly
    check_error: tuple[str, str] | None  # (ename, evalue) of the copied check cell, None if it passed


@dataclass
class MutationRun:
    outcomes: dict[WrongAnswer, _Outcome]
    real_check_errors: dict[str, tuple[str, str]]  # grade_id of a solution whose real check failed -> error
    notebook: str
    blanks: dict[str, _Outcome]  # grade_id -> outcome of the learner's blank solution and its check


def _error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "?"), output.get("evalue", "")
    return None


def _check_wrongs(nb, wrongs: Sequence[WrongAnswer], where: str) -> dict[str, tuple[int, int]]:
    by_gid = {}
    for sol, chk in exercises.exercise_pairs(nb):
        by_gid[exercises.nbgrader_meta(nb.cells[sol])["grade_id"]] = (sol, chk)
    labels = [w.label for w in wrongs]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise ValueError(f"{where}: wrong answers registered twice: {dupes}")
    unknown = sorted({w.grade_id for w in wrongs} - set(by_gid))
    if unknown:
        raise ValueError(f"{where}: no exercise solution cell has grade_id {unknown}; "
                         f"the solutions are {sorted(by_gid)}")
    return by_gid


def mutated_notebook(nb, wrongs: Sequence[WrongAnswer], where: str = "notebook"):
    """A copy of ``nb`` with each wrong answer and a copy of its check inserted before the real solution."""
    nb = nbformat.from_dict(nb)
    by_gid = _check_wrongs(nb, wrongs, where)
    learner = workbook.learner_notebook(nbformat.from_dict(nb))
    insert_before: dict[int, list] = {}
    for gid, (sol, chk) in by_gid.items():
        nb.cells[chk].metadata[_KEY] = {"role": "real-check", "grade_id": gid}
        blank = {"grade_id": gid, "name": _BLANK}
        insert_before.setdefault(sol, []).extend([
            new_code_cell(learner.cells[sol].source, metadata={_KEY: {**blank, "role": "solution"}}),
            new_code_cell(nb.cells[chk].source, metadata={_KEY: {**blank, "role": "check"}}),
        ])
        for i, w in enumerate(w for w in wrongs if w.grade_id == gid):
            meta = {"grade_id": gid, "name": w.name}
            insert_before.setdefault(sol, []).extend([
                new_code_cell(w.source, metadata={_KEY: {**meta, "role": "solution", "index": i}}),
                new_code_cell(nb.cells[chk].source, metadata={_KEY: {**meta, "role": "check", "index": i}}),
            ])
    cells = []
    for i, cell in enumerate(nb.cells):
        cells.extend(insert_before.get(i, []))
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def run_mutations(path: Path, wrongs: Sequence[WrongAnswer], timeout: int = 600) -> MutationRun:
    """Execute the notebook at ``path`` with the wrong answers inserted (smoke mode) and collect the outcomes."""
    path = Path(path)
    nb = mutated_notebook(nbformat.read(path, as_version=4), wrongs, where=path.name)
    executed = notebooks.execute(nb, mode="smoke", cwd=path.parent, timeout=timeout, allow_errors=True)
    found: dict[tuple[str, str], dict[str, tuple[str, str] | None]] = {}
    real_errors = {}
    for cell in executed.cells:
        meta = cell.get("metadata", {}).get(_KEY)
        if not meta:
            continue
        if meta["role"] == "real-check":
            if (err := _error(cell)) is not None:
                real_errors[meta["grade_id"]] = err
        else:
            found.setdefault((meta["grade_id"], meta["name"]), {})[meta["role"]] = _error(cell)
    outcomes = {w: _Outcome(found[(w.grade_id, w.name)]["solution"], found[(w.grade_id, w.name)]["check"])
                for w in wrongs}
    blanks = {gid: _Outcome(roles["solution"], roles["check"]) for (gid, name), roles in found.items()
              if name == _BLANK}
    return MutationRun(outcomes, real_errors, path.name, blanks)


_CACHE: dict[tuple[Path, tuple[WrongAnswer, ...]], MutationRun] = {}


def mutation_run(path: Path, wrongs: Sequence[WrongAnswer]) -> MutationRun:
    """:func:`run_mutations`, executed once per ``(notebook, wrong answers)`` for the pytest session."""
    key = (Path(path).resolve(), tuple(wrongs))
    if key not in _CACHE:
        _CACHE[key] = run_mutations(path, wrongs)
    return _CACHE[key]


def check_rejected(run: MutationRun, wrong: WrongAnswer) -> None:
    """Raise AssertionError, naming the wrong answer, unless its check cell raised ``wrong.expect``."""
    where = f"{run.notebook}, wrong answer {wrong.label!r}"
    if wrong.grade_id in run.real_check_errors:
        ename, evalue = run.real_check_errors[wrong.grade_id]
        raise AssertionError(f"{where}: in the mutated run the REAL solution of {wrong.grade_id} failed its own "
                             f"check ({ename}: {evalue}); a wrong answer probably changed shared state")
    outcome = run.outcomes[wrong]
    if outcome.solution_error is not None:
        ename, evalue = outcome.solution_error
        raise AssertionError(f"{where}: the wrong solution itself crashed ({ename}: {evalue}), so the check was "
                             "never tested; make the wrong answer run")
    if outcome.check_error is None:
        raise AssertionError(f"{where}: the check PASSED this wrong answer; the check must reject it")
    ename, evalue = outcome.check_error
    if ename != wrong.expect:
        raise AssertionError(f"{where}: the check raised {ename} ({evalue}), expected {wrong.expect}")


def check_blank_rejected(run: MutationRun, grade_id: str) -> None:
    """Raise AssertionError unless the check of exercise ``grade_id`` failed on the learner's blank solution."""
    outcome = run.blanks[grade_id]
    if outcome.check_error is None:
        raise AssertionError(f"{run.notebook}: the check of {grade_id} passed on the learner's blank solution, "
                             "so it checks nothing (is the answer computed in an earlier cell?)")


def _chapter_path(chapter: str) -> Path:
    path = CHAPTERS_DIR / f"{chapter}.ipynb"
    if not path.is_file():
        raise ValueError(f"no chapter notebook {path.name} in {CHAPTERS_DIR}")
    return path


def assert_rejected(chapter: str, wrongs: Sequence[WrongAnswer], wrong: WrongAnswer) -> None:
    """Assert that chapter ``chapter``'s check rejects ``wrong`` (one of ``wrongs``, all run together)."""
    if wrong not in wrongs:
        raise ValueError(f"wrong answer {wrong.label!r} is not in the list passed as wrongs")
    check_rejected(mutation_run(_chapter_path(chapter), wrongs), wrong)


def assert_blanks_rejected(chapter: str, wrongs: Sequence[WrongAnswer]) -> None:
    """Assert that every exercise check of ``chapter`` fails on the learner's blank solution (the run of ``wrongs``)."""
    path = _chapter_path(chapter)
    run, nb = mutation_run(path, wrongs), nbformat.read(path, as_version=4)
    for sol, _ in exercises.exercise_pairs(nb):
        check_blank_rejected(run, exercises.nbgrader_meta(nb.cells[sol])["grade_id"])
