"""Wall and CPU seconds of a run's start-up on one core: importing ``analyzer.runner`` and building
the default pipeline (every stage's models), in a fresh process per measurement, for several
trees in turns (benchmark only).

    python benchmarks/start_build.py --run base=/tmp/s18base --run cur=. --rounds 5 --json-out F

Each measurement is ``python -c`` with ``PYTHONPATH=TREE``: ``import`` wall/CPU, then
``build_pipeline(Config())`` wall/CPU (``time.perf_counter`` / ``time.process_time``: the CPU
of every thread of the process) and the main thread's own CPU (``time.thread_time``): the part
that cannot overlap with anything. Where a tree loads a model on a second thread, the wall can be
below the CPU when a core is free; on a loaded machine the wall follows the load, the main
thread's CPU does not. The median
of the rounds is reported beside each round's figures, with the load average before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, time
w0, c0 = time.perf_counter(), time.process_time()
import analyzer.runner as R
from analyzer.config import Config
w1, c1, t1 = time.perf_counter(), time.process_time(), time.thread_time()
pipeline = R.build_pipeline(Config())
w2, c2, t2 = time.perf_counter(), time.process_time(), time.thread_time()
print(json.dumps({"import_wall": w1 - w0, "import_cpu": c1 - c0, "build_wall": w2 - w1, "build_cpu": c2 - c1,
                  "build_main_thread_cpu": t2 - t1,
                  "stages": pipeline.names}))
"""


KEYS = ("import_wall", "import_cpu", "build_wall", "build_cpu", "build_main_thread_cpu")


def measure(tree: str) -> dict:
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd="/",
                          env={**os.environ, "PYTHONPATH": tree})
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()} | {"load_before": round(load, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", action="append", required=True, help="NAME=TREE")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    trees = [(name, str(Path(tree).resolve())) for name, _, tree in (spec.partition("=") for spec in args.run)]
    rows = [{"round": r, "name": name, **measure(tree)} for r in range(args.rounds) for name, tree in trees]
    medians = {name: {k: round(statistics.median(row[k] for row in rows if row["name"] == name), 3)
                      for k in KEYS} for name, _ in trees}
    out = {"command": " ".join(sys.argv), "trees": dict(trees), "medians": medians, "rows": rows}
    print(json.dumps(medians))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
