"""Ray's overhead on one machine: ``--engine ray --num-workers W`` vs the local engine with
``--workers W``, on the same real comments, through the CLI users run, in one session.

The input is N real comments (``cli_speed.write_input``: every text under ``--data``, cycled,
with a drama, region and platform), split round-robin into ``--files`` JSONL files so the Ray
read actors can share them; both engines read the same files. Runs alternate local / ray
``--repeat`` times so both see the same load. Each run is a fresh CLI process; a sampler polls
its whole process tree (psutil, every 0.5 s: the driver, the local engine's worker processes,
Ray's actors and Ray's own processes: raylet, GCS, idle workers) and keeps each process's last
CPU time (user + system; up to 0.5 s short per process) and peak RSS/USS. CPU seconds are the primary figure
(the 2-core machine is shared); wall seconds and the load average before and after each run are
recorded beside them. Each pair checks that resonance.csv, the tables, rejects and the
manifest's counts are identical.

    nice -n 5 python benchmarks/ray_overhead.py --n 200000 --workers 2

With ``--cluster``, each pair also runs against a cluster already up (``ray start --head``, its
processes marked by their own temporary folder and stopped by their ids afterwards): the local run
beside the idle cluster, then ``--engine ray --address`` twice (``cluster_pair``), the cluster's
processes counted in each Ray run from its start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from cli_speed import real_texts, write_input  # noqa: E402

from analyzer.manifest import load_manifest  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CONFIG = '[privacy]\nauthor_key = "benchmark-key"\n'
TABLES = ["resonance.csv", "tables/cells.csv", "tables/windows.csv", "tables/themes.csv", "tables/quotes.csv",
          "rejects.jsonl"]
ACTORS = ("ReadActor", "ReplayActor", "AnnotateActor")


class TreeSampler(threading.Thread):
    """Last-seen CPU seconds (user + system) and peak RSS of every process under ``pid``, by role."""

    def __init__(self, pid: int, trace: Path | None = None, cluster: "Cluster | None" = None) -> None:
        super().__init__(daemon=True)
        self.root, self.stop = psutil.Process(pid), threading.Event()
        # a running cluster's processes (and the workers it starts for this run): their CPU counts
        # from the run's start (what each had used before is ``before``)
        self.cluster, self.before = cluster, cluster.cpu_now() if cluster else {}
        self.trace = trace  # gets the peaks so far every ~10 s (JSON lines): a long run's figures if it is stopped
        self.cpu: dict[int, tuple[str, float]] = {}
        self.rss: dict[int, tuple[str, float]] = {}
        self.uss: dict[int, tuple[str, float]] = {}
        self.own: dict[int, tuple[str, float]] = {}  # USS outside the object store, sampled every ~10 s
        self.timeline: list[tuple[float, dict[str, float]]] = []  # every ~10 s: largest USS per role now
        self.titles: dict[int, str] = {}  # what each process is (Ray's own: raylet, dashboard, helper actors)
        self.lives: dict[int, dict] = {}  # every title each Ray worker process had, in order, and when it was first seen
        self.cpu_timeline: list[tuple[float, dict[str, float]]] = []  # every ~1 s: CPU seconds so far per role
        self.started = time.perf_counter()

    def run(self) -> None:
        ticks = 0
        while not self.stop.is_set():
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            procs += self.cluster.processes() if self.cluster else []
            for proc in procs:
                try:
                    role = self._role(proc, self.cpu.get(proc.pid, (None,))[0])
                    times, memory = proc.cpu_times(), proc.memory_full_info()
                except psutil.Error:
                    continue
                self.cpu[proc.pid] = (role, times.user + times.system - self.before.get(proc.pid, 0.0))
                self._retitle(proc)
                for name, peaks in (("rss", self.rss), ("uss", self.uss)):
                    peaks[proc.pid] = (role, max(getattr(memory, name) / 2**20, peaks.get(proc.pid, ("", 0.0))[1]))
                if ticks % 20 == 0:
                    self._mark(role, memory.uss / 2**20)
                    if role in ACTORS or role == "driver":
                        self._own(proc, role)
            if ticks % 2 == 0:
                self._mark_cpu()
            if self.trace is not None and ticks % 20 == 0:
                self._write_trace()
            ticks += 1
            time.sleep(0.5)

    def _mark_cpu(self) -> None:
        """The CPU seconds each role has used so far (where a run's wall time goes: which
        processes are busy in each second, and when a core sits idle)."""
        cpu: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            cpu[role] = cpu.get(role, 0.0) + seconds
        self.cpu_timeline.append((round(time.perf_counter() - self.started, 1), {k: round(v, 2) for k, v in cpu.items()}))

    def _write_trace(self) -> None:
        cpu, rss, uss, own = self.by_role()
        line = {"seconds": round(time.perf_counter() - self.started), "cpu_by_role": cpu, "peak_rss_mib_by_role": rss,
                "peak_uss_mib_by_role": uss, "peak_uss_outside_store_mib_by_role": own}
        with open(self.trace, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def _own(self, proc: psutil.Process, role: str) -> None:
        """Peak private memory outside Ray's object store (its /dev/shm plasma file, whose
        pages count as private to the last process that maps them), every ~10 s."""
        try:
            own = sum(m.private_clean + m.private_dirty for m in proc.memory_maps(grouped=True)
                      if "plasma" not in m.path and "/dev/shm" not in m.path) / 2**20
        except psutil.Error:
            return
        self.own[proc.pid] = (role, max(own, self.own.get(proc.pid, ("", 0.0))[1]))
        self._mark(f"{role} outside store", own)

    def _retitle(self, proc: psutil.Process) -> None:
        """What the process is: a Ray worker starts as ``default_worker.py`` / ``ray::IDLE`` and
        takes its actor's title later (``ray::_StatsActor``, Ray Data's helper actors included)."""
        known = self.titles.get(proc.pid, "")
        title = _title(proc)
        self._live(proc.pid, title)
        if known.startswith("ray::") and known != "ray::IDLE":
            return
        if not known or title.startswith("ray::"):
            self.titles[proc.pid] = title

    def _live(self, pid: int, title: str) -> None:
        """Keep the titles a process goes through (a Ray worker: ``ray::IDLE``, then its actor's or
        task's name, its calls' names stripped), so a run's census says which workers were started
        ahead (``ray.init`` prestarts one per CPU) and what each did."""
        life = self.lives.setdefault(pid, {"seen_s": round(time.perf_counter() - self.started, 1), "titles": []})
        title = title.split(".")[0] if title.startswith("ray::") else title
        if title != "?" and title not in life["titles"]:
            life["titles"].append(title)

    def census(self) -> list[dict]:
        """The run's Ray worker processes (ours and Ray Data's), in the order they were first seen:
        when, the titles each had, its CPU seconds."""
        rows = []
        for pid, life in sorted(self.lives.items(), key=lambda item: item[1]["seen_s"]):
            if any(t.startswith("ray::") for t in life["titles"]) and pid in self.cpu:
                rows.append({**life, "cpu_s": round(self.cpu[pid][1], 1)})
        return rows

    def _mark(self, role: str, mib: float) -> None:
        seconds = round(time.perf_counter() - self.started)
        if not self.timeline or self.timeline[-1][0] != seconds:
            self.timeline.append((seconds, {}))
        now = self.timeline[-1][1]
        now[role] = round(max(now.get(role, 0.0), mib), 1)

    def _role(self, proc: psutil.Process, before: str | None) -> str:
        """The process's role; an actor keeps its role once seen (a Ray worker starts as an idle
        ``ray::IDLE``, and an exiting process shows no command line)."""
        if proc.pid == self.root.pid:
            return "driver"
        if before in ACTORS:
            return before
        argv = proc.cmdline()
        if not argv and before:
            return before
        title = " ".join(argv)
        for name in ACTORS:
            if name in title:
                return name
        if argv[1:3] == ["-m", "analyzer"] or "multiprocessing" in title:
            return "worker processes"  # the local engine's pool (the same command line as the driver)
        if "ray::" in title or "/ray/_private/workers/" in title:
            return "ray other workers"
        return "ray system (raylet, GCS, ...)"

    def by_process(self, at_least: float = 0.5) -> list[list]:
        """[role, what, CPU seconds] of each process that used at least ``at_least``, most first."""
        rows = [[role, self.titles.get(pid, "?"), round(cpu, 1)] for pid, (role, cpu) in self.cpu.items()
                if cpu >= at_least]
        return sorted(rows, key=lambda row: -row[2])

    def by_role(self) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, float]]:
        """CPU seconds per role (summed over its processes), peak RSS, USS and USS outside the
        object store per role (the largest process)."""
        cpu: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            cpu[role] = cpu.get(role, 0.0) + seconds
        peaks = []
        for table in (self.rss, self.uss, self.own):
            peak: dict[str, float] = {}
            for role, mib in table.values():
                peak[role] = max(peak.get(role, 0.0), mib)
            peaks.append({k: round(v, 1) for k, v in sorted(peak.items())})
        return {k: round(v, 1) for k, v in sorted(cpu.items())}, *peaks


def _title(proc: psutil.Process) -> str:
    """A process's short name: a Ray worker's title (``ray::...``), a script's or a binary's file name."""
    try:
        argv = proc.cmdline()
    except psutil.Error:
        return "?"
    if not argv:
        return "?"
    if argv[0].startswith("ray::"):
        return argv[0].split(" ")[0]
    script = next((a for a in argv[1:3] if a.endswith(".py")), None)
    return Path(script or argv[0]).name + (" -m " + argv[2] if argv[1:2] == ["-m"] else "")


class Cluster:
    """``ray start --head`` on this machine, its own temporary folder marking its processes (GCS,
    raylet, dashboard, monitors, agents; the workers it starts are the raylet's children), as a
    platform's already-running cluster would be; ``address`` is what ``--address`` gets."""

    def __init__(self, tree: Path, cpus: int, folder: Path) -> None:
        self.folder, self.env = folder, dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(tree))
        ray = [str(Path(sys.executable).with_name("ray"))]
        started = subprocess.run([*ray, "start", "--head", "--num-cpus", str(cpus), "--include-dashboard=false",
                                  "--disable-usage-stats", "--port", "0", "--temp-dir", str(folder)],
                                 env=self.env, cwd=tree, capture_output=True, text=True, check=True)
        lines = started.stdout.splitlines()
        self.address = next(line.split("'")[1] for line in lines if "ray start --address=" in line)

    def processes(self) -> list[psutil.Process]:
        """The cluster's processes now, their children included."""
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            if str(self.folder) in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
                try:
                    found += proc.children(recursive=True)
                except psutil.Error:
                    pass
        return list({p.pid: p for p in found}.values())

    def cpu_now(self) -> dict[int, float]:
        out = {}
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            out[proc.pid] = times.user + times.system
        return out

    def idle_cpu(self, seconds: float) -> float:
        """CPU seconds the idle cluster uses in ``seconds`` of wall time."""
        before = self.cpu_now()
        time.sleep(seconds)
        return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in self.cpu_now().items()), 2)

    def close(self) -> None:
        """Stop this cluster's processes, by their ids (``ray stop`` would stop every Ray on the machine)."""
        procs = self.processes()
        for proc in procs:
            try:
                proc.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(procs, timeout=10)
        for proc in alive:
            try:
                proc.kill()
            except psutil.Error:
                pass


