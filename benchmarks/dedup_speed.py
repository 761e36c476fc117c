"""CPU seconds of the dedup stage alone on N real comments, for a baseline tree and the current
tree in one run, and whether their keys and decisions are identical.

Each tree runs in its own subprocess (``PYTHONPATH=TREE``): it reads the same input, runs the
normalize stage (untimed) in batches of the default run's size, then passes the batches through
a fresh ``DedupStage`` with the default settings, timing its three steps with
``time.process_time`` (CPU seconds, which other jobs on the machine move less than wall time):
``prepare`` (the keys: fingerprints, noise, digests, MinHash signatures; the run's workers do
this), ``decide_batch`` (the windows, in input order; the main process) and ``annotate``. Each
process makes ``--passes`` passes, each with a fresh stage; the fastest pass counts. Each tree
writes one line per comment (the keys ``DedupStage.keys`` gives, the signature and its band keys
included, and the decisions); the parent compares them line by line. The input is N real
comments from ``../shared/data`` written by ``cli_speed.write_input`` (texts cycled beyond the
distinct ones, as in ``cli_speed``) to a temporary folder and deleted after the run; no text is
kept. The baseline tree is any folder holding an ``analyzer`` package, e.g.
``git worktree add --detach /tmp/dedup/base e19c177``.

    python benchmarks/dedup_speed.py --n 50000 --baseline /tmp/dedup/base \
        --json-out benchmarks/results/dedup_speed.json --md-out benchmarks/results/dedup_speed.md
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("prepare", "decide", "annotate")


# ---- worker: runs inside one tree -------------------------------------------------------
def normalized_batches(path: str) -> list[list]:
    from analyzer import defaults
    from analyzer.config import Config
    from analyzer.io import ReadContext, read_comments
    from analyzer.schema import Comment
    from analyzer.stages import default_stages

    comments = [c for c in read_comments([path], ReadContext()) if isinstance(c, Comment)]
    normalize = next(s for s in default_stages(Config()) if s.name == "normalize")
    size = defaults.BATCH_SIZE
    return [normalize(comments[i:i + size]) for i in range(0, len(comments), size)]


def fresh_dedup():
    from analyzer.config import Config
    from analyzer.stages import default_stages

    return next(s for s in default_stages(Config()) if s.name == "dedup")


def timed_pass(batches: list[list]) -> tuple[dict, list, list, dict]:
    """One pass through a fresh stage: CPU seconds per step, the keys, the annotated batches."""
    stage, clock = fresh_dedup(), time.process_time
    seconds, keys, out = dict.fromkeys(STEPS, 0.0), [], []
    for batch in batches:
        start = clock()
        prepared = stage.prepare(batch)
        middle = clock()
        decided = stage.decide_batch(batch, prepared)
        end = clock()
        out.append(stage.annotate(batch, decided))
        seconds["prepare"] += middle - start
        seconds["decide"] += end - middle
        seconds["annotate"] += clock() - end
        keys.extend(prepared)
    return seconds, keys, out, stage.summary()


def row(k, c, stage) -> list:
    """One comment's keys (signature as hex, with its band keys) and decisions."""
    sig = k.signature
    bands = [b.hex() for b in stage._band_keys(sig)] if sig is not None else None
    return [c.id, k.id_key, k.noise, k.author_key, k.text_key, sig.hex() if sig is not None else None, bands,
            c.dup_count, c.duplicate_of, c.noise, c.extra.get("duplicate_reason"), c.extra.get("noise_reason")]


def worker(path: str, out: str, passes: int) -> None:
    batches = normalized_batches(path)
    runs = []
    for _ in range(passes):
        seconds, keys, annotated, summary = timed_pass(batches)
        runs.append(seconds)
    stage = fresh_dedup()
    comments = [c for batch in annotated for c in batch]
    with open(out, "w", encoding="utf-8") as handle:
        for k, c in zip(keys, comments):
            handle.write(json.dumps(row(k, c, stage), ensure_ascii=False) + "\n")
    best = min(runs, key=lambda s: sum(s.values()))
    print(json.dumps({"n": len(comments), "cpu_seconds": round(sum(best.values()), 3),
                      "steps": {k: round(v, 3) for k, v in best.items()},
                      "passes": [round(sum(s.values()), 3) for s in runs], "summary": summary}))


# ---- parent: one subprocess per tree ------------------------------------------------------
def run_tree(tree: Path, input_path: Path, out: Path, passes: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(input_path), str(out),
           "--passes", str(passes)]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: the dedup stage failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


