"""Local engine vs --engine ray on one machine, through the CLI users run.

On a generated corpus (tests/ray_corpus.py: templates, copies, replies, rejects; N
comments over 8 JSONL files) it runs, in one session so ratios compare like with like:

- ``analyzer run CORPUS -o OUT`` (the local loop; the baseline);
- ``analyzer run CORPUS -o OUT --engine ray --num-workers W`` for each W in --workers;
- the same ray run on N/10 comments (memory per worker at 1x vs 10x input).

Each run is a fresh process; a sampler polls its process tree (psutil) every 0.5 s for
the peak RSS of the driver and of each Ray worker process (read actors, annotation
actors). Results: a Markdown table plus the raw JSON to --out, with ``uptime`` before
and after (the machine is shared).

    nice -n 5 python benchmarks/ray_scaling.py --n 200000 --workers 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from analyzer.manifest import load_manifest  # noqa: E402
from tests.ray_corpus import write_corpus  # noqa: E402

CONFIG = '[privacy]\nauthor_key = "benchmark-key"\n'


class Sampler(threading.Thread):
    """Peak RSS (MiB) of a process and of each Ray worker process under it; with
    ``uss=True`` also the peak USS (private memory: RSS counts the pages of Ray's shared
    object store a worker has mapped)."""

    def __init__(self, pid: int, uss: bool = False) -> None:
        super().__init__(daemon=True)
        self.root, self.peaks, self.stop, self.uss = psutil.Process(pid), {}, threading.Event(), uss
        self.cpu: dict[str, dict[int, float]] = {}  # role -> pid -> CPU seconds (user + system) last seen

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            for proc in procs:
                try:
                    key = self._kind(proc)
                    if not key:
                        continue
                    info = proc.memory_full_info() if self.uss else proc.memory_info()
                    times = proc.cpu_times()
                except psutil.Error:
                    continue
                self.cpu.setdefault(key, {})[proc.pid] = times.user + times.system
                for name in ("rss", "uss") if self.uss else ("rss",):
                    slot = self.peaks.setdefault(key if name == "rss" else f"{key}_uss", {})
                    slot[proc.pid] = max(slot.get(proc.pid, 0.0), getattr(info, name) / 2**20)
            time.sleep(0.5)

    def _kind(self, proc: psutil.Process) -> str | None:
        if proc.pid == self.root.pid:
            return "driver"
        title = " ".join(proc.cmdline())
        for name in ("AnnotateActor", "ReadActor", "ReplayActor"):
            if name in title:
                return name
        return None


def run_cli(args: list[str], uss: bool = False, tree: Path = ROOT) -> dict:
    """One ``analyzer run`` of the source tree ``tree`` (this one by default)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(tree))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "run", *args, "-q"], env=env, cwd=tree,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid, uss)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"analyzer run failed: {err.strip().splitlines()[-1:]}")
    peaks = {k: round(max(v.values()), 1) for k, v in sampler.peaks.items()}
    # CPU seconds per role, as last sampled (up to 0.5 s short per process), and how many
    # processes had each role: on a shared machine CPU time says more than wall time.
    cpu = {k: round(sum(v.values()), 1) for k, v in sampler.cpu.items()}
    processes = {k: len(v) for k, v in sampler.cpu.items()}
    return {"seconds": round(seconds, 2), "peak_rss_mib": peaks, "cpu_seconds": cpu, "processes": processes,
            "stdout": out.strip().splitlines()[0]}


