"""Train themes.hybrid.v1: per-label logistic regression over hashed n-grams + lexicon scores.

Training data: our hand labels of real comments (data/trainsets/comments_train.labels.jsonl,
texts joined from ../shared/data at run time) plus our own synthetic comments
(data/trainsets/themes_synthetic.jsonl). The dev set is never read except to check that
no training row is a dev row. Hyper-parameters (C, class weights, lexicon feature scale,
union with the lexicon, one probability threshold for themes and one for intents, then one per head
where it has enough positive rows) are
chosen by 5-fold cross-validation on the scored rows: the real comments and, when present,
the drama comments we wrote (data/trainsets/themes_synthetic_drama.jsonl). The objective is
the mean over those two domains, so the variety-show rows cannot outvote the drama rows.
The short cue rows of data/trainsets/themes_synthetic.jsonl are always in the training folds, never scored.

    OMP_NUM_THREADS=1 python -m training.themes_hybrid.train [--out DIR] [--fixed]

``--union`` keeps the union with the lexicon on (CV chooses among union-on rules only): without it a
label the lexicon knows but the heads miss stays silent, and the default backend fails the
per-language fire tables of tests/test_themes.py. ``--fixed`` keeps the shipped model's C, class weighting and lexicon scale (its meta.json) and
chooses only the thresholds and union by CV: one grid point instead of 12, for a retrain on new
rows on a busy machine. ``--distill FILE --distill-weight W`` adds teacher rows (the accurate tier's labels on
unlabelled comments, written by training.themes_hybrid.distill) to every training fold, never scored, each
weighing W in the fit.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.text_features import HashingFeaturizer, to_csr
from analyzer.backends.themes_hybrid import HEADS, LEXICON_FIRES, LEXICON_THRESHOLD, lexicon_features
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.evaluation.devset import devset_keys, load_devset, read_labels, text_sha1
from analyzer.schema import INTENTS
from training.common import TRAINSETS, label_batches, loose_key, proxy_keys, read_jsonl, write_model_meta
from training.themes_hybrid.distill import read_distill

def train_files() -> list[Path]:
    """The label files theme models train on: every labelling batch in data/trainsets."""
    return label_batches()


def labels_info() -> dict:
    """Which label files (and their sha1) a model was trained on, for its meta.json."""
    return {"labels": [str(f.relative_to(ROOT)) for f in train_files()],
            "labels_sha1": [hashlib.sha1(f.read_bytes()).hexdigest() for f in train_files()]}
DEV = ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"
SYNTHETIC = TRAINSETS / "themes_synthetic.jsonl"
DRAMA = TRAINSETS / "themes_synthetic_drama.jsonl"  # written drama comments, scored in CV
N_FEATURES = 1 << 17
SEED = 13
GRID = {"C": (4.0, 16.0, 64.0), "balanced": (False, True), "lex_scale": (1.0, 4.0)}
# Thresholds start at 0.20: with the fourth labelling batch CV preferred an intent threshold of
# 0.15, which fires `waiting` on everyday "I can't wait for dinner" (a near-miss the theme tests
# require to stay silent); the floor keeps precision on such comments.
THRESHOLDS = tuple(np.round(np.arange(0.2, 0.75, 0.05), 2))
INTENT_COLS = [HEADS.index(i) for i in INTENTS]
THEME_COLS = [k for k in range(len(HEADS)) if k not in INTENT_COLS]


def load_records(shared: str, extra: tuple[Path, ...] = (), distill: tuple[dict, ...] = ()
                 ) -> tuple[list[dict], list[dict], list[dict]]:
    """(real training records, written drama records, synthetic cue records + the rows of the ``extra``
    files + the ``distill`` records, always in the training folds, never scored); refuses dev overlap."""
    real = [r for f in train_files() for r in load_devset(f, shared, on_error="raise")]
    drama = read_jsonl(DRAMA)
    synthetic = read_jsonl(SYNTHETIC) + [r for f in extra for r in read_jsonl(Path(f))] + list(distill)
    dev_keys, dev_sha = devset_keys(DEV), {label["sha1"] for label in read_labels(DEV)}
    overlap = [r["id"] for r in real if (r["id"].rsplit(":", 1)[0], int(r["id"].rsplit(":", 1)[1])) in dev_keys
               or text_sha1(r["text"]) in dev_sha]
    overlap += [r["text"] for r in drama + synthetic if text_sha1(r["text"]) in dev_sha]
    proxy = proxy_keys()  # the held-out drama proxy set: never trained on
    overlap += [r["text"] for r in real + drama + synthetic if loose_key(r["text"]) in proxy]
    if overlap:
        raise SystemExit(f"{len(overlap)} training rows are dev or drama-proxy rows (first: {overlap[0]!r}); "
                         "remove them from the training files.")
    return real, drama, synthetic


DRAMA_SOURCES = ("douban_", "kdrama_")  # real drama comments (comments_train_e): their own CV domain


def is_real_drama(record: dict) -> bool:
    return str(record.get("id", "")).startswith(DRAMA_SOURCES)


def domain_masks(real: list[dict], n_drama: int) -> dict[str, np.ndarray]:
    """Boolean masks over the scored rows (real first, then written drama) for each domain present:
    real comments of other kinds (the variety show, film reviews), real drama comments, written drama."""
    on_drama = np.array([is_real_drama(r) for r in real] + [False] * n_drama, dtype=bool)
    written = np.arange(len(real) + n_drama) >= len(real)
    masks = {"real": ~written & ~on_drama, "real_drama": on_drama, "drama": written}
    return {name: mask for name, mask in masks.items() if mask.any()}


def scored_count(masks: dict[str, np.ndarray]) -> int:
    """How many rows the domain masks cover (the scored rows come first)."""
    return len(next(iter(masks.values())))


def domain_scores(y, pred, masks: dict[str, np.ndarray]) -> dict:
    """Theme and intent micro-F1 per domain, and their means over the domains (the CV objective)."""
    out = {}
    for name, mask in masks.items():
        out[f"{name}_theme_micro_f1"], out[f"{name}_intent_micro_f1"] = (
            round(v, 4) for v in with_intent_theme(y[mask], pred[mask]))
    out["cv_theme_micro_f1"] = round(float(np.mean([out[f"{n}_theme_micro_f1"] for n in masks])), 4)
    out["cv_intent_micro_f1"] = round(float(np.mean([out[f"{n}_intent_micro_f1"] for n in masks])), 4)
    return out


def targets(records: list[dict]) -> np.ndarray:
    """(n, len(HEADS)) 0/1 labels; noise rows are all zero."""
    y = np.zeros((len(records), len(HEADS)), dtype=np.int8)
    for row, r in enumerate(records):
        labels = set(r.get("themes") or ()) | set(r.get("intents") or ())
        y[row] = [head in labels for head in HEADS]
    return y


def features(records: list[dict], featurizer: HashingFeaturizer, lexicon: LexiconThemeBackend):
    """Hashed n-gram CSR, lexicon scores, and whether the lexicon calls the row noise."""
    texts, langs = [r["text"] for r in records], [r.get("lang") for r in records]
    matches = lexicon.predict(texts, langs)
    return to_csr(featurizer.transform(texts), featurizer.n_features), lexicon_features(matches), \
        np.array([m.noise for m in matches])


def row_weights(records: list[dict]) -> np.ndarray | None:
    """Sample weights (a record's ``weight``, default 1: the teacher rows of distill.py carry theirs);
    None when every row weighs 1, so such a fit is the unweighted one."""
    w = np.array([float(r.get("weight", 1.0)) for r in records])
    return None if (w == 1.0).all() else w


def fit_heads(X, lex, y, *, C: float, balanced: bool, lex_scale: float, sample_weight: np.ndarray | None = None):
    """One logistic regression per head -> (hash weights, lex weights, bias); ``sample_weight`` per row."""
    design = sparse.hstack([X, sparse.csr_matrix(lex * lex_scale)], format="csr")
    n_hash = X.shape[1]
    W = np.zeros((len(HEADS), n_hash), dtype=np.float32)
    L = np.zeros((len(HEADS), len(HEADS)), dtype=np.float32)
    b = np.full(len(HEADS), -8.0, dtype=np.float32)  # a head with no positives never fires
    for k in range(len(HEADS)):
        if y[:, k].sum() == 0:
            continue
        clf = LogisticRegression(C=C, class_weight="balanced" if balanced else None, solver="liblinear",
                                 max_iter=2000, random_state=SEED)
        clf.fit(design, y[:, k], sample_weight=sample_weight)
        W[k], L[k], b[k] = clf.coef_[0, :n_hash], clf.coef_[0, n_hash:] * lex_scale, clf.intercept_[0]
    return W, L, b


def probabilities(X, lex, W, L, b) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(X @ W.T + lex @ L.T + b)))


def decide(probs, lex, noise, theme_thr: float, intent_thr: float, union: bool, per_head=None) -> np.ndarray:
    """The backend's decision rule on arrays (no 'intent' theme: it follows the flags);
    ``per_head`` (one threshold per head) overrides the two shared thresholds."""
    thr = np.full(len(HEADS), theme_thr)
    thr[INTENT_COLS] = intent_thr
    if per_head is not None:
        thr = np.asarray(per_head, dtype=float)
    pred = probs >= thr
    if union:
        pred[:, THEME_COLS] |= lex[:, THEME_COLS] >= LEXICON_FIRES
    pred[:, HEADS.index("access")] |= pred[:, HEADS.index("where_to_watch")]
    pred[noise] = False
    return pred


def micro_f1(y, pred, cols) -> float:
    tp = int((pred[:, cols] & (y[:, cols] == 1)).sum())
    fp = int((pred[:, cols] & (y[:, cols] == 0)).sum())
    fn = int((~pred[:, cols] & (y[:, cols] == 1)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def with_intent_theme(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Theme micro-F1 counting the derived 'intent' theme, as evaluate_themes does; intent micro-F1."""
    y_int = y[:, INTENT_COLS].any(axis=1, keepdims=True).astype(np.int8)
    p_int = pred[:, INTENT_COLS].any(axis=1, keepdims=True)
    y_t, p_t = np.hstack([y[:, THEME_COLS], y_int]), np.hstack([pred[:, THEME_COLS], p_int])
    return micro_f1(y_t, p_t, list(range(y_t.shape[1]))), micro_f1(y, pred, INTENT_COLS)


def fixed_grid(folder: Path) -> dict:
    """The chosen C, weighting and lexicon scale of the model in ``folder`` as a one-point grid."""
    chosen = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["training"]["cv"]["chosen"]
    return {"C": (chosen["C"],), "balanced": (chosen["balanced"],), "lex_scale": (chosen["lex_scale"],)}


def cross_validate(data, masks: dict[str, np.ndarray], grid: dict = GRID, unions=(False, True),
                   weights: np.ndarray | None = None) -> list[dict]:
    """Out-of-fold probabilities for every grid point; every threshold/union choice scored
    (``weights``: per-row sample weights, or None)."""
    X, lex, noise, y = data
    n_scored = scored_count(masks)
    folds = list(KFold(5, shuffle=True, random_state=SEED).split(np.arange(n_scored)))
    always = np.arange(n_scored, X.shape[0])
    results, oofs = [], {}
    for C, balanced, lex_scale in itertools.product(*grid.values()):
        oof = oofs[(C, balanced, lex_scale)] = np.zeros((n_scored, len(HEADS)))
        for train_idx, test_idx in folds:
            fit_idx = np.concatenate([train_idx, always])
            W, L, b = fit_heads(X[fit_idx], lex[fit_idx], y[fit_idx], C=C, balanced=balanced, lex_scale=lex_scale,
                                sample_weight=None if weights is None else weights[fit_idx])
            oof[test_idx] = probabilities(X[test_idx], lex[test_idx], W, L, b)
        for theme_thr, intent_thr, union in itertools.product(THRESHOLDS, THRESHOLDS, unions):
            pred = decide(oof, lex[:n_scored], noise[:n_scored], theme_thr, intent_thr, union)
            results.append({"C": C, "balanced": balanced, "lex_scale": lex_scale, "theme_threshold": float(theme_thr),
                            "intent_threshold": float(intent_thr), "union": union,
                            **domain_scores(y[:n_scored], pred, masks)})
    return results, oofs


MIN_POSITIVES = 20  # a head needs this many positive scored rows to get its own threshold


def objective(scores: dict) -> float:
    return scores["cv_theme_micro_f1"] + scores["cv_intent_micro_f1"]


def tune_thresholds(oof, data, masks: dict[str, np.ndarray], best: dict,
                    shared_intents: bool = False, per_head: bool = True) -> tuple[dict, dict]:
    """Per-head thresholds by coordinate ascent on the best grid point's out-of-fold probabilities,
    same objective as the grid (mean over domains of theme + intent micro-F1). Heads with fewer than
    MIN_POSITIVES positive rows (and every intent head when ``shared_intents``) keep the shared
    threshold; a change must gain at least 0.001."""
    _, lex, noise, y = data
    n = scored_count(masks)
    thr = np.array([best["intent_threshold"] if h in INTENTS else best["theme_threshold"] for h in HEADS])
    score = lambda t: domain_scores(y[:n], decide(oof, lex[:n], noise[:n], 0, 0, best["union"], t), masks)  # noqa: E731
    current = objective(score(thr))
    for _ in range(2 if per_head else 0):
        for k in range(len(HEADS)):
            if int(y[:n, k].sum()) < MIN_POSITIVES or (shared_intents and k in INTENT_COLS):
                continue
            floor = 0.2 if k in INTENT_COLS else min(THRESHOLDS)
            for t in (t for t in THRESHOLDS if t >= floor and t != thr[k]):
                trial = thr.copy()
                trial[k] = t
                value = objective(score(trial))
                if value > current + 0.001:
                    thr, current = trial, value
    return {h: float(t) for h, t in zip(HEADS, thr)}, score(thr)


def lexicon_baseline(records: list[dict], y: np.ndarray, masks: dict[str, np.ndarray]) -> dict:
    """themes.lexicon.v1 as shipped (threshold 0.5) on the same scored rows."""
    matches = LexiconThemeBackend().predict([r["text"] for r in records], [r.get("lang") for r in records])
    pred = np.array([[h in m.themes or h in m.intents for h in HEADS] for m in matches], dtype=bool)
    return domain_scores(y, pred, masks)


def write_artifact(out: Path, featurizer, W, L, b, thresholds: dict, best: dict, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cols = np.flatnonzero(np.abs(W).max(axis=0) > 0).astype(np.int32)
    np.savez_compressed(out / "weights.npz", cols=cols, hash_weights=W[:, cols].astype(np.float16),
                        lex_weights=L.astype(np.float32), bias=b.astype(np.float32))
    meta = {"name": "themes.hybrid.v1", "heads": list(HEADS), "thresholds": thresholds, "union": best["union"],
            "lexicon": {"backend": "themes.lexicon.v1", "threshold": LEXICON_THRESHOLD, "fires_at": LEXICON_FIRES,
                        "features": "per head: theme cue score (0 if no cue); intent: 1.0 if a cue matched"},
            "features": featurizer.to_dict(), "training": info}
    write_model_meta(out, meta, "themes.hybrid.v1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(ROOT / "analyzer" / "_models" / "themes-hybrid"))
    parser.add_argument("--fixed", action="store_true",
                        help="keep the shipped model's C, weighting and lexicon scale; choose thresholds and union by CV")
    parser.add_argument("--union", action="store_true",
                        help="keep the union with the lexicon on (the per-language contract tables of tests/test_themes.py "
                             "need it); CV then chooses only among union-on rules")
    parser.add_argument("--shared-intent-threshold", action="store_true",
                        help="every intent head keeps the shared intent threshold (per-head tuning for themes only): "
                             "a per-head intent threshold chosen on the training folds can silence the contract "
                             "tables' intent examples in languages with few training rows")
    parser.add_argument("--C", dest="c_values", help="comma-separated C values for the grid (with --fixed: instead of the "
                             "shipped C, e.g. 64,256 when the shipped C sits at the grid's edge)")
    parser.add_argument("--thresholds", help="THEME,INTENT: shared thresholds chosen elsewhere (e.g. by the drama-grouped "
                             "folds of training.themes_hybrid.cv_compare) instead of this CV's choice; no per-head tuning")
    parser.add_argument("--extra", action="append", default=[], help="more written rows, always in the training folds and "
                             "never scored (e.g. data/trainsets/themes_synthetic_drama_b.jsonl; not in the shipped weights: "
                             "see the card, session 12)")
    parser.add_argument("--distill", help="teacher rows (training.themes_hybrid.distill: the accurate tier's labels on "
                             "unlabelled comments), always in the training folds, never scored")
    parser.add_argument("--distill-weight", type=float, default=1.0, help="sample weight of the --distill rows")
    args = parser.parse_args()
    grid = fixed_grid(ROOT / "analyzer" / "_models" / "themes-hybrid") if args.fixed else dict(GRID)
    if args.c_values:
        grid["C"] = tuple(float(c) for c in args.c_values.split(","))
    started = time.perf_counter()
    distill = read_distill(args.distill, args.shared, args.distill_weight) if args.distill else []
    real, drama, synthetic = load_records(args.shared, tuple(args.extra), tuple(distill))
    records = real + drama + synthetic
    masks = domain_masks(real, len(drama))
    n_scored = len(real) + len(drama)
    featurizer = HashingFeaturizer(n_features=N_FEATURES)
    lexicon = LexiconThemeBackend(threshold=LEXICON_THRESHOLD)
    X, lex, noise = features(records, featurizer, lexicon)
    data = (X, lex, noise, targets(records))
    print(f"training rows: {len(real)} real + {len(drama)} written drama (both scored) + {len(synthetic)} "
          f"cue rows and later written drama batches (never scored); {X.shape[1]} hashed features")
    weights = row_weights(records)
    results, oofs = cross_validate(data, masks, grid, (True,) if args.union else (False, True), weights)
    key = lambda r: (r["cv_theme_micro_f1"] + r["cv_intent_micro_f1"], r["cv_theme_micro_f1"])  # noqa: E731
    best = max(results, key=key)
    lexicon_same = lexicon_baseline(records[:n_scored], data[3][:n_scored], masks)
    print("themes.lexicon.v1 alone on the same scored rows:", json.dumps(lexicon_same))
    best_union = max((r for r in results if r["union"]), key=key)
    print("best by 5-fold CV (mean over domains of theme + intent micro-F1):", json.dumps(best))
    print("best with union=True:", json.dumps(best_union))
    if args.thresholds:
        best["theme_threshold"], best["intent_threshold"] = (float(t) for t in args.thresholds.split(","))
        best["thresholds_given"] = True
    thresholds, tuned = tune_thresholds(oofs[(best["C"], best["balanced"], best["lex_scale"])], data, masks, best,
                                        args.shared_intent_threshold or bool(args.thresholds), not args.thresholds)
    print("per-head thresholds (CV, coordinate ascent):", json.dumps(thresholds))
    print("out-of-fold scores with them (thresholds chosen on the same folds, so optimistic):", json.dumps(tuned))
    W, L, b = fit_heads(X, lex, data[3], C=best["C"], balanced=best["balanced"], lex_scale=best["lex_scale"],
                        sample_weight=weights)
    info = {**labels_info(), "synthetic": str(SYNTHETIC.relative_to(ROOT)), "n_real": len(real),
            "drama": str(DRAMA.relative_to(ROOT)) if drama else None, "n_drama": len(drama),
            "n_synthetic": len(synthetic), "written_extra": list(args.extra),
            **({"distill": {"file": args.distill, "rows": len(distill), "weight": args.distill_weight}} if distill else {}),
            "cv": {"folds": 5, "seed": SEED, "scored": list(masks), "grid": {k: list(v) for k, v in grid.items()}, "fixed": args.fixed, "union_forced": args.union, "shared_intent_threshold": args.shared_intent_threshold,
                   "thresholds": [float(t) for t in THRESHOLDS], "chosen": best, "best_with_union": best_union,
                   "lexicon_same_rows": lexicon_same, "per_head_thresholds": {
                       "min_positives": MIN_POSITIVES, "rule": "coordinate ascent on the chosen grid point's OOF",
                       "oof_scores": tuned}},
            "solver": "sklearn LogisticRegression(liblinear), one head per label"}
    write_artifact(Path(args.out), featurizer, W, L, b, thresholds, best, info)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