def run_cli(tree: Path, args: list[str], extra_env: dict[str, str] | None = None, trace: Path | None = None,
            cluster: Cluster | None = None) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(tree), **(extra_env or {}))
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "run", *args, "-q"], env=env, cwd=tree,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid, trace, cluster)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"analyzer run failed: {err.strip().splitlines()[-1:]}")
    cpu, rss, uss, own = sampler.by_role()
    return {"seconds": round(seconds, 2), "cpu_seconds": round(sum(cpu.values()), 1), "cpu_by_role": cpu,
            "cpu_by_process": sampler.by_process(), "worker_census": sampler.census(),
            "peak_rss_mib_by_role": rss, "peak_uss_mib_by_role": uss, "peak_uss_outside_store_mib_by_role": own,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()], "uss_timeline_mib": sampler.timeline,
            "cpu_timeline": sampler.cpu_timeline}


def same_outputs(a: Path, b: Path) -> dict:
    out = {name: (a / name).read_bytes() == (b / name).read_bytes() for name in TABLES}
    ma, mb = load_manifest(a), load_manifest(b)
    out["counts"] = ma.counts == mb.counts
    out["stage_summaries"] = ma.stage_summaries == mb.stage_summaries
    return out


def split_input(source: Path, folder: Path, files: int) -> list[str]:
    """The lines of ``source`` round-robin into ``files`` JSONL files (the same records)."""
    folder.mkdir(exist_ok=True)
    paths = [folder / f"part-{i:02d}.jsonl" for i in range(files)]
    handles = [open(p, "w", encoding="utf-8") for p in paths]
    with open(source, encoding="utf-8") as lines:
        for i, line in enumerate(lines):
            handles[i % files].write(line)
    for handle in handles:
        handle.close()
    return [str(p) for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="local/ray pairs, alternated")
    parser.add_argument("--memory-n", type=int, default=0,
                        help="also one ray run on this many comments (same files count): peak memory per role at n/memory_n less input")
    parser.add_argument("--memory-sizes", type=int, nargs="+", metavar="N",
                        help="instead: one ray run at each size (e.g. 60000 600000, past the dedup window): peak "
                             "memory per role as the input grows, written to --out (default benchmarks/results/ray_memory)")
    parser.add_argument("--stages", nargs="+", metavar="STAGE",
                        help="with --memory-sizes: run only these stages (e.g. normalize dedup link: the engine's own "
                             "memory, without the annotation stages' bounded caches)")
    parser.add_argument("--memtrace", action="store_true",
                        help="with --memory-sizes: the read and replay actors trace their Python allocations "
                             "(ANALYZER_RAY_MEMTRACE, engines/memory.py; slower) and the record gains, per actor, "
                             "traced / Arrow / USS MiB at each checkpoint and the sites that grew from a quarter of "
                             "the run to its end")
    parser.add_argument("--env", nargs="+", metavar="NAME=VALUE", default=[],
                        help="environment for the ray runs (e.g. ANALYZER_RAY_PROFILE=DIR, engines/profiling.py; with "
                             "--memory-sizes: MALLOC_ARENA_MAX=2)")
    parser.add_argument("--trace", help="with --memory-sizes: append each run's peaks so far per role every ~10 s "
                        "to TRACE.N (JSON lines), to read a run that is stopped before it ends")
    parser.add_argument("--memory-report", nargs="+", metavar="JSON",
                        help="only write OUT.json/.md from these --memory-sizes sessions' JSON files")
    parser.add_argument("--cluster", action="store_true",
                        help="each pair also runs with a cluster already up (ray start --head --num-cpus W): the "
                             "local run beside the idle cluster, then --engine ray --address to it (see cluster_pair)")
    parser.add_argument("--work", type=Path, help="where the inputs are written and kept for reuse (default: a temporary folder)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the analyzer tree to run (default: this one)")
    parser.add_argument("--label", default="", help="what the tree is (for the record)")
    parser.add_argument("--out", help="results prefix (default benchmarks/results/ray_overhead, or ray_memory)")
    parser.add_argument("--report", nargs="+", metavar="JSON",
                        help="only write OUT.json/.md from these sessions' JSON files (e.g. before and after)")
    args = parser.parse_args()
    args.out = args.out or str(RESULTS / ("ray_memory" if args.memory_sizes or args.memory_report else "ray_overhead"))
    if args.memory_report:
        sessions = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.memory_report]
        Path(args.out + ".json").write_text(json.dumps({"sessions": sessions}, indent=1) + "\n", encoding="utf-8")
        Path(args.out + ".md").write_text(memory_markdown(sessions), encoding="utf-8")
        return None
    if args.memory_sizes:
        return memory_session(args)
    if args.report:
        sessions = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.report]
        Path(args.out + ".json").write_text(json.dumps({"sessions": sessions}, indent=1) + "\n", encoding="utf-8")
        Path(args.out + ".md").write_text(markdown(sessions), encoding="utf-8")
        return
    record = {"command": " ".join(["python benchmarks/ray_overhead.py", *sys.argv[1:]]), "tree": args.label or str(args.tree),
              "cpus": os.cpu_count(), "roles": "v2", "n": args.n, "files": args.files, "workers": args.workers, "pairs": []}
    extra_env = dict(item.split("=", 1) for item in args.env)
    record["env"] = args.env
    with tempfile.TemporaryDirectory(prefix="ray_overhead_") as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(CONFIG)
        record["input"], inputs = _input(args, work)
        common = ["--config", str(work / "config.toml")]
        for i in range(args.repeat):
            local, ray = work / f"local{i}", work / f"ray{i}"
            pair = {"local": run_cli(args.tree, [*inputs, "-o", str(local), *common, "--workers", str(args.workers)])}
            pair["ray"] = run_cli(args.tree, [*inputs, "-o", str(ray), *common, "--engine", "ray",
                                              "--num-workers", str(args.workers)], extra_env)
            pair["identical"] = same_outputs(local, ray)
            pair["ray"]["engine"] = load_manifest(ray).engine
            pair["ray"]["actor_profiles"] = actor_profiles(extra_env)
            pair["cpu_ratio"] = round(pair["ray"]["cpu_seconds"] / pair["local"]["cpu_seconds"], 3)
            pair["wall_ratio"] = round(pair["ray"]["seconds"] / pair["local"]["seconds"], 3)
            if args.cluster:
                pair["cluster"] = cluster_pair(args, work, inputs, common, i, local)
            record["pairs"].append(pair)
            print(json.dumps(pair), flush=True)
            Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        if args.memory_n:
            write_input(work / "small.jsonl", real_texts(args.data), args.memory_n)
            small = split_input(work / "small.jsonl", work / "small", args.files)
            record["memory_run"] = run_cli(args.tree, [*small, "-o", str(work / "ray_small"), *common, "--engine", "ray",
                                                       "--num-workers", str(args.workers)])
            record["memory_run"]["n"] = args.memory_n
            print(json.dumps(record["memory_run"]), flush=True)
            Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def actor_profiles(env: dict[str, str]) -> list[dict]:
    """With ``ANALYZER_RAY_PROFILE=DIR`` in the Ray run's environment: each profiled actor's CPU
    split (``engines/profiling.py``: build, calls, whole process), taken out of DIR for the next run."""
    folder = Path(env.get("ANALYZER_RAY_PROFILE", "").partition(":")[0]) if env.get("ANALYZER_RAY_PROFILE") else None
    if folder is None or not folder.is_dir():
        return []
    found = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    shutil.rmtree(folder)
    return found