def measure(corpus: list[str], work: Path, workers: list[int], config: str, baseline: bool = True,
            partial: Path | None = None) -> dict:
    """``partial``: each run's record is also written there as it finishes (a long session's results so far)."""
    runs, manifests = {}, {}
    if baseline:
        runs["local"] = run_cli([*corpus, "-o", str(work / "local"), "--config", config])
        manifests["local"] = load_manifest(work / "local")
    for w in workers:
        name = f"ray_{w}"
        runs[name] = run_cli([*corpus, "-o", str(work / name), "--config", config, "--engine", "ray",
                              "--num-workers", str(w)])
        manifests[name] = load_manifest(work / name)
        runs[name]["phase_seconds"] = manifests[name].engine["phase_seconds"]
        runs[name]["replay_cpu_seconds"] = manifests[name].engine.get("replay_cpu_seconds")
        if baseline:
            same = (work / "local" / "resonance.csv").read_bytes() == (work / name / "resonance.csv").read_bytes()
            runs[name]["same_resonance_csv"] = same
        if partial:
            partial.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    runs["comments"] = manifests[name].counts["accepted"]
    return runs


def per_shard_duplicates(corpus: list[str]) -> dict[str, int]:
    """What dedup finds when each input file is deduplicated on its own (per shard), to set
    beside the global counts both engines report (manifest stage_summaries.dedup)."""
    from analyzer.io import ReadContext, Reject, read_comments
    from analyzer.stages.dedup import DedupStage
    from analyzer.stages.normalize import NormalizeStage

    normalize, total = NormalizeStage(), {}
    for path in corpus:
        dedup = DedupStage()
        comments = [c for c in read_comments([path], ReadContext()) if not isinstance(c, Reject)]
        for i in range(0, len(comments), 512):
            dedup(normalize(comments[i:i + 512]))
        for key, value in dedup.summary().items():
            total[key] = total.get(key, 0) + value
    return {k: v for k, v in sorted(total.items()) if k.startswith("duplicate_")}


