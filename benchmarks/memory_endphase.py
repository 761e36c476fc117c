"""The end phase of ``analyzer run`` alone: what ``accumulator.result()`` and ``write_reports``
add to the main process's peak memory, and their CPU seconds, as the input grows.

    python benchmarks/memory_endphase.py --n 100000 1000000 [--baseline /tmp/base] [--repeat 2]
        [--json-out F]

Each measurement is a fresh subprocess that builds the main process's accumulator state with the
structure a run of ``cli_speed.write_input``'s N comments gives it (``u{i % 50021}`` authors, 7
dramas x 16 regions by ``i % 7`` and ``(i // 7) % 16``, one of 12 days by ``i % 12``, likes
``i % 37``; stance, theme and intent counts drawn from a fixed seed), as rows added in groups of
2,048 comments inside ``spilling``, as a run's merges add them (directly, without annotating
comments: seconds, not minutes; no quote candidates, whose number is bounded anyway). Then, as
``runner._run_into`` does, it hands freed memory back, resets the kernel's peak
(``/proc/self/clear_refs``), and runs ``result()`` and ``write_reports``: ``*_hwm_mb`` is the peak
resident set during each (VmHWM), ``base_mb`` the resident set before them, so
``end_added_mb`` = peak - base is what the end phase costs. CPU seconds are the process's own
(user + system). ``digest``: a SHA-256 of resonance.csv, resonance.json and report.md, so two
trees' end phases can be compared byte for byte.
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROUP = 2048
AUTHORS = 50021
DRAMAS = 7
sys.path.append(str(ROOT))  # after PYTHONPATH: the tree measured is the one given
from benchmarks.memory_run import _status_kb  # noqa: E402

REGIONS = ("US", "GB", "VN", "TH", "ID", "PH", "MY", "BR", "MX", "ES", "FR", "DE", "KR", "JP", "IN", "SA")


def status_mb(key: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process, MiB."""
    return round(_status_kb(os.getpid(), key) / 1024, 1)


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def add_rows(acc, n: int, seed: int = 0) -> None:
    """N comments' rows, added to ``acc`` (spilling) a group of 2,048 comments at a time."""
    import numpy as np

    from analyzer.aggregate import state

    rng = np.random.default_rng(seed)
    days = np.array([date(2024, 1 + m, 1).toordinal() for m in range(12)], dtype=np.int32)
    keys = np.array([state.author_key(f"u{a}") for a in range(AUTHORS)], dtype=np.uint64)
    width = len(state.COUNT_COLS)
    for first in range(0, n, GROUP):
        i = np.arange(first, min(n, first + GROUP), dtype=np.int64)
        cell = (i % DRAMAS) * len(REGIONS) + (i // 7) % len(REGIONS)
        for c in np.unique(cell):
            sel = i[cell == c]
            counts = np.zeros((len(sel), width), dtype=np.uint8)
            counts[:, 0] = 1  # one comment
            counts[np.arange(len(sel)), 1 + rng.integers(0, 3, len(sel))] = 1  # its stance
            counts[:, 5] = 1  # language known
            counts[:, 6] = rng.integers(0, 2, len(sel))  # local or not
            counts[:, 7:] = rng.random((len(sel), width - 7)) < 0.05  # theme polarities
            flags = (rng.integers(0, 1 << 20, len(sel)) & rng.integers(0, 1 << 20, len(sel))).astype(state.FLAG_DTYPE)
            rows = state.Rows(keys[sel % AUTHORS], days[sel % 12], counts, flags, sel % 37)
            acc._cells.setdefault((f"Drama {c // len(REGIONS)}", REGIONS[c % len(REGIONS)]), state.AuthorDays()).add(rows)
            acc._added(len(sel))


def _warm_up() -> None:
    """What a run's main process has done before its end phase and the probe has not: written
    Parquet (pyarrow then imports pandas, ~45 MB, once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="endphase_warm_") as tmp:
        pq.write_table(pa.table({"a": [1]}), os.path.join(tmp, "warm.parquet"))


def worker(n: int) -> None:
    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.engines.memory import bound_heap, release_free_memory
    from analyzer.report import write_reports

    bound_heap()
    _warm_up()
    acc = ResonanceAccumulator()
    with tempfile.TemporaryDirectory(prefix="endphase_") as tmp, acc.spilling(tmp):
        add_rows(acc, n)
        release_free_memory()
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")  # the kernel's peak resident set starts again from here
        base = status_mb("VmRSS")
        cpu, wall = cpu_seconds(), time.perf_counter()
        result = acc.result()
        result_hwm, result_cpu = status_mb("VmHWM"), cpu_seconds() - cpu
        release_free_memory()
        cpu = cpu_seconds()
        paths = write_reports(result, tmp)
        reports_cpu, seconds = cpu_seconds() - cpu, time.perf_counter() - wall
        end_hwm = status_mb("VmHWM")
        digest = hashlib.sha256(b"".join(paths[k].read_bytes() for k in ("resonance.csv", "resonance.json", "report.md")))
    print(json.dumps({"n": n, "cells": len(result.cells), "base_mb": base, "result_hwm_mb": result_hwm,
                      "end_hwm_mb": end_hwm, "end_added_mb": round(end_hwm - base, 1),
                      "result_cpu_s": round(result_cpu, 2), "reports_cpu_s": round(reports_cpu, 2),
                      "end_wall_s": round(seconds, 2), "digest": digest.hexdigest()[:16]}))


def measure(tree: Path, n: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, __file__, "--worker", str(n)], capture_output=True, text=True, env=env,
                          cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--baseline", type=Path, help="folder with the baseline analyzer package")
    ap.add_argument("--current", type=Path, default=ROOT)
    ap.add_argument("--repeat", type=int, default=1, help="interleaved baseline/current pairs per size")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker)
    runs = []
    trees = ([("baseline", args.baseline)] if args.baseline else []) + [("current", args.current)]
    for n in args.n:
        for rep in range(args.repeat):
            for name, tree in trees:
                row = {"tree": name, "rep": rep, "load": round(os.getloadavg()[0], 2), **measure(tree, n)}
                runs.append(row)
                print(json.dumps(row), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps({"command": " ".join(sys.argv), "baseline": str(args.baseline),
                                             "current": str(args.current), "runs": runs}, indent=2) + "\n",
                                 encoding="utf-8")


if __name__ == "__main__":
    main()
