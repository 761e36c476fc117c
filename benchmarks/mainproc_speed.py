"""``analyzer run`` (the CLI users run) on N real comments for three trees in one session: this
tree, a reference tree (the main branch before this work) and the pre-issue baseline, so the
speed-up is given against both as ratios measured minutes apart on the same (shared) machine.

Each tree runs once per N through ``cli_speed.measure`` (``python -m analyzer run INPUT -o OUT
-q`` under ``/usr/bin/time -v``: wall and CPU seconds, peak RSS of the largest process, and the
manifest's per-phase seconds). The current tree's outputs are compared with the reference's
(``agreement`` per column of comments.parquet, and whether comments.parquet, resonance.csv and
every table are byte-identical), and the current tree runs a second time on the smallest N to
show that a rerun writes the same bytes. Inputs are written as ``cli_speed.write_input`` writes
them (real texts from ``--data``) into a temporary folder and deleted; no text is kept.

    python benchmarks/mainproc_speed.py --n 200000 --reference /tmp/cur0 --baseline /tmp/base \\
        --blas-threads unset --json-out benchmarks/results/mainproc_speed.json \\
        --md-out benchmarks/results/mainproc_speed.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_speed import ROOT, agreement, measure, real_texts, write_input  # noqa: E402

COMPARED_FILES = ("comments.parquet", "resonance.csv", "rejects.jsonl")


def file_digests(out: Path) -> dict[str, str]:
    """sha256 of comments.parquet, resonance.csv, rejects.jsonl and every file under tables/."""
    paths = [out / name for name in COMPARED_FILES if (out / name).exists()]
    paths += sorted((out / "tables").rglob("*")) if (out / "tables").exists() else []
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def tree_commit(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" + uncommitted changes" if dirty else "")


def one_size(n: int, texts: list[str], trees: dict[str, Path], tmp: Path, args) -> dict:
    input_path = tmp / f"comments_{n}.jsonl"
    row = {"input": write_input(input_path, texts, n), "load_before": round(os.getloadavg()[0], 2)}
    for name, tree in trees.items():
        row[name] = measure(tree, input_path, tmp / f"{name}_{n}", n, args.nice, args.blas_threads)
        print(name, n, {k: v for k, v in row[name].items() if k != "timings"}, flush=True)
    for other in ("reference", "baseline"):
        if other in row:
            row[f"speedup_vs_{other}"] = round(row["current"]["comments_per_s"] / row[other]["comments_per_s"], 2)
            row[f"cpu_speedup_vs_{other}"] = round(row["current"]["comments_per_cpu_s"] / row[other]["comments_per_cpu_s"], 2)
    if "reference" in trees:
        row["agreement_vs_reference"] = agreement(tmp / f"reference_{n}", tmp / f"current_{n}")
        mine, theirs = file_digests(tmp / f"current_{n}"), file_digests(tmp / f"reference_{n}")
        row["files_identical_to_reference"] = mine == theirs
        row["files_differing"] = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[200_000])
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--reference", type=Path, help="tree of the main branch before this work")
    parser.add_argument("--baseline", type=Path, help="tree before the issue (e.g. fdf5493)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--nice", type=int, default=5)
    parser.add_argument("--blas-threads", default="unset")
    parser.add_argument("--rerun-n", type=int, default=20_000, help="N of the rerun that checks byte-identical outputs")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--md-out", type=Path, help="also write the results as a Markdown table")
    parser.add_argument("--render", type=Path, help="only write --md-out from this earlier --json-out")
    parser.add_argument("--append-to", type=Path, help="add this session's results to an earlier --json-out file")
    args = parser.parse_args()
    if args.render:
        args.md_out.write_text(markdown(json.loads(args.render.read_text(encoding="utf-8"))), encoding="utf-8")
        return
    if args.append_to:  # a later session, kept beside the first in ``--append-to``'s file
        first = json.loads(args.append_to.read_text(encoding="utf-8"))
        later = measure_all(args)
        first.setdefault("later_sessions", []).append(later)
        save(first, args.append_to, args.md_out)
        return
    save(measure_all(args), args.json_out, args.md_out)


def measure_all(args) -> dict:
    trees = {"current": args.current, **({"reference": args.reference} if args.reference else {}),
             **({"baseline": args.baseline} if args.baseline else {})}
    texts = real_texts(args.data)
    result = {"command": "python -m analyzer run INPUT -o OUT -q", "python": sys.version.split()[0],
              "cpus": os.cpu_count(), "blas_threads": args.blas_threads,
              "trees": {name: f"{tree} ({tree_commit(tree)})" for name, tree in trees.items()}, "runs": []}
    with tempfile.TemporaryDirectory(prefix="mainproc_speed_") as name:
        tmp = Path(name)
        for n in args.n:  # the results so far are written after each step (runs are long on a busy machine)
            result["runs"].append(one_size(n, texts, trees, tmp, args))
            (tmp / f"comments_{n}.jsonl").unlink()
            if not args.append_to:
                save(result, args.json_out, args.md_out)
            if "rerun" not in result:
                result["rerun"] = rerun(args, texts, tmp)
                print(json.dumps(result["rerun"]), flush=True)
    return result


def save(result: dict, path: Path | None, md: Path | None = None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if md is not None:
        md.write_text(markdown(result), encoding="utf-8")


PHASES = ("read", "normalize", "dedup", "link", "write", "aggregate", "wait", "report")


def markdown(result: dict) -> str:
    """The results as a table per N: each tree's rates, CPU, peak RSS and main-process phases."""
    lines = ["# `analyzer run` on real comments: this tree beside main and the pre-issue baseline", "",
             f"`python benchmarks/mainproc_speed.py` ({result['command']}, BLAS threads {result['blas_threads']}, "
             f"{result['cpus']} CPUs, shared machine: compare the ratios, which are measured minutes apart).", ""]
    lines += [f"- {name}: `{tree}`" for name, tree in result["trees"].items()]
    if result.get("note"):  # written by hand into the JSON after the run (what the figures cannot say)
        lines += ["", f"Note: {result['note']}"]
    for run in result["runs"]:
        trees = [t for t in ("current", "reference", "baseline") if t in run]
        lines += ["", f"## {run['input']['n']:,} comments (mean {run['input']['mean_chars']} characters), "
                  f"load average {run['load_before']} before, {run['load_after']} after", "",
                  "| tree | wall s | comments/s | CPU s | comments/CPU-s | peak RSS MB (largest process) | "
                  + " | ".join(f"main: {p} s" for p in PHASES) + " |",
                  "|---" * (6 + len(PHASES)) + "|"]
        for t in trees:
            r, timings = run[t], run[t].get("timings", {})
            stages = timings.get("per_stage", {})
            phases = [timings.get(p, stages.get(p, "")) for p in PHASES]
            lines.append(f"| {t} | {r['seconds']} | {r['comments_per_s']:,} | {r['cpu_seconds']} | "
                         f"{r['comments_per_cpu_s']:,} | {r['peak_rss_mb']} | " + " | ".join(map(str, phases)) + " |")
        for other in ("reference", "baseline"):
            if f"speedup_vs_{other}" in run:
                lines.append(f"\ncurrent vs {other}: {run[f'speedup_vs_{other}']}x comments/s (wall), "
                             f"{run[f'cpu_speedup_vs_{other}']}x comments per CPU-second.")
        if "agreement_vs_reference" in run:
            lines.append(f"\nOutputs vs the reference: agreement per column {run['agreement_vs_reference']}; "
                         f"comments.parquet, resonance.csv, rejects.jsonl and tables/ byte-identical: "
                         f"{run['files_identical_to_reference']} (differing: {run['files_differing'] or 'none'}).")
    if "rerun" in result:
        r = result["rerun"]
        lines.append(f"\nRerun of the current tree on {r['n']:,} comments: {r['files']} files byte-identical: {r['identical']}.")
    if "main_process_cpu" in result:  # added from benchmarks/main_cpu.py runs
        m = result["main_process_cpu"]
        lines += ["", f"## Main process apart from the workers, {m['n']:,} comments (`{m['command']}`)", "",
                  "| tree | main process CPU s | workers CPU s | main peak RSS MB | workers peak RSS MB |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {x['tree']} | {x['main_cpu']} | {x['workers_cpu']} | {x['main_maxrss_mb']} | {x['workers_maxrss_mb']} |"
                  for x in m["runs"]]
    for later in result.get("later_sessions", []):  # the same command run again (``--append-to``)
        lines += ["", "---", "", "Run again later, same input:", "", markdown(later).split("\n", 2)[2].strip()]
    return "\n".join(lines) + "\n"


def rerun(args, texts: list[str], tmp: Path) -> dict:
    """The current tree twice on the same ``--rerun-n`` input: the same bytes?"""
    input_path = tmp / "rerun.jsonl"
    write_input(input_path, texts, args.rerun_n)
    digests = []
    for i in range(2):
        measure(args.current, input_path, tmp / f"rerun_{i}", args.rerun_n, args.nice, args.blas_threads)
        digests.append(file_digests(tmp / f"rerun_{i}"))
    return {"n": args.rerun_n, "files": len(digests[0]), "identical": digests[0] == digests[1]}


if __name__ == "__main__":
    main()
