"""The built course site, checked in a real headless browser: `make test-site` (after `make site`).

Opens the home page and every chapter page from disk (file:// URLs, no server) in Debian's chromium through
Playwright, and checks each against the committed notebook it was built from: no console or page errors, no
request leaves the machine, every heading and figure is there, the math is rendered, every internal link resolves,
the sidebar lists the chapters in order, the provenance note is there, and the solutions are behind a click.
A full-page screenshot of one chapter goes to build/site-screenshot.png for humans to look at.

Runs in .venv-site (Playwright, nbformat); `make test` does not collect it.
"""

import os
import re
import shutil
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from playwright.sync_api import sync_playwright
from stage import find_banner

REPO = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("COURSE_SITE_HTML", REPO / "build" / "site" / "_build" / "html")).resolve()
CHAPTERS = sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb"))
SCREENSHOT = REPO / "build" / "site-screenshot.png"
SCREENSHOT_PAGE = "02_mnist_mlp"
PAGES = ["index", *(path.stem for path in CHAPTERS)]
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:|//)")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
MATH = re.compile(r"\$[^$\n]+\$|\\begin\{")


# ---------------------------------------------------------------------------------------------------------------
# What each page must show, read from the committed notebooks and README.md


@cache
def notebook(stem: str):
    return nbformat.read(REPO / "chapters" / f"{stem}.ipynb", as_version=4)


def normalize(text: str) -> str:
    """Heading text as a reader sees it, comparable between markdown and HTML: no markup, no math, no typographic
    quotes or dashes (Sphinx's smartquotes), single spaces, case-folded."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = re.sub(r"\$[^$]+\$", "", text)  # math is compared by the math test, not here
    for typographic, plain in {"‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "—": "-", "–": "-"}.items():
        text = text.replace(typographic, plain)
    text = re.sub(r"-{2,}", "-", re.sub(r"[`*_]", "", text))
    return " ".join(text.split()).casefold()


def markdown_headings(markdown_cells: list[str]) -> list[str]:
    """The #, ## and ### headings of markdown text, outside fenced code blocks."""
    headings = []
    for source in markdown_cells:
        fenced = False
        for line in source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced and (match := re.match(r"#{1,3}\s+(.*\S)", line)):
                headings.append(normalize(match.group(1)))
    return headings


def expected_headings(stem: str) -> list[str]:
    if stem == "index":  # the home page: README's title and its chapter table's heading
        title = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[0]
        return markdown_headings([title, "## Chapters"])
    return markdown_headings([cell.source for cell in notebook(stem).cells if cell.cell_type == "markdown"])


def outputs(stem: str) -> list[dict]:
    if stem == "index":
        return []
    return [output for cell in notebook(stem).cells for output in cell.get("outputs", [])]


def has_math(stem: str) -> bool:
    if stem == "index":
        return False
    return any(cell.cell_type == "markdown" and MATH.search(cell.source) for cell in notebook(stem).cells)


# ---------------------------------------------------------------------------------------------------------------
# The browser, and each page opened once


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:  # a failure, not a skip: CI must not pass a site test that did not run
        pytest.exit("chromium not found: apt-get install chromium", returncode=1)
    if not (SITE / "index.html").is_file():
        pytest.exit(f"no site in {SITE}: run make site", returncode=1)
    with sync_playwright() as playwright:
        # Debian's chromium, never a browser Playwright downloads.
        browser = playwright.chromium.launch(executable_path=chromium)
        yield browser
        browser.close()


class Visit:
    """One page, opened once: the Playwright page, plus what went wrong while it loaded."""

    def __init__(self, browser, stem: str):
        self.errors: list[str] = []  # console errors and uncaught exceptions
        self.remote: list[str] = []  # every request for anything but a local file (the site must be offline)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Nothing leaves the machine, even if the site asks: record and abort.
        context.route(re.compile(r"^(https?|wss?|ftp):"), self._block)
        self.page = context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("request", self._record)
        self.page.goto((SITE / f"{stem}.html").as_uri(), wait_until="load")
        # MathJax (deferred script) typesets after load; its startup promise resolves when the page is done.
        self.page.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")

    def _block(self, route):
        self._record(route.request)
        route.abort()

    def _record(self, request):
        if not request.url.startswith(LOCAL_SCHEMES) and request.url not in self.remote:
            self.remote.append(request.url)


@pytest.fixture(scope="session")
def visits(browser):
    opened = {}

    def visit(stem: str) -> Visit:
        if stem not in opened:
            opened[stem] = Visit(browser, stem)
        return opened[stem]

    return visit


ARTICLE = "article.bd-article"  # the page's content, without the sidebars (sphinx-book-theme)


# ---------------------------------------------------------------------------------------------------------------
# The checks, for the home page and every chapter


@pytest.mark.parametrize("stem", PAGES)
def test_loads_without_errors(visits, stem):
    errors = visits(stem).errors
    assert not errors, f"{stem}.html: console or page errors: {errors}"


@pytest.mark.parametrize("stem", PAGES)
def test_works_offline(visits, stem):
    remote = visits(stem).remote
    assert not remote, f"{stem}.html: requests that leave the machine (the site must work offline): {remote}"


