"""docs/speed.md's end-to-end speed table is generated from benchmarks/results/cli_speed.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("readme_table", ROOT / "benchmarks" / "readme_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_speed_doc_table_matches_results_file():
    table = _module()
    results = json.loads(table.RESULTS.read_text(encoding="utf-8"))
    doc = table.DOC.read_text(encoding="utf-8")
    assert table.rewrite(doc, table.render(results)) == doc, "run: python benchmarks/readme_table.py"


def test_every_run_has_its_baseline_from_the_same_run():
    results = json.loads(_module().RESULTS.read_text(encoding="utf-8"))
    assert results["runs"]
    for row in results["runs"]:
        if "baseline" in row:
            assert row["speedup"] == round(row["current"]["comments_per_s"] / row["baseline"]["comments_per_s"], 2)
            # A column may differ from the baseline only where the results name the model change
            # that changed it on purpose (the speed work itself must keep every annotation).
            on_purpose = results.get("changed_on_purpose", {})
            for column, share in row["agreement"].items():
                assert share >= 0.995 or column in on_purpose, column
