"""How much should the training dramas' real comments weigh, and how wide a neutral band? Training rows only.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.cv_drama_rows [--weights 3 10 30] [--c 3] [--json OUT]
                                                       [--drama-labels data/trainsets/stance_drama_zh_ko.labels.jsonl]

The recipe of ``train.py`` plus the labelled real comments of the training dramas
(``data/trainsets/comments_train_e.labels.jsonl``: 狂飙 with stance from 1-5 stars, 陈情令/小欢喜 read from
the text, 선재 업고 튀어 from 0.5-5 stars), one group per shared source, classes balanced inside, each row
weighing ``--drama-weight`` on average (``--drama-labels`` picks the stance file: the text-read
``stance_drama_zh_ko.labels.jsonl`` adds a fourth source, NSMC reviews). Leave one drama source out: fit on the shared rows and the other
two sources (started from the shipped weights, same optimum), score the held source; the real comments of
batches c and d (YouTube, NSMC reviews; never trained on by this recipe) are scored by every fold's model
too (mean logits). A neutral offset (added to the neutral logit: the neutral band) is then chosen on these
out-of-fold logits, over all the groups (one per drama source plus the three batch c/d groups); with several
``--c`` values every (C, weight) pair is fitted the same way, so C is chosen on these rows too. ``--fold A,B``
holds several sources out together (fewer fits); ``--save``/``--combine`` run disjoint folds as separate
processes and merge their out-of-fold logits. Neither dev set (comments_dev, drama_dev) is read; the shared
dev split is not either (``stance_langs.py`` measures the chosen model once).

``--band NAME=DIR ...`` skips the fits: it scores saved models' neutral offsets on the batch c and d
groups only (never trained on by the recipe, with or without drama rows), a cheap check of the band.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from analyzer.backends.text_features import HashingFeaturizer
from analyzer.evaluation.devset import load_devset
from analyzer.schema import SENTIMENT_LABELS
from training.common import TRAINSETS
from training.sentiment_linear.cv_drama import macro_f1
from training.sentiment_linear.dataset import DATA_DIR, DRAMA_PREFIX, DRAMA_TRAIN_LABELS
from training.sentiment_linear.train import (DEFAULT_C, OUT_DIR, build_rows, featurize, fit, sample_weights,
                                             start_model)

OFFSETS = tuple(round(x, 2) for x in np.arange(-1.0, 1.01, 0.25))
NEUTRAL = SENTIMENT_LABELS.index("neutral")


def other_groups() -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, gold, group) of the labelled real comments of batches c and d (never trained on here)."""
    texts, gold, groups = [], [], []
    for batch in ("c", "d"):
        for r in load_devset(TRAINSETS / f"comments_train_{batch}.labels.jsonl", DATA_DIR, on_error="warn"):
            source = r["id"].split("/")[0]
            texts.append(r["text"])
            gold.append(SENTIMENT_LABELS.index(r["stance"]))
            groups.append(f"{batch}:{'youtube' if source.startswith('youtube') else source}")
    return texts, np.array(gold), np.array(groups)


def scores(logits: np.ndarray, gold: np.ndarray, groups: np.ndarray, offset: float) -> dict[str, float]:
    shifted = logits.copy()
    shifted[:, NEUTRAL] += offset
    pred = shifted.argmax(1)
    out = {g: round(macro_f1(gold[groups == g], pred[groups == g]), 4) for g in sorted(set(groups))}
    out["mean"] = round(float(np.mean(list(out.values()))), 4)
    drama = [v for g, v in out.items() if g.startswith(DRAMA_PREFIX)]
    out["drama_mean"] = round(float(np.mean(drama)), 4) if drama else None
    return out


