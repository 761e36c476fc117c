"""CPU seconds of themes.hybrid.v1's head probabilities for a batch whose n-grams the sentiment
stage has just made (``text_features._Recent``: taken, their columns masked) and for the same
batch with that memo cleared first (normalized and hashed again, as before the memo), in the same
process, interleaved, and whether the probabilities are the same.

    python benchmarks/theme_ngrams_reuse.py /tmp/lead/in20k.jsonl [--n 20000] [--rounds 5] \\
        [--json-out benchmarks/results/X.json]

The texts are the ``text`` fields of the first N records (batches of 512, every text kept).
Per batch and round: ``LinearSentimentBackend.predict_proba`` (untimed, as the sentiment stage
runs it), then ``HybridModel.probabilities`` timed once with the memo as the sentiment call left
it and once after clearing it (the clearing untimed); the least CPU of the rounds is reported.
No text is written.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    from analyzer.backends import text_features
    from analyzer.backends.sentiment_linear import LinearSentimentBackend
    from analyzer.backends.themes_hybrid import HEADS, HybridThemeBackend

    sentiment, model = LinearSentimentBackend(), HybridThemeBackend().model
    with open(args.input, encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in itertools.islice(handle, args.n)]
    batches = [texts[k:k + 512] for k in range(0, len(texts), 512)]
    best = {"reused": float("inf"), "made_again": float("inf")}
    rounds, same = [], True
    for _ in range(args.rounds):
        spent = dict.fromkeys(best, 0.0)
        for batch in batches:
            lex = np.zeros((len(batch), len(HEADS)), dtype=np.float32)
            found = {}
            for name in best:
                sentiment.predict_proba(batch)
                if name == "made_again":
                    text_features._Recent.normalized = text_features._Recent.hashed = None
                start = time.process_time()
                found[name] = model.probabilities(batch, lex)
                spent[name] += time.process_time() - start
            same = same and np.array_equal(found["reused"], found["made_again"])
        rounds.append({k: round(v, 4) for k, v in spent.items()})
        best = {k: min(best[k], spent[k]) for k in best}
    out = {"input": args.input, "n": len(texts), "load_average": [round(x, 2) for x in os.getloadavg()],
           "same_probabilities": same, "rounds": rounds, "least_cpu_s": {k: round(v, 4) for k, v in best.items()},
           "reused_over_made_again": round(best["reused"] / best["made_again"], 3)}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