def cluster_pair(args: argparse.Namespace, work: Path, inputs: list[str], common: list[str], i: int,
                 local_out: Path) -> dict:
    """With a cluster already running (``ray start --head --num-cpus W``, started after the pair
    without it): the local run again (the idle cluster beside it), then ``--engine ray --address``
    to that cluster twice: the first job on it starts Ray Data's helper actors, which are detached
    (they stay up for the cluster's next jobs), the second finds them, as a platform's later jobs
    would. The cluster's CPU counts in each Ray run from the run's start, the workers it starts for
    the run included; the cluster's own start is in no run."""
    cluster = Cluster(args.tree, args.workers, work / f"cluster{i}")
    try:
        out = {"address": cluster.address, "idle_cpu_per_10s": cluster.idle_cpu(10)}
        local = work / f"local-cluster{i}"
        before = cluster.cpu_now()
        out["local"] = run_cli(args.tree, [*inputs, "-o", str(local), *common, "--workers", str(args.workers)])
        out["local"]["cluster_cpu_beside"] = round(sum(c - before.get(p, 0.0) for p, c in cluster.cpu_now().items()), 1)
        for job in ("ray", "ray_second"):
            ray = work / f"{job}-address{i}"
            # `ray start` turns on token authentication (~/.ray/auth_token); a driver uses it when told to
            out[job] = run_cli(args.tree, [*inputs, "-o", str(ray), *common, "--engine", "ray", "--num-workers",
                                           str(args.workers), "--address", cluster.address],
                               {"RAY_AUTH_MODE": "token"}, cluster=cluster)
            out[job]["identical"] = same_outputs(local_out, ray)
            out[job]["engine"] = load_manifest(ray).engine
            out[job]["cpu_ratio"] = round(out[job]["cpu_seconds"] / out["local"]["cpu_seconds"], 3)
            out[job]["wall_ratio"] = round(out[job]["seconds"] / out["local"]["seconds"], 3)
    finally:
        cluster.close()
    return out


