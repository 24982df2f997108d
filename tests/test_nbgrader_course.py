"""The instructor path, end to end with the real nbgrader: generate, submit blank and solved, autograde."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils import course

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ["00_getting_started", "01_forward_backprop_math"]


def _nbgrader(course_dir, *args):
    # smoke grading: every check, seconds per submission; nbgrader runs `alembic` from the environment's bin/
    env = {**os.environ, "COURSE_MODE": "smoke",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env, text=True,
                            capture_output=True, timeout=900)
    output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output}"
    return result


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "course" / "nbgrader_config.py", root)
    course.build_course(REPO / "chapters", root, ASSIGNMENTS)
    for name in ASSIGNMENTS:
        _nbgrader(root, "generate_assignment", name, "--force")
        for student, origin in (("blank", "release"), ("solved", "source")):
            target = root / "submitted" / student / name
            target.mkdir(parents=True)
            shutil.copy(root / origin / name / f"{name}.ipynb", target)
        _nbgrader(root, "autograde", name, "--create", "--force")
    return root


def _scores(root, name, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(name, name, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nbgrader_blank_submission_scores_zero(graded_course, name):
    scores = _scores(graded_course, name, "blank")
    assert scores and all(score == 0 for score, _ in scores.values()), scores


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nbgrader_solved_submission_scores_full_points_without_errors(graded_course, name):
    scores = _scores(graded_course, name, "solved")
    assert scores and all(score == top for score, top in scores.values()), scores
    graded = nbformat.read(graded_course / "autograded" / "solved" / name / f"{name}.ipynb", as_version=4)
    errors = [i for i, c in enumerate(graded.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name}: the graded solved notebook has error outputs in cells {errors}"


def test_nbgrader_course_refuses_an_unknown_chapter(tmp_path):
    shutil.copy(REPO / "course" / "nbgrader_config.py", tmp_path)
    with pytest.raises(course.ArgumentError, match="no chapter"):
        course.build_course(REPO / "chapters", tmp_path, ["99_nothing"])
