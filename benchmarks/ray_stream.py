"""The streamed Ray engine vs the phased one it replaced, through the CLI users run.

The engine before (read everything into the object store, replay on the driver, then
annotate) is the tree at --base, checked out with ``git worktree add DIR BASE``; the
engine after is this tree. On generated corpora (tests/ray_corpus.py) of n/10 and n
comments in --files JSONL files it runs, alternating before/after so both see the same
load:

- ``analyzer run CORPUS -o OUT --engine ray --num-workers 2`` at n/10 and n comments:
  peak RSS and USS (private memory) of the driver and of each read, replay and annotation
  worker process (psutil, every 0.5 s): memory per worker at 1x vs 10x input;
- at n comments with ``--num-workers 2`` then ``1``: the 1 -> 2 worker scaling, with the CPU
  seconds of each process role (a fairer comparison than wall time on a shared machine).

Every run checks that before and after write the same resonance.csv. Results (JSON after
each run, then Markdown) go to benchmarks/results/ray_stream.json/.md.

    git worktree add /tmp/raystream/base 07b76e9
    nice -n 5 python benchmarks/ray_stream.py --base-tree /tmp/raystream/base --n 200000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from analyzer.manifest import load_manifest  # noqa: E402
from ray_scaling import CONFIG, run_cli, uptime  # noqa: E402
from tests.ray_corpus import write_corpus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ROLES = (("driver", "driver"), ("ReadActor", "read worker"), ("ReplayActor", "replay worker"),
         ("AnnotateActor", "annotation worker"))


def plan(n: int, memory: bool, scaling: bool) -> list[tuple[str, str, int, int]]:
    """(block, engine, comments, workers) in the order run: before and after alternate."""
    runs = [("memory", engine, size, 2) for size in (n // 10, n) for engine in ("before", "after")] if memory else []
    return runs + ([("scaling", engine, n, w) for w in (2, 1) for engine in ("after", "before")] if scaling else [])


def one_run(work: Path, trees: dict[str, Path], engine: str, size: int, workers: int, corpus: list[str]) -> dict:
    out = work / f"{engine}-{size}-w{workers}-{time.monotonic_ns()}"
    result = run_cli([*corpus, "-o", str(out), "--config", str(work / "config.toml"), "--engine", "ray",
                      "--num-workers", str(workers)], uss=True, tree=trees[engine])
    manifest = load_manifest(out)
    result.update(engine=engine, comments=size, workers=workers, accepted=manifest.counts["accepted"],
                  ray_engine=manifest.engine, resonance_csv=(out / "resonance.csv").read_bytes())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-tree", required=True, help="a checkout of the engine before (git worktree add)")
    parser.add_argument("--base", default="07b76e9", help="the commit checked out there (for the report)")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1- and 2-worker runs at n comments")
    parser.add_argument("--no-memory", action="store_true", help="skip the 2-worker runs at n/10 and n comments")
    parser.add_argument("--out", default=str(RESULTS / "ray_stream"))
    parser.add_argument("--report-only", action="store_true", help="write the Markdown from an earlier run's JSON")
    args = parser.parse_args()
    if args.report_only:
        record = json.loads(Path(args.out + ".json").read_text(encoding="utf-8"))
        records = record.get("records", [record])  # several sessions of this script, kept together
        text = "\n".join(markdown(r) for r in records)
        return Path(args.out + ".md").write_text(text, encoding="utf-8") and None
    trees = {"before": Path(args.base_tree).resolve(), "after": ROOT}
    record = {"command": " ".join(["python benchmarks/ray_stream.py", *sys.argv[1:]]), "base": args.base,
              "load_before": uptime(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="ray_stream_") as tmp:
        work = Path(tmp)
        (work / "config.toml").write_text(CONFIG)
        runs = plan(args.n, not args.no_memory, not args.no_scaling)
        corpora = {size: write_corpus(work / f"c{size}", n=size, files=args.files) for size in {r[2] for r in runs}}
        csvs = {}
        for block, engine, size, workers in runs:
            started = time.strftime("%H:%M:%S", time.gmtime())
            result = one_run(work, trees, engine, size, workers, corpora[size])
            csv = result.pop("resonance_csv")
            other = csvs.get((size, workers, "after" if engine == "before" else "before"))
            result["same_resonance_csv_as_other_engine"] = None if other is None else other == csv  # None: first
            csvs[(size, workers, engine)] = csv
            result["started_utc"] = started
            result["block"] = block
            record["runs"].append(result)
            print(json.dumps(result), flush=True)
            Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    record["load_after"] = uptime()
    Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(record), encoding="utf-8")
    print(markdown(record))


def markdown(record: dict) -> str:
    runs = record["runs"]
    lines = [f"# ray_stream: the streamed Ray engine vs the phased one (commit {record['base']})\n",
             f"Command: `nice -n 5 {record['command']}` (OMP_NUM_THREADS=1, one fresh CLI process per run, Ray "
             "started by the run, 2 shared CPUs).\n", f"Load before: `{record['load_before']}`  ",
             f"Load after: `{record.get('load_after', '(unfinished)')}`\n", *([record["note"] + "\n"] if "note" in record else []),
             "| engine | comments | workers | started (UTC) | seconds | comments/s | "
             + " | ".join(f"{label} RSS / USS MiB" for _, label in ROLES) + " | CPU s (driver + actors) | replay CPU s | same resonance.csv |",
             "|---" * (9 + len(ROLES)) + "|"]
    for r in runs:
        peaks = r["peak_rss_mib"]
        cells = [f"{peaks.get(key, '-')} / {peaks.get(key + '_uss', '-')}" for key, _ in ROLES]
        lines.append(f"| {r['engine']} | {r['comments']:,} | {r['workers']} | {r['started_utc']} | {r['seconds']} | "
                     f"{r['accepted'] / r['seconds']:,.0f} | " + " | ".join(cells)
                     + f" | {sum(r.get('cpu_seconds', {}).values()) or '-'} | {r['ray_engine'].get('replay_cpu_seconds', '')} | {_same(r['same_resonance_csv_as_other_engine'])} |")
    sizes = sorted({r["comments"] for r in runs})
    if len(sizes) > 1:
        lines += ["", "Growth from 1x to 10x input (peak USS, 2 workers):", "",
                  "| engine | " + " | ".join(label for _, label in ROLES) + " |", "|---" * (1 + len(ROLES)) + "|"]
    for engine in ("before", "after") if len(sizes) > 1 else ():
        small, big = (next((r for r in runs if r["engine"] == engine and r["workers"] == 2 and r["comments"] == size),
                           None) for size in sizes[:2])
        if small and big:
            cells = [growth(small["peak_rss_mib"], big["peak_rss_mib"], key + "_uss") for key, _ in ROLES]
            lines.append(f"| {engine} | " + " | ".join(cells) + " |")
    if not any(r["workers"] == 1 for r in runs):
        return "\n".join(lines) + "\n"
    lines += ["", "Scaling 1 -> 2 workers (the larger input; CPU s: the driver and the Ray actors, sampled every 0.5 s):", "",
              "| engine | 1 worker s | 2 workers s | speed-up | 1 worker CPU s | 2 workers CPU s | comments per CPU s (2 workers) |",
              "|---|---|---|---|---|---|---|"]
    top = max(r["comments"] for r in runs)
    scaling = [r for r in runs if r.get("block") == "scaling"] or runs
    for engine in ("before", "after"):
        one, two = (next((r for r in scaling if r["engine"] == engine and r["workers"] == w and r["comments"] == top),
                         None) for w in (1, 2))
        if one and two:
            cpu1, cpu2 = (sum(r.get("cpu_seconds", {}).values()) for r in (one, two))
            lines.append(f"| {engine} | {one['seconds']} | {two['seconds']} | {one['seconds'] / two['seconds']:.2f}x | "
                         f"{cpu1:.0f} | {cpu2:.0f} | {top / cpu2:,.0f} |" if cpu2 else
                         f"| {engine} | {one['seconds']} | {two['seconds']} | {one['seconds'] / two['seconds']:.2f}x | | | |")
    return "\n".join(lines) + "\n"


def _same(value: bool | None) -> str:
    return "(first of the pair)" if value is None else str(value)


def growth(small: dict, big: dict, key: str) -> str:
    if key not in small or key not in big:
        return "-"
    return f"{small[key]} -> {big[key]} ({100 * (big[key] / small[key] - 1):+.0f}%)"


if __name__ == "__main__":
    main()
