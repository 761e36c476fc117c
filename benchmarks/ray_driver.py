"""Where the driver of ``--engine ray`` spends its CPU: the CLI run, in a fresh process whose
engine functions are wrapped to count, for each step, the whole process's CPU seconds
(``time.process_time``: Ray's and Ray Data's threads in the driver included), the main thread's
(``time.thread_time``) and the wall time:

- the imports of the CLI, ``build_pipeline`` (the stages, models loaded), ``import ray``
  (``require_ray``), ``ray.init`` (``engines.ray._start``; Ray's own processes are not the
  driver's), the object-store puts (``_shared``), the stream (``_merge``: the merge loop on the
  main thread while Ray Data's executor runs on its own), ``ray.shutdown``;
- the rest of the process: the CLI's end phase (aggregation, tables, report), as in the local run.

Input: ``ray_overhead.py``'s files (``--work``: N real comments split into 4 files).

    python benchmarks/ray_driver.py --n 200000 --repeat 2 --out benchmarks/results/ray_driver_s16
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRAPPED = r"""
import functools, json, os, sys, threading, time
STEPS, STREAM_THREADS = {}, {}  # STREAM_THREADS: the driver's threads' CPU s during the stream, by name
TICK = os.sysconf("SC_CLK_TCK")
def threads():  # {thread id: (its name, its CPU seconds so far)} of this process, Ray's C++ threads included
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    python = {t.native_id: "python thread " + t.name.split("-")[0].split("(")[0] for t in threading.enumerate()}
    python[threading.main_thread().native_id] = "main thread"
    return {tid: (python.get(tid, name), seconds) for tid, (name, seconds) in out.items()}
def watch(seen, stop):  # each thread's last seen CPU: one that ends during the stream keeps what it used (to ~0.5 s)
    while not stop.wait(0.5):
        seen.update(threads())
def count(module, name, label):
    fn = getattr(module, name)
    @functools.wraps(fn)
    def counted(*args, **kwargs):
        cpu, thread, wall, before = time.process_time(), time.thread_time(), time.perf_counter(), threads()
        seen, stop = dict(before), threading.Event()
        if label.startswith("stream"):
            threading.Thread(target=watch, args=(seen, stop), daemon=True).start()
        try:
            return fn(*args, **kwargs)
        finally:
            stop.set()
            step = STEPS.setdefault(label, {"cpu_s": 0.0, "main_thread_cpu_s": 0.0, "wall_s": 0.0})
            step["cpu_s"] += time.process_time() - cpu
            step["main_thread_cpu_s"] += time.thread_time() - thread
            step["wall_s"] += time.perf_counter() - wall
            if label.startswith("stream"):
                by_name = {}
                seen.update(threads())
                for tid, (name, seconds) in seen.items():
                    by_name[name] = by_name.get(name, 0.0) + seconds - before.get(tid, (name, 0.0))[1]
                STREAM_THREADS.update({k: round(v, 2) for k, v in sorted(by_name.items(), key=lambda kv: -kv[1]) if v >= 0.05})
    setattr(module, name, counted)
cpu = time.process_time()
import analyzer.cli as cli, analyzer.runner as runner, analyzer.engines.ray as engine
STEPS["imports (analyzer.cli)"] = {"cpu_s": time.process_time() - cpu}
for module, name, label in ((runner, "build_pipeline", "build_pipeline"), (engine, "require_ray", "import ray"),
                            (engine, "_start", "ray.init"), (engine, "_shared", "ray.put (head, pipeline)"),
                            (engine, "_merge", "stream (_merge)"), (engine, "run_ray", "run_ray (all of it)")):
    count(module, name, label)
import ray
count(ray, "shutdown", "ray.shutdown")
code = cli.main(sys.argv[1:])
STEPS["whole process"] = {"cpu_s": time.process_time()}
print("DRIVER " + json.dumps({"steps": {k: {n: round(v, 3) for n, v in step.items()} for k, step in STEPS.items()},
                              "stream_threads": STREAM_THREADS}))
sys.exit(code)  # a failed run fails the benchmark
"""


RAY_STEPS = ("import ray", "ray.init", "ray.put (head, pipeline)", "stream (_merge)", "ray.shutdown")


def one_run(tree: Path, inputs: list[str], work: Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(tree))
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", WRAPPED, "run", *inputs, "-o", str(work / "out"), "--config",
                           str(work / "config.toml"), "--engine", "ray", "--num-workers", "2", "-q"],
                          env=env, cwd=tree, capture_output=True, text=True, check=True)
    found = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("DRIVER "))[7:])
    manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    return {"load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2), **found,
            "timings": {k: manifest["timings"][k] for k in ("load", "aggregate", "report", "total")}}


def markdown(record: dict) -> str:
    names = list(record["runs"][0]["steps"])
    lines = ["# The Ray run's driver, step by step (`benchmarks/ray_driver.py`)\n",
             f"`{record['command']}`: `analyzer run --engine ray --num-workers 2` on {record['n']:,} real comments "
             "(4 files), tree " + record["tree"] + ". Each cell: process CPU s (all the driver's threads) / main "
             "thread CPU s / wall s; the end phase is the whole process less the CLI imports, the build and "
             "`run_ray`; the rest of `run_ray` is `import ray.data` and the dataset's set-up.\n",
             "| run | load before / after | " + " | ".join(names) + " | rest of run_ray, CPU s | end phase and the rest, "
             "CPU s |", "|---" * (4 + len(names)) + "|"]
    for i, run in enumerate(record["runs"], 1):
        steps = run["steps"]
        cells = [" / ".join(str(steps[n][k]) for k in ("cpu_s", "main_thread_cpu_s", "wall_s") if k in steps[n])
                 for n in names]
        inside = steps["run_ray (all of it)"]["cpu_s"] - sum(steps[n]["cpu_s"] for n in RAY_STEPS)
        rest = steps["whole process"]["cpu_s"] - sum(steps[n]["cpu_s"] for n in
                                                     ("imports (analyzer.cli)", "build_pipeline", "run_ray (all of it)"))
        lines.append(f"| {i} | {run['load_before']} / {run['load_after']} | " + " | ".join(cells)
                     + f" | {inside:.2f} | {rest:.2f} |")
    for i, run in enumerate(record["runs"], 1):
        lines.append(f"\nRun {i}, the driver's threads during the stream (CPU s, by thread name, at least 0.05): "
                     + ", ".join(f"{name} {cpu}" for name, cpu in run["stream_threads"].items()) + ".")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--work", type=Path, help="where the input is written and kept (ray_overhead.py --work)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ray_driver"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ray_overhead as ro

    record = {"command": " ".join(["python benchmarks/ray_driver.py", *sys.argv[1:]]), "n": args.n,
              "tree": str(args.tree), "runs": []}
    with tempfile.TemporaryDirectory(prefix="ray_driver_") as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(ro.CONFIG)
        _, inputs = ro._input(argparse.Namespace(work=args.work, n=args.n, files=4, data=args.data), work)
        for _ in range(args.repeat):
            record["runs"].append(one_run(args.tree, inputs, work))
            print(json.dumps(record["runs"][-1]), flush=True)
    Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(record), encoding="utf-8")


if __name__ == "__main__":
    main()
