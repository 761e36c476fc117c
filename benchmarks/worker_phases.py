"""Where the CPU of ``analyzer run``'s worker processes goes, phase by phase (benchmark-only).

    python benchmarks/worker_phases.py TREE INPUT OUT [--profile FILE]

Runs ``python -m analyzer run INPUT -o OUT -q`` of the analyzer package in TREE inside this
process (as ``benchmarks/main_cpu.py`` does), with timers wrapped around the functions the
worker processes run, installed before the workers fork so that they inherit them; nothing of
the package is changed and nothing is printed by a normal run. Each worker adds up its own CPU
seconds (``time.process_time``) in:

- ``unpickle``: loading each call (the batch of Comments) from the pool's queue;
- ``stages``: ``run_stages`` (langid, region, sentiment, mentions, themes by default);
- ``then``: what the run makes of an annotated batch (``runner.BatchOutputs``: Arrow table,
  the batch's accumulator, tally); ``then_arrow`` / ``then_accumulate`` split it;
- ``pickle``: dumping each result (the ``BatchPart``) onto the result queue;
- ``gc``: the garbage collector's passes (``gc.callbacks``);
- ``total``: the process's CPU seconds when it ends (``rest`` = total minus the above: the
  pool's loop, start-up, summaries).

The main process's pickling of the calls (queue feeder thread) and unpickling of the results
(result thread) are timed per thread (``time.thread_time``). One JSON line is printed: the
main process and workers CPU (``getrusage``), the workers' phases summed, and the bytes that
crossed. ``--profile FILE`` also runs cProfile in one worker, from its first batch to its end,
and writes its stats to FILE (``pstats``; ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import runpy
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("tree")
parser.add_argument("input")
parser.add_argument("out")
parser.add_argument("--profile", help="cProfile one worker into this file")
args = parser.parse_args()
sys.path.insert(0, args.tree)

from multiprocessing import util  # noqa: E402
from multiprocessing.reduction import ForkingPickler  # noqa: E402

import analyzer.engines.workers as workers  # noqa: E402
import analyzer.runner as runner  # noqa: E402

MAIN = os.getpid()
FOLDER = Path(tempfile.mkdtemp(prefix="worker_phases_"))
totals: dict[str, float] = {}
owner = [MAIN]  # the process ``totals`` belongs to: a forked worker starts from an empty one


def add(key: str, value: float) -> None:
    if owner[0] != os.getpid():
        owner[0] = os.getpid()
        totals.clear()
    totals[key] = totals.get(key, 0.0) + value


def clock() -> float:
    """CPU seconds of this thread in the main process (its feeder and result threads), of the
    whole process in a worker (one thread)."""
    return time.thread_time() if os.getpid() == MAIN else time.process_time()


def side() -> str:
    return "main" if os.getpid() == MAIN else "worker"


loads, dumps = ForkingPickler.loads, ForkingPickler.dumps


def timed_loads(data, *a, **k):
    start = clock()
    try:
        return loads(data, *a, **k)
    finally:
        add(f"{side()}_unpickle", clock() - start)
        add(f"{side()}_bytes_in", len(data))


def timed_dumps(obj, *a, **k):
    start = clock()
    data = dumps(obj, *a, **k)
    add(f"{side()}_pickle", clock() - start)
    add(f"{side()}_bytes_out", len(data))
    return data


ForkingPickler.loads = staticmethod(timed_loads)
ForkingPickler.dumps = classmethod(lambda cls, obj, *a, **k: timed_dumps(obj, *a, **k))

run_stages, annotate, call_then = workers.run_stages, workers._annotate, runner.BatchOutputs.__call__
to_arrow = __import__("analyzer.schema", fromlist=["to_arrow"]).to_arrow


def timed(key, function):
    def wrapper(*a, **k):
        start = time.process_time()
        try:
            return function(*a, **k)
        finally:
            add(key, time.process_time() - start)
    return wrapper


profiler = []


def worker_annotate(*a, **k):
    if "first_call" not in totals or owner[0] != os.getpid():
        add("first_call", time.process_time())  # start-up: fork, initializer, pool set-up
        gc.callbacks.append(gc_timer)
        util.Finalize(None, write, exitpriority=100)
        if args.profile and _claim():
            import cProfile
            profiler.append(cProfile.Profile(time.process_time))
            profiler[0].enable()
    add("batches", 1)
    return annotate(*a, **k)


def _claim() -> bool:
    try:
        os.close(os.open(FOLDER / "profiled", os.O_CREAT | os.O_EXCL))
        return True
    except FileExistsError:
        return False


gc_start = [0.0]


def gc_timer(phase, info):
    if phase == "start":
        gc_start[0] = time.process_time()
    else:
        add("gc", time.process_time() - gc_start[0])
        add(f"gc_gen{info['generation']}", 1)


def write():
    if profiler:
        profiler[0].disable()
        profiler[0].dump_stats(args.profile)
    totals["total"] = time.process_time()
    (FOLDER / f"{os.getpid()}.json").write_text(json.dumps(totals), encoding="utf-8")


workers.run_stages = timed("stages", run_stages)
workers._annotate = worker_annotate
runner.BatchOutputs.__call__ = timed("then", call_then)
runner_schema = sys.modules["analyzer.schema"]
runner_schema.to_arrow = timed("then_arrow", to_arrow)  # imported inside BatchOutputs.__call__

sys.argv = ["analyzer", "run", args.input, "-o", args.out, "-q"]
start = time.perf_counter()
try:
    runpy.run_module("analyzer", run_name="__main__")
except SystemExit:
    pass
wall = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
phases: dict[str, float] = {}
for path in FOLDER.glob("*.json"):
    for key, value in json.loads(path.read_text(encoding="utf-8")).items():
        phases[key] = phases.get(key, 0.0) + value
named = ("worker_unpickle", "stages", "then", "worker_pickle", "gc")
phases["rest"] = phases.get("total", 0.0) - sum(phases.get(k, 0.0) for k in named)
main = {k: round(v, 2) for k, v in totals.items()}
print(json.dumps({"tree": args.tree, "wall": round(wall, 1), "main_cpu": round(me.ru_utime + me.ru_stime, 1),
                  "workers_cpu": round(kids.ru_utime + kids.ru_stime, 1), "load": round(os.getloadavg()[0], 2),
                  "workers": {k: round(v, 2) for k, v in sorted(phases.items())}, "main_threads": main}))
