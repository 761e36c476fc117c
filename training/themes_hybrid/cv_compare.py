"""Training-side comparison of two theme recipes, cross-validated by drama / source (no dev set read).

    OMP_NUM_THREADS=1 python -m training.themes_hybrid.cv_compare \
        [--base-lexicon DIR] [--base-extra data/trainsets/themes_synthetic_drama_c.jsonl] \
        [--extra data/trainsets/themes_synthetic_drama_d.jsonl] \
        [--distill data/trainsets/themes_distill_e5.jsonl --distill-weight 0.3] \
        [--errors /tmp/x/errors.jsonl] [--out models/themes-hybrid/runs/<date>-<tag>.json]

Both recipes fit train.py's heads at the shipped model's C, class weighting and lexicon scale and decide
with the shipped thresholds and union, on the same folds: ``base`` = train.py's rows (every labelling
batch, the written drama comments, the cue rows; no later written batch) with the lexicon in ``--base-lexicon`` (default: the
shipped one); ``candidate`` = the same rows with the current lexicon plus the ``--extra`` files (both
recipes also read the ``--base-extra`` files), which are always in the training folds and never scored (so both
recipes are scored on exactly the same rows).

Folds are grouped, so no drama is both trained and scored in one fold: the real drama comments by their
drama (4 training dramas = 4 folds), the written drama comments by their ``drama`` field, the other
real rows (one variety-show video, film reviews) by a hash of their id. Scores per CV domain
and per language of the real rows (zh, ko, en): theme / intent micro-F1 (train.py's definitions) and per
label precision / recall at the shipped thresholds; then, per recipe, the shared theme / intent thresholds
train.py's grid and objective choose on these grouped folds (drama-grouped folds, unlike train.py's row
folds, do not let one drama's own words vouch for a low threshold). ``--errors`` writes every scored row's gold and predicted labels for both
recipes (it holds comment text: keep it under /tmp, never commit it).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from pathlib import Path

import numpy as np

from analyzer.backends.text_features import HashingFeaturizer
from analyzer.backends.themes_hybrid import HEADS, LEXICON_THRESHOLD
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.evaluation.devset import read_labels, text_sha1
from training.common import read_jsonl
from training.themes_hybrid.cv_report import counts
from training.themes_hybrid.train import (DEV, N_FEATURES, ROOT, THRESHOLDS, decide, domain_masks, domain_scores, features,
                                          fit_heads, fixed_grid, is_real_drama, load_records, probabilities, row_weights,
                                          targets, with_intent_theme)
from training.themes_hybrid.distill import read_distill

SHIPPED = ROOT / "analyzer" / "_models" / "themes-hybrid"
N_FOLDS = 4
LANGS = ("zh", "ko", "en")


def drama_title(record: dict, shared: Path, cache: dict) -> str:
    """The drama a real comment is about (the shared file's title), else its source file."""
    source, line = record["id"].rsplit(":", 1)
    if source not in cache:
        path = shared / source
        cache[source] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    rows = cache[source]
    idx = int(line) - 1  # 1-based
    title = json.loads(rows[idx]).get("title") if 0 <= idx < len(rows) else None
    return str(title or source.split("/")[0])


def bucket(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % N_FOLDS


def fold_ids(real: list[dict], drama: list[dict], shared: Path) -> np.ndarray:
    """One fold number per scored row: real drama comments by drama (in order of first appearance),
    written drama comments by their drama field, other real rows by a hash of their id."""
    cache, titles, folds = {}, {}, []
    for r in real:
        if is_real_drama(r):
            title = drama_title(r, shared, cache)
            folds.append(titles.setdefault(title, len(titles) % N_FOLDS))
        else:
            folds.append(bucket(r["id"]))
    folds += [bucket(str(r.get("drama") or r["text"])) for r in drama]
    print("real drama folds:", json.dumps(titles, ensure_ascii=False))
    return np.array(folds)


def out_of_fold(data, folds: np.ndarray, point: dict, weights: np.ndarray | None = None) -> np.ndarray:
    X, lex, _, y = data
    n = len(folds)
    oof = np.zeros((n, len(HEADS)))
    always = np.arange(n, X.shape[0])
    for k in range(N_FOLDS):
        test_idx, train_idx = np.flatnonzero(folds == k), np.flatnonzero(folds != k)
        fit = np.concatenate([train_idx, always])
        W, L, b = fit_heads(X[fit], lex[fit], y[fit], **point, sample_weight=None if weights is None else weights[fit])
        oof[test_idx] = probabilities(X[test_idx], lex[test_idx], W, L, b)
    return oof


def fold_scores(y, preds: dict[str, np.ndarray], masks: dict[str, np.ndarray], folds: np.ndarray) -> dict:
    """Theme / intent micro-F1 of each recipe in each fold and domain, and candidate minus base: the spread
    of the per-fold deltas says whether a change is beyond fold noise."""
    out = {}
    for name, mask in masks.items():
        for k in range(N_FOLDS):
            rows = mask & (folds == k)
            if not rows.any():
                continue
            got = {r: with_intent_theme(y[rows], p[rows]) for r, p in preds.items()}
            out[f"{name}/{k}"] = {"n": int(rows.sum()), **{r: [round(v, 4) for v in g] for r, g in got.items()},
                                  "delta": [round(c - b, 4) for c, b in zip(got["candidate"], got["base"])]}
    return out


def scores(y, pred, masks: dict[str, np.ndarray]) -> dict:
    out = {}
    for name, mask in masks.items():
        theme, intent = with_intent_theme(y[mask], pred[mask])
        out[name] = {"n": int(mask.sum()), "theme_micro_f1": round(theme, 4), "intent_micro_f1": round(intent, 4),
                     "labels": {h: counts(y[mask, k], pred[mask, k]) for k, h in enumerate(HEADS) if y[mask, k].any()}}
    return out


def recipe(records, n_scored, folds, lexicon_dir, point, extra: list[dict]):
    """Grouped out-of-fold probabilities of one recipe, with its lexicon scores and noise flags."""
    rows = records + extra
    lexicon = LexiconThemeBackend(path=lexicon_dir, threshold=LEXICON_THRESHOLD)
    X, lex, noise = features(rows, HashingFeaturizer(n_features=N_FEATURES), lexicon)
    oof = out_of_fold((X, lex, noise, targets(rows)), folds, point, row_weights(rows))
    return oof, lex[:n_scored], noise[:n_scored]


def best_shared_thresholds(y, oof, lex, noise, masks: dict[str, np.ndarray], union: bool) -> dict:
    """train.py's threshold grid and objective (mean over the CV domains of theme + intent micro-F1),
    on grouped out-of-fold probabilities: one shared theme and one shared intent threshold."""
    cv = {k: masks[k] for k in ("real", "real_drama", "drama") if k in masks}
    rows = []
    for theme_thr, intent_thr in itertools.product(THRESHOLDS, THRESHOLDS):
        s = domain_scores(y, decide(oof, lex, noise, theme_thr, intent_thr, union), cv)
        rows.append({"theme_threshold": float(theme_thr), "intent_threshold": float(intent_thr),
                     "cv_theme_micro_f1": s["cv_theme_micro_f1"], "cv_intent_micro_f1": s["cv_intent_micro_f1"]})
    return max(rows, key=lambda r: (r["cv_theme_micro_f1"] + r["cv_intent_micro_f1"], r["cv_theme_micro_f1"]))


def check_extra(extra: list[dict]) -> None:
    dev_sha = {label["sha1"] for label in read_labels(DEV)} | {
        label["sha1"] for label in read_labels(ROOT / "data" / "devsets" / "drama_dev.labels.jsonl")}
    bad = [r["text"] for r in extra if text_sha1(r["text"]) in dev_sha]
    if bad:
        raise SystemExit(f"{len(bad)} extra rows are dev rows (first: {bad[0]!r}); remove them.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--base-lexicon", default=None, help="lexicon folder of the base recipe (default: the shipped one)")
    ap.add_argument("--extra", action="append", default=[], help="written rows the candidate trains on (never scored)")
    ap.add_argument("--base-extra", action="append", default=[],
                    help="written rows the base trains on too (e.g. the shipped recipe's batch c; never scored)")
    ap.add_argument("--errors", help="JSONL of every scored row's gold / base / candidate labels (holds text: /tmp only)")
    ap.add_argument("--out", help="JSON run record (scores only, no text)")
    ap.add_argument("--oof", help="npz of both recipes' grouped out-of-fold probabilities, lexicon scores, noise flags, "
                    "gold labels, folds and domain masks (no text), for threshold studies")
    ap.add_argument("--C", type=float, help="the candidate's C (default: the shipped model's, as the base's)")
    ap.add_argument("--distill", help="teacher rows the candidate trains on (training.themes_hybrid.distill; never scored)")
    ap.add_argument("--distill-weight", type=float, default=1.0, help="sample weight of the --distill rows")
    args = ap.parse_args()
    real, drama, synthetic = load_records(args.shared)
    records, n_scored = real + drama + synthetic, len(real) + len(drama)
    base_extra = [r for f in args.base_extra for r in read_jsonl(Path(f))]
    extra = base_extra + [r for f in args.extra for r in read_jsonl(Path(f))]
    extra += read_distill(args.distill, args.shared, args.distill_weight) if args.distill else []
    check_extra(extra)
    folds = fold_ids(real, drama, Path(args.shared))
    meta = json.loads((SHIPPED / "meta.json").read_text(encoding="utf-8"))
    point = {k: v[0] for k, v in fixed_grid(SHIPPED).items()}
    y = targets(records)[:n_scored]
    masks = domain_masks(real, len(drama))
    langs = np.array([r.get("lang") for r in records[:n_scored]])
    real_rows = ~masks["drama"]
    masks.update({f"real_{lang}": real_rows & (langs == lang) for lang in LANGS})
    runs = {"base": recipe(records, n_scored, folds, args.base_lexicon, point, base_extra),
            "candidate": recipe(records, n_scored, folds, None, {**point, "C": args.C or point["C"]}, extra)}
    shipped_thr = [meta["thresholds"][h] for h in HEADS]
    preds = {k: decide(oof, lex, noise, 0, 0, meta["union"], shipped_thr) for k, (oof, lex, noise) in runs.items()}
    chosen = {k: best_shared_thresholds(y, *run, masks, meta["union"]) for k, run in runs.items()}
    print("best shared thresholds on grouped folds:", json.dumps(chosen))
    result = {"folds": N_FOLDS, "point": point, "candidate_C": args.C or point["C"], "extra": args.extra, "base_extra": args.base_extra,
              "distill": args.distill, "distill_weight": args.distill_weight if args.distill else None,
              "n_extra": len(extra),
              "base_lexicon": args.base_lexicon or "shipped", "best_shared_thresholds": chosen,
              **{k: scores(y, p, masks) for k, p in preds.items()}, "per_fold": fold_scores(y, preds, masks, folds)}
    for name in masks:
        print(f"{name:<12} n={int(masks[name].sum()):>5}  " + "  ".join(
            f"{k}: {result[k][name]['theme_micro_f1']:.4f} / {result[k][name]['intent_micro_f1']:.4f}" for k in preds))
    for key, row in result["per_fold"].items():
        print(f"fold {key:<14} n={row['n']:>5}  delta theme {row['delta'][0]:+.4f}  intent {row['delta'][1]:+.4f}")
    if args.oof:
        np.savez_compressed(args.oof, y=y, folds=folds, **{f"mask_{k}": m for k, m in masks.items()},
                            **{f"{k}_{part}": a for k, run in runs.items() for part, a in zip(("oof", "lex", "noise"), run)})
    if args.errors:
        with open(args.errors, "w", encoding="utf-8") as fh:
            for i, r in enumerate(records[:n_scored]):
                gold = [h for k, h in enumerate(HEADS) if y[i, k]]
                got = {k: [h for j, h in enumerate(HEADS) if p[i, j]] for k, p in preds.items()}
                fh.write(json.dumps({"id": r.get("id"), "lang": r.get("lang"), "text": r["text"], "gold": gold, **got},
                                    ensure_ascii=False) + "\n")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
