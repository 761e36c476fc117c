"""CPU seconds of ``ResonanceAccumulator._merge_quotes`` (the main process folding each worker
part's quote candidates into its own) for two trees, on the same parts.

    python benchmarks/merge_quotes_speed.py --baseline /tmp/base [--current .] [--n 50000] \
        [--rounds 3] [--reps 5] [--json-out F]

The current tree annotates the first N comments of ``--input`` once in one process with the default
pipeline, as ``analyzer run``'s workers do (``runner.BatchOutputs``, one part per batch), and keeps
each part's quote candidates (plain dicts of tuples, the same in every tree; as JSON). Then each tree, in a
subprocess of its own and in turn (``--rounds`` times), merges them into an empty accumulator,
best of ``--reps`` (``time.process_time``), and prints a digest of the candidates kept, slot by slot
in order (equal digests: the same quotes in the same order).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ANNOTATE = r"""
import itertools, json, sys
tree, inp, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, tree)
from analyzer import runner
from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.schema import Comment
config = Config()
pipeline = runner.build_pipeline(config)
settings = runner._aggregate_settings(config, pipeline)
comments = (c for c in itertools.islice(read_comments([inp], ReadContext()), n) if isinstance(c, Comment))
quotes = [[[slot, list(cands.items())] for slot, cands in part.accumulator._quotes.items()]
          for part in pipeline.batches(comments, None, runner.BatchOutputs(settings))]
with open(out, "w", encoding="utf-8") as handle:
    json.dump(quotes, handle)
"""

MERGE = r"""
import hashlib, json, sys, time
tree, parts, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tree)
from analyzer.aggregate import ResonanceAccumulator
with open(parts, encoding="utf-8") as handle:  # back to tuples: slot -> {author: candidate}
    quotes = [{tuple(slot): {author: tuple(cand) for author, cand in cands} for slot, cands in part}
              for part in json.load(handle)]
best, acc = None, None
for _ in range(reps):
    acc = ResonanceAccumulator()
    start = time.process_time()
    for theirs in quotes:
        acc._merge_quotes(theirs)
    took = time.process_time() - start
    best = took if best is None else min(best, took)
kept = [(slot, list(cands.items())) for slot, cands in acc._quotes.items()]
print(json.dumps({"merge_quotes_s": round(best, 4), "slots": len(kept),
                  "digest": hashlib.sha256(repr(kept).encode()).hexdigest()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--input", default="/tmp/lead/in200k.jsonl")
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="merge-quotes-") as tmp:
        parts = str(Path(tmp) / "quotes.json")
        subprocess.run([sys.executable, "-c", ANNOTATE, str(args.current), args.input, str(args.n), parts],
                       env=env, check=True)
        for round_ in range(args.rounds):
            for name, tree in (("baseline", args.baseline), ("current", args.current)):
                load = os.getloadavg()[0]
                done = subprocess.run([sys.executable, "-c", MERGE, str(tree), parts, str(args.reps)], env=env,
                                      capture_output=True, text=True, check=True)
                row = {"tree": name, "path": str(tree), "round": round_, **json.loads(done.stdout.splitlines()[-1]),
                       "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    best = {name: min(r["merge_quotes_s"] for r in rows if r["tree"] == name) for name in ("baseline", "current")}
    summary = {"n": args.n, "input": args.input, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "best": best, "ratio_current_over_baseline": round(best["current"] / best["baseline"], 3),
               "same_quotes": len({r["digest"] for r in rows}) == 1, "runs": rows}
    print(json.dumps({k: summary[k] for k in ("best", "ratio_current_over_baseline", "same_quotes")}))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
