"""The learner's workbook: copies of the chapters with the exercises blanked and the lesson's outputs kept.

``make lab`` runs ``python -m utils.workbook chapters workbook`` and opens JupyterLab on ``workbook/``. Each copy
is the chapter with every exercise solution replaced by nbgrader's stub (``raise NotImplementedError()``) and
the exercise cells' outputs cleared; every other cell keeps the committed output of the chapter's full-mode run,
so the figures and tables stay readable before anything is run. The copies are made with nbgrader's own
preprocessors (``ClearSolutions``, ``ClearOutput`` limited to the exercise cells, ``LockCells``).

A learner's work is never overwritten. ``workbook/.workbook-state.json`` remembers what was written; on each
sync a copy is refreshed only if the learner has not changed it. If the learner has, and the chapter changed too,
the new version goes to ``workbook/updates/`` and one line says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import nbformat

from .errors import ArgumentError, main_with_one_line_errors
from .exercises import MARKER_BEGIN, MARKER_END, exercise_pairs, is_check_cell, is_solution_cell

STATE_FILE = ".workbook-state.json"
UPDATES = "updates"


def learner_notebook(nb):
    """The learner's copy of a chapter: solutions stubbed, exercise outputs cleared, checks locked."""
    from nbgrader.preprocessors import ClearOutput, ClearSolutions, LockCells

    class ClearExerciseOutput(ClearOutput):
        """nbgrader's ClearOutput, applied only to exercise cells: the lesson's outputs stay."""

        def preprocess_cell(self, cell, resources, index):
            if is_solution_cell(cell) or is_check_cell(cell):
                return super().preprocess_cell(cell, resources, index)
            return cell, resources

    nb = nbformat.from_dict(nb)  # a copy: the preprocessors work in place
    exercise_pairs(nb)  # refuse a chapter whose exercises are malformed
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearExerciseOutput(), LockCells()):
        nb, resources = preprocessor.preprocess(nb, resources)
    left = [i for i, c in enumerate(nb.cells) if MARKER_BEGIN in c.source or MARKER_END in c.source]
    if left:
        raise ArgumentError(f"solution markers survived in cells {left}")
    return nb


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sync(source_dir: Path, workbook_dir: Path) -> list[str]:
    """Create or refresh the learner copies; returns one line per copy that was created, refreshed or kept."""
    source_dir, workbook_dir = Path(source_dir), Path(workbook_dir)
    chapters = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    if not chapters:
        raise ArgumentError(f"no chapter notebooks (NN_name.ipynb) in {source_dir}")
    workbook_dir.mkdir(parents=True, exist_ok=True)
    state_path = workbook_dir / STATE_FILE
    try:
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
    except json.JSONDecodeError:
        state = {}  # a damaged state file: treat every existing copy as the learner's own
    messages = []
    for chapter in chapters:
        text = nbformat.writes(learner_notebook(nbformat.read(chapter, as_version=4)))
        target = workbook_dir / chapter.name
        update = workbook_dir / UPDATES / chapter.name
        if not target.exists():
            target.write_text(text)
            messages.append(f"created {target}")
        elif _digest(target.read_text()) == state.get(chapter.name):  # untouched since we wrote it
            if _digest(text) != state[chapter.name]:
                target.write_text(text)
                messages.append(f"refreshed {target} (the chapter changed)")
            else:
                continue
        elif _digest(text) == state.get(chapter.name):  # the learner's copy, and the chapter has not changed
            continue
        else:
            update.parent.mkdir(exist_ok=True)
            update.write_text(text)
            messages.append(f"kept your edits in {target}; the updated chapter is {update} "
                            f"(delete your copy and run `make lab` again to switch to it)")
            continue
        state[chapter.name] = _digest(text)
        update.unlink(missing_ok=True)
    state_path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.workbook", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of chapter notebooks (chapters)")
    parser.add_argument("workbook", type=Path, help="folder of the learner copies (workbook)")
    args = parser.parse_args(argv)
    for line in sync(args.source, args.workbook):
        print(line)
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
