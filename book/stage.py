"""Stage the committed chapters as the source of the course site (`make site` runs this, then Jupyter Book).

    python book/stage.py [--chapters chapters] [--readme README.md] [--out build/site-src]

Writes into --out, and only there (chapters/ is read, never modified):
- a copy of every chapters/NN_*.ipynb, with a note under its title that says in which mode and on which machine
  its outputs were produced, read from the notebook's own setup banner (the line `utils.setup_notebook` prints),
  and the code of every exercise solution hidden behind a click (MyST-NB's `hide-input` tag; outputs stay);
- index.md, the home page: README.md's introduction and its "## Chapters" table, linked to the chapter pages;
- _toc.yml (the chapters in file-name order) and _config.yml (copied from book/).

Standard library and nbformat only: it runs in the site's environment (.venv-site), which has no TensorFlow.
Files whose content did not change are not rewritten, so that Sphinx rebuilds only the pages that changed.
"""

import argparse
import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "_config.yml"

# The banner printed by utils.setup_notebook (utils/runmode.py), e.g.
# mode: full | seed: 42 | Python 3.11.7 | Keras 3.15.1 (backend: tensorflow) | TensorFlow 2.21.0 | devices: CPU
BANNER = re.compile(
    r"^mode: (?P<mode>\S+) \| seed: (?P<seed>\S+) \| Python (?P<python>\S+) \| Keras (?P<keras>\S+) "
    r"\(backend: (?P<backend>[^)]+)\) \| (?P<library>.+?) \| devices: (?P<devices>.+?)\s*$",
    re.MULTILINE,
)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# What MyST's default heading slug drops (myst_parser.mdit_to_docutils.base.default_slugify), after lower-casing
# and turning spaces into "-".
MYST_SLUG_DROPS = re.compile(r"[^\w\u4e00-\u9fff\- ]")
# The home page's chapter table (in a div.chapter-table) has seven columns of long text: it gets the width of the
# page's contents sidebar, which the home page drops, and a smaller font, so that it reads without scrolling sideways.
CHAPTER_TABLE_STYLE = """<style>
.bd-main .bd-content .bd-article-container:has(.chapter-table) { max-width: 100%; }
.chapter-table table { font-size: 0.85rem; }
</style>"""


def find_banner(nb) -> dict | None:
    """The fields of the first setup banner among the notebook's saved stdout outputs, or None."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and (match := BANNER.search(output.get("text", ""))):
                return {**match.groupdict(), "line": match.group(0).strip()}
    return None


def provenance_note(banner: dict | None) -> str:
    """The MyST admonition shown under a chapter's title: which run produced the outputs on the page."""
    built = "This page was built from the committed notebook without running it."
    if banner is None:
        return (
            "```{admonition} Outputs of an unknown run\n:class: warning\n"
            "The saved outputs of this notebook have no setup banner (the line `utils.setup_notebook` prints), "
            "so the mode and the machine that produced them are unknown. " + built + "\n```"
        )
    machine = (
        f"devices: **{banner['devices']}**; Python {banner['python']}, Keras {banner['keras']} "
        f"(backend: {banner['backend']}), {banner['library']}"
    )
    printed = f"Its setup cell printed: `{banner['line']}`. {built}"
    if banner["mode"] == "full":
        return (
            f"```{{admonition}} Outputs of the full-mode run, on {banner['devices']}\n:class: note\n"
            f"Every output on this page (numbers, tables, figures) comes from this chapter's own full-mode run "
            f"on a machine with {machine}. {printed}\n```"
        )
    if banner["mode"] == "smoke":
        return (
            f"```{{admonition}} Smoke-mode outputs: not this chapter's results\n:class: warning\n"
            f"The outputs on this page come from a **smoke-mode** run (small subsets, few epochs) on a machine with "
            f"{machine}. They show that the code runs, not what it achieves: run the chapter in full mode for its "
            f"real numbers. {printed}\n```"
        )
    return (
        f"```{{admonition}} Outputs of a run in mode `{banner['mode']}`\n:class: warning\n"
        f"The outputs on this page come from a run in mode `{banner['mode']}` on a machine with {machine}. "
        f"{printed}\n```"
    )