def memory_only(n: int, files: int, workers: int, out: str) -> None:
    """Peak RSS and USS per worker of the same ray run at n/10 and n comments."""
    before, rows = uptime(), []
    with tempfile.TemporaryDirectory(prefix="ray_memory_") as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(CONFIG)
        for size in (n // 10, n):
            corpus = write_corpus(work / f"c{size}", n=size, files=files)
            r = run_cli([*corpus, "-o", str(work / f"o{size}"), "--config", str(work / "config.toml"),
                         "--engine", "ray", "--num-workers", str(workers)], uss=True)
            r["engine"] = load_manifest(work / f"o{size}").engine
            rows.append((size, r))
    lines = [f"# ray_scaling: memory per worker\n\nCommand: `python benchmarks/ray_scaling.py --memory-only --n {n} "
             f"--files {files} --workers {workers}`; load before `{before}`, after `{uptime()}`.\n",
             "| comments | seconds | annotation worker RSS / USS MiB | read worker RSS / USS MiB | driver RSS / USS MiB "
             "| replay CPU s (comments/s) |", "|---|---|---|---|---|---|"]
    for size, r in rows:
        m = r["peak_rss_mib"]
        cell = lambda k: f"{m.get(k, '')} / {m.get(k + '_uss', '')}"  # noqa: E731
        cpu = r["engine"]["replay_cpu_seconds"]
        lines.append(f"| {size:,} | {r['seconds']} | {cell('AnnotateActor')} | {cell('ReadActor')} | {cell('driver')} "
                     f"| {cpu} ({size / cpu:,.0f}) |")
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


REPLAY_TIMER = """
import hashlib, json, sys, time
import pyarrow as pa
from analyzer.engines import rows
from analyzer.runner import build_pipeline
table = pa.ipc.open_file(sys.argv[1]).read_all()
published, rejects = {}, []
replay = rows.Replay(rows.Stages(build_pipeline()), rejects.append, lambda c, d: published.update({c: d}))
wall, cpu, last = time.perf_counter(), time.process_time(), None
for start in range(0, table.num_rows, rows.CHUNK):  # what ray.py's _replay does per batch
    batch = table.slice(start, rows.CHUNK).select(rows.REPLAY_COLUMNS)
    if hasattr(replay, "feed_table"):
        replay.feed_table(batch)
    else:  # the engine before: rows as dicts
        batch = batch.to_pylist()
        last = rows.check_order(last, batch)
        replay.feed(batch)
replay.close()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
found = repr((sorted(published.items()), [r.to_dict() for r in rejects], [vars(f) for f in replay.files]))
print(json.dumps({"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "feed": "columns" if hasattr(replay, "feed_table") else "row dicts",
                  "comments": sum(f.accepted for f in replay.files),
                  "decisions_sha256": hashlib.sha256(found.encode()).hexdigest()[:16]}))
"""


def prepare_rows(work: Path, n: int, files: int, prepared: Path) -> None:
    """What the read actors hand the replay, for a generated corpus, in one Arrow file."""
    from analyzer.engines.rows import PREPARED_SCHEMA, Stages, read_file
    from analyzer.io import ReadContext
    from analyzer.io.pseudonym import Pseudonymizer
    from analyzer.runner import build_pipeline

    stages, ctx = Stages(build_pipeline()), ReadContext(pseudonymize=Pseudonymizer("benchmark-key"))
    with pa.OSFile(str(prepared), "wb") as sink, pa.ipc.new_file(sink, PREPARED_SCHEMA) as writer:
        for i, path in enumerate(write_corpus(work / f"corpus{n}", n=n, files=files)):
            for part in read_file(i, path, ctx, stages):
                writer.write_table(part.cast(PREPARED_SCHEMA))


def replay_only(n: int, files: int, base: str, repeats: int, out: str, keep: str | None = None) -> None:
    """The driver's replay alone, in one process per try, on the same prepared rows:
    the engine at commit ``base`` (extracted with git archive) vs this tree, alternated.
    ``keep``: a folder to keep the prepared rows in (and reuse) instead of a temporary one."""
    before_load, results = uptime(), {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="ray_replay_") as tmp:
        work = Path(keep or tmp)
        prepared = work / f"prepared{n}.arrow"
        if not prepared.exists():
            prepare_rows(work, n, files, prepared)
        if not (work / f"base-{base}").exists():
            (work / f"base-{base}").mkdir()
            subprocess.run(f"git -C {ROOT} archive {base} analyzer data | tar -x -C {work / f'base-{base}'}", shell=True,
                           check=True)
        trees = {"before": work / f"base-{base}", "after": ROOT}
        for _ in range(repeats):
            for name, tree in trees.items():
                env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(tree))
                done = subprocess.run([sys.executable, "-c", REPLAY_TIMER, str(prepared)], env=env, check=True,
                                      capture_output=True, text=True, cwd=work)  # not ROOT: -c puts cwd first
                results[name].append(json.loads(done.stdout))
    lines = [f"# ray_scaling: the driver's replay alone\n\nCommand: `nice -n 5 python benchmarks/ray_scaling.py "
             f"--replay-only --n {n} --base {base}`; load before `{before_load}`, after `{uptime()}`.\n\n"
             f"{n:,} generated comments in {files} files, prepared once in-process (the read actors' work), then "
             f"replayed by the engine at commit {base} (before) and by this tree (after), alternated, each try a "
             "fresh process; the decisions digest covers every published decision, reject and file count.\n",
             "| engine | try | driver feeds | seconds | CPU s | comments/s (CPU) | decisions sha256 |", "|---|---|---|---|---|---|---|"]
    for name, tries in results.items():
        for k, r in enumerate(tries, 1):
            lines.append(f"| {name} | {k} | {r['feed']} | {r['seconds']} | {r['cpu_seconds']} | {r['comments'] / r['cpu_seconds']:,.0f} "
                         f"| {r['decisions_sha256']} |")
    best = {name: min(r["cpu_seconds"] for r in tries) for name, tries in results.items()}
    lines.append(f"\nSpeed-up (best CPU time before / after): {best['before'] / best['after']:.1f}x.")
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def table(big: dict, small: dict, n: int, workers: list[int]) -> str:
    local = big["local"]["seconds"]
    rows = ["| run | seconds | comments/s | vs local | annotate phase s | per-worker comments/s (annotate) "
            "| peak RSS per annotation worker MiB | driver MiB | same resonance.csv |", "|---" * 9 + "|"]
    rows.append(f"| local | {local} | {big['comments'] / local:,.0f} | 1.00 | | | | "
                f"{big['local']['peak_rss_mib'].get('driver', '')} | |")
    for w in workers:
        r = big[f"ray_{w}"]
        annotate = r["phase_seconds"].get("annotate") or r["seconds"]  # the streamed engine has no phases
        rows.append(f"| ray, {w} worker{'s' if w > 1 else ''} | {r['seconds']} | {big['comments'] / r['seconds']:,.0f} | "
                    f"{r['seconds'] / local:.2f} | {annotate} | {big['comments'] / annotate / w:,.0f} | "
                    f"{r['peak_rss_mib'].get('AnnotateActor', '')} | {r['peak_rss_mib'].get('driver', '')} | "
                    f"{r['same_resonance_csv']} |")
    mem = ["| input | comments | peak RSS per annotation worker MiB | per read worker MiB | driver MiB |", "|---" * 5 + "|"]
    for label, runs in (("1x", small), ("10x", big)):
        r = runs[f"ray_{workers[min(1, len(workers) - 1)]}"]["peak_rss_mib"]
        mem.append(f"| {label} | {runs['comments']:,} | {r.get('AnnotateActor', '')} | {r.get('ReadActor', '')} | "
                   f"{r.get('driver', '')} |")
    return "\n".join(rows) + "\n\nMemory (the same ray run at 1x and 10x input):\n\n" + "\n".join(mem)