def _input(args: argparse.Namespace, tmp: Path) -> tuple[dict, list[str]]:
    """(what ``write_input`` wrote, the split files): written under ``--work`` once and reused
    by the next session (the same comments for both trees), else under ``tmp``."""
    folder = args.work / f"n{args.n}-f{args.files}" if args.work else tmp
    stamp = folder / "input.json"
    if not stamp.exists():
        folder.mkdir(parents=True, exist_ok=True)
        stats = write_input(folder / "all.jsonl", real_texts(args.data), args.n)
        split_input(folder / "all.jsonl", folder, args.files)
        (folder / "all.jsonl").unlink()
        stamp.write_text(json.dumps(stats))
    return json.loads(stamp.read_text()), sorted(str(p) for p in folder.glob("part-*.jsonl"))


def memory_session(args: argparse.Namespace) -> None:
    """``--engine ray --num-workers W`` at each size, in one session: peak memory per role."""
    record = {"command": " ".join(["python benchmarks/ray_overhead.py", *sys.argv[1:]]), "tree": args.label or str(args.tree),
              "cpus": os.cpu_count(), "files": args.files, "workers": args.workers, "stages": args.stages or "default",
              "env": args.env, "runs": []}
    extra_env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="ray_memory_") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        config = Path(tmp) / "config.toml"
        config.write_text(CONFIG + (f"\n[pipeline]\nstages = {json.dumps(args.stages)}\n" if args.stages else ""))
        texts = None
        for n in args.memory_sizes:
            folder = work / f"n{n}-f{args.files}"
            stamp = folder / "input.json"
            if not stamp.exists():  # written once, kept under --work for the next session
                texts = texts or real_texts(args.data)
                folder.mkdir(exist_ok=True)
                stats = write_input(folder / "all.jsonl", texts, n)
                split_input(folder / "all.jsonl", folder, args.files)
                (folder / "all.jsonl").unlink()
                stamp.write_text(json.dumps(stats))
            inputs = sorted(str(p) for p in folder.glob("part-*.jsonl"))
            out = Path(tmp) / f"ray{n}"
            started = time.strftime("%H:%M:%S", time.gmtime())
            trace = Path(tmp) / f"memtrace{n}"
            env = {**extra_env, **({"ANALYZER_RAY_MEMTRACE": str(trace)} if args.memtrace else {})}
            run = run_cli(args.tree, [*inputs, "-o", str(out), "--config", str(config), "--engine", "ray",
                                      "--num-workers", str(args.workers)], env,
                          Path(f"{args.trace}.{n}") if args.trace else None)
            manifest = load_manifest(out)
            run.update(n=n, input=json.loads(stamp.read_text()), started_utc=started, engine=manifest.engine,
                       accepted=manifest.counts["accepted"], dedup=manifest.stage_summaries.get("dedup", {}),
                       timings={k: v for k, v in manifest.timings.items() if k in ("aggregate", "report", "seconds")},
                       **({"memtrace": memtrace_summary(trace)} if args.memtrace else {}))
            shutil.rmtree(out)
            record["runs"].append(run)
            print(json.dumps({k: v for k, v in run.items() if k != "uss_timeline_mib"}), flush=True)
            Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(memory_markdown([record]), encoding="utf-8")


