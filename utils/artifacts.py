"""Where chapters write the files they make (saved models, checkpoints, TFLite files).

Not next to the notebooks: a file written there would travel into every learner copy and nbgrader submission.
``COURSE_ARTIFACTS_DIR`` if set, else ``artifacts/`` at the top of the repository (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

from .datasets import REPO_ROOT
from .errors import ArgumentError


def artifacts_dir() -> Path:
    path = Path(os.environ.get("COURSE_ARTIFACTS_DIR") or REPO_ROOT / "artifacts").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifact_path(name: str) -> Path:
    """The path for a file a chapter saves, e.g. ``artifact_path("mnist_mlp.keras")``; its folder exists."""
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ArgumentError(f"artifact_path needs a relative file name such as 'model.keras', got {name!r}")
    path = artifacts_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
