"""Fit the capped recipe with the s12 written stance rows at a given weight, for a same-run dev comparison.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.written_probe --weight 0 --out /tmp/w0 [--cache DIR] [--cap 1000]
    python -m training.sentiment_linear.stance_langs --tiers '' --drama --tier w0=/tmp/w0 --tier w5=/tmp/w5

The rows, features and weights of ``cv_fast.py`` (``cv_fast.py cache``: train.py's rows with the written rows last),
every row (no fold held), shared groups above ``--cap`` rows subsampled with their mass kept, C = 3, started from the
shipped weights: the same recipe at weight 0 (baseline) and at the weight the training-side CV chose, so the two
artifacts differ only by the written rows. Used when a fit on all rows does not fit the session (the s11 static-e5
probe did the same); the shipped artifact is always ``train.py`` on all rows.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from analyzer.backends.text_features import HashingFeaturizer
from training.sentiment_linear.cv_fast import CACHE, capped
from training.sentiment_linear.fast_fit import Features, fit
from training.sentiment_linear.train import DEFAULT_C, OUT_DIR, sample_weights, start_model, write_artifact


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weight", type=float, required=True, help="weight of one s12 written stance row")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--cap", type=int, default=1000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = Features.load(args.cache / "train")
    w = capped(data.rows, sample_weights(data.rows, drama_weight=10.0, stance_written_weight=args.weight), args.cap)
    model = fit(data.x, data.y, w, DEFAULT_C, start_model(OUT_DIR))
    info = {"probe": "training/sentiment_linear/written_probe.py", "stance_written_weight": args.weight, "cap": args.cap,
            "C": DEFAULT_C, "rows_fitted": int((w > 0).sum()), "iterations": int(model.n_iter_[0]),
            "started_from": str(OUT_DIR)}
    write_artifact(args.out, HashingFeaturizer(), model, info)
    print(f"wrote {args.out}: {info['rows_fitted']} rows, {info['iterations']} iterations ({time.perf_counter() - t0:.0f}s)")


if __name__ == "__main__":
    main()
