"""Notebook timing for `make test`: print each chapter's wall time and enforce the smoke-mode budget.

nbval runs each notebook cell as a test item; a notebook's time is from its first cell's start (kernel start
included) to its last cell's end. In smoke mode a notebook over the budget fails the run, so drift is caught
before a learner or CI waits for it. COURSE_NOTEBOOK_BUDGET_S overrides the budget (default 60 s).
"""

import os
import time

_times: dict[str, list[float]] = {}


def _notebook(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


def pytest_runtest_logstart(nodeid, location):
    if nb := _notebook(nodeid):
        _times.setdefault(nb, [time.perf_counter(), 0.0])


def pytest_runtest_logfinish(nodeid, location):
    if nb := _notebook(nodeid):
        _times[nb][1] = time.perf_counter()


def _over_budget() -> tuple[str, float, list[tuple[str, float]]]:
    mode = os.environ.get("COURSE_MODE", "full")
    budget = float(os.environ.get("COURSE_NOTEBOOK_BUDGET_S", "60"))
    spent = [(nb, end - start) for nb, (start, end) in _times.items()]
    over = [(nb, s) for nb, s in spent if mode == "smoke" and s > budget]
    return mode, budget, over


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    mode, budget, over = _over_budget()
    terminalreporter.section(f"notebook wall times (COURSE_MODE={mode})")
    for nb, (start, end) in _times.items():
        flag = f"  OVER the {budget:.0f} s smoke budget" if (nb, end - start) in over else ""
        terminalreporter.write_line(f"{end - start:7.1f} s  {nb}{flag}")


def pytest_sessionfinish(session, exitstatus):
    if _times and _over_budget()[2] and exitstatus == 0:
        session.exitstatus = 1
