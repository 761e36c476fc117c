"""Error analysis of themes.hybrid.v1 on its TRAINING rows: out-of-fold precision / recall per label.

    OMP_NUM_THREADS=1 python -m training.themes_hybrid.cv_report [--oof /tmp/x.npz] [--out runs/....json]

Same folds, features and decision rule as ``train.py`` at the shipped model's C, class weighting and
lexicon scale (``--fixed``'s grid point, union on). For every label and CV domain (``real``: variety
show and film reviews; ``real_drama``: Douban / Kinolights comments on the training dramas; ``drama``:
the drama comments we wrote) it prints support, predicted, precision and recall at the shipped
thresholds, so a weak label shows whether it fails by missing cues (recall) or by firing wrongly
(precision); then, per label, the best threshold of that label's own out-of-fold F1 pooled over the
domains (domain rows weighted so each domain counts once), and a nested check of whether such
per-label thresholds beat the shared ones: chosen on one random half of the out-of-fold rows, scored
(train.py's objective: theme and intent micro-F1, mean over domains) on the other half, both ways, three
splits. The dev sets are never read.
``--oof`` keeps the out-of-fold probabilities (npz) for a second look without refitting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from analyzer.backends.text_features import HashingFeaturizer
from analyzer.backends.themes_hybrid import HEADS, LEXICON_THRESHOLD
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from training.themes_hybrid.train import (N_FEATURES, ROOT, SEED, decide, domain_masks, domain_scores, features,
                                          fit_heads, fixed_grid, load_records, probabilities, targets)

SHIPPED = ROOT / "analyzer" / "_models" / "themes-hybrid"
GRID_THRESHOLDS = tuple(np.round(np.arange(0.05, 0.8, 0.05), 2))


def out_of_fold(data, n_scored: int, point: dict) -> np.ndarray:
    X, lex, _, y = data
    oof = np.zeros((n_scored, len(HEADS)))
    always = np.arange(n_scored, X.shape[0])
    for train_idx, test_idx in KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_scored)):
        fit_idx = np.concatenate([train_idx, always])
        W, L, b = fit_heads(X[fit_idx], lex[fit_idx], y[fit_idx], **point)
        oof[test_idx] = probabilities(X[test_idx], lex[test_idx], W, L, b)
    return oof


def counts(y: np.ndarray, pred: np.ndarray) -> dict:
    tp, fp, fn = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()), int((~pred & (y == 1)).sum())
    return {"support": tp + fn, "predicted": tp + fp, "tp": tp,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp else 0.0}


def weighted_f1(y, pred, weights) -> float:
    tp = float((weights * (pred & (y == 1))).sum())
    fp = float((weights * (pred & (y == 0))).sum())
    fn = float((weights * (~pred & (y == 1))).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def report(oof, data, masks, thresholds: dict, union: bool) -> dict:
    _, lex, noise, y = data
    n = len(oof)
    pred = decide(oof, lex[:n], noise[:n], 0, 0, union, [thresholds[h] for h in HEADS])
    weights = np.zeros(n)
    for mask in masks.values():
        weights[mask] = 1.0 / mask.sum()
    out = {}
    for k, head in enumerate(HEADS):
        row = {name: counts(y[:n][mask, k], pred[mask, k]) for name, mask in masks.items()}
        best = max(GRID_THRESHOLDS, key=lambda t: weighted_f1(
            y[:n, k], decide(oof, lex[:n], noise[:n], t, t, union)[:, k], weights))
        best_pred = decide(oof, lex[:n], noise[:n], best, best, union)[:, k]
        row["best_threshold"] = float(best)
        row["weighted_f1_shipped"] = round(weighted_f1(y[:n, k], pred[:, k], weights), 3)
        row["weighted_f1_best"] = round(weighted_f1(y[:n, k], best_pred, weights), 3)
        out[head] = row
    return out


def choose_thresholds(oof, data, idx, weights, shared: dict, min_positives: int) -> np.ndarray:
    """Each head's threshold maximising its own weighted F1 on rows ``idx`` (heads with fewer positives
    keep the shared threshold)."""
    _, lex, noise, y = data
    thr = np.array([shared[h] for h in HEADS], dtype=float)
    for k in range(len(HEADS)):
        if y[idx, k].sum() >= min_positives:
            thr[k] = max(GRID_THRESHOLDS, key=lambda t: weighted_f1(
                y[idx, k], decide(oof[idx], lex[idx], noise[idx], t, t, True)[:, k], weights[idx]))
    return thr


def nested_check(oof, data, masks, shared: dict, union: bool, seed: int = 7) -> list[dict]:
    """Per-label thresholds chosen on half the rows vs the shared thresholds, scored on the other half."""
    _, lex, noise, y = data
    n = len(oof)
    weights = np.zeros(n)
    for mask in masks.values():
        weights[mask] = 1.0 / mask.sum()
    shared_thr = [shared[h] for h in HEADS]
    rng, out = np.random.default_rng(seed), []
    for split in range(3):
        perm = rng.permutation(n)
        for pick, score in ((perm[: n // 2], perm[n // 2:]), (perm[n // 2:], perm[: n // 2])):
            thr = choose_thresholds(oof, data, pick, weights, shared, 10)
            sub = {name: mask[score] for name, mask in masks.items()}
            row = {"split": split}
            for name, t in (("shared", shared_thr), ("per_label", thr)):
                s = domain_scores(y[score], decide(oof[score], lex[score], noise[score], 0, 0, union, t), sub)
                row[name] = {"theme": s["cv_theme_micro_f1"], "intent": s["cv_intent_micro_f1"]}
            out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--model", default=str(SHIPPED), help="model folder whose meta.json gives C / weighting / scale / thresholds")
    ap.add_argument("--oof", help="npz to cache the out-of-fold probabilities in (read when it exists)")
    ap.add_argument("--out", help="JSON to write the per-label report to")
    args = ap.parse_args()
    real, drama, synthetic = load_records(args.shared)
    records = real + drama + synthetic
    masks = domain_masks(real, len(drama))
    n_scored = len(real) + len(drama)
    X, lex, noise = features(records, HashingFeaturizer(n_features=N_FEATURES), LexiconThemeBackend(threshold=LEXICON_THRESHOLD))
    data = (X, lex, noise, targets(records))
    meta = json.loads((Path(args.model) / "meta.json").read_text(encoding="utf-8"))
    point = {k: v[0] for k, v in fixed_grid(Path(args.model)).items()}
    if args.oof and Path(args.oof).is_file():
        oof = np.load(args.oof)["oof"]
    else:
        oof = out_of_fold(data, n_scored, point)
        if args.oof:
            np.savez_compressed(args.oof, oof=oof)
    result = {"rows": {name: int(m.sum()) for name, m in masks.items()}, "point": point,
              "labels": report(oof, data, masks, meta["thresholds"], meta["union"])}
    print(f"{'label':<15}" + "".join(f"{name:>34}" for name in masks) + "   best thr  wF1 shipped->best")
    for head, row in result["labels"].items():
        cells = "".join(f"{'n=%d p=%.2f r=%.2f f=%.2f' % (row[m]['support'], row[m]['precision'], row[m]['recall'], row[m]['f1']):>34}"
                        for m in masks)
        print(f"{head:<15}{cells}   {row['best_threshold']:.2f}  {row['weighted_f1_shipped']:.3f}->{row['weighted_f1_best']:.3f}")
    result["nested_per_label_thresholds"] = nested_check(oof, data, masks, meta["thresholds"], meta["union"])
    for row in result["nested_per_label_thresholds"]:
        print("nested split", row["split"], "shared", row["shared"], "per-label", row["per_label"])
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
