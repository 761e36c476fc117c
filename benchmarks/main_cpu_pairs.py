"""The main process's CPU seconds of ``analyzer run`` for several trees (and settings), run one
after the other on the same input, with the outputs compared: what ``main_cpu.py`` measures,
for a same-run comparison.

    python benchmarks/main_cpu_pairs.py INPUT --run base=/tmp/base --run current=. \
        --run current-prepare2=.:2 --repeat 1 --json-out benchmarks/results/X.json

Each ``--run NAME=TREE[:N]`` is one configuration (``:N``: ``main_cpu.py --prepare-from N``, the
workers also prepare the in-order stages' batches from N workers). The configurations run in
turn, ``--repeat`` rounds; each run's folder is compared with the first configuration's of the
same round, file by file, byte for byte (``manifest.json`` without its ``timings``, the one key
that differs between reruns). The load average before and after each run is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(tree: str, prepare_from: str | None, inp: str, out: Path) -> dict:
    cmd = [sys.executable, str(HERE / "main_cpu.py"), tree, inp, str(out)]
    if prepare_from:
        cmd += ["--prepare-from", prepare_from]
    load = os.getloadavg()[0]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": tree}, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


def same_outputs(a: Path, b: Path, tree_a: str, tree_b: str) -> bool:
    """Whether two run folders hold the same bytes, each tree's own path (the manifest's
    catalog paths, also shown in report.html) read as the same."""
    def read(folder: Path, rel: Path, tree: str) -> bytes:
        return (folder / rel).read_bytes().replace(tree.encode(), b"TREE")

    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    if files_a != files_b:
        return False
    for rel in files_a:
        if rel.name == "manifest.json":
            left, right = json.loads(read(a, rel, tree_a)), json.loads(read(b, rel, tree_b))
            left.pop("timings"), right.pop("timings")
            if left != right:
                return False
        elif read(a, rel, tree_a) != read(b, rel, tree_b):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--run", action="append", required=True, help="NAME=TREE[:PREPARE_FROM]")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    configs = []
    for spec in args.run:
        name, _, target = spec.partition("=")
        tree, _, prepare_from = target.partition(":")
        configs.append((name, str(Path(tree).resolve()), prepare_from or None))
    rows = []
    with tempfile.TemporaryDirectory(prefix="main_cpu_pairs_") as tmp:
        for round_ in range(args.repeat):
            first = first_tree = None
            for name, tree, prepare_from in configs:
                out = Path(tmp) / f"{round_}-{name}"
                row = {"round": round_, "name": name, **run_one(tree, prepare_from, args.input, out)}
                row["outputs_identical_to_first"] = True if first is None else same_outputs(first, out, first_tree, tree)
                first, first_tree = first or out, first_tree or tree
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"input": args.input, "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
