"""Train themes.e5.v1: per-label logistic heads over [e5 embedding, hybrid probabilities, cue scores].

Data: exactly the hybrid's (data/trainsets/*.labels.jsonl joined from ../shared/data, the
written drama comments data/trainsets/themes_synthetic_drama.jsonl, and the cue rows
data/trainsets/themes_synthetic.jsonl); the dev set is never read
except by the hybrid loader's overlap check. Stacking: the hybrid's probabilities used
as training inputs are out-of-fold (5 folds over scored and cue rows, the hybrid's
own hyper-parameters from its meta.json), so the heads learn how far to trust the hybrid
on text it has not seen. Hyper-parameters (C, class weighting, block scales, union with
the lexicon, one threshold for themes and one for intents) are chosen by 5-fold CV on
the scored rows (real and written drama comments; cue rows always in the training folds,
never scored), maximising the mean over the two domains of theme + intent micro-F1, as
for the hybrid. The grid includes hybrid scale 0
(e5 + cue scores only): an ablation reported next to the chosen model.

    OMP_NUM_THREADS=1 python -m training.themes_e5.train [--out DIR] [--hybrid DIR]

``--fixed``: keep the shipped model's C, class weighting and block scales (its meta.json) and
choose only the thresholds and union by CV: one grid point instead of 54, for a retrain on new
rows on a busy machine. When the hybrid scale is 0 the heads never read the hybrid, so its
out-of-fold probabilities are not computed and no hybrid_sha1 is pinned.

``--hybrid``: the themes.hybrid.v1 folder whose hyper-parameters and features the stacking
uses and whose weights' sha1 the artifact records (default: the shipped one); ship the two together.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
from training.themes_e5.common import ROOT, cache_path, embed_cached, hybrid_train_module, resolve_adapter
from training.common import write_model_meta
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from analyzer.backends.embedding.lora import adapter_digest
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.backends.text_features import HashingFeaturizer
from analyzer.backends.themes_e5 import decide, default_model_dir, hybrid_fingerprint, stack_features
from analyzer.backends.themes_hybrid import HEADS, LEXICON_THRESHOLD
from analyzer.backends.themes_hybrid import default_model_dir as hybrid_model_dir
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.schema import INTENTS

HT = hybrid_train_module()
SEED = 13
GRID = {"C": (4.0, 16.0, 64.0), "balanced": (False, True), "emb": (2.0, 4.0, 8.0), "hybrid": (0.0, 1.0, 4.0)}
LEX_SCALE = 1.0
RARE = 20  # scored training rows (real + written drama) below which a label counts as rare (union option "rare")
THRESHOLDS = tuple(np.round(np.arange(0.1, 0.75, 0.05), 2))


def fixed_grid() -> dict:
    """The shipped model's chosen C, weighting and scales as a one-point grid."""
    chosen = json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8"))["training"]["cv"]["chosen"]
    return {"C": (chosen["C"],), "balanced": (chosen["balanced"],), "emb": (chosen["emb_scale"],),
            "hybrid": (chosen["hybrid_scale"],)}


def stacking_folds(n_scored: int, n_synthetic: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """5 folds over all rows: scored fold k together with cue-row fold k (same scored split as CV)."""
    scored = list(KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_scored)))
    synth = list(KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_synthetic)))
    out = []
    for (_, scored_test), (_, synth_test) in zip(scored, synth):
        test = np.concatenate([scored_test, n_scored + synth_test])
        out.append((np.setdiff1d(np.arange(n_scored + n_synthetic), test), test))
    return out


def oof_hybrid(X, lex, y, folds, params: dict) -> np.ndarray:
    """Out-of-fold hybrid head probabilities for every row."""
    out = np.zeros((X.shape[0], len(HEADS)))
    for train_idx, test_idx in folds:
        W, L, b = HT.fit_heads(X[train_idx], lex[train_idx], y[train_idx], C=params["C"],
                               balanced=params["balanced"], lex_scale=params["lex_scale"])
        out[test_idx] = HT.probabilities(X[test_idx], lex[test_idx], W, L, b)
    return out


def fit_heads(Z: np.ndarray, y: np.ndarray, *, C: float, balanced: bool) -> tuple[np.ndarray, np.ndarray]:
    W = np.zeros((len(HEADS), Z.shape[1]), dtype=np.float32)
    b = np.full(len(HEADS), -8.0, dtype=np.float32)  # a head with no positives never fires
    for k in range(len(HEADS)):
        if y[:, k].sum() == 0:
            continue
        clf = LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=3000)
        clf.fit(Z, y[:, k])
        W[k], b[k] = clf.coef_[0], clf.intercept_[0]
    return W, b


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def score(probs, lex, noise, y, theme_thr, intent_thr, union, masks, per_head=None) -> dict:
    """Domain scores of one decision rule; ``per_head`` (one threshold per head) overrides the two shared ones."""
    thr = np.full(len(HEADS), theme_thr)
    thr[[HEADS.index(i) for i in INTENTS]] = intent_thr
    if per_head is not None:
        thr = np.asarray(per_head, dtype=float)
    pred = decide(probs, lex, thr, union)
    pred[noise] = False
    return HT.domain_scores(y, pred, masks)