def memtrace_summary(folder: Path, top: int = 12) -> dict:
    """Per actor (role-pid): MiB at each checkpoint (Python's traced allocations, Arrow's pool,
    USS) and the allocation sites that grew most from the first checkpoint at or past a
    quarter of its calls to its last (tracemalloc, by line)."""
    actors: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.json")):
        point = json.loads(path.read_text(encoding="utf-8"))
        actors.setdefault(f"{point['role']}-{point['pid']}", []).append(point)
    out = {}
    for name, points in sorted(actors.items()):
        points.sort(key=lambda p: p["call"])
        last = points[-1]
        quarter = next(p for p in points if p["call"] >= last["call"] / 4)
        grew = sorted(((site, size - quarter["sites"].get(site, [0, 0])[0], count - quarter["sites"].get(site, [0, 0])[1])
                       for site, (size, count) in last["sites"].items()), key=lambda g: -g[1])
        out[name] = {"calls": [p["call"] for p in points],
                     **{f"{key}_mib": [round(p[f"{key}_bytes"] / 2**20, 1) for p in points]
                        for key in ("traced", "arrow", "uss")},
                     "from_call": quarter["call"], "to_call": last["call"],
                     "grew_kib": [[_short(site), round(size / 1024), count] for site, size, count in grew[:top]]}
    return out


def _short(site: str) -> str:
    """A site's path from the package or the library on (no machine-specific prefix)."""
    for marker in ("/analyzer/", "/site-packages/", "/lib/python3"):
        if marker in site:
            return site[site.index(marker) + 1:]
    return site


MEMORY_ROLES = ("driver", "ReadActor", "ReplayActor", "AnnotateActor", "ray other workers", "ray system (raylet, GCS, ...)")


def memory_markdown(sessions: list[dict]) -> str:
    lines = ["# ray_memory: peak memory per worker role as the input grows\n",
             "Each session: `nice -n 5 python benchmarks/ray_overhead.py --memory-sizes ...` (command below): real "
             "comments (`cli_speed.write_input`) split into JSONL files, `analyzer run FILES -o OUT --engine ray "
             "--num-workers W`, one fresh CLI process per size, OMP_NUM_THREADS=1, Ray started by the run, on the shared "
             "2-core machine. A sampler polls the run's process tree every 0.5 s (psutil): peak USS (private memory; RSS "
             "also counts the pages of Ray's shared object store a worker has mapped) and peak RSS of the largest process "
             "of each role. Load: 1-minute load average before / after each run.\n"]
    for record in sessions:
        lines += _memory_session(record)
    return "\n".join(lines) + "\n"


