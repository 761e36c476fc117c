"""Does the static e5 vector help the fast stance model? Hashed n-grams alone vs [hashed n-grams ; scale * static
vector], one logistic regression each, same rows, same weights, same C, same run.

    OMP_NUM_THREADS=1 nice -n 5 python -m training.static_e5.probe [--table FILE] [--scale 1 3] [--cap 2000] [--json OUT]

Rows: the shipped recipe's training rows (``build.training_rows``) with their hashed features from the
``cv_fast.py cache`` folder (refused if they are other rows); weights ``train.sample_weights`` (drama weight 10),
shared groups above ``--cap`` rows subsampled with their mass kept (``cv_fast.capped``) so each fit takes minutes.
Every fit is ``fast_fit.fit`` (C = 3) warm-started from the shipped weights (static columns from 0).
Scored like ``training.sentiment_linear.stance_langs``: macro-F1 per language (cells of at least 20 rows) on the
shared dev split (15 languages), the real-comment dev set and drama dev, plus each set pooled; the shipped weights
are scored too, so the capped baseline can be read against them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.cv_drama import macro_f1
from training.static_e5.build import OUT as TABLE
from training.static_e5.build import training_rows

MIN_ROWS = 20


def held_out() -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    from training.sentiment_linear.stance_langs import SHARED, held_out_sets

    out = {}
    for name, records in held_out_sets(SHARED, drama=True).items():
        out[name] = ([r["text"] for r in records], np.array([SENTIMENT_LABELS.index(r["label"]) for r in records]),
                     np.array([r["lang"] for r in records]))
    return out


def cells(pred: np.ndarray, gold: np.ndarray, langs: np.ndarray) -> dict[str, float]:
    out = {lang: macro_f1(gold[langs == lang], pred[langs == lang]) for lang in sorted(set(langs))
           if (langs == lang).sum() >= MIN_ROWS}
    out["all rows"] = macro_f1(gold, pred)
    return {k: round(v, 4) for k, v in out.items()}


def summary(result: dict[str, dict[str, float]]) -> dict[str, float]:
    shared = {k: v for k, v in result["shared dev"].items() if k != "all rows"}
    no_hi = [v for k, v in shared.items() if k != "hi"]
    return {"shared_mean": round(float(np.mean(list(shared.values()))), 4), "shared_mean_without_hi": round(float(np.mean(no_hi)), 4),
            "shared_min_without_hi": min(no_hi), "real_pooled": result["real comments"]["all rows"],
            "drama_pooled": result["drama dev"]["all rows"]}


def with_static(x, v: np.ndarray, scale: float):
    from scipy import sparse

    return sparse.hstack([x, sparse.csr_matrix(v * scale)], format="csr", dtype=np.float32)


def main() -> None:
    from analyzer.backends.text_features import HashingFeaturizer
    from training.sentiment_linear.cv_fast import CACHE, capped
    from training.sentiment_linear.fast_fit import Fitted, fit
    from training.sentiment_linear.train import OUT_DIR, cached_features, featurize, sample_weights, start_model
    from training.static_e5.vectors import StaticVectors

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0, 3.0])
    ap.add_argument("--c", type=float, default=3.0)
    ap.add_argument("--cap", type=int, default=2000)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = training_rows()
    x = cached_features(CACHE / "train", rows)
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    w = capped(rows, sample_weights(rows, drama_weight=10.0), args.cap)
    static = StaticVectors(args.table)
    keep = np.flatnonzero(w > 0)
    v = np.zeros((len(rows), static.dim), dtype=np.float32)
    v[keep] = static.transform([rows[i].text for i in keep])
    sets = held_out()
    featurizer = HashingFeaturizer()
    dev = {name: (featurize(featurizer, texts).astype(np.float32), static.transform(texts), gold, langs)
           for name, (texts, gold, langs) in sets.items()}
    print(f"{len(keep)} of {len(rows)} rows fitted; features ready ({time.perf_counter() - t0:.0f}s)", flush=True)
    start = start_model(OUT_DIR)
    shipped = Fitted(start.coef_, start.intercept_, np.array([0]))
    results = {"shipped": {n: cells(shipped.predict(d[0]), d[2], d[3]) for n, d in dev.items()}}
    model = fit(x, y, w, args.c, start)
    print(f"hashed: {int(model.n_iter_[0])} iterations ({time.perf_counter() - t0:.0f}s)", flush=True)
    results["hashed"] = {n: cells(model.predict(d[0]), d[2], d[3]) for n, d in dev.items()}
    for scale in args.scale:
        wide = type(start)(coef_=np.hstack([start.coef_, np.zeros((3, static.dim))]), intercept_=start.intercept_,
                           classes_=start.classes_)
        model = fit(with_static(x, v, scale), y, w, args.c, wide)
        print(f"static x{scale:g}: {int(model.n_iter_[0])} iterations ({time.perf_counter() - t0:.0f}s)", flush=True)
        results[f"hashed+static x{scale:g}"] = {n: cells(model.predict(with_static(d[0], d[1], scale)), d[2], d[3])
                                                 for n, d in dev.items()}
    report = {name: {"summary": summary(r), "cells": r} for name, r in results.items()}
    for name, r in report.items():
        print(name, json.dumps(r["summary"]))
    for set_name in dev:
        for lang in results["hashed"][set_name]:
            print(f"{set_name:14} {lang:9} " + " ".join(f"{results[m][set_name].get(lang, float('nan')):.3f}" for m in results))
    if args.json:
        args.json.write_text(json.dumps({"table": str(args.table.name), "c": args.c, "cap": args.cap, "results": report},
                                        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