PROJECTED = (1, 2, 4, 8, 16, 32)


def projection(big: dict, workers: list[int], cpus: int) -> str:
    """CPU per role of each ray run, the per-worker rate and rate(N) = min(N r, R) to 32 workers.
    ``r``: comments per CPU second of read + annotation actors (one worker = one read and one
    annotation actor on one core), from the run with one worker per core; ``R``: the one replay
    actor's comments per CPU second (its whole process: start and stage build included)."""
    n = big["comments"]
    lines = ["| run | wall s | comments/s (wall) | read + annotation actors CPU s | comments per CPU s of a worker "
             "| replay actor CPU s | driver CPU s | all sampled CPU s |", "|---" * 8 + "|"]
    for w in workers:
        cpu = big[f"ray_{w}"]["cpu_seconds"]
        work = cpu.get("ReadActor", 0.0) + cpu.get("AnnotateActor", 0.0)
        lines.append(f"| ray, {w} worker{'s' if w > 1 else ''} | {big[f'ray_{w}']['seconds']} | "
                     f"{n / big[f'ray_{w}']['seconds']:,.0f} | {work:.1f} | {n / work:,.0f} | "
                     f"{cpu.get('ReplayActor', 0.0)} | {cpu.get('driver', 0.0)} | {sum(cpu.values()):.1f} |")
    basis = min(workers, key=lambda w: abs(w - cpus))
    cpu = big[f"ray_{basis}"]["cpu_seconds"]
    own = big[f"ray_{basis}"].get("replay_cpu_seconds")  # the replay's own CPU (engine.replay_cpu_seconds)
    r = n / (cpu.get("ReadActor", 0.0) + cpu.get("AnnotateActor", 0.0))
    replay = n / (own or cpu["ReplayActor"])
    rates = [min(k * r, replay) for k in PROJECTED]
    source = "the replay step's own CPU" if own else "the replay actor's whole process, start included"
    lines += ["", f"Projection, rate(N) = min(N r, R), from the {basis}-worker run (one worker per core here): "
              f"r = {r:,.0f} comments per CPU second of a worker, R = {replay:,.0f} ("
              f"{source}). "
              "Reading and annotation are parallel, the one replay serial, the steps overlap. "
              "CPU rates of this machine's shared cores, not a cluster run:", "",
              "| workers | " + " | ".join(map(str, PROJECTED)) + " |", "|---" * (len(PROJECTED) + 1) + "|",
              "| comments/s (x 1 worker) | " + " | ".join(f"{x:,.0f} ({x / rates[0]:.1f})" for x in rates) + " |"]
    return "\n".join(lines)