def _memory_session(record: dict) -> list[str]:
    runs = record["runs"]
    stages = record.get("stages", "default")
    lines = [f"## {record['tree']}: stages {stages if isinstance(stages, str) else ', '.join(stages)}\n",
             f"`{record['command']}`: {record['files']} files, {record['workers']} workers.\n",
             *([f"Note: {record['note']}\n"] if "note" in record else []),
             "| comments | started (UTC) | wall s | comments/s | CPU s | load before / after | "
             + " | ".join(f"{r} USS / RSS MiB" for r in MEMORY_ROLES) + " |", "|---" * (6 + len(MEMORY_ROLES)) + "|"]
    for run in runs:
        uss, rss = run["peak_uss_mib_by_role"], run["peak_rss_mib_by_role"]
        cells = [f"{uss.get(r, '-')} / {rss.get(r, '-')}" for r in MEMORY_ROLES]
        lines.append(f"| {run['n']:,} | {run['started_utc']} | {run['seconds']} | {run['accepted'] / run['seconds']:,.0f} | "
                     f"{run['cpu_seconds']} | {run['load_before'][0]} / {run['load_after'][0]} | " + " | ".join(cells) + " |")
    if len(runs) > 1:
        small, big = min(runs, key=lambda r: r["n"]), max(runs, key=lambda r: r["n"])
        lines += ["", f"Growth of peak USS from {small['n']:,} to {big['n']:,} comments ({big['n'] / small['n']:.0f}x input):", "",
                  "| " + " | ".join(MEMORY_ROLES) + " |", "|---" * len(MEMORY_ROLES) + "|",
                  "| " + " | ".join(_growth(small["peak_uss_mib_by_role"], big["peak_uss_mib_by_role"], r)
                                    for r in MEMORY_ROLES) + " |"]
        if "peak_uss_outside_store_mib_by_role" in small and "peak_uss_outside_store_mib_by_role" in big:
            lines += ["", "The same, private memory outside Ray's object store (the /dev/shm plasma pages a process "
                      "has mapped count as private once the process that wrote them has exited; sampled every ~10 s):", "",
                      "| " + " | ".join(MEMORY_ROLES[:4]) + " |", "|---" * 4 + "|",
                      "| " + " | ".join(_growth(small["peak_uss_outside_store_mib_by_role"],
                                                big["peak_uss_outside_store_mib_by_role"], r) for r in MEMORY_ROLES[:4]) + " |"]
    if all(run.get("uss_timeline_mib") for run in runs):
        lines += ["", "The driver while Ray ran (the stream) and after Ray stopped (the accumulator's result and the "
                  "reports, the same code as a local run), largest USS / outside the object store, MiB:", "",
                  "| comments | stream | after Ray stopped |", "|---|---|---|"]
        for run in runs:
            during, after = _driver_phases(run)
            lines.append(f"| {run['n']:,} | {during} | {after} |")
    for run in runs:
        lines += _memtrace_lines(run)
    big = max(runs, key=lambda r: r["n"])
    if big.get("uss_timeline_mib"):
        lines += ["", f"Over the {big['n']:,}-comment run (largest USS per role in each quarter of its wall time, MiB; "
                  "the sampler's timeline, every ~10 s):", "",
                  "| role | " + " | ".join(f"{q}/4" for q in range(1, 5)) + " |", "|---" * 5 + "|"]
        for role in [*MEMORY_ROLES[:4], *(f"{r} outside store" for r in MEMORY_ROLES[:4])]:
            quarters = _quarters(big, role)
            if quarters != ["-"] * 4:
                lines.append(f"| {role} | " + " | ".join(str(v) for v in quarters) + " |")
    return lines + [""]


def _memtrace_lines(run: dict) -> list[str]:
    """The tracemalloc checkpoints of a ``--memtrace`` run: per actor, MiB at a quarter of its
    calls and at its end, and the sites that grew most in between."""
    lines = []
    for actor, trace in run.get("memtrace", {}).items():
        i, j = trace["calls"].index(trace["from_call"]), len(trace["calls"]) - 1
        sites = "; ".join(f"`{site}` {kib:+,} KiB ({count:+,} blocks)" for site, kib, count in trace["grew_kib"][:5])
        lines += ["", f"{run['n']:,} comments, {actor} (tracemalloc, call {trace['from_call']} -> {trace['to_call']}): "
                  f"Python traced {trace['traced_mib'][i]} -> {trace['traced_mib'][j]} MiB, Arrow pool "
                  f"{trace['arrow_mib'][i]} -> {trace['arrow_mib'][j]} MiB, USS {trace['uss_mib'][i]} -> "
                  f"{trace['uss_mib'][j]} MiB; grew most: {sites}."]
    return lines


def _driver_phases(run: dict) -> tuple[str, str]:
    """The driver's largest USS (and outside the store) up to the last sample that saw a Ray
    actor, and after it (Ray shut down: aggregate and reports)."""
    timeline = run["uss_timeline_mib"]
    last = max((t for t, roles in timeline if any(r in roles for r in ACTORS)), default=0)
    cells = []
    for after in (False, True):
        part = [roles for t, roles in timeline if (t > last) == after]
        peaks = [max((roles[key] for roles in part if key in roles), default=None)
                 for key in ("driver", "driver outside store")]
        cells.append(" / ".join("-" if v is None else str(v) for v in peaks))
    return cells[0], cells[1]