FIELDS = ("id_key", "noise_key", "author_key", "text_key", "signature", "band_keys",
          "dup_count", "duplicate_of", "noise", "duplicate_reason", "noise_reason")


def compare(a: Path, b: Path) -> dict:
    """Share of comments whose keys and decisions are identical, per field and over all, and
    whether the two files are the same bytes (main() puts benchmarks/ on sys.path)."""
    from themes_stage_speed import compare as same_rows

    out = same_rows(a, b, FIELDS)
    if "same_ids" not in out:
        out["sha256_equal"] = hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    return out


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["cpu_seconds"])


def markdown(result: dict) -> str:
    b, c = result["baseline"], result["current"]
    lines = ["# Dedup stage speed (`benchmarks/dedup_speed.py`)", "",
             f"`DedupStage` (default settings) alone on {result['input']['n']:,} real comments "
             f"({result['input']['distinct_texts']:,} distinct texts, mean {result['input']['mean_chars']} chars, "
             f"p90 {result['input']['p90_chars']}), after the normalize stage (untimed), batches of "
             f"{result['batch_size']}; CPU seconds (`process_time`) per step: `prepare` (keys: fingerprints, "
             "noise, digests, MinHash signatures; done by the run's workers), `decide` (the windows, in order; "
             "the main process), `annotate`. Both trees ran in this run, alternating, "
             f"{result['repeat']} process(es) each, {result['passes']} passes per process (a fresh stage "
             f"each); the fastest pass counts. Load average {result['load_before']:.1f} before, "
             f"{result['load_after']:.1f} after (2 cores shared with other jobs).", "",
             "| tree | prepare s | decide s | annotate s | total CPU s | comments per CPU-s |", "|---|---|---|---|---|---|"]
    for name, r in (("baseline", b), ("current", c)):
        s = r["steps"]
        lines.append(f"| {name} (`{result['trees'][name]}`) | {s['prepare']:.2f} | {s['decide']:.2f} | "
                     f"{s['annotate']:.2f} | {r['cpu_seconds']:.2f} | {r['n'] / r['cpu_seconds']:,.0f} |")
    lines += ["", f"Speed-up (CPU): **{result['speedup']:.2f}x** (prepare {result['step_speedups']['prepare']:.2f}x, "
              f"decide {result['step_speedups']['decide']:.2f}x, annotate {result['step_speedups']['annotate']:.2f}x). "
              f"Keys and decisions identical (share of comments, per field): {json.dumps(result['agreement'])}; "
              f"summaries equal: {result['summaries_equal']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("INPUT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--baseline", type=Path, required=False)
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=2, help="processes per tree, alternating")
    parser.add_argument("--passes", type=int, default=2, help="passes per process (a fresh stage each)")
    parser.add_argument("--json-out")
    parser.add_argument("--md-out")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.passes)
        return
    sys.path.insert(0, str(HERE))
    import cli_speed
    from timing import emit

    from analyzer import defaults

    trees = {"current": args.current.resolve()}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    with tempfile.TemporaryDirectory(prefix="dedup_speed_") as tmp:
        tmp = Path(tmp)
        input_path = tmp / "comments.jsonl"
        stats = cli_speed.write_input(input_path, cli_speed.real_texts(args.data), args.n)
        result: dict = {"input": stats, "batch_size": defaults.BATCH_SIZE, "repeat": args.repeat,
                        "passes": args.passes, "trees": {k: str(v) for k, v in trees.items()},
                        "load_before": os.getloadavg()[0]}
        runs: dict[str, list] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                runs[name].append(run_tree(tree, input_path, tmp / f"{name}.jsonl", args.passes))
        result["load_after"] = os.getloadavg()[0]
        for name in trees:
            result[name] = _best(runs[name])
            result[f"{name}_runs"] = [r["cpu_seconds"] for r in runs[name]]
        if args.baseline:
            b, c = result["baseline"], result["current"]
            result["speedup"] = round(b["cpu_seconds"] / c["cpu_seconds"], 2)
            result["step_speedups"] = {s: round(b["steps"][s] / max(c["steps"][s], 1e-9), 2) for s in STEPS}
            result["agreement"] = compare(tmp / "baseline.jsonl", tmp / "current.jsonl")
            result["summaries_equal"] = b["summary"] == c["summary"]
    emit(result, args.json_out)
    if args.md_out and args.baseline:
        Path(args.md_out).write_text(markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