def report_from(markdown: str, workers: list[int]) -> str:
    """The projection of an earlier run, from the JSON its report ends with."""
    data = json.loads(markdown.split("```json\n", 1)[1].rsplit("```", 1)[0])
    return projection(data["big"], workers, os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/ray_scaling.md"))
    parser.add_argument("--memory-only", action="store_true", help="only the 1x/10x memory runs (RSS and USS)")
    parser.add_argument("--replay-only", action="store_true", help="only the driver's replay, before vs after")
    parser.add_argument("--base", default="fdf5493", help="--replay-only: the commit measured as 'before'")
    parser.add_argument("--repeats", type=int, default=2, help="--replay-only: tries per engine")
    parser.add_argument("--keep", help="--replay-only: keep (and reuse) the prepared rows in this folder")
    parser.add_argument("--projection-from", metavar="MD", help="only print the CPU table and the projection of "
                                                                  "an earlier report (its JSON)")
    args = parser.parse_args()
    if args.projection_from:
        return print(report_from(Path(args.projection_from).read_text(encoding="utf-8"), args.workers))
    if args.replay_only:
        out = args.out if args.out != parser.get_default("out") else str(ROOT / "benchmarks/results/ray_replay.md")
        return replay_only(args.n, args.files, args.base, args.repeats, out, args.keep)
    if args.memory_only:
        return memory_only(args.n, args.files, args.workers[-1], args.out)
    before = uptime()
    with tempfile.TemporaryDirectory(prefix="ray_scaling_") as tmp:
        work = Path(tmp)
        config = work / "config.toml"
        config.write_text(CONFIG)
        big_corpus = write_corpus(work / "big", n=args.n, files=args.files)
        small_corpus = write_corpus(work / "small", n=args.n // 10, files=args.files)
        big = measure(big_corpus, work / "big_runs", args.workers, str(config),
                      partial=Path(args.out).with_suffix(".partial.json"))
        small = measure(small_corpus, work / "small_runs", args.workers[1:2] or args.workers[:1], str(config), False)
        shards = per_shard_duplicates(big_corpus)
        manifest = load_manifest(work / "big_runs" / f"ray_{args.workers[0]}")
        dedup = {k: v for k, v in sorted(manifest.stage_summaries["dedup"].items()) if k.startswith("duplicate_")}
    after = uptime()
    report = (f"# ray_scaling\n\nCommand: `nice -n 5 python benchmarks/ray_scaling.py --n {args.n} --workers "
              f"{' '.join(map(str, args.workers))}` (OMP_NUM_THREADS=1, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, shared machine).\n\nLoad before: `{before}`  \nLoad after: `{after}`\n\n"
              f"{args.n:,} generated comments in {args.files} JSONL files; every run is the CLI "
              f"(`analyzer run ... [--engine ray --num-workers W]`), wall time includes Ray's start.\n\n"
              f"{table(big, small, args.n, args.workers)}\n\nCPU seconds per role (sampled every 0.5 s; on a "
              f"shared machine they say more than wall time):\n\n{projection(big, args.workers, os.cpu_count() or 1)}\n\n"
              f"Duplicates found on the {args.n:,} comments: global (local and ray runs alike) {dedup}; "
              f"per shard (each of the {args.files} files deduplicated alone) {shards}.\n\n```json\n"
              f"{json.dumps({'big': big, 'small': small, 'dedup_global': dedup, 'dedup_per_shard': shards}, indent=1)}\n```\n")
    Path(args.out).write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
