"""Peak memory of each process of the default ``analyzer run`` (the CLI users run) as the input
grows, on real comments, for a baseline tree and the current tree in the same run.

    python benchmarks/memory_run.py --n 100000 200000 1000000 --baseline /tmp/base \\
        [--inputs /tmp/mem] [--json-out benchmarks/results/memory_run.json] [--md-out ...md]

Each size is N real comments written by ``cli_speed.write_input`` (every text under
``../shared/data``, cycled past their count; 50,021 authors), run as
``python -m analyzer run FILE -o OUT -q`` (default ``--workers auto``: the main process plus
its forked workers) in a subprocess. Every 0.2 s the script reads ``VmHWM`` (the kernel's
peak resident set, exact, not sampled) of the main process and of each of its child
processes from ``/proc``; the largest is what the acceptance bar reads. Wall seconds of the
two trees give the time ratio. Both trees' ``resonance.csv`` and ``comments.parquet`` are
compared byte for byte. ``--inputs``: a folder to keep the input files in (reused when present).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.cli_speed import BLAS_ENV, real_texts, write_input  # noqa: E402


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (theirs and their children's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def run_watched(tree: Path, args: list[str], nice: int, trace: Path | None = None) -> dict:
    """Run ``python -m analyzer ARGS`` from ``tree``: wall seconds, peak RSS MB of the main
    process and of each child (in start order). ``trace``: a file that gets the peaks so
    far every 30 s (JSON lines), to follow a long run."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env["PYTHONPATH"] = str(tree)
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "analyzer", *args]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(["nice", "-n", str(nice), *cmd] if nice else cmd, cwd=tree, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    traced = start
    while proc.poll() is None:
        for pid in [proc.pid, *_children(proc.pid)]:
            hwm = _status_kb(pid, "VmHWM")
            if hwm is not None:
                peaks[pid] = max(peaks.get(pid, 0), hwm)
        if trace is not None and time.perf_counter() - traced >= 30:
            traced = time.perf_counter()
            with open(trace, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"seconds": round(traced - start), "args": args[1],
                                         "peaks_mb": {pid: round(kb / 1024, 1) for pid, kb in peaks.items()}}) + "\n")
        time.sleep(0.2)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: analyzer {' '.join(args)} failed:\n{err[-3000:]}")
    main = peaks.pop(proc.pid, 0)
    workers = [round(kb / 1024, 1) for _, kb in sorted(peaks.items())]
    return {"seconds": round(wall, 2), "cpu_seconds": round(_children_cpu() - cpu_before, 2),
            "main_mb": round(main / 1024, 1), "workers_mb": workers,
            "largest_mb": max([round(main / 1024, 1), *workers])}


def same_outputs(a: Path, b: Path) -> bool:
    return all((a / name).read_bytes() == (b / name).read_bytes() for name in ("resonance.csv", "comments.parquet"))


def table(rows: list[dict]) -> list[str]:
    lines = ["| comments | tree | main MB | workers MB | largest MB | wall s | CPU s | wall ratio | CPU ratio | outputs identical |",
             "|---:|---|---:|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        for name in ("baseline", "current"):
            if name not in row:
                continue
            r = row[name]
            ratio = f"{row['wall_ratio']:.2f}" if name == "current" and "wall_ratio" in row else ""
            cpu = f"{row['cpu_ratio']:.2f}" if name == "current" and "cpu_ratio" in row else ""
            same = str(row.get("identical", "")) if name == "current" else ""
            lines.append(f"| {row['n']:,} | {name} | {r['main_mb']} | {', '.join(map(str, r['workers_mb']))} | "
                         f"{r['largest_mb']} | {r['seconds']} | {r.get('cpu_seconds', '')} | {ratio} | {cpu} | {same} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 200_000, 1_000_000])
    ap.add_argument("--baseline", type=Path, help="folder with the baseline analyzer package")
    ap.add_argument("--current", type=Path, default=ROOT)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--inputs", type=Path, help="keep (and reuse) the input files here")
    ap.add_argument("--nice", type=int, default=5)
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--md-out", type=Path)
    ap.add_argument("--trace", type=Path, help="append the peaks so far every 30 s to this file")
    ap.add_argument("--outputs", type=Path, help="keep the run folders here (OUTPUTS/TREE_N), e.g. to compare "
                    "the outputs of two invocations run side by side (--same-as)")
    ap.add_argument("--same-as", type=Path, help="another invocation's --outputs: compare its TREE_N folders' "
                    "outputs with this one's, byte for byte")
    args = ap.parse_args()
    texts = None
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory_run_") as tmp:
        folder = args.inputs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.n:
            path = folder / f"in_{n}.jsonl"
            if not path.exists():
                texts = texts or real_texts(args.data)
                write_input(path, texts, n)
            row = {"n": n, "load_before": round(os.getloadavg()[0], 2)}
            trees = [("current", args.current)] + ([("baseline", args.baseline)] if args.baseline else [])
            outs = args.outputs or Path(tmp)
            for name, tree in trees:
                row[name] = run_watched(tree, ["run", str(path), "-o", str(outs / f"{name}_{n}"), "-q"], args.nice, args.trace)
            if args.same_as:
                other = args.same_as / f"current_{n}"
                row["identical_to_same_as"] = same_outputs(outs / f"current_{n}", other) if (other / "resonance.csv").exists() else None
            if args.baseline:
                row["wall_ratio"] = round(row["current"]["seconds"] / row["baseline"]["seconds"], 3)
                row["cpu_ratio"] = round(row["current"]["cpu_seconds"] / row["baseline"]["cpu_seconds"], 3)
                row["identical"] = same_outputs(outs / f"baseline_{n}", outs / f"current_{n}")
            row["load_after"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if not args.inputs:
                path.unlink()
    result = {"command": "python -m analyzer run INPUT -o OUT -q (OMP_NUM_THREADS=1)", "python": sys.version.split()[0],
              "machine": platform.machine(), "cpus": os.cpu_count(), "baseline": str(args.baseline),
              "current": str(args.current), "runs": rows}
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.md_out:
        args.md_out.write_text("\n".join(table(rows)) + "\n", encoding="utf-8")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
