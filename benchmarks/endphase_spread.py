"""The end phase of ``analyzer run`` (``accumulator.result()`` then ``write_reports``) in one
process and spread over forked processes (``engines.forked``), wall and CPU seconds, per tree.

    python benchmarks/endphase_spread.py RUN_DIR --baseline /tmp/base [--current TREE] \\
        [--rounds 3] [--shares 2] [--json-out F]

RUN_DIR is the output folder of an ``analyzer run`` (its comments.parquet and manifest.json).
Each measurement is a fresh subprocess of one tree that streams comments.parquet into an
accumulator (spilling into a temporary folder, as a run does; not timed), then times the end
phase as ``runner._run_into`` runs it: ``result()`` and ``write_reports`` into a new folder.
Variants, run in turn each round: ``base`` (the baseline tree), ``one`` (the current tree in
one process) and ``spread`` (the current tree with ``spread=(shares, forked_map)``, as a run
with that many forked workers does). CPU seconds are the process's own (user + system) and,
for ``spread``, its forked children's (``os.times`` children, counted once they are waited
for). ``digest``: SHA-256 over every file the reports wrote, so the variants are compared
byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: the trees measured are the ones given
from benchmarks.timing import emit  # noqa: E402

CHILD = r"""
import json, os, sys, tempfile, time
tree, run_dir, out, shares = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, tree)
from pathlib import Path
from analyzer.aggregate.accumulator import ResonanceAccumulator
from analyzer.aggregate.rundir import _comment_batches, read_manifest
from analyzer.report import write_reports
from analyzer.schema import from_arrow

manifest = read_manifest(Path(run_dir))
acc = ResonanceAccumulator(manifest.aggregate_config)
spill = tempfile.mkdtemp(prefix="endphase-spill-")
kwargs = {}
if shares > 1:
    from analyzer.engines.forked import forked_map
    kwargs = {"spread": (shares, forked_map)}


def clock():
    t = os.times()
    return time.perf_counter(), t.user + t.system, t.children_user + t.children_system


with acc.spilling(spill):
    for batch in _comment_batches(Path(run_dir) / "comments.parquet", 2048):
        acc.update(from_arrow(batch))
    w0, c0, k0 = clock()
    result = acc.result(**kwargs)
    w1, c1, k1 = clock()
    write_reports(result, out, manifest=manifest, **kwargs)
    w2, c2, k2 = clock()
print(json.dumps({"cells": len(result.cells),
                  "result_wall": round(w1 - w0, 3), "result_cpu": round(c1 - c0, 3), "result_children_cpu": round(k1 - k0, 3),
                  "reports_wall": round(w2 - w1, 3), "reports_cpu": round(c2 - c1, 3), "reports_children_cpu": round(k2 - k1, 3)}))
"""


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def measure(tree: Path, run_dir: Path, shares: int, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(run_dir), str(out), str(shares)],
                          capture_output=True, text=True, env=env, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["end_wall"] = round(row["result_wall"] + row["reports_wall"], 3)
    row["end_cpu"] = round(sum(row[f"{p}_{k}"] for p in ("result", "reports") for k in ("cpu", "children_cpu")), 3)
    return {**row, "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1), "digest": digest(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--current", type=Path, default=ROOT)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shares", type=int, default=2)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    variants = (("base", args.baseline, 1), ("one", args.current, 1), ("spread", args.current, args.shares))
    runs = []
    with tempfile.TemporaryDirectory(prefix="endphase-spread-") as tmp:
        for i in range(args.rounds):
            for name, tree, shares in variants:
                row = {"variant": name, "tree": str(tree), "shares": shares, "round": i + 1,
                       **measure(tree, args.run_dir, shares, Path(tmp) / f"{name}{i}")}
                print(json.dumps(row), flush=True)
                runs.append(row)
    keys = ("result_wall", "reports_wall", "end_wall", "end_cpu")
    median = {name: {k: sorted(r[k] for r in runs if r["variant"] == name)[args.rounds // 2] for k in keys}
              for name, _, _ in variants}
    pairs = [{k: round(s[k] / b[k], 3) for k in keys}
             for b, s in zip([r for r in runs if r["variant"] == "base"], [r for r in runs if r["variant"] == "spread"])]
    emit({"run_dir": str(args.run_dir), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
          "outputs_identical": len({r["digest"] for r in runs}) == 1, "median": median,
          "spread_over_base_per_round": pairs, "runs": runs}, args.json_out)


if __name__ == "__main__":
    main()
