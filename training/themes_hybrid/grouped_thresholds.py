"""Do thresholds chosen on drama-grouped folds beat the shipped ones on a drama none of them saw?

    python -m training.themes_hybrid.grouped_thresholds /tmp/oof.npz [--recipe candidate] [--out runs/....json]

Reads the grouped out-of-fold probabilities ``training.themes_hybrid.cv_compare --oof`` saves (no text, no dev
set). For each of the four folds (each holds one training drama) it chooses thresholds on the other three
folds' rows only and scores them on the held-out fold, against the shipped thresholds on the same rows:

- ``shared``: one theme and one intent threshold (train.py's grid and objective, the mean over the CV domains
  of theme + intent micro-F1);
- ``per_label``: then each head with enough positive rows its own threshold (train.py's coordinate ascent, a
  change must gain 0.001), intents included.

Per fold and domain it prints theme / intent micro-F1 and the delta to the shipped thresholds: a rule that
wins on every held-out drama is beyond fold noise; one that wins on some and loses on others is not.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from analyzer.backends.themes_hybrid import HEADS
from analyzer.schema import INTENTS
from training.themes_hybrid.cv_compare import N_FOLDS, SHIPPED, best_shared_thresholds
from training.themes_hybrid.train import decide, tune_thresholds, with_intent_theme

DOMAINS = ("real", "real_drama", "drama")


def load(path: Path, recipe: str):
    z = np.load(path)
    masks = {d: z[f"mask_{d}"] for d in DOMAINS if f"mask_{d}" in z}
    return z["y"], z["folds"], masks, z[f"{recipe}_oof"], z[f"{recipe}_lex"], z[f"{recipe}_noise"]


def choose(y, oof, lex, noise, masks, rows: np.ndarray, union: bool) -> dict[str, list[float]]:
    """Shared and per-label thresholds chosen on ``rows`` only."""
    sub = {d: m[rows] for d, m in masks.items()}
    shared = best_shared_thresholds(y[rows], oof[rows], lex[rows], noise[rows], sub, union)
    best = {**shared, "union": union}
    per_label, _ = tune_thresholds(oof[rows], (None, lex[rows], noise[rows], y[rows]), sub, best)
    flat = [shared["intent_threshold"] if h in INTENTS else shared["theme_threshold"] for h in HEADS]
    return {"shared": flat, "per_label": [per_label[h] for h in HEADS]}


def held_out(y, oof, lex, noise, masks, rows: np.ndarray, rules: dict, union: bool) -> dict:
    out = {}
    for d, m in masks.items():
        sel = rows & m
        got = {name: with_intent_theme(y[sel], decide(oof[sel], lex[sel], noise[sel], 0, 0, union, thr))
               for name, thr in rules.items()}
        out[d] = {"n": int(sel.sum()), **{name: [round(v, 4) for v in g] for name, g in got.items()},
                  **{f"delta_{name}": [round(a - b, 4) for a, b in zip(g, got["shipped"])]
                     for name, g in got.items() if name != "shipped"}}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("oof", help="npz written by cv_compare --oof")
    ap.add_argument("--recipe", default="candidate", choices=("base", "candidate"))
    ap.add_argument("--out", help="JSON run record")
    args = ap.parse_args()
    y, folds, masks, oof, lex, noise = load(Path(args.oof), args.recipe)
    meta = json.loads((SHIPPED / "meta.json").read_text(encoding="utf-8"))
    shipped = [meta["thresholds"][h] for h in HEADS]
    result = {"recipe": args.recipe, "folds": {}}
    for k in range(N_FOLDS):
        chosen = choose(y, oof, lex, noise, masks, folds != k, meta["union"])
        scores = held_out(y, oof, lex, noise, masks, folds == k, {"shipped": shipped, **chosen}, meta["union"])
        result["folds"][k] = {"thresholds": {name: dict(zip(HEADS, t)) for name, t in chosen.items()}, "scores": scores}
        for d, row in scores.items():
            print(f"fold {k} {d:<11} n={row['n']:>4}  shipped {row['shipped'][0]:.4f} / {row['shipped'][1]:.4f}  "
                  + "  ".join(f"{name} {row[f'delta_{name}'][0]:+.4f} / {row[f'delta_{name}'][1]:+.4f}" for name in chosen))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
