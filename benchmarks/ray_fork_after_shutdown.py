"""Whether forking the driver after ``ray.shutdown()`` is safe, as the end phase of a Ray run does
(``engines.ray.end_spread``): what is left in the process, and many forks that must all finish.

    python benchmarks/ray_fork_after_shutdown.py [--forks 300] [--json-out F]

Starts Ray as ``analyzer run --engine ray`` does (``engines.ray._start``), runs a small Ray Data job
on an actor pool (the threads a run leaves are those of a finished Ray Data stream), shuts Ray down,
then lists the threads left in this process (Python's and the native ones, by name, from
``/proc/self/task``) and whether Ray's native library registers a fork handler (``nm -D``: a
``pthread_atfork`` / ``__register_atfork`` reference). Then ``--forks`` times: fork a child that does
what an end-phase share does (numpy, pyarrow, pickle to a pipe, ``os._exit``, through
``engines.forked``'s own ``_fork``) while this process does the same, and wait for it with a
deadline: a child stuck on a lock one of the leftover threads held at the fork would miss it.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from analyzer.config import Config  # noqa: E402
from analyzer.engines import forked  # noqa: E402
from analyzer.engines import ray as ray_engine  # noqa: E402


def threads() -> list[str]:
    """Every thread of this process, by its kernel name."""
    names = []
    for tid in sorted(os.listdir("/proc/self/task"), key=int):
        with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as handle:
            names.append(handle.read().strip())
    return names


def share(seed: int) -> int:
    """Allocates and frees as an end-phase share does: arrays, an Arrow table, a pickle."""
    rng = np.random.default_rng(seed)
    draws = rng.poisson(3.0, size=(200, 500)).sum(axis=1)
    table = pa.table({"cell": np.arange(draws.size), "draws": draws, "name": [f"c{i}" for i in range(draws.size)]})
    blob = pickle.dumps([{"k": str(i), "v": list(range(i % 50))} for i in range(2000)])
    return int(draws.sum()) + table.num_rows + len(pickle.loads(blob))


class Job:
    """A pass-through actor for the Ray Data job (an actor pool, as the run's annotation step)."""

    def __call__(self, batch):
        return batch


def run_ray_job(ray) -> None:
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False
    data = ray.data.from_items([{"x": i} for i in range(2000)], override_num_blocks=8)
    rows = data.map_batches(Job, batch_size=100, num_cpus=0.5, compute=ray.data.ActorPoolStrategy(size=2))
    assert sum(1 for _ in rows.iter_rows()) == 2000


def fork_handlers(ray) -> list[str]:
    """``pthread_atfork`` / ``__register_atfork`` references in Ray's native library."""
    listed = subprocess.run(["nm", "-D", ray._raylet.__file__], capture_output=True, text=True)
    return [line.split()[-1] for line in listed.stdout.splitlines() if "atfork" in line]


def wait(child: list[int], deadline: float) -> str:
    """'ok', 'failed' or 'stuck' (not done by ``deadline``; then killed)."""
    pid, read = child
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            with os.fdopen(read, "rb") as src:
                data = src.read()
            good = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data
            return "ok" if good else "failed"
        time.sleep(0.005)
    forked._stop(child)
    return "stuck"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forks", type=int, default=300)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds a child may take")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    before = threads()
    ray = ray_engine.require_ray()
    ray_engine._start(ray, Config())
    run_ray_job(ray)
    during = threads()
    ray.shutdown()
    after = threads()
    outcomes: dict[str, int] = {}
    start = time.perf_counter()
    for i in range(args.forks):
        child = forked._fork(share, i)
        share(10_000 + i)  # this process works beside the child, as the end phase's first share does
        outcome = wait(child, time.monotonic() + args.timeout) if child else "not forked"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    row = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "ray": ray.__version__,
           "forks": args.forks, "outcomes": outcomes, "seconds": round(time.perf_counter() - start, 2),
           "python_threads_after_shutdown": threading.active_count(), "threads_before_ray": before,
           "threads_during_ray": during, "threads_after_shutdown": after,
           "ray_threads_left": sorted(set(after) - set(before)) or [],
           "ray_native_fork_handlers": fork_handlers(ray), "load": os.getloadavg()}
    print(json.dumps(row, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(row, indent=1) + "\n")


if __name__ == "__main__":
    main()
