"""Per-language bias terms for sentiment.linear.v1, chosen on TRAINING rows only.

The model is one language-agnostic weight vector, so its class priors are a blend of every
source's: a language whose own rows put neutral elsewhere than the blend is miscalibrated.
``choose`` finds, per language, offsets to add to the logits (positive fixed at 0) that
maximise the class-balanced macro-F1 on held rows of that language (the inner 10% split of
the training rows, scored by a model fitted on the other 90%), kept only where offsets chosen on
one half of those rows also raise the score on the other half. Class-balanced means each
gold class counts equally (a prior-free score: no source's class mix is taught). A class
absent from a language's held rows keeps offset 0; languages with too few rows get none.
"""

from __future__ import annotations

import numpy as np

GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)
MIN_ROWS = 100  # held rows a language needs before it gets offsets
MIN_PER_CLASS = 10  # a class needs this many held rows to be tuned
ROUNDS = 2


def balanced_macro_f1(gold: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    """Macro-F1 over ``classes`` with each gold class weighted to the same total."""
    weight = np.zeros(len(gold))
    for k in classes:
        weight[gold == k] = 1.0 / max(1, int((gold == k).sum()))
    scores = []
    for k in classes:
        tp = weight[(gold == k) & (pred == k)].sum()
        fp = weight[(gold != k) & (pred == k)].sum()
        fn = weight[(gold == k) & (pred != k)].sum()
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def choose_one(logits: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Offsets (3,) for one language by coordinate ascent over GRID; ties keep the smaller |offset|."""
    classes = [k for k in range(3) if (gold == k).sum() >= MIN_PER_CLASS]
    offsets = np.zeros(3)
    if len(classes) < 2:
        return offsets
    tunable = [k for k in classes if k != 2] if 2 in classes else classes[1:]
    best = balanced_macro_f1(gold, (logits + offsets).argmax(1), classes)
    for _ in range(ROUNDS):
        for k in tunable:
            for value in sorted(GRID, key=abs):
                trial = offsets.copy()
                trial[k] = value
                score = balanced_macro_f1(gold, (logits + trial).argmax(1), classes)
                if score > best + 1e-9:
                    best, offsets = score, trial
    return offsets


def choose(logits: np.ndarray, gold: np.ndarray, langs: np.ndarray) -> dict[str, list[float]]:
    """``lang -> [neg, neu, pos]`` offsets for every language with enough held rows whose offsets
    also carry over between halves of those rows (``two_fold_check``: chosen on one half, better on
    the other); a language where they do not keeps none."""
    check = two_fold_check(logits, gold, langs)
    out = {}
    for lang in sorted(set(langs.tolist())):
        mask = langs == lang
        if lang == "und" or mask.sum() < MIN_ROWS or lang not in check:
            continue
        if check[lang]["with"] <= check[lang]["without"]:
            continue
        offsets = choose_one(logits[mask], gold[mask])
        if offsets.any():
            out[lang] = [round(float(v), 2) for v in offsets]
    return out


def apply(logits: np.ndarray, langs: np.ndarray, offsets: dict[str, list[float]]) -> np.ndarray:
    out = logits.copy()
    for lang, values in offsets.items():
        out[langs == lang] += np.asarray(values)
    return out


def two_fold_check(logits: np.ndarray, gold: np.ndarray, langs: np.ndarray) -> dict[str, dict[str, float]]:
    """Honest estimate of the gain: offsets chosen on one half of the held rows, scored on the other
    (seeded halves, both ways); per language, class-balanced macro-F1 without / with offsets."""
    half = np.random.default_rng(13).random(len(gold)) < 0.5
    out = {}
    for lang in sorted(set(langs.tolist())):
        scores = []
        for part in (half, ~half):
            fit_mask, test_mask = part & (langs == lang), ~part & (langs == lang)
            classes = [k for k in range(3) if (gold[test_mask] == k).sum() >= MIN_PER_CLASS]
            if lang == "und" or fit_mask.sum() < MIN_ROWS // 2 or len(classes) < 2:
                continue
            offsets = choose_one(logits[fit_mask], gold[fit_mask])
            scores.append((balanced_macro_f1(gold[test_mask], logits[test_mask].argmax(1), classes),
                           balanced_macro_f1(gold[test_mask], (logits[test_mask] + offsets).argmax(1), classes)))
        if scores:
            out[lang] = {"without": round(float(np.mean([a for a, _ in scores])), 4),
                         "with": round(float(np.mean([b for _, b in scores])), 4)}
    return out