@pytest.mark.parametrize("stem", PAGES)
def test_every_heading_is_on_the_page(visits, stem):
    shown = visits(stem).page.evaluate(
        """sel => [...document.querySelectorAll(`${sel} :is(h1, h2, h3, h4)`)].map(h => {
               const copy = h.cloneNode(true);  // without the '#' permalink and rendered math
               copy.querySelectorAll('.headerlink, mjx-container').forEach(e => e.remove());
               return copy.textContent;
           })""",
        ARTICLE,
    )
    shown = {normalize(text) for text in shown}
    missing = [heading for heading in expected_headings(stem) if heading not in shown]
    assert not missing, f"{stem}.html lacks these headings of its notebook: {missing}"


@pytest.mark.parametrize("stem", PAGES)
def test_every_figure_is_shown(visits, stem):
    figures = sum("image/png" in output.get("data", {}) for output in outputs(stem))
    images = visits(stem).page.evaluate(
        "sel => [...document.querySelectorAll(`${sel} img`)].map(i => [i.getAttribute('src'), i.naturalWidth])",
        ARTICLE,
    )
    assert len(images) >= figures, f"{stem}.html shows {len(images)} images, its notebook has {figures} PNG outputs"
    broken = [src for src, width in images if width == 0]
    assert not broken, f"{stem}.html: images that did not load: {broken}"


@pytest.mark.parametrize("stem", PAGES)
def test_math_is_rendered(visits, stem):
    page = visits(stem).page
    # The visible text, code blocks aside (code may legitimately hold `$$`), must hold no LaTeX delimiters.
    visible = page.evaluate("""() => {
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
        document.body.after(clone);  // innerText needs a rendered element
        const text = clone.innerText;
        clone.remove();
        return text;
    }""")
    raw = sorted({delimiter for delimiter in ("$$", "\\[", "\\(") if delimiter in visible})
    assert not raw, f"{stem}.html: unrendered LaTeX delimiters {raw} in the visible text"
    if has_math(stem):
        rendered = page.locator(f"{ARTICLE} mjx-container").count()
        assert rendered > 0, f"{stem}.html: its notebook has math but MathJax rendered none"
    assert page.locator("mjx-merror").count() == 0, f"{stem}.html: MathJax could not render some LaTeX"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


@cache
def ids_in(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


@pytest.mark.parametrize("stem", PAGES)
def test_internal_links_resolve(visits, stem):
    links = visits(stem).page.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href])"
    )
    broken = []
    for raw, resolved in links:
        if SCHEME.match(raw):
            continue  # a web link (or mailto:); offline means the site does not *load* anything from the web
        parts = urlsplit(resolved)
        target = Path(unquote(parts.path))
        if target.is_dir():
            target /= "index.html"
        if not target.is_file() or not target.resolve().is_relative_to(SITE):
            broken.append(f"{raw} (no file)")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids_in(target):
            broken.append(f"{raw} (no element with that id)")
    assert not broken, f"{stem}.html: broken internal links: {sorted(set(broken))}"


@pytest.mark.parametrize("stem", PAGES)
def test_sidebar_lists_every_chapter_in_order(visits, stem):
    hrefs = visits(stem).page.evaluate(
        "() => [...document.querySelectorAll('nav.bd-docs-nav .bd-sidenav a')].map(a => a.href)"
    )
    listed = [Path(unquote(urlsplit(href).path)).stem for href in hrefs]
    assert listed == [path.stem for path in CHAPTERS], f"{stem}.html: the sidebar does not list the chapters in order"


@pytest.mark.parametrize("stem", PAGES[1:])
def test_note_says_which_run_produced_the_outputs(visits, stem):
    banner = find_banner(notebook(stem))
    note = visits(stem).page.locator(f"{ARTICLE} .admonition").first
    text = " ".join(note.inner_text().split())
    classes = note.get_attribute("class").split()
    if banner is None:
        assert "unknown" in text and "warning" in classes, f"{stem}.html: no banner, but the note does not say so"
    else:
        assert banner["line"] in text, f"{stem}.html: the note does not quote the notebook's setup banner"
        assert (banner["mode"] == "full") == ("warning" not in classes), (
            f"{stem}.html: outputs of a {banner['mode']}-mode run need {'no ' if banner['mode'] == 'full' else ''}"
            "warning note"
        )


@pytest.mark.parametrize("stem", PAGES[1:])
def test_solutions_are_behind_a_click(visits, stem):
    solutions = sum(
        cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))
        for cell in notebook(stem).cells
    )
    page = visits(stem).page
    hidden = page.locator(f"{ARTICLE} .cell.tag_hide-input > details:not([open])").count()
    assert hidden == solutions, f"{stem}.html: {hidden} code cells behind a click, {solutions} solutions"


def test_home_page_links_every_chapter_the_readme_links(visits):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(chapters/([0-9][0-9]_[^)]+)\.ipynb\)", readme)
    hrefs = visits("index").page.evaluate(
        "sel => [...document.querySelectorAll(`${sel} table a`)].map(a => a.getAttribute('href'))", ARTICLE
    )
    pages = [href.removesuffix(".html") for href in hrefs if not SCHEME.match(href)]
    assert pages == linked, "the home page's chapter table does not link the chapters README.md links"


def test_screenshot(visits):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    visits(SCREENSHOT_PAGE).page.screenshot(path=SCREENSHOT, full_page=True)
    assert SCREENSHOT.stat().st_size > 0