def _quarters(run: dict, role: str) -> list[float | str]:
    end = max(t for t, _ in run["uss_timeline_mib"]) or 1
    out: list[float | str] = ["-"] * 4
    for t, roles in run["uss_timeline_mib"]:
        if role in roles:
            q = min(3, int(4 * t / end))
            out[q] = max(roles[role], out[q]) if out[q] != "-" else roles[role]
    return out


def _growth(small: dict, big: dict, role: str) -> str:
    if role not in small or role not in big:
        return "-"
    return f"{small[role]} -> {big[role]} ({100 * (big[role] / small[role] - 1):+.0f}%)"


ROLE_ORDER = ("driver", "worker processes", "ReadActor", "ReplayActor", "AnnotateActor", "ray other workers",
              "ray system (raylet, GCS, ...)")


def markdown(sessions: list[dict]) -> str:
    lines = ["# ray_overhead: --engine ray vs the local engine, same input, same workers\n",
             "Each session: `nice -n 5 python benchmarks/ray_overhead.py ...` (command below), one fresh CLI process "
             "per run, local then ray, OMP_NUM_THREADS=1, Ray started by the run, on the shared 2-core machine. CPU s: "
             "user + system of every process of the run (driver, local worker processes, Ray actors, Ray's own "
             "processes), sampled every 0.5 s. Load: 1-minute load average before / after each run.\n"]
    for record in sessions:
        _relabel(record)
        lines += [f"## {record['tree']}\n", *([f"Note: {record['note']}\n"] if "note" in record else []), f"`{record['command']}`: {record['n']:,} real comments "
                  f"({record['input']['mean_chars']} chars on average) in {record['files']} files, "
                  f"`--workers {record['workers']}` vs `--engine ray --num-workers {record['workers']}`.\n",
                  "| pair | engine | wall s | CPU s | " + " | ".join(f"{r} CPU s" for r in ROLE_ORDER)
                  + " | load before / after | ray / local CPU | ray / local wall | outputs identical |",
                  "|---" * (9 + len(ROLE_ORDER)) + "|"]
        for i, pair in enumerate(record["pairs"], 1):
            same = all(pair["identical"].values())
            for engine in ("local", "ray"):
                run = pair[engine]
                cells = [str(run["cpu_by_role"].get(role, "-")) for role in ROLE_ORDER]
                ratios = [f"**{pair['cpu_ratio']:.2f}x**", f"{pair['wall_ratio']:.2f}x", str(same)] if engine == "ray" else ["", "", ""]
                lines.append(f"| {i} | {engine} | {run['seconds']} | {run['cpu_seconds']} | " + " | ".join(cells)
                             + f" | {run['load_before'][0]} / {run['load_after'][0]} | " + " | ".join(ratios) + " |")
        lines += ["", "Peak USS (private memory) per role, MiB (the largest process of the role):", "",
                  "| run | comments | " + " | ".join(ROLE_ORDER[:5]) + " |", "|---" * 7 + "|"]
        runs = [(f"pair {i} {e}", record["n"], p[e]) for i, p in enumerate(record["pairs"], 1) for e in ("local", "ray")]
        if "memory_run" in record:
            runs.append(("ray (memory run)", record["memory_run"]["n"], record["memory_run"]))
        for label, n, run in runs:
            uss = run.get("peak_uss_mib_by_role", {})
            lines.append(f"| {label} | {n:,} | " + " | ".join(str(uss.get(r, "-")) for r in ROLE_ORDER[:5]) + " |")
        lines += _profile_lines(record)
        lines += _cluster_rows(record)
        lines += _ray_processes(record)
        lines += _ray_census(record)
        lines += _ray_phases(record)
        lines.append("")
    return "\n".join(lines) + "\n"


def _profile_lines(record: dict) -> list[str]:
    """Each profiled actor's CPU split (``--env ANALYZER_RAY_PROFILE=DIR``)."""
    lines = []
    for i, pair in enumerate(record["pairs"], 1):
        found = pair["ray"].get("actor_profiles")
        if found:
            lines += ["", f"Pair {i}, the actors' CPU split (`ANALYZER_RAY_PROFILE`; build: the process's CPU before "
                      "its first call, Ray's worker start and imports included): " + "; ".join(
                          f"{one['role']} build {one['build_cpu']}, {one['calls']} calls {one['call_cpu']}, whole "
                          f"process {one['process_cpu']}" for one in found) + "."]
    return lines


