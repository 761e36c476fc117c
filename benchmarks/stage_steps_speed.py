"""CPU seconds of some stages of the default pipeline, step by step (``predict`` and ``annotate``),
for a baseline tree and this tree in the same run, and whether their annotations are identical.

Each tree runs in its own subprocess (``PYTHONPATH=TREE``), the trees in turns, ``--repeat``
processes each. A process reads the JSONL input (e.g. ``/tmp/lead/in20k.jsonl``, written by
``cli_speed.write_input``), runs the stages before each measured stage (untimed) in batches of
``--batch-size``, then makes ``--passes`` passes of each measured stage over the batches, a fresh
stage per pass (so no answer cache is warm) with the garbage collector off while timing, and keeps
the fastest pass of each step (``time.process_time``: CPU seconds, which other jobs on the machine
move less than wall time). It also prints a digest of every comment after each measured stage; the
parent compares the trees' digests. Texts are never written anywhere.

    python benchmarks/stage_steps_speed.py /tmp/lead/in20k.jsonl --baseline /tmp/base \\
        --stages dedup langid sentiment --json-out benchmarks/results/x.json --md-out benchmarks/results/x.md
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker(path: str, names: list[str], passes: int, batch_size: int) -> dict:
    from analyzer.config import Config
    from analyzer.io import ReadContext, read_comments
    from analyzer.schema import Comment
    from analyzer.stages import default_stages

    comments = [c for c in read_comments([path], ReadContext()) if isinstance(c, Comment)]
    order = [s.name for s in default_stages(Config())]
    batches = [comments[i:i + batch_size] for i in range(0, len(comments), batch_size)]
    done, out = 0, {}
    for name in sorted(names, key=order.index):
        index = order.index(name)
        for stage in default_stages(Config())[done:index]:  # the stages before it, untimed
            batches = [stage(b) for b in batches]
        done = index
        default_stages(Config())[index](batches[-1])  # models loaded before timing
        best, annotated = {"predict": float("inf"), "annotate": float("inf")}, None
        for _ in range(passes):
            stage = default_stages(Config())[index]
            spent, annotated = {"predict": 0.0, "annotate": 0.0}, []
            gc.collect()
            gc.disable()
            try:
                for batch in batches:
                    start = time.process_time()
                    predictions = stage.predict(batch)
                    middle = time.process_time()
                    annotated.append(stage.annotate(batch, predictions))
                    spent["predict"] += middle - start
                    spent["annotate"] += time.process_time() - middle
            finally:
                gc.enable()
            best = {step: min(best[step], spent[step]) for step in best}
        digest = hashlib.sha256(repr([c.__reduce__()[1] for b in annotated for c in b]).encode()).hexdigest()
        out[name] = {**{k: round(v, 4) for k, v in best.items()}, "digest": digest[:16]}
        batches, done = annotated, index + 1
    return {"n": len(comments), "stages": out}


def run_tree(tree: Path, args) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, __file__, args.input, "--worker", "--stages", *args.stages,
               "--passes", str(args.passes), "--batch-size", str(args.batch_size)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(runs: dict[str, list[dict]], stages: list[str]) -> dict:
    table = {}
    for name in stages:
        row = {}
        for tree, results in runs.items():
            for step in ("predict", "annotate"):
                row[f"{tree}_{step}"] = min(r["stages"][name][step] for r in results)
            row[f"{tree}_total"] = round(min(r["stages"][name]["predict"] + r["stages"][name]["annotate"] for r in results), 4)
        row["ratio"] = round(row["baseline_total"] / row["current_total"], 3)
        row["identical"] = len({r["stages"][name]["digest"] for results in runs.values() for r in results}) == 1
        table[name] = row
    base = sum(table[s]["baseline_total"] for s in stages)
    cur = sum(table[s]["current_total"] for s in stages)
    return {"stages": table, "baseline_total": round(base, 4), "current_total": round(cur, 4), "ratio": round(base / cur, 3)}


def markdown(result: dict) -> str:
    n = result["n"]
    lines = [f"CPU seconds per {n} comments (best of {result['repeat']} processes x {result['passes']} passes per tree, "
             f"trees in turns; load average {result['load_before']} before, {result['load_after']} after).", "",
             "| stage | baseline predict | baseline annotate | current predict | current annotate | baseline / current | identical |",
             "|---|---|---|---|---|---|---|"]
    for name, row in result["summary"]["stages"].items():
        lines.append(f"| {name} | {row['baseline_predict']:.3f} | {row['baseline_annotate']:.3f} | {row['current_predict']:.3f} | "
                     f"{row['current_annotate']:.3f} | {row['ratio']:.2f}x | {'yes' if row['identical'] else 'NO'} |")
    s = result["summary"]
    lines.append(f"| all | {s['baseline_total']:.3f} | | {s['current_total']:.3f} | | {s['ratio']:.2f}x | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--stages", nargs="+", default=["dedup", "langid", "sentiment"])
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--repeat", type=int, default=2, help="processes per tree, in turns")
    parser.add_argument("--passes", type=int, default=3, help="passes per process, a fresh stage each")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--md-out", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.input, args.stages, args.passes, args.batch_size)))
        return
    if args.baseline is None:
        parser.error("--baseline is required (a folder holding the baseline analyzer package)")
    load_before = round(os.getloadavg()[0], 2)
    runs: dict[str, list[dict]] = {"baseline": [], "current": []}
    for _ in range(args.repeat):
        for tree, path in (("baseline", args.baseline), ("current", args.current)):
            runs[tree].append(run_tree(path, args))
    result = {"n": runs["current"][0]["n"], "input": Path(args.input).name, "repeat": args.repeat, "passes": args.passes,
              "batch_size": args.batch_size, "load_before": load_before, "load_after": round(os.getloadavg()[0], 2),
              "summary": summarize(runs, args.stages), "runs": runs}
    text = markdown(result)
    print(text)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.md_out:
        args.md_out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
