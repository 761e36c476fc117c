"""CPU seconds of the stages the worker processes run, per stage, for several trees in the same run.

    python benchmarks/worker_stage_pairs.py INPUT --run base=/tmp/base --run current=. \
        [--n 20000] [--rounds 3] [--json-out benchmarks/results/X.json]

Each round runs every tree once, in turn, each in a fresh subprocess (``PYTHONPATH=TREE``):
the first N comments of INPUT (a JSONL as ``cli_speed.write_input`` writes) go through the
default pipeline's in-order stages (normalize, dedup, link) untimed, then through the
stateless tail (langid, region, sentiment, mentions, themes: what a worker runs) timed with
``time.process_time`` per stage. The first batch is timed apart (``first``: what a worker
builds on first use, e.g. cue matchers; in a real run the main process builds it before the
fork). ``logits``: sentiment.linear.v1's ``LinearModel.logits`` alone over the same texts in
512-text batches. ``digest``: sha256 of every annotated comment's fields, so a row says
whether the tree annotates exactly as the first one. One JSON line per run; the JSON file
holds them all with the per-stage medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import hashlib, itertools, json, sys, time
sys.path.insert(0, sys.argv[3])  # the tree's package, not the one in the current folder
from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.schema import FIELD_NAMES, Comment
from analyzer.stages import default_stages
path, n, batch = sys.argv[1], int(sys.argv[2]), 512
comments = [c for c in itertools.islice(read_comments([path], ReadContext()), n) if isinstance(c, Comment)]
stages = default_stages(Config())
head = [s for s in stages if s.name in ("normalize", "dedup", "link")]
tail = [s for s in stages if s not in head]
first = {s.name: 0.0 for s in tail}
rest = dict(first)
digest = hashlib.sha256()
for k in range(0, len(comments), batch):
    part = comments[k:k + batch]
    for stage in head:
        part = stage(part)
    for stage in tail:
        start = time.process_time()
        part = stage(part)
        (first if k == 0 else rest)[stage.name] += time.process_time() - start
    for c in part:
            digest.update(repr([getattr(c, f) for f in FIELD_NAMES]).encode())
model = LinearSentimentBackend().model
texts = [c.model_text for c in comments]
model.logits(texts[:batch])
start = time.process_time()
for k in range(0, len(texts), batch):
    model.logits(texts[k:k + batch])
logits = time.process_time() - start
import analyzer
print(json.dumps({"package": analyzer.__file__, "first": first, "rest": rest, "rest_total": sum(rest.values()), "logits": logits,
                  "digest": digest.hexdigest()}))
"""


def run_one(tree: str, inp: str, n: int) -> dict:
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, inp, str(n), tree], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--run", action="append", required=True, help="NAME=TREE")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.run)
    runs = []
    for round_ in range(args.rounds):
        for name, tree in trees.items():
            load = os.getloadavg()[0]
            result = run_one(str(Path(tree).resolve()), args.input, args.n)
            row = {"round": round_, "name": name, "tree": tree, "load_before": round(load, 1), **result}
            row["same_annotations_as_first"] = result["digest"] == runs[0]["digest"] if runs else True
            runs.append(row)
            print(json.dumps(row), flush=True)
    keys = ["rest_total", "logits", *runs[0]["rest"]]
    medians = {name: {key: round(statistics.median(r[key] if key in r else r["rest"][key]
                                                   for r in runs if r["name"] == name), 3) for key in keys}
               for name in trees}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"input": args.input, "n": args.n, "runs": runs,
                                                   "medians_cpu_s": medians}, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
