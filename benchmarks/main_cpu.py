"""CPU seconds of the main process of ``analyzer run`` apart from its worker processes'.

    python benchmarks/main_cpu.py TREE INPUT OUT

Runs ``python -m analyzer run INPUT -o OUT -q`` of the analyzer package in TREE inside this
process and prints one JSON line from ``getrusage``: the main process's own CPU seconds
(``RUSAGE_SELF``: reading, the in-order stages, writing, merging, aggregating, reports), the
workers' (``RUSAGE_CHILDREN``), and each side's peak RSS. Run two trees one after the other
on the same input (and twice each: the machine is shared) to compare where the CPU goes.
"""

import json
import resource
import runpy
import sys
import time

tree, inp, out = sys.argv[1:4]
sys.path.insert(0, tree)
sys.argv = ["analyzer", "run", inp, "-o", out, "-q"]
start = time.perf_counter()
try:
    runpy.run_module("analyzer", run_name="__main__")
except SystemExit:
    pass
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"tree": tree, "wall": round(time.perf_counter() - start, 1),
                  "main_cpu": round(me.ru_utime + me.ru_stime, 1), "workers_cpu": round(kids.ru_utime + kids.ru_stime, 1),
                  "main_maxrss_mb": me.ru_maxrss // 1024, "workers_maxrss_mb": kids.ru_maxrss // 1024}))
