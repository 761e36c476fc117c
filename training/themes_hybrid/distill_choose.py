"""Apply the declared choice rule of session 18 (models/themes-hybrid/card.md) to cv_compare runs, one per
teacher-row weight (training side only; no dev set read).

    python -m training.themes_hybrid.distill_choose RUN.json [RUN.json ...] [--out models/themes-hybrid/runs/X.json]

Objective = mean over the CV domains (real, real_drama, drama) of theme + intent micro-F1 at the shipped
thresholds. The weight with the highest objective is chosen; it goes on to the one dev look only if it beats the
base by >= 0.002 and the real drama rows' theme and intent micro-F1 each do not fall. Its thresholds stay the
shipped ones unless its best shared thresholds on the grouped folds beat them by >= 0.002 in the objective.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DOMAINS = ("real", "real_drama", "drama")
MARGIN = 0.002
SHIPPED_THRESHOLDS = (0.25, 0.20)


def objective(scores: dict) -> float:
    return sum(scores[d]["theme_micro_f1"] + scores[d]["intent_micro_f1"] for d in DOMAINS) / len(DOMAINS)


def candidate_row(run: dict) -> dict:
    cand, base = run["candidate"], run["base"]
    best = run["best_shared_thresholds"]["candidate"]
    return {"weight": run["distill_weight"], "objective": round(objective(cand), 4),
            "base_objective": round(objective(base), 4),
            "real_drama": [cand["real_drama"]["theme_micro_f1"], cand["real_drama"]["intent_micro_f1"]],
            "base_real_drama": [base["real_drama"]["theme_micro_f1"], base["real_drama"]["intent_micro_f1"]],
            "best_thresholds": [best["theme_threshold"], best["intent_threshold"]],
            "best_thresholds_objective": round(best["cv_theme_micro_f1"] + best["cv_intent_micro_f1"], 4)}


def choose(rows: list[dict]) -> dict:
    best = max(rows, key=lambda r: r["objective"])
    passes = (best["objective"] >= best["base_objective"] + MARGIN
              and all(c >= b for c, b in zip(best["real_drama"], best["base_real_drama"])))
    move = best["best_thresholds_objective"] >= best["objective"] + MARGIN
    return {"chosen_weight": best["weight"], "goes_to_dev_look": passes,
            "thresholds": best["best_thresholds"] if move else list(SHIPPED_THRESHOLDS)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [candidate_row(json.loads(p.read_text(encoding="utf-8"))) for p in args.runs]
    result = {"rule": __doc__.split("\n\n")[2].strip(), "candidates": rows, **choose(rows)}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
