"""``analyzer run`` (the CLI users run) with ``--workers 1`` beside ``--workers 2`` (and more),
on the same real comments, in the same run: wall and CPU seconds, the ratio to one worker,
peak memory of the whole process tree, and whether the outputs are identical.

The input is N real comments from ``--data`` (default ``../shared/data``), written as in
``benchmarks/cli_speed.py`` (same texts, same seeded order, a drama, region and platform per
record) to a temporary file that is deleted after the run; no text is kept.

Each setting runs ``python -m analyzer run INPUT -o OUT -q --workers W`` as a subprocess under
``/usr/bin/time -v`` (CPU seconds of the CLI and its worker processes) while a sampler reads
``/proc`` every 0.1 s and keeps the peak of the summed RSS and PSS (``smaps_rollup``: pages
shared between the processes counted once) of the whole process tree. ``--repeat`` runs the
settings again in reverse order and keeps each setting's fastest wall time (other jobs on the
machine slow some runs). Outputs of every setting are compared with ``--workers 1`` by the
digests of ``tests/golden_outputs.py`` (tables, resonance.csv/json, rejects, comment rows).

    python benchmarks/workers_speed.py --n 20000 200000 --workers 1 2 auto \\
        --json-out benchmarks/results/workers_speed.json --md-out benchmarks/results/workers_speed.md
    (``--append`` adds rows, e.g. more sizes with other settings, to an existing --json-out;
    ``--write-doc --json-out FILE`` rewrites the table in docs/speed.md from it)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cli_speed import BLAS_ENV, real_texts, write_input  # noqa: E402

from tests.golden_outputs import folder_digests  # noqa: E402


def _children() -> dict[int, list[int]]:
    """ppid -> pids, for every process on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _kb(path: str, field: str) -> int:
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory:
    """Peak summed RSS and PSS (KiB) and the most processes of the tree under ``pid``."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.peak_rss = self.peak_pss = self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, pids, todo = _children(), [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, ()))
            pids = pids[1:]  # /usr/bin/time itself is left out
            self.peak_rss = max(self.peak_rss, sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
            self.most_processes = max(self.most_processes, len(pids))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_cli(input_path: Path, out: Path, workers: str, nice: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env.update(PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "analyzer", "run", str(input_path), "-o", str(out), "-q",
           "--workers", workers]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"analyzer run --workers {workers} failed:\n{stderr[-3000:]}")
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", stderr).group(1)) for kind in ("User", "System"))
    timings = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["timings"]
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "workers_used": timings.get("workers", 1),
            "peak_tree_rss_mb": round(memory.peak_rss / 1024, 1), "peak_tree_pss_mb": round(memory.peak_pss / 1024, 1),
            "processes": memory.most_processes, "timings": timings}


def measure(n: int, texts: list[str], settings: list[str], repeat: int, nice: int, tmp: Path) -> dict:
    input_path = tmp / f"comments_{n}.jsonl"
    row: dict = {"input": write_input(input_path, texts, n), "load_before": round(os.getloadavg()[0], 2), "runs": {}}
    digests: dict[str, dict] = {}
    for r in range(repeat):
        for workers in settings if r % 2 == 0 else settings[::-1]:
            out = tmp / f"out_{n}_{workers}_{r}"
            result = run_cli(input_path, out, workers, nice)
            digests.setdefault(workers, folder_digests(out))
            best = row["runs"].get(workers)
            if best is None or result["seconds"] < best["seconds"]:
                row["runs"][workers] = result
            print(json.dumps({"n": n, "workers": workers, "repeat": r, **{k: v for k, v in result.items() if k != "timings"}}),
                  flush=True)
    base = row["runs"][settings[0]]
    for workers, result in row["runs"].items():
        result["comments_per_s"] = round(n / result["seconds"], 1)
        result["comments_per_cpu_s"] = round(n / result["cpu_seconds"], 1)
        result["speedup_wall"] = round(base["seconds"] / result["seconds"], 2)
        result["cpu_ratio"] = round(result["cpu_seconds"] / base["cpu_seconds"], 2)
        result["outputs_identical"] = digests[workers] == digests[settings[0]]
    row["load_after"] = round(os.getloadavg()[0], 2)
    input_path.unlink()
    return row


def markdown(result: dict) -> str:
    lines = [
        "# `analyzer run --workers`: one process beside several, same run",
        "",
        f"`{result['command']}` on real comments (`benchmarks/cli_speed.py` input), {result['cpus']} CPUs, "
        f"Python {result['python']}, best of {result['repeat']} per setting, `nice {result['nice']}`. "
        "Speed-up = wall seconds of the first setting / this setting's; CPU ratio = CPU seconds (user + "
        "system, the CLI and its workers) / the first setting's. Memory: peak of the summed RSS / PSS of "
        "the whole process tree, sampled every 0.1 s. Regenerate: `python benchmarks/workers_speed.py "
        "--n 20000 200000 --workers 1 2 auto --json-out benchmarks/results/workers_speed.json "
        "--md-out benchmarks/results/workers_speed.md`.",
        "",
        "| comments | --workers | used | wall s | comments/s | speed-up | CPU s | CPU ratio | tree RSS MB | tree PSS MB "
        "| processes | outputs = workers 1 | load avg before/after |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in result["rows"]:
        for workers, r in row["runs"].items():
            lines.append(f"| {row['input']['n']:,} | {workers} | {r['workers_used']} | {r['seconds']} | {r['comments_per_s']:,} "
                         f"| {r['speedup_wall']}x | {r['cpu_seconds']} | {r['cpu_ratio']} | {r['peak_tree_rss_mb']} "
                         f"| {r['peak_tree_pss_mb']} | {r['processes']} | {'yes' if r['outputs_identical'] else 'NO'} "
                         f"| {row['load_before']} / {row['load_after']} |")
    lines += ["", "Per phase and stage (seconds from each run's manifest; stage seconds on workers add up over them):", ""]
    for row in result["rows"]:
        for workers, r in row["runs"].items():
            t = r["timings"]
            phases = ", ".join(f"{k} {v}" for k, v in t.items() if isinstance(v, (int, float)) and k not in ("workers", "seconds"))
            stages = ", ".join(f"{k} {v}" for k, v in t.get("per_stage", {}).items())
            lines.append(f"- {row['input']['n']:,} comments, --workers {workers}: {phases}; stages: {stages}")
    return "\n".join(lines) + "\n"


DOC = ROOT / "docs" / "speed.md"
MARKERS = ("<!-- workers-table:start -->", "<!-- workers-table:end -->")


def doc_table(result: dict) -> str:
    """The table of docs/speed.md's `--workers` section, from the JSON results."""
    lines = [f"`benchmarks/workers_speed.py` ({result['cpus']} CPUs shared with other jobs; load average per row; "
             "`benchmarks/results/workers_speed.md` has the per-stage seconds):", "",
             "| comments | --workers | wall s | comments/s | speed-up | CPU s | CPU ratio | tree RSS MB | tree PSS MB "
             "| outputs identical | load avg |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for row in result["rows"]:
        for workers, r in row["runs"].items():
            lines.append(f"| {row['input']['n']:,} | {workers} | {r['seconds']} | {r['comments_per_s']:,} | {r['speedup_wall']}x "
                         f"| {r['cpu_seconds']} | {r['cpu_ratio']} | {r['peak_tree_rss_mb']} | {r['peak_tree_pss_mb']} "
                         f"| {'yes' if r['outputs_identical'] else 'NO'} | {row['load_before']}-{row['load_after']} |")
    return "\n".join(lines)


def rewrite_doc(doc: str, table: str) -> str:
    start, end = doc.index(MARKERS[0]) + len(MARKERS[0]), doc.index(MARKERS[1])
    return doc[:start] + "\n" + table + "\n" + doc[end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--workers", nargs="+", default=["1", "2", "auto"], help="settings; the first is the baseline")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--nice", type=int, default=5)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--md-out", type=Path)
    parser.add_argument("--append", action="store_true", help="add the rows to those already in --json-out")
    parser.add_argument("--write-doc", action="store_true",
                        help="only rewrite docs/speed.md's table from --json-out (measures nothing)")
    args = parser.parse_args()
    if args.write_doc:
        result = json.loads(args.json_out.read_text(encoding="utf-8"))
        DOC.write_text(rewrite_doc(DOC.read_text(encoding="utf-8"), doc_table(result)), encoding="utf-8")
        return
    texts = real_texts(args.data)
    result = {"command": "python -m analyzer run INPUT -o OUT -q --workers W", "python": sys.version.split()[0],
              "cpus": os.cpu_count(), "repeat": args.repeat, "nice": args.nice, "rows": []}
    if args.append and args.json_out and args.json_out.exists():
        result["rows"] = json.loads(args.json_out.read_text(encoding="utf-8"))["rows"]
    with tempfile.TemporaryDirectory(prefix="workers_speed_") as tmp:
        for n in args.n:  # the files are rewritten after each size, so a long run keeps what it measured
            result["rows"].append(measure(n, texts, args.workers, args.repeat, args.nice, Path(tmp)))
            if args.json_out:
                args.json_out.parent.mkdir(parents=True, exist_ok=True)
                args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            if args.md_out:
                args.md_out.write_text(markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
