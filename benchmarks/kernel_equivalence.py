"""The compiled kernels of ``text_features`` (``analyzer/backends/_hashed.c``) give the numpy code's
results on real comments, and how much CPU each path takes.

For each featurizer that ships with a model (``themes.hybrid.v1``, ``polarity.clause.v1``,
``sentiment.linear.v1``), over the same texts in batches of 512 (as in a run): the hashed n-grams
(``HashingFeaturizer.ngrams``: rows and columns, compiled vs numpy, compared array by array) and,
for the models with ``HashedHeads``, the head sums (``HashedHeads.scores``, compared bit for bit).
The two paths run one after the other on each batch, so the CPU seconds are from the same minutes.
Input: a JSONL file with a ``text`` field (e.g. one written by ``benchmarks/cli_speed.write_input``).
Prints JSON (counts and seconds only; writes no text).

    python benchmarks/kernel_equivalence.py /tmp/lead/in200k.jsonl --json-out benchmarks/results/tkern13_kernel_equivalence.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from regex_prefilter_equivalence import BATCH, read_texts


def models() -> dict:
    from analyzer.backends.aspect_polarity import ClausePolarityBackend
    from analyzer.backends.sentiment_linear import LinearModel, default_model_dir
    from analyzer.backends.themes_hybrid import HybridThemeBackend

    hybrid, polarity = HybridThemeBackend().model, ClausePolarityBackend().model
    return {"themes.hybrid.v1": (hybrid.featurizer, hybrid.weights),
            "polarity.clause.v1": (polarity.featurizer, polarity.weights),
            "sentiment.linear.v1": (LinearModel.load(default_model_dir()).featurizer, None)}


def _timed(fn, *args, **kwargs):
    start = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - start


def compare(texts: list[str], featurizer, heads) -> dict:
    from analyzer.backends.text_features import Features

    out = {"batches": 0, "ngrams": 0, "ngram_batches_differing": 0, "score_cells": 0, "score_cells_differing": 0,
           "cpu_s": {"ngrams_compiled": 0.0, "ngrams_numpy": 0.0, "sums_compiled": 0.0, "sums_numpy": 0.0}}
    cpu = out["cpu_s"]
    for start in range(0, len(texts), BATCH):
        batch = texts[start:start + BATCH]
        cp = np.frombuffer(featurizer.normalize_joined(batch).encode("utf-32-le"), dtype=np.uint32)
        (rows, cols), seconds = _timed(featurizer.ngrams, cp, compiled=True)
        cpu["ngrams_compiled"] += seconds
        (ref_rows, ref_cols), seconds = _timed(featurizer.ngrams, cp, compiled=False)
        cpu["ngrams_numpy"] += seconds
        out["batches"] += 1
        out["ngrams"] += len(rows)
        out["ngram_batches_differing"] += int(not (np.array_equal(rows, ref_rows) and np.array_equal(cols, ref_cols)))
        if heads is None:
            continue
        counts = np.bincount(ref_rows, minlength=len(batch))[:len(batch)]
        features = Features(ref_rows, ref_cols, (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32), len(batch))
        fast, seconds = _timed(heads.scores, features, compiled=True)
        cpu["sums_compiled"] += seconds
        plain, seconds = _timed(heads.scores, features, compiled=False)
        cpu["sums_numpy"] += seconds
        out["score_cells"] += plain.size
        out["score_cells_differing"] += int((fast.view(np.uint32) != plain.view(np.uint32)).sum())
    out["cpu_s"] = {k: round(v, 3) for k, v in cpu.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, help="JSONL with a text field")
    parser.add_argument("--limit", type=int, help="only the first N records")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    from analyzer.backends import text_features

    if text_features._hashed is None:
        raise SystemExit("the compiled kernels are not built: pip install -e . (or python setup.py build_ext --inplace)")
    texts = read_texts(args.input, args.limit)
    result = {"input": {"texts": len(texts), "distinct": len(set(texts))}, "batch": BATCH,
              "load_before": round(os.getloadavg()[0], 1),
              "models": {name: compare(texts, featurizer, heads) for name, (featurizer, heads) in models().items()}}
    result["load_after"] = round(os.getloadavg()[0], 1)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