def rare_heads(y: np.ndarray, n_scored: int) -> list[str]:
    """Labels with fewer than RARE scored training rows: too few to learn, so the lexicon may
    fire them too (one of the union options CV chooses between)."""
    counts = y[:n_scored].sum(axis=0)
    return [h for k, h in enumerate(HEADS) if counts[k] < RARE]


def cross_validate(emb, hprobs, lex, noise, y, masks: dict, grid: dict) -> list[dict]:
    n_scored = HT.scored_count(masks)
    rare = rare_heads(y, n_scored)
    print(f"rare labels (< {RARE} scored training rows): {rare}", flush=True)
    folds = list(KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_scored)))
    cue_rows = np.arange(n_scored, len(y))
    results = []
    for C, balanced, emb_scale, hybrid_scale in itertools.product(*grid.values()):
        Z = stack_features(emb, hprobs, lex, {"emb": emb_scale, "hybrid": hybrid_scale, "lex": LEX_SCALE})
        oof = np.zeros((n_scored, len(HEADS)))
        for train_idx, test_idx in folds:
            fit_idx = np.concatenate([train_idx, cue_rows])
            W, b = fit_heads(Z[fit_idx], y[fit_idx], C=C, balanced=balanced)
            oof[test_idx] = sigmoid(Z[test_idx] @ W.T + b)
        for theme_thr, intent_thr, union in itertools.product(THRESHOLDS, THRESHOLDS, (False, True, rare)):
            scores = score(oof, lex[:n_scored], noise[:n_scored], y[:n_scored], theme_thr, intent_thr, union, masks)
            results.append({"C": C, "balanced": balanced, "emb_scale": emb_scale, "hybrid_scale": hybrid_scale,
                            "theme_threshold": float(theme_thr), "intent_threshold": float(intent_thr),
                            "union": union, **scores})
        print(f"  C={C} balanced={balanced} emb={emb_scale} hybrid={hybrid_scale}: best so far "
              f"{max(r['cv_theme_micro_f1'] + r['cv_intent_micro_f1'] for r in results):.4f}", flush=True)
    return results


def best_oof(emb, hprobs, lex, y, masks: dict, best: dict) -> np.ndarray:
    """Out-of-fold probabilities of the chosen grid point (the same folds as the grid)."""
    n_scored = HT.scored_count(masks)
    Z = stack_features(emb, hprobs, lex, {"emb": best["emb_scale"], "hybrid": best["hybrid_scale"], "lex": LEX_SCALE})
    oof = np.zeros((n_scored, len(HEADS)))
    for train_idx, test_idx in KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_scored)):
        fit_idx = np.concatenate([train_idx, np.arange(n_scored, len(y))])  # cue rows always train
        W, b = fit_heads(Z[fit_idx], y[fit_idx], C=best["C"], balanced=best["balanced"])
        oof[test_idx] = sigmoid(Z[test_idx] @ W.T + b)
    return oof


def tune_thresholds(oof, lex, noise, y, masks: dict, best: dict) -> tuple[dict, dict]:
    """Per-head thresholds by coordinate ascent on the chosen grid point's out-of-fold probabilities,
    as for the hybrid: same objective, heads with fewer than HT.MIN_POSITIVES positive scored rows keep
    the shared threshold, intents stay at 0.20 or above, a change must gain at least 0.001."""
    n = HT.scored_count(masks)
    thr = np.array([best["intent_threshold"] if h in INTENTS else best["theme_threshold"] for h in HEADS])
    run = lambda t: score(oof, lex[:n], noise[:n], y[:n], 0, 0, best["union"], masks, t)  # noqa: E731
    current = HT.objective(run(thr))
    for _ in range(2):
        for k, head in enumerate(HEADS):
            if int(y[:n, k].sum()) < HT.MIN_POSITIVES:
                continue
            floor = 0.2 if head in INTENTS else min(THRESHOLDS)
            for t in (t for t in THRESHOLDS if t >= floor and t != thr[k]):
                trial = thr.copy()
                trial[k] = t
                value = HT.objective(run(trial))
                if value > current + 0.001:
                    thr, current = trial, value
    return {h: float(t) for h, t in zip(HEADS, thr)}, run(thr)


def hybrid_same_folds(hprobs, lex, noise, y, masks: dict, params: dict) -> dict:
    """The hybrid alone on the same scored rows: its out-of-fold probabilities, its own thresholds."""
    n = HT.scored_count(masks)
    return score(hprobs[:n], lex[:n], noise[:n], y[:n], params["theme_threshold"],
                 params["intent_threshold"], params["union"], masks)