def heading_anchor_links(nb) -> None:
    """Rewrite in-page links written for JupyterLab, `[text](#What-the-article-gets-wrong)` (the heading's text,
    case kept), to the anchor the site gives that heading (MyST's GitHub-style slug, lower case)."""
    slugs = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for title in re.findall(r"^#{1,3} +(.+?) *$", cell.source, re.MULTILINE):
                text = title.replace("`", "").replace("*", "")
                slugs[text.replace(" ", "-")] = MYST_SLUG_DROPS.sub("", text.lower().replace(" ", "-"))

    def relink(match: re.Match) -> str:
        return f"](#{slugs.get(match.group(1), match.group(1))})"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\]\(#([^)\s]+)\)", relink, cell.source)


def stage_notebook(nb, note: str):
    """A copy of the notebook with `note` under its title, JupyterLab-style heading links made to work, and the
    exercise solutions' code behind a click."""
    nb = nbformat.from_dict(nb)  # a deep copy: the caller's notebook stays as committed
    heading_anchor_links(nb)
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.startswith("# "):
        title, _, rest = first.source.partition("\n")
        first.source = f"{title}\n\n{note}\n\n{rest.lstrip()}".rstrip() + "\n"
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
    return nb


def readme_section(readme: str, heading: str) -> str:
    """The text of README's `## heading` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit(f"README.md has no '## {heading}' section: the site's home page is built from it")
    return match.group(1).strip()


def site_links(markdown: str, chapters: set[str]) -> str:
    """Point README links to chapters/NN_x.ipynb at the chapter pages; other repository-relative links become
    plain text (the site holds only the chapters); web links and #anchors stay as they are."""

    def relink(match: re.Match) -> str:
        text, target = match.groups()
        if SCHEME.match(target) or target.startswith("#"):
            return match.group(0)
        name = target.removeprefix("./").removeprefix("chapters/")
        return f"[{text}]({name})" if name in chapters else text

    return LINK.sub(relink, markdown)


def home_page(readme: str, chapters: set[str]) -> str:
    """index.md: the README's title and introduction, then its chapter table."""
    title, _, body = readme.partition("\n")
    intro = body.split("\n## ", 1)[0].strip()
    chapters_text = re.sub(
        r"(?m)((?:^\|.*\n?)+)",
        lambda table: f"```{{container}} chapter-table\n{table.group(1).rstrip()}\n```\n",
        readme_section(readme, "Chapters"),
        count=1,
    )
    text = (
        "---\nhtml_theme.sidebar_secondary.remove: true\n---\n"
        f"{title}\n\n{intro}\n\n## Chapters\n\n{chapters_text}\n\n{CHAPTER_TABLE_STYLE}\n\n"
        "Each chapter page shows the notebook with the outputs of its own run, and a note under its title says "
        "in which mode and on which machine they were produced. Exercise solutions are hidden: try first, then "
        "click to show one.\n"
    )
    return site_links(text, chapters)


def table_of_contents(chapters: list[str]) -> str:
    lines = ["# Generated by book/stage.py from chapters/[0-9][0-9]_*.ipynb; do not edit.", "format: jb-book",
             "root: index", "chapters:"]
    return "\n".join(lines + [f"- file: {Path(name).stem}" for name in chapters]) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def stage(chapters_dir: Path, readme_path: Path, out: Path) -> list[tuple[str, str]]:
    """Write the site source into `out`; return (notebook, mode or "no banner") for every chapter."""
    notebooks = sorted(chapters_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no chapters/NN_*.ipynb in {chapters_dir}: nothing to build")
    out.mkdir(parents=True, exist_ok=True)
    names = [path.name for path in notebooks]
    for stale in out.glob("*.ipynb"):  # a renamed or deleted chapter must not linger as an orphan page
        if stale.name not in names:
            stale.unlink()

    modes = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        banner = find_banner(nb)
        modes.append((path.name, banner["mode"] if banner else "no banner"))
        write_if_changed(out / path.name, nbformat.writes(stage_notebook(nb, provenance_note(banner))) + "\n")
    write_if_changed(out / "index.md", home_page(readme_path.read_text(encoding="utf-8"), set(names)))
    write_if_changed(out / "_toc.yml", table_of_contents(names))
    write_if_changed(out / "_config.yml", CONFIG.read_text(encoding="utf-8"))
    return modes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", type=Path, default=REPO / "chapters")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site-src")
    args = parser.parse_args(argv)
    modes = stage(args.chapters, args.readme, args.out)
    not_full = [f"{name} ({mode})" for name, mode in modes if mode != "full"]
    print(f"staged {len(modes)} chapters into {args.out}"
          + (f"; outputs not from a full-mode run: {', '.join(not_full)}" if not_full else ""))


if __name__ == "__main__":
    main()
