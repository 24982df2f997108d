"""The workbook: learner copies keep the lesson's outputs, lose the answers, and never overwrite a learner's edit."""

import shutil
from pathlib import Path

import nbformat
import pytest

from utils import exercises, workbook
from utils.errors import ArgumentError

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_learner_copy_keeps_lesson_outputs_and_hides_answers(path):
    nb = nbformat.read(path, as_version=4)
    copy = workbook.learner_notebook(nb)
    pairs = exercises.exercise_pairs(nb)
    exercise_cells = {i for pair in pairs for i in pair}
    for i, (cell, original) in enumerate(zip(copy.cells, nb.cells, strict=True)):
        if cell.cell_type != "code":
            continue
        if i in exercise_cells:
            assert not cell.outputs, f"cell {i}: an exercise cell kept its output"
        else:
            assert cell.outputs == original.outputs, f"cell {i}: a lesson output was lost"
    for sol, chk in pairs:
        assert "raise NotImplementedError()" in copy.cells[sol].source
        assert copy.cells[chk].metadata["editable"] is False
    assert any(c.get("outputs") for i, c in enumerate(copy.cells) if i not in exercise_cells), "no lesson output"


def _chapters(tmp_path):
    source = tmp_path / "chapters"
    source.mkdir()
    shutil.copy(CHAPTERS[0], source)
    return source, source / CHAPTERS[0].name


def _change_chapter(path, text):
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += f"\n\n{text}"
    nbformat.write(nb, path)


def test_sync_creates_then_refreshes_an_untouched_copy(tmp_path):
    source, chapter = _chapters(tmp_path)
    book = tmp_path / "workbook"
    assert workbook.sync(source, book) == [f"created {book / chapter.name}"]
    assert workbook.sync(source, book) == []  # nothing changed: nothing to say
    _change_chapter(chapter, "A new paragraph.")
    assert workbook.sync(source, book) == [f"refreshed {book / chapter.name} (the chapter changed)"]
    assert "A new paragraph." in (book / chapter.name).read_text()


def test_sync_never_overwrites_a_learners_edit(tmp_path):
    source, chapter = _chapters(tmp_path)
    book = tmp_path / "workbook"
    workbook.sync(source, book)
    mine = book / chapter.name
    nb = nbformat.read(mine, as_version=4)
    solution = next(i for i, c in enumerate(nb.cells) if exercises.is_solution_cell(c))
    nb.cells[solution].source = nb.cells[solution].source.replace("raise NotImplementedError()", "return 42")
    nbformat.write(nb, mine)
    edited = mine.read_text()

    assert workbook.sync(source, book) == []  # chapter unchanged: the learner's copy is simply kept
    _change_chapter(chapter, "A correction to the lesson.")
    messages = workbook.sync(source, book)
    assert mine.read_text() == edited, "the learner's edit was overwritten"
    update = book / "updates" / chapter.name
    assert "A correction to the lesson." in update.read_text()
    assert len(messages) == 1 and "kept your edits" in messages[0] and str(update) in messages[0]

    mine.unlink()  # the learner takes the new version
    workbook.sync(source, book)
    assert "A correction to the lesson." in mine.read_text() and not update.exists()


def test_sync_refuses_a_folder_without_chapters(tmp_path):
    with pytest.raises(ArgumentError, match="no chapter notebooks"):
        workbook.sync(tmp_path, tmp_path / "workbook")
