"""Which files of a run folder change between two source trees: `analyzer run INPUT` from each,
then every file compared by sha256, with the tree's package path written as TREE/analyzer (the manifest
and report.html name the catalog files by path) and manifest.json's timings left out. For
tables/themes.csv it also counts the rows and columns that moved.

    python -m benchmarks.run_outputs_diff data/samples --run base=/tmp/s18base --run cur=.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _run(tree: str, inputs: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "analyzer", "run", str(Path(inputs).resolve()), "-o", str(out), "-q"],
                   cwd=tree, check=True, capture_output=True)


def _digest(path: Path, tree: str) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json":
        doc = json.loads(data)
        doc.pop("timings", None)
        data = json.dumps(doc, sort_keys=True).encode()
    if path.suffix in (".json", ".html", ".md"):
        data = data.replace(str(Path(tree).resolve() / "analyzer").encode(), b"TREE/analyzer")
    return hashlib.sha256(data).hexdigest()


def _theme_changes(a: Path, b: Path) -> str:
    ra, rb = (list(csv.DictReader(p.open(encoding="utf-8"))) for p in (a, b))
    rows = sum(x != y for x, y in zip(ra, rb))
    cols = sorted({k for x, y in zip(ra, rb) for k in x if x[k] != y[k]})
    def zero_width(rs: list[dict]) -> int:
        return sum(1 for r in rs if r["net_valence_ci_low"] and r["net_valence_ci_low"] == r["net_valence_ci_high"])

    return (f"{rows} of {len(ra)} rows differ (columns: {', '.join(cols) or 'none'}); zero-width net_valence "
            f"95% intervals: {zero_width(ra)} -> {zero_width(rb)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs")
    ap.add_argument("--run", action="append", required=True, help="NAME=TREE; the first is the baseline")
    args = ap.parse_args()
    trees = dict(r.split("=", 1) for r in args.run)
    with tempfile.TemporaryDirectory() as tmp:
        outs = {name: Path(tmp) / name / "run" for name in trees}  # one folder name: the manifest records it
        for name, tree in trees.items():
            _run(tree, args.inputs, outs[name])
        (base, base_out), *others = [(n, outs[n]) for n in trees]
        files = sorted(p.relative_to(base_out) for p in base_out.rglob("*") if p.is_file())
        for name, out in others:
            for rel in files:
                same = _digest(base_out / rel, trees[base]) == _digest(out / rel, trees[name])
                print(f"{name} vs {base}: {rel}: {'identical' if same else 'DIFFERS'}")
            print(f"{name} vs {base}: tables/themes.csv: {_theme_changes(base_out / 'tables/themes.csv', out / 'tables/themes.csv')}")


if __name__ == "__main__":
    main()
