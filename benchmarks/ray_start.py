"""What starting Ray costs the driver of ``--engine ray`` (the serial part before any actor works).

Each try is a fresh Python process that does what the engine does when the run starts Ray
itself: ``import ray, ray.data`` and ``ray.init`` with the engine's own options
(``engines.ray._start``), then ``ray.shutdown``. It reports the wall time of each step and the
CPU time the driver process spent in it: ``ray.init`` mostly waits for Ray's own processes (GCS,
raylet, dashboard, monitors, agents) to come up (starting Ray on a thread while the driver builds
its stages was tried and reverted: docs/ray.md, fourteenth session).

    nice -n 5 python benchmarks/ray_start.py --repeat 3 --out benchmarks/results/ray_start

With ``--processes SECONDS``: instead, the processes such a start leaves running (Ray's and, after
one small Ray Data run, Ray Data's helper actors) and the CPU each used by then.

With ``--cli-n N --trees A B [--variants LABEL:NAME=VALUE,...]``: instead, ``analyzer run --engine
ray --num-workers 2`` on N real comments (``ray_overhead.py``'s input and sampler), each tree once per
variant (its environment), alternated ``--repeat`` times: when
the first of our actors used CPU (the end of the serial start) and the run's wall and CPU time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TRY = r"""
import json, os, time
def step(name, fn, out):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    out[name] = {"wall_s": round(time.perf_counter() - wall, 3), "driver_cpu_s": round(time.process_time() - cpu, 3)}
out = {}
def imports():
    import ray, ray.data  # noqa: F401
step("import ray, ray.data", imports, out)
import ray
from analyzer.config import Config
from analyzer.engines.ray import _start
step("ray.init (engines.ray._start)", lambda: _start(ray, Config()), out)
step("ray.shutdown", ray.shutdown, out)
print(json.dumps(out))
"""


PROCESSES = r"""
import json, sys, time
import psutil
start = time.perf_counter()
import ray, ray.data
from analyzer.config import Config
from analyzer.engines.ray import _start
_start(ray, Config())
class Same:
    def __call__(self, batch):
        return batch
if sys.argv[2] == "dataset":  # one Ray Data run with an actor pool, as the engine's: Ray Data's helper actors start
    ray.data.DataContext.get_current().enable_progress_bars = False
    ray.data.range(4).map_batches(Same, batch_size=1, compute=ray.data.ActorPoolStrategy(size=1)).take_all()
time.sleep(max(0.0, float(sys.argv[1]) - (time.perf_counter() - start)))
rows = []
for proc in [psutil.Process()] + psutil.Process().children(recursive=True):
    try:
        times, argv = proc.cpu_times(), proc.cmdline()
    except psutil.Error:
        continue
    title = argv[0].split(" ")[0] if argv and argv[0].startswith("ray::") else next(
        (a.rsplit("/", 1)[-1] for a in argv[1:3] if a.endswith(".py")), argv[0].rsplit("/", 1)[-1] if argv else "?")
    rows.append([title if proc.pid != psutil.Process().pid else "driver", round(times.user + times.system, 2)])
print(json.dumps(sorted(rows, key=lambda r: -r[1])))
ray.shutdown()
"""


def processes_try(tree: Path, window: float, dataset: bool) -> dict:
    """The processes of a Ray started as the engine starts it and their CPU seconds ``window`` s
    after the driver began (with ``dataset``: after one small Ray Data run with an actor pool)."""
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1")
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", PROCESSES, str(window), "dataset" if dataset else "init"], env=env,
                          cwd=tree, capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return {"load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2), "dataset": dataset,
            "processes": rows, "cpu_s": round(sum(cpu for _, cpu in rows), 2)}


def processes_markdown(record: dict) -> str:
    lines = ["# The processes Ray starts for the engine, CPU in the first seconds (`benchmarks/ray_start.py "
             "--processes`)\n", f"`{record['command']}`: each try a fresh process starts Ray as the engine does "
             f"(`engines.ray._start`: `ray.init(num_cpus={os.cpu_count()}, include_dashboard=False, "
             "log_to_driver=False, ...)`), with `dataset` also one small Ray Data run with an actor pool; every "
             f"process's CPU seconds (user + system) {record['window']} s after the driver began.\n"]
    for one in record["tries"]:
        lines.append(f"- {'ray.init + one dataset' if one['dataset'] else 'ray.init only'} (load "
                     f"{one['load_before']} / {one['load_after']}): **{one['cpu_s']} CPU s**: "
                     + ", ".join(f"{name} {cpu}" for name, cpu in one["processes"]))
    return "\n".join(lines) + "\n"


def one_try(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1")
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", TRY], env=env, cwd=tree, capture_output=True, text=True, check=True)
    return {"load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "steps": json.loads(done.stdout.strip().splitlines()[-1])}


def cli_runs(args: argparse.Namespace) -> dict:
    """Ray CLI runs of each tree, alternated: the start phase's length from the CPU timeline."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import tempfile

    import ray_overhead as ro

    record = {"command": " ".join(["python benchmarks/ray_start.py", *sys.argv[1:]]), "n": args.cli_n, "runs": []}
    with tempfile.TemporaryDirectory(prefix="ray_start_") as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(ro.CONFIG)
        _, inputs = ro._input(argparse.Namespace(work=args.work, n=args.cli_n, files=4, data=args.data), work)
        for i in range(args.repeat):
            for tree, (label, env) in itertools.product(args.trees, _variants(args.variants)):
                run = ro.run_cli(tree, [*inputs, "-o", str(work / "out"), "--config", str(work / "config.toml"),
                                        "--engine", "ray", "--num-workers", "2"], env)
                first = next((t for t, cpu in run["cpu_timeline"] if any(cpu.get(a, 0) > 0 for a in ro.ACTORS)), None)
                one = {"tree": str(tree), "variant": label, "try": i + 1, "first_actor_s": first,
                       "wall_s": run["seconds"], "cpu_s": run["cpu_seconds"], "cpu_by_role": run["cpu_by_role"],
                       "cpu_by_process": run["cpu_by_process"], "load_before": run["load_before"][0],
                       "load_after": run["load_after"][0]}
                record["runs"].append(one)
                print(json.dumps(one), flush=True)
    return record


