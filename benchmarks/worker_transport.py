"""The CPU a local ``analyzer run`` spends between its processes per batch, outside the stages,
with 1 batch per worker call (as before ``engines.workers.GROUP``) beside GROUP batches per call,
in one process, on the same real annotated batches, in the same run.

    python benchmarks/worker_transport.py --input /tmp/lead/in20k.jsonl --n 20000 --group 1 4 8

The comments are read and annotated once (every stage, in this process). Then, for each group
size and each of ``--repeat`` rounds (the least CPU per phase is kept: other jobs share the
machine), every run of ``group`` consecutive batches goes through what the pool does to it
around the stages, each phase timed with ``time.process_time``: the main process pickles the
call (``ForkingPickler``, as the pool's queue does), the worker unpickles it, makes its
``runner.BatchOutputs`` (``then``: Arrow table, accumulator, tally) and pickles the ``BatchPart``; the main process unpickles it, merges its accumulator into the
run's and cuts its table back into batches (``BatchPart.tables``). Batches are unpickled fresh
each round, so the strings are as cold as on a worker. Prints one JSON line per group size (CPU
seconds, scaled to 200k comments) and the ratio to the first group size; ``--json-out`` keeps them.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from multiprocessing.reduction import ForkingPickler  # noqa: E402

from analyzer.aggregate import ResonanceAccumulator  # noqa: E402
from analyzer.defaults import GC_THRESHOLDS  # noqa: E402
from analyzer.io import ReadStats, read_comments  # noqa: E402
from analyzer.runner import BatchOutputs, _aggregate_settings, _context, build_pipeline, resolve_config  # noqa: E402

PHASES = ("main_pickle", "worker_unpickle", "then", "worker_pickle", "main_unpickle", "main_merge")


def annotated(path: str, n: int) -> tuple[list[list], dict]:
    config = resolve_config(None)
    pipeline = build_pipeline(config)
    items = itertools.islice((c for c in read_comments([path], _context(config), ReadStats()) if not hasattr(c, "reason")), n)
    batches = list(pipeline.batches(items))
    return batches, ResonanceAccumulator(_aggregate_settings(config, pipeline) or None).config


def one_round(batches: list[list], settings: dict, group: int) -> dict[str, float]:
    clock, spent = time.process_time, dict.fromkeys(PHASES, 0.0)
    calls = [ForkingPickler.dumps(batches[i:i + group]) for i in range(0, len(batches), group)]
    run_accumulator, outputs = ResonanceAccumulator(settings), BatchOutputs(settings)
    for call in calls:
        sent = pickle.loads(call)
        start = clock()
        ForkingPickler.dumps(sent)
        spent["main_pickle"] += clock() - start
        start = clock()
        group_batches = pickle.loads(call)  # fresh objects: cold strings, as on a worker
        spent["worker_unpickle"] += clock() - start
        start = clock()
        part = outputs(*group_batches)
        spent["then"] += clock() - start
        start = clock()
        blob = ForkingPickler.dumps(part)
        spent["worker_pickle"] += clock() - start
        start = clock()
        back = pickle.loads(blob)
        spent["main_unpickle"] += clock() - start
        start = clock()
        run_accumulator.merge(back.accumulator)
        list(back.tables())
        spent["main_merge"] += clock() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="JSONL comments (e.g. benchmarks/cli_speed.write_input's)")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--group", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)
    batches, settings = annotated(args.input, args.n)
    n = sum(map(len, batches))
    scale = 200_000 / n
    rows, base = [], None
    for group in args.group:
        best = dict.fromkeys(PHASES, float("inf"))
        for _ in range(args.repeat):
            for phase, seconds in one_round(batches, settings, group).items():
                best[phase] = min(best[phase], seconds)
        row = {"group": group, "comments": n, "load": round(os.getloadavg()[0], 2),
               "cpu_s_per_200k": {k: round(v * scale, 2) for k, v in best.items()},
               "worker_cpu_s_per_200k": round(scale * sum(best[k] for k in PHASES[1:4]), 2),
               "main_cpu_s_per_200k": round(scale * sum(best[k] for k in (PHASES[0], *PHASES[4:])), 2)}
        base = base or row
        row["worker_ratio"] = round(row["worker_cpu_s_per_200k"] / base["worker_cpu_s_per_200k"], 3)
        row["main_ratio"] = round(row["main_cpu_s_per_200k"] / base["main_cpu_s_per_200k"], 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
