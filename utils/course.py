"""Turn the chapters into an nbgrader course: ``make course`` (``python -m utils.course chapters course``).

Each chapter becomes one assignment, ``course/source/<chapter>/<chapter>.ipynb``; ``course/nbgrader_config.py``
(tracked) sets the per-cell timeout that full-mode grading needs. Then, in ``course/``::

    nbgrader generate_assignment 02_mnist_mlp        # release/ copies without solutions
    nbgrader autograde 02_mnist_mlp --create         # grades submitted/<student>/02_mnist_mlp/
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import nbformat

from .errors import ArgumentError, main_with_one_line_errors
from .exercises import exercise_pairs


def build_course(source_dir: Path, course_dir: Path, chapters: list[str] | None = None) -> list[Path]:
    """Copy each chapter (or only those named, by stem) into ``course_dir/source/<stem>/``."""
    paths = sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))
    if chapters:
        unknown = sorted(set(chapters) - {p.stem for p in paths})
        if unknown:
            raise ArgumentError(f"no chapter(s) {unknown} in {source_dir}; the chapters are {[p.stem for p in paths]}")
        paths = [p for p in paths if p.stem in chapters]
    if not paths:
        raise ArgumentError(f"no chapter notebooks (NN_name.ipynb) in {source_dir}")
    if not (Path(course_dir) / "nbgrader_config.py").is_file():
        raise ArgumentError(f"{course_dir} has no nbgrader_config.py: use the course/ folder of the repository")
    written = []
    for path in paths:
        exercise_pairs(nbformat.read(path, as_version=4))  # refuse a chapter whose exercises are malformed
        target = Path(course_dir) / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.course", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of chapter notebooks (chapters)")
    parser.add_argument("course", type=Path, help="the nbgrader course folder (course)")
    parser.add_argument("chapters", nargs="*", help="chapter stems to include (default: all)")
    args = parser.parse_args(argv)
    for path in build_course(args.source, args.course, args.chapters or None):
        print(f"assignment {path.parent.name}: {path}")
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
