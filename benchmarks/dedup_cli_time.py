"""CPU seconds of the dedup stage inside the main process of a real ``analyzer run``, for several
trees in turns, with the main process's whole CPU beside them.

    python benchmarks/dedup_cli_time.py INPUT --run base=/tmp/s14base --run current=. \
        --repeat 2 --json-out benchmarks/results/X.json

Each run is a subprocess that times ``DedupStage.prepare``, ``decide_batch`` and ``annotate``
(``time.process_time``, wrapped around the tree's own methods) while it runs ``python -m analyzer
run INPUT -o OUT -q`` of that tree in-process, and reports them with its ``getrusage`` CPU
seconds (the main process's: the workers' are not counted). The trees run in turn, ``--repeat``
rounds; the load average before and after each run is recorded. The run folders are deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("prepare", "decide_batch", "annotate")


def child(tree: str, inp: str, out: str) -> None:
    sys.path.insert(0, tree)
    from analyzer.stages import dedup

    seconds = dict.fromkeys(STEPS, 0.0)
    for name in STEPS:
        setattr(dedup.DedupStage, name, _timed(getattr(dedup.DedupStage, name), name, seconds))
    sys.argv = ["analyzer", "run", inp, "-o", out, "-q"]
    try:
        runpy.run_module("analyzer", run_name="__main__")
    except SystemExit as stop:
        if stop.code:
            raise
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"dedup": {k: round(v, 3) for k, v in seconds.items()},
                      "dedup_cpu": round(sum(seconds.values()), 3),
                      "main_cpu": round(usage.ru_utime + usage.ru_stime, 2)}))


def _timed(method, name: str, seconds: dict):
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            seconds[name] += time.process_time() - start
    return timed


def run_one(tree: str, inp: str, out: str) -> dict:
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, __file__, "--child", tree, inp, out], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": tree}, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--run", action="append", default=[], help="NAME=TREE")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="dedup_cli_time_") as tmp:
        for round_ in range(args.repeat):
            for spec in args.run:
                name, tree = spec.split("=", 1)
                result = run_one(str(Path(tree).resolve()), args.input, str(Path(tmp) / f"{name}-{round_}"))
                runs.append({"round": round_, "name": name, "tree": tree, **result})
                print(json.dumps(runs[-1]), flush=True)
    result = {"input": args.input, "runs": runs}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
