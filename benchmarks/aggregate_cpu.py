"""CPU seconds of the main process's own work in ``analyzer run`` after the stages, per tree:
taking each batch's accumulator as it arrives from a worker (unpickling) and merging it,
the end phase (``ResonanceAccumulator.result``: tables, bootstrap intervals), and writing
the reports (``report.write_reports``: resonance.csv/json, tables, HTML, Markdown).

    python benchmarks/aggregate_cpu.py --n 20000 --baseline /tmp/base [--input FILE] [--reps 3] \\
        [--json-out benchmarks/results/x.json]

Each tree runs in its own subprocess: it annotates the first N comments of ``--input`` (default
``/tmp/lead/in200k.jsonl``, as ``cli_speed.write_input`` writes them) once with the default
pipeline in one process, keeps each batch's ``BatchPart`` pickled as a worker sends it, then
times (``time.process_time``, best of ``--reps``) unpickle + merge of every part, ``result()``
and ``write_reports``. The trees alternate (baseline, current, baseline, current...), and the
report folders of the two trees are compared byte for byte.
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

CHILD = r"""
import itertools, json, os, pickle, sys, time
tree, inp, n, reps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, tree)
from analyzer import runner
from analyzer.aggregate import ResonanceAccumulator
from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.report import write_reports
from analyzer.schema import Comment

config = Config()
pipeline = runner.build_pipeline(config)
settings = runner._aggregate_settings(config, pipeline)
comments = (c for c in itertools.islice(read_comments([inp], ReadContext()), n) if isinstance(c, Comment))
sent = [pickle.dumps(p.accumulator) for p in pipeline.batches(comments, None, runner.BatchOutputs(settings))]


def merge():
    acc = ResonanceAccumulator(settings)
    for blob in sent:
        acc.merge(pickle.loads(blob))
    return acc


def best(fn):
    times, value = [], None
    for _ in range(reps):
        start = time.process_time()
        value = fn()
        times.append(time.process_time() - start)
    return min(times), value


merge_s, acc = best(merge)
result_s, result = best(acc.result)
report_s, _ = best(lambda: write_reports(result, out))
print(json.dumps({"batches": len(sent), "cells": len(result.cells), "merge_s": round(merge_s, 3),
                  "result_s": round(result_s, 3), "report_s": round(report_s, 3)}))
"""


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def measure(tree: Path, args: argparse.Namespace, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = ["nice", "-n", str(args.nice), sys.executable, "-c", CHILD, str(tree), str(args.input), str(args.n),
           str(args.reps), str(out)]
    load = os.getloadavg()[0]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {**row, "total_s": round(row["merge_s"] + row["result_s"] + row["report_s"], 3),
            "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1), "outputs": digest(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--input", type=Path, default=Path("/tmp/lead/in200k.jsonl"))
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--current", type=Path, default=ROOT)
    ap.add_argument("--rounds", type=int, default=2, help="times each tree runs (alternating)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--nice", type=int, default=5)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="aggregate-cpu-") as tmp:
        for i in range(args.rounds):
            for name, tree in (("baseline", args.baseline), ("current", args.current)):
                row = {"tree": name, "path": str(tree), "round": i + 1,
                       **measure(tree, args, Path(tmp) / f"{name}{i}")}
                print(json.dumps(row), flush=True)
                runs.append(row)
    best = {name: {k: min(r[k] for r in runs if r["tree"] == name) for k in ("merge_s", "result_s", "report_s",
                                                                          "total_s")}
            for name in ("baseline", "current")}
    ratios = {k: round(best["baseline"][k] / best["current"][k], 2) for k in best["current"]}
    identical = len({r["outputs"] for r in runs}) == 1
    summary = {"n": args.n, "input": str(args.input), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "best": best, "ratio_baseline_over_current": ratios, "reports_identical": identical, "runs": runs}
    print(json.dumps({k: summary[k] for k in ("best", "ratio_baseline_over_current", "reports_identical")}))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