def _cluster_rows(record: dict) -> list[str]:
    """The ``--cluster`` runs: the local run again beside an idle cluster, and ``--address`` to it."""
    pairs = [(i, p["cluster"]) for i, p in enumerate(record["pairs"], 1) if "cluster" in p]
    if not pairs:
        return []
    lines = ["", "With a cluster already running (`ray start --head --num-cpus "
             f"{record['workers']}`, started after the pair above and stopped after these two runs; its start is in "
             "neither run): the local run beside the idle cluster, then `--engine ray --address` to it. The Ray "
             "run's CPU includes the cluster's processes from the run's start (its raylet, GCS, agents and the "
             "workers it starts for the run); the local run's does not include the idle cluster's (given apart).",
             "", "| pair | run | wall s | CPU s | " + " | ".join(f"{r} CPU s" for r in ROLE_ORDER)
             + " | load before / after | ray / local CPU | ray / local wall | outputs identical |",
             "|---" * (9 + len(ROLE_ORDER)) + "|"]
    for i, pair in pairs:
        for label, run in (("local, cluster idle beside it", pair["local"]), ("ray --address, 1st job", pair["ray"]),
                           ("ray --address, 2nd job", pair.get("ray_second"))):
            if run is None:
                continue
            cells = [str(run["cpu_by_role"].get(role, "-")) for role in ROLE_ORDER]
            ratios = ([f"**{run['cpu_ratio']:.2f}x**", f"{run['wall_ratio']:.2f}x", str(all(run["identical"].values()))]
                      if label.startswith("ray") else ["", "", ""])
            lines.append(f"| {i} | {label} | {run['seconds']} | {run['cpu_seconds']} | " + " | ".join(cells)
                         + f" | {run['load_before'][0]} / {run['load_after'][0]} | " + " | ".join(ratios) + " |")
    for i, pair in pairs:
        lines += ["", f"Pair {i}, the cluster: {pair['idle_cpu_per_10s']} CPU s per 10 s idle (measured before the "
                  f"runs), {pair['local'].get('cluster_cpu_beside')} CPU s during the local run."]
    return lines


def _ray_processes(record: dict) -> list[str]:
    """The ray runs' own processes (Ray's and Ray Data's, not our actors), CPU s each, when sampled."""
    lines = []
    for label, run in _ray_runs(record):
        rows = [row for row in run.get("cpu_by_process", []) if row[0] not in ACTORS and row[0] != "driver"]
        if rows:
            lines += ["", f"{label}, Ray's own processes (CPU s, at least 0.5): "
                      + ", ".join(f"{what} {cpu}" for _, what, cpu in rows) + "."]
    return lines


def _ray_census(record: dict) -> list[str]:
    """Each Ray run's worker processes (our actors and tasks, Ray Data's helper actors): when each was
    first seen, the titles it went through (``ray::IDLE`` first: started ahead or between calls)."""
    lines = []
    for label, run in _ray_runs(record):
        # Ray's workers start as default_worker.py (the raylet's agents also take ray:: titles)
        census = [row for row in run.get("worker_census", []) if "default_worker.py" in row["titles"]]
        if census:
            lines += ["", f"{label}, the Ray run's {len(census)} worker processes (first seen at, s: titles, CPU s): "
                      + "; ".join(f"{row['seen_s']}: {' -> '.join(t.removeprefix('ray::') for t in row['titles'][1:])}, "
                                  f"{row['cpu_s']}" for row in census) + "."]
    return lines


def _ray_phases(record: dict) -> list[str]:
    """Where each Ray run's wall time went, from its CPU timeline (sampled every ~1 s) and its
    manifest: when the first of our actors used CPU, when the last one stopped, the stream's time
    and how long the driver waited for Ray after building its stages (where the tree records it)."""
    lines = []
    for label, run in _ray_runs(record):
        timeline = run.get("cpu_timeline")
        if not timeline:
            continue
        actors = [(t, sum(cpu.get(role, 0.0) for role in ACTORS)) for t, cpu in timeline]
        first = next((t for t, cpu in actors if cpu > 0), None)
        last = next((t for t, cpu in actors if cpu >= actors[-1][1]), None)
        phases = run.get("engine", {}).get("phase_seconds", {})
        wait = phases.get("ray_start_wait")
        lines += ["", f"{label}, the Ray run's phases: our first actor seen using CPU at {first} s, the last one's "
                  f"CPU done by {last} s of {run['seconds']} s; stream {phases.get('streamed')} s"
                  + (f"; the driver waited {wait} s for Ray after building its stages." if wait is not None else
                     " (this tree starts Ray after building its stages).")]
    return lines


def _ray_runs(record: dict) -> Iterator[tuple[str, dict]]:
    """("Pair N", its Ray run) and, with ``--cluster``, ("Pair N, --address", that run)."""
    for i, pair in enumerate(record["pairs"], 1):
        yield f"Pair {i}", pair["ray"]
        if "cluster" in pair:
            yield f"Pair {i}, --address 1st job", pair["cluster"]["ray"]
            if "ray_second" in pair["cluster"]:
                yield f"Pair {i}, --address 2nd job", pair["cluster"]["ray_second"]


def _relabel(record: dict) -> None:
    """Sessions run before the sampler's roles were fixed labelled by substring "ray", which the
    input paths (``/tmp/ray_overhead_*``) also contain: there the local pool's workers read as
    "ray system" and a Ray worker seen only while exiting (no command line) as "worker processes".
    Totals are unchanged; the split is restored: a local run has no Ray processes, a ray run no pool."""
    if record.get("roles") == "v2":
        return
    runs = [(e, p[e]) for p in record["pairs"] for e in ("local", "ray")]
    runs += [("ray", record["memory_run"])] if "memory_run" in record else []
    for engine, run in runs:
        for table in ("cpu_by_role", "peak_rss_mib_by_role", "peak_uss_mib_by_role"):
            roles = run.get(table, {})
            old, new = (("ray system (raylet, GCS, ...)", "worker processes") if engine == "local"
                        else ("worker processes", "ray other workers"))
            if old in roles:
                value = roles.pop(old)
                roles[new] = round(roles.get(new, 0.0) + value, 1) if table == "cpu_by_role" else max(roles.get(new, 0.0), value)


if __name__ == "__main__":
    main()
