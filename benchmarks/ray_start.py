"""What starting Ray costs the driver of ``--engine ray`` (the serial part before any actor works).

Each try is a fresh Python process that does what the engine does when the run starts Ray
itself: ``import ray, ray.data`` and ``ray.init`` with the engine's own options
(``engines.ray._start``), then ``ray.shutdown``. It reports the wall time of each step and the
CPU time the driver process spent in it: ``ray.init`` mostly waits for Ray's own processes (GCS,
raylet, dashboard, monitors, agents) to come up, which is why the engine now starts Ray on a
thread while the driver builds its stages (``engines.ray.starting``).

    nice -n 5 python benchmarks/ray_start.py --repeat 3 --out benchmarks/results/ray_start

With ``--cli-n N --trees A B``: instead, ``analyzer run --engine ray --num-workers 2`` on N real
comments (``ray_overhead.py``'s input and sampler), the trees alternated ``--repeat`` times: when
the first of our actors used CPU (the end of the serial start) and the run's wall and CPU time.
"""

from __future__ import annotations

import argparse
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
            for tree in args.trees:
                run = ro.run_cli(tree, [*inputs, "-o", str(work / "out"), "--config", str(work / "config.toml"),
                                        "--engine", "ray", "--num-workers", "2"])
                first = next((t for t, cpu in run["cpu_timeline"] if any(cpu.get(a, 0) > 0 for a in ro.ACTORS)), None)
                one = {"tree": str(tree), "try": i + 1, "first_actor_s": first, "wall_s": run["seconds"],
                       "cpu_s": run["cpu_seconds"], "load_before": run["load_before"][0], "load_after": run["load_after"][0]}
                record["runs"].append(one)
                print(json.dumps(one), flush=True)
    return record


def cli_markdown(record: dict) -> str:
    lines = ["# Ray's start in the CLI run, trees alternated (`benchmarks/ray_start.py --cli-n`)\n",
             f"`{record['command']}`: `analyzer run --engine ray --num-workers 2` on {record['n']:,} real comments; "
             "first actor: when the first of our actors was seen using CPU (sampled every ~1 s).\n",
             "| try | tree | first actor at, s | wall s | CPU s | load before / after |", "|---|---|---|---|---|---|"]
    for one in record["runs"]:
        lines.append(f"| {one['try']} | {one['tree']} | {one['first_actor_s']} | {one['wall_s']} | {one['cpu_s']} | "
                     f"{one['load_before']} / {one['load_after']} |")
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
    parser.add_argument("--work", type=Path, help="where the CLI input is written and kept (ray_overhead.py --work)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
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
