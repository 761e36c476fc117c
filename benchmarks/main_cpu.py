"""CPU seconds of the main process of ``analyzer run`` apart from its worker processes'.

    python benchmarks/main_cpu.py TREE INPUT OUT [--cprofile STATS.txt] [--prepare-from N]

Runs ``python -m analyzer run INPUT -o OUT -q`` of the analyzer package in TREE inside this
process and prints one JSON line from ``getrusage``: the main process's own CPU seconds
(``RUSAGE_SELF``: reading, the in-order stages, writing, merging, aggregating, reports), the
workers' (``RUSAGE_CHILDREN``), and each side's peak RSS. Run two trees one after the other
on the same input (and twice each: the machine is shared) to compare where the CPU goes.
With ``--cprofile``, the main thread runs under cProfile and its top functions (by internal
and by cumulative time) are written to STATS.txt (the profiler slows it: compare shares, not
seconds, and take the CPU figures from a run without it). ``--prepare-from N`` sets
``engines.workers.PREPARE_MIN_WORKERS`` to N for this run (benchmark only): with N = 2 the two
workers of a 2-CPU machine also prepare the in-order stages' batches (normalize, dedup keys,
link's own evidence) and the main process only decides (docs/speed.md, "Ninth session").
"""

import cProfile
import io
import json
import pstats
import resource
import runpy
import sys
import time

tree, inp, out = sys.argv[1:4]
stats_path = sys.argv[sys.argv.index("--cprofile") + 1] if "--cprofile" in sys.argv else None
prepare_from = int(sys.argv[sys.argv.index("--prepare-from") + 1]) if "--prepare-from" in sys.argv else None
sys.path.insert(0, tree)
if prepare_from is not None:
    import analyzer.engines.workers

    analyzer.engines.workers.PREPARE_MIN_WORKERS = prepare_from
sys.argv = ["analyzer", "run", inp, "-o", out, "-q"]
profiler = cProfile.Profile() if stats_path else None
start = time.perf_counter()
try:
    if profiler:
        profiler.enable()
    runpy.run_module("analyzer", run_name="__main__")
except SystemExit:
    pass
finally:
    if profiler:
        profiler.disable()
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"tree": tree, "prepare_from": prepare_from, "wall": round(time.perf_counter() - start, 1),
                  "main_cpu": round(me.ru_utime + me.ru_stime, 1), "workers_cpu": round(kids.ru_utime + kids.ru_stime, 1),
                  "main_maxrss_mb": me.ru_maxrss // 1024, "workers_maxrss_mb": kids.ru_maxrss // 1024}))
if profiler:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(60)
    stats.sort_stats("cumulative").print_stats(120)
    with open(stats_path, "w") as handle:
        handle.write(text.getvalue())
