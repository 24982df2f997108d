"""`make reproduce` saves figures even where the environment asks for a headless matplotlib (CI's MPLBACKEND=Agg)."""

from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

from utils import notebooks


def test_executed_notebook_keeps_its_figures(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = new_notebook(cells=[new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")],
                      metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    out = notebooks.execute(nb, mode="smoke", cwd=Path("."), timeout=120)
    assert any("image/png" in o.get("data", {}) for o in out.cells[0].outputs), "plt.show() saved no figure"
    assert notebooks.normalize(out).cells[0].id == "cell-000"
