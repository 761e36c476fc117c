"""The notebooks run on the bundled samples as part of the suite, so they cannot rot.
Each is copied to a temporary folder outside the repository and executed there, with no
environment variable pointing at the repository: what a user who copies it out gets."""

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_resonance_by_market.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_outside_the_repository(path, monkeypatch):
    monkeypatch.delenv("ANALYZER_SAMPLES", raising=False)
    with tempfile.TemporaryDirectory(prefix="nb-") as folder:
        here = Path(folder).resolve()
        assert ROOT not in here.parents and not (here / "data" / "samples").exists()
        copy = Path(shutil.copy(path, here / path.name))
        monkeypatch.chdir(here)
        nb = nbformat.read(copy, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("import os; print('cwd=' + os.getcwd())"))
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    assert nb.cells[-1].outputs[0]["text"].strip() == f"cwd={here}"
    html = [o["data"]["text/html"] for cell in nb.cells for o in cell.get("outputs", [])
            if "text/html" in o.get("data", {})]
    assert any("<svg" in h for h in html), "a chart is displayed"
    assert any("<table" in h for h in html), "a DataFrame is displayed"
