"""Execute chapter notebooks outside JupyterLab: ``make reproduce`` and the exercise tests use this.

``make reproduce`` re-runs every chapter in full mode and saves it with its outputs (the course's output
policy: chapters are committed with the outputs of a full-mode run). Volatile metadata (timestamps, widget
state) is dropped so that a re-run changes only what the notebook really computed.
"""

from __future__ import annotations

import argparse
import ast
import os
import time
from pathlib import Path

import nbformat

from .errors import ArgumentError, main_with_one_line_errors

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def normalize(nb):
    """Drop what changes on every run without meaning anything (timings, widget state); number the cells."""
    for i, cell in enumerate(nb.cells):
        cell.get("metadata", {}).pop("execution", None)
        cell["id"] = f"cell-{i:03d}"  # deterministic ids: a re-run changes no id
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb, *, mode: str, cwd: Path, timeout: int = 900, allow_errors: bool = False):
    """Run ``nb`` in a fresh kernel with ``COURSE_MODE=mode``; returns the executed notebook."""
    from nbclient import NotebookClient

    previous = {key: os.environ.get(key) for key in ("COURSE_MODE", "MPLBACKEND")}
    os.environ["COURSE_MODE"] = mode  # the kernel inherits this process's environment
    # Figures must be saved in the notebook: a headless MPLBACKEND=Agg (as CI sets) would make plt.show() a no-op.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                                record_timing=False, resources={"metadata": {"path": str(cwd)}})
        client.execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def declared_backends(path: Path) -> tuple[str, ...]:
    """The Keras backends a chapter declares in its ``utils.setup_notebook(..., backends=...)`` call (read, not run);
    ``("tensorflow",)``, the default, when the call names none."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "setup_notebook" not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "setup_notebook":
                given = [k.value for k in node.keywords if k.arg == "backends"]
                return tuple(ast.literal_eval(given[0])) if given else ("tensorflow",)
    raise ArgumentError(f"{path} never calls utils.setup_notebook, so it declares no backends")


def reproduce(paths: list[Path], mode: str = "full") -> None:
    """Execute each notebook in ``mode`` and write it back in place with its outputs."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        execute(nb, mode=mode, cwd=path.parent)
        nbformat.write(normalize(nb), path)
        print(f"{path}: {mode} mode, {time.perf_counter() - start:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.notebooks", description="Re-run chapters, keep outputs.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--mode", default="full", choices=["full", "smoke"])
    parser.add_argument("--list-supporting", metavar="BACKEND",
                        help="run nothing: print those of the paths that declare this Keras backend")
    args = parser.parse_args(argv)
    if args.list_supporting:
        print(" ".join(str(p) for p in args.paths if args.list_supporting in declared_backends(p)))
        return 0
    reproduce(args.paths, args.mode)
    return 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