def _variants(specs: list[str]) -> list[tuple[str, dict[str, str]]]:
    """``LABEL`` or ``LABEL:NAME=VALUE,NAME=VALUE`` -> (label, environment for the run)."""
    out = []
    for spec in specs:
        label, _, pairs = spec.partition(":")
        out.append((label, dict(pair.split("=", 1) for pair in pairs.split(",") if pair)))
    return out


def cli_markdown(record: dict) -> str:
    lines = ["# Ray's start in the CLI run, trees alternated (`benchmarks/ray_start.py --cli-n`)\n",
             f"`{record['command']}`: `analyzer run --engine ray --num-workers 2` on {record['n']:,} real comments; "
             "first actor: when the first of our actors was seen using CPU (sampled every ~1 s).\n",
             "| try | tree | variant | first actor at, s | wall s | CPU s | load before / after |",
             "|---|---|---|---|---|---|---|"]
    for one in record["runs"]:
        lines.append(f"| {one['try']} | {one['tree']} | {one.get('variant', '')} | {one['first_actor_s']} | "
                     f"{one['wall_s']} | {one['cpu_s']} | {one['load_before']} / {one['load_after']} |")
    return "\n".join(lines) + "\n"


def markdown(record: dict) -> str:
    names = list(record["tries"][0]["steps"])
    lines = ["# What starting Ray costs the driver (`benchmarks/ray_start.py`)\n", f"`{record['command']}`, tree "
             f"{record['tree']}, {record['cpus']} cores shared with other jobs. Each try a fresh process; wall s / "
             "driver CPU s per step.\n", "| try | load before / after | " + " | ".join(names) + " |",
             "|---" * (2 + len(names)) + "|"]
    for i, one in enumerate(record["tries"], 1):
        cells = [f"{one['steps'][n]['wall_s']} / {one['steps'][n]['driver_cpu_s']}" for n in names]
        lines.append(f"| {i} | {one['load_before']} / {one['load_after']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ray_start"))
    parser.add_argument("--cli-n", type=int, help="instead: CLI runs on this many comments (see the module)")
    parser.add_argument("--trees", type=Path, nargs="+", default=[ROOT])
    parser.add_argument("--variants", nargs="+", default=["default"], metavar="LABEL[:NAME=VALUE,...]",
                        help="with --cli-n: each tree is run once per variant (its environment), alternated")
    parser.add_argument("--work", type=Path, help="where the CLI input is written and kept (ray_overhead.py --work)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--processes", type=float, metavar="SECONDS",
                        help="instead: the processes Ray starts and their CPU this many seconds after the start, "
                             "ray.init alone and with one small dataset, alternated --repeat times")
    args = parser.parse_args()
    if args.processes:
        record = {"command": " ".join(["python benchmarks/ray_start.py", *sys.argv[1:]]), "window": args.processes,
                  "tries": [processes_try(args.tree, args.processes, dataset) for _ in range(args.repeat)
                            for dataset in (False, True)]}
        Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        Path(args.out + ".md").write_text(processes_markdown(record), encoding="utf-8")
        return
    if args.cli_n:
        record = cli_runs(args)
        Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        Path(args.out + ".md").write_text(cli_markdown(record), encoding="utf-8")
        return
    record = {"command": " ".join(["python benchmarks/ray_start.py", *sys.argv[1:]]), "tree": args.label or str(args.tree),
              "cpus": os.cpu_count(), "tries": []}
    for _ in range(args.repeat):
        record["tries"].append(one_try(args.tree))
        print(json.dumps(record["tries"][-1]), flush=True)
    Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(record), encoding="utf-8")


if __name__ == "__main__":
    main()
