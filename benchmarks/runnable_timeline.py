"""How many threads of ``analyzer run`` want a core, sampled over the run (benchmark only).

    python benchmarks/runnable_timeline.py TREE INPUT OUT [--every 0.05] [--json-out F]

Runs ``python -m analyzer run INPUT -o OUT -q`` of the package in TREE as a child process and,
every ``--every`` seconds, reads the state of every thread of it and of its descendants from
``/proc`` (``R``: running or waiting for a core). On a shared machine the wall time follows the
load, but the number of runnable threads does not: a stretch with one runnable thread is one
where, on an idle 2-core machine, a core would idle. Printed (one JSON line, also written to
``--json-out``): the share of samples with 0, 1, 2 and 3+ runnable threads, and per tenth of the
run the mean runnable threads of the main process and of the others (the workers, the end
phase's forked children), so that the start, the stream and the end can be told apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def runnable(pid: int) -> int:
    """Threads of ``pid`` in state R."""
    count = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        count += stat[stat.rindex(")") + 2] == "R"
    return count


def stretches(samples: list[tuple[float, int, int]], least: float = 0.3) -> list[dict]:
    """Stretches of at least ``least`` seconds where one thread, or none, was runnable: (start,
    seconds, whose: the main process's or another's)."""
    out, begun = [], None
    for (t, main_r, other_r), following in zip(samples, samples[1:] + [(samples[-1][0] + 1e-9, 9, 9)]):
        single = main_r + other_r <= 1
        if single and begun is None:
            begun, whose = t, "main" if main_r else "others"
        if begun is not None and (not (following[1] + following[2] <= 1)):
            if following[0] - begun >= least:
                out.append({"start": round(begun, 2), "seconds": round(following[0] - begun, 2), "whose": whose})
            begun = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree")
    parser.add_argument("input")
    parser.add_argument("out")
    parser.add_argument("--every", type=float, default=0.05)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    cmd = [sys.executable, "-m", "analyzer", "run", args.input, "-o", args.out, "-q"]
    env = {**os.environ, "PYTHONPATH": args.tree}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=args.tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples = []  # (seconds, main runnable, others runnable)
    while proc.poll() is None:
        samples.append((time.perf_counter() - start, runnable(proc.pid), sum(runnable(k) for k in children(proc.pid))))
        time.sleep(args.every)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(proc.stderr.read().decode()[-2000:])
    hist = [0, 0, 0, 0]
    for _, main_r, other_r in samples:
        hist[min(main_r + other_r, 3)] += 1
    tenths = []
    for i in range(10):
        part = [s for s in samples if i * wall / 10 <= s[0] < (i + 1) * wall / 10] or [(0, 0, 0)]
        tenths.append({"main": round(sum(s[1] for s in part) / len(part), 2),
                       "others": round(sum(s[2] for s in part) / len(part), 2)})
    result = {"tree": args.tree, "wall": round(wall, 1), "samples": len(samples),
              "load": [round(x, 1) for x in os.getloadavg()],
              "share_runnable": {k: round(v / max(1, len(samples)), 3) for k, v in zip(("0", "1", "2", "3+"), hist)},
              "tenths": tenths, "single_stretches": stretches(samples)}
    print(json.dumps(result))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