def write_artifact(out: Path, W, b, best: dict, dim: int, info: dict, hybrid: Path, thresholds: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "weights.npz", weights=W.astype(np.float32), bias=b.astype(np.float32))
    meta = {"name": "themes.e5.v1", "heads": list(HEADS), "dim": dim, "thresholds": thresholds,
            "union": best["union"], "scales": {"emb": best["emb_scale"], "hybrid": best["hybrid_scale"], "lex": LEX_SCALE},
            "inputs": "[emb_scale * e5 embedding ('query: ' prefix, mean pool, L2), hybrid_scale * themes.hybrid.v1 "
                      "head probabilities (HEADS order), lex_scale * lexicon cue scores (themes_hybrid.lexicon_features)]",
            "encoder": "intfloat/multilingual-e5-small", "adapter_sha1": info["adapter_sha1"],
            "hybrid_sha1": hybrid_fingerprint(hybrid) if best["hybrid_scale"] else None,
            "training": info}
    write_model_meta(out, meta, "themes.e5.v1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(ROOT / "analyzer" / "_models" / "themes-e5"))
    parser.add_argument("--hybrid", type=Path, default=hybrid_model_dir(),
                        help="the themes.hybrid.v1 folder to stack on (default: the shipped one)")
    parser.add_argument("--fixed", action="store_true",
                        help="keep the shipped model's C, weighting and scales; choose thresholds and union by CV")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--adapter", default="auto",
                        help="encoder adapter: auto (sentiment.e5.v1's shipped one, if any), none, or a folder")
    args = parser.parse_args()
    started = time.perf_counter()
    real, drama, synthetic = HT.load_records(args.shared)
    records = real + drama + synthetic
    n_scored = len(real) + len(drama)
    masks = HT.domain_masks(real, len(drama))
    hybrid_meta = json.loads((args.hybrid / "meta.json").read_text(encoding="utf-8"))
    params = hybrid_meta["training"]["cv"]["chosen"]
    featurizer = HashingFeaturizer.from_dict(hybrid_meta["features"])
    X, lex, noise = HT.features(records, featurizer, LexiconThemeBackend(threshold=LEXICON_THRESHOLD))
    y = HT.targets(records)
    print(f"training rows: {len(real)} real + {len(drama)} written drama (both scored) + {len(synthetic)} cue rows")
    grid = fixed_grid() if args.fixed else GRID
    hprobs = oof_hybrid(X, lex, y, stacking_folds(n_scored, len(synthetic)), params) if any(grid["hybrid"]) \
        else np.zeros_like(lex)  # scale 0 everywhere: the heads never read the hybrid
    adapter = resolve_adapter(args.adapter)
    emb = embed_cached([r["text"] for r in records], E5Encoder(threads=args.threads, adapter=adapter),
                       cache_path(adapter))
    results = cross_validate(emb, hprobs, lex, noise, y, masks, grid)
    key = lambda r: (r["cv_theme_micro_f1"] + r["cv_intent_micro_f1"], r["cv_theme_micro_f1"])
    best = max(results, key=key)
    per_scale = {s: max((r for r in results if r["hybrid_scale"] == s), key=key) for s in grid["hybrid"]}
    no_hybrid = per_scale.get(0.0)
    hybrid_same = hybrid_same_folds(hprobs, lex, noise, y, masks, params) if any(grid["hybrid"]) else None
    print("themes.hybrid.v1 (out-of-fold, its own thresholds) on the same scored rows:", json.dumps(hybrid_same))
    print("best by 5-fold CV (sum of theme and intent micro-F1):", json.dumps(best))
    for scale, row in per_scale.items():
        print(f"best with hybrid_scale={scale}:", json.dumps(row))
    thresholds, tuned = tune_thresholds(best_oof(emb, hprobs, lex, y, masks, best), lex, noise, y, masks, best)
    print("per-head thresholds (CV, coordinate ascent):", json.dumps(thresholds))
    print("out-of-fold scores with them (thresholds chosen on the same folds, so optimistic):", json.dumps(tuned))
    Z = stack_features(emb, hprobs, lex, {"emb": best["emb_scale"], "hybrid": best["hybrid_scale"], "lex": LEX_SCALE})
    W, b = fit_heads(Z, y, C=best["C"], balanced=best["balanced"])
    info = {**HT.labels_info(),
            "synthetic": str(HT.SYNTHETIC.relative_to(ROOT)), "n_real": len(real), "n_drama": len(drama),
            "drama": str(HT.DRAMA.relative_to(ROOT)) if drama else None, "n_synthetic": len(synthetic),
            "hybrid_params": params, "stacking": "hybrid probabilities out-of-fold (5 folds, real+synthetic)",
            "cv": {"folds": 5, "seed": SEED, "grid": {k: list(v) for k, v in grid.items()}, "fixed": args.fixed, "lex_scale": LEX_SCALE,
                   "thresholds": [float(t) for t in THRESHOLDS], "chosen": best, "best_without_hybrid": no_hybrid,
                   "best_per_hybrid_scale": {str(k): v for k, v in per_scale.items()},
                   "scored": list(masks), "hybrid_same_rows": hybrid_same,
                   "per_head_thresholds": {"min_positives": HT.MIN_POSITIVES, "oof_scores": tuned,
                                           "rule": "coordinate ascent on the chosen grid point's OOF"}},
            "solver": "sklearn LogisticRegression(lbfgs), one head per label"}
    info["adapter_sha1"] = adapter_digest(adapter)
    write_artifact(Path(args.out), W, b, best, emb.shape[1], info, args.hybrid, thresholds)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