def band_only(models: dict[str, str], out: Path | None) -> None:
    from analyzer.backends.sentiment_linear import LinearModel

    texts, gold, groups = other_groups()
    results = {}
    for name, folder in models.items():
        logits = LinearModel.load(folder).logits(texts)
        for offset in OFFSETS:
            row = scores(logits, gold, groups, offset)
            row.pop("drama_mean")
            results[f"{name}, neutral {offset:+.2f}"] = row
            print(f"{name}, neutral {offset:+.2f}  {json.dumps(row)}", flush=True)
    if out:
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def fold_logits(args) -> dict:
    """Out-of-fold logits of every candidate for the held drama rows, and the batch c/d rows' logits summed
    over the folds (with the fold count), as arrays ``combine`` merges."""
    t0 = time.perf_counter()
    featurizer = HashingFeaturizer()
    train, domain, _ = build_rows(featurizer, {}, drama=True, drama_labels=args.drama_labels)
    rows = train + domain
    x = featurize(featurizer, [r.text for r in rows])
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    source = np.array([r.source for r in rows])
    folds = ([[DRAMA_PREFIX + s for s in fold.split(",")] for fold in args.fold] if args.fold
             else [[s] for s in sorted(set(source)) if s.startswith(DRAMA_PREFIX)])
    held = np.isin(source, [s for fold in folds for s in fold])
    other_texts, other_gold, other_group = other_groups()
    x_other = featurize(featurizer, other_texts)
    start = start_model(OUT_DIR)
    print(f"{len(rows)} rows, folds {folds}, other groups {len(other_texts)} rows ({time.perf_counter() - t0:.0f}s)",
          flush=True)

    def logits_of(model, xs):
        return xs @ model.coef_.T + model.intercept_

    out = {"gold": np.r_[y[held], other_gold], "groups": np.r_[source[held], other_group], "folds": len(folds),
           "shipped (no drama rows)": np.r_[logits_of(start, x[held]), logits_of(start, x_other) * len(folds)]}
    for c, weight in [(c, w) for c in args.c for w in args.weights]:
        w_all = sample_weights(rows, drama_weight=weight)
        oof, other = np.zeros((int(held.sum()), 3)), np.zeros((len(other_texts), 3))
        for fold in folds:
            w = w_all.copy()
            w[np.isin(source, fold)] = 0.0
            model = fit(x, y, w, c, start)
            at = np.isin(source[held], fold)
            oof[at] = logits_of(model, x[np.flatnonzero(held)[at]])
            other += logits_of(model, x_other)
            print(f"  C={c:g}, weight {weight:g}, held {fold}: {model.n_iter_.max()} iterations "
                  f"({time.perf_counter() - t0:.0f}s)", flush=True)
        out[f"C={c:g}, drama weight {weight:g}"] = np.r_[oof, other]
    return out


def combine(parts: list[dict], out: Path | None) -> None:
    """Merge the folds' logits (held rows appended, batch c/d logits averaged over all folds) and score
    every candidate's neutral offset; the best mean over the groups is the choice."""
    n_other = int(sum(~np.char.startswith(parts[0]["groups"].astype(str), DRAMA_PREFIX)))
    folds = sum(int(p["folds"]) for p in parts)
    gold = np.r_[tuple(p["gold"][:-n_other] for p in parts)], parts[0]["gold"][-n_other:]
    groups = np.r_[tuple(p["groups"][:-n_other] for p in parts)], parts[0]["groups"][-n_other:]
    gold, groups = np.r_[gold[0], gold[1]], np.r_[groups[0], groups[1]].astype(str)
    names = [k for k in parts[0] if k not in ("gold", "groups", "folds")]
    results: dict[str, dict] = {}
    for name in names:
        held = np.vstack([p[name][:-n_other] for p in parts])
        other = sum(p[name][-n_other:] for p in parts) / folds
        for offset in OFFSETS:
            results[f"{name}, neutral {offset:+.2f}"] = scores(np.vstack([held, other]), gold, groups, offset)
    best = max(results, key=lambda k: results[k]["mean"])
    width = max(map(len, results))
    for name, row in results.items():
        print(f"{name:<{width}}  {json.dumps(row)}", flush=True)
    print(f"best on the {len(set(groups))} training groups: {best}")
    if out:
        out.write_text(json.dumps({"best": best, "results": results}, indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=float, nargs="+", default=[3.0, 10.0, 30.0])
    ap.add_argument("--c", type=float, nargs="+", default=[DEFAULT_C])
    ap.add_argument("--drama-labels", type=Path, default=DRAMA_TRAIN_LABELS)
    ap.add_argument("--fold", action="append", default=[], metavar="SRC[,SRC]",
                    help="shared folders held out together (repeatable; default: one fold per drama source)")
    ap.add_argument("--save", type=Path, default=None, help="write this run's fold logits (.npz) for --combine")
    ap.add_argument("--combine", type=Path, nargs="+", default=None, metavar="NPZ",
                    help="no fits: merge saved folds (disjoint held sources) and choose the offset")
    ap.add_argument("--band", nargs="+", default=None, metavar="NAME=DIR",
                    help="only score these saved models' neutral offsets on the batch c/d groups (no fits)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.band:
        return band_only(dict(item.split("=", 1) for item in args.band), args.json)
    if args.combine:
        return combine([dict(np.load(f, allow_pickle=False)) for f in args.combine], args.json)
    part = fold_logits(args)
    if args.save:
        np.savez(args.save, **part)
    combine([part], args.json)


if __name__ == "__main__":
    main()
