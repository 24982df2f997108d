"""book/stage.py on small notebooks: the provenance note, hidden solutions, links, and chapters/ left untouched.

Runs with the browser test in .venv-site (`make test-site`); needs no browser and no built site.
"""

import nbformat
import pytest
from stage import find_banner, home_page, provenance_note, stage, stage_notebook

FULL = "mode: full | seed: 42 | Python 3.11.7 | Keras 3.15.1 (backend: tensorflow) | TensorFlow 2.21.0 | devices: CPU"
SMOKE = FULL.replace("mode: full", "mode: smoke")


def chapter(banner: str | None, title: str = "# 01 · A chapter") -> nbformat.NotebookNode:
    setup = nbformat.v4.new_code_cell("info = utils.setup_notebook(seed=42)")
    if banner is not None:
        setup.outputs = [nbformat.v4.new_output("stream", name="stdout", text=banner + "\n")]
    solution = nbformat.v4.new_code_cell("answer = 42", metadata={"nbgrader": {"solution": True, "grade": False}})
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"{title}\n\n**Goal.** See [the errors](#What-the-article-gets-wrong)."),
        setup,
        nbformat.v4.new_markdown_cell("## What the article gets wrong"),
        solution,
    ])


@pytest.mark.parametrize(("banner", "says", "kind"), [
    (FULL, "full-mode run", "note"),
    (SMOKE, "Smoke-mode outputs", "warning"),
    (None, "unknown", "warning"),
])
def test_the_note_says_which_run_produced_the_outputs(banner, says, kind):
    note = provenance_note(find_banner(chapter(banner)))
    assert says in note and f":class: {kind}" in note
    if banner is not None:
        assert banner in note and "devices: **CPU**" in note


def test_staged_copy_has_the_note_under_its_title_and_the_solution_behind_a_click():
    original = chapter(SMOKE)
    before = nbformat.writes(original)
    staged = stage_notebook(original, provenance_note(find_banner(original)))
    title, blank, note = staged.cells[0].source.splitlines()[:3]
    assert (title, blank) == ("# 01 · A chapter", "")
    assert note == "```{admonition} Smoke-mode outputs: not this chapter's results"
    assert "(#what-the-article-gets-wrong)" in staged.cells[0].source  # JupyterLab's anchor, made the site's
    assert staged.cells[3].metadata["tags"] == ["hide-input"]
    assert nbformat.writes(original) == before, "staging changed the caller's notebook"


def test_a_notebook_without_a_title_gets_the_note_as_its_first_cell():
    nb = chapter(FULL, title="Some text")
    staged = stage_notebook(nb, provenance_note(find_banner(nb)))
    assert staged.cells[0].source.startswith("```{admonition} Outputs of the full-mode run, on CPU")
    assert len(staged.cells) == len(nb.cells) + 1


README = """# keras-course

Intro with a [web link](https://keras.io).

## Two commands

not on the home page

## Chapters

| # | notebook |
|---|---|
| 00 | [00_a](chapters/00_a.ipynb) |
| 01 | see [the utils](utils/plotting.py) |
| 02 | 02_planned |

Measured on a 2-core CPU.

## Environment
"""


def test_home_page_links_the_chapter_pages_and_nothing_outside_the_site():
    page = home_page(README, {"00_a.ipynb"})
    assert "# keras-course\n\nIntro with a [web link](https://keras.io).\n\n## Chapters\n\n```{container}" in page
    assert "[00_a](00_a.ipynb)" in page and "| 01 | see the utils |" in page and "| 02 | 02_planned |" in page
    assert "Measured on a 2-core CPU." in page and "not on the home page" not in page and "Environment" not in page


def test_stage_writes_the_site_source_and_leaves_chapters_alone(tmp_path):
    chapters, out = tmp_path / "chapters", tmp_path / "site-src"
    chapters.mkdir()
    for name in ("01_b.ipynb", "00_a.ipynb"):
        nbformat.write(chapter(FULL), chapters / name)
    (chapters / "scratch.ipynb").write_text("{}")  # not a chapter: NN_ prefix only
    (tmp_path / "README.md").write_text(README)
    out.mkdir()
    (out / "99_renamed.ipynb").write_text("{}")
    committed = {path.name: path.read_bytes() for path in chapters.iterdir()}

    modes = stage(chapters, tmp_path / "README.md", out)

    assert modes == [("00_a.ipynb", "full"), ("01_b.ipynb", "full")]
    assert sorted(path.name for path in out.iterdir()) == [
        "00_a.ipynb", "01_b.ipynb", "_config.yml", "_toc.yml", "index.md"]
    assert (out / "_toc.yml").read_text().endswith("chapters:\n- file: 00_a\n- file: 01_b\n")
    assert {path.name: path.read_bytes() for path in chapters.iterdir()} == committed


def test_no_chapters_is_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="no chapters/NN_"):
        stage(tmp_path, tmp_path / "README.md", tmp_path / "out")
