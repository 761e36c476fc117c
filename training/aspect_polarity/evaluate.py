"""Aspect-polarity agreement before/after polarity.clause.v1 on the held-out sets, same run.

    python -m training.aspect_polarity.evaluate [--tiers default] [--polarity polarity.clause.v1] [--out models/aspect-polarity/runs/DATE-evaluate.md]
        [--sentiment NAME=sentiment.linear.v1:/some/folder ...] [--counterfactual] [--no-drama-dev]

Sets: the real drama dev set (data/devsets/drama_dev.labels.jsonl, held-out dramas), the
real-comment dev set (comments_dev.labels.jsonl) and the written drama proxy set
(drama_proxy.jsonl); texts of the label files are joined from ../shared/data at run time.
Each tier's ThemeStage is scored twice on the same rows: ``polarity=None`` (today's rule:
the argmax of the evidence clauses' sentiment) and the polarity backend. Agreement is
counted on the themes both the labels and the model found (as ``analyzer eval themes``);
"differs from stance" is the share of predicted theme polarities that differ from the
comment's predicted stance.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes
from training.common import read_jsonl, run_path

DEVSETS = ROOT / "data" / "devsets"
TIERS = {"default": ("themes.hybrid.v1", "sentiment.linear.v1"),
         "accurate": ("themes.e5.v1", "sentiment.ensemble.v1")}


def counterfactual_set() -> dict[str, list[dict]]:
    """The held-out s17 counterfactual rows that name a theme (new topics and new predicate wordings; written)."""
    from training.sentiment_linear.counterfactual import read_rows

    return {"counterfactual held-out (written, s17)": [r for r in read_rows(held_out=True) if r["theme_polarity"]]}


def load_sets(shared: str, drama: bool = True) -> dict[str, list[dict]]:
    sets = {"drama_dev (real drama, held-out dramas)": load_devset(DEVSETS / "drama_dev.labels.jsonl", shared, on_error="raise")} if drama else {}
    return sets | {"comments_dev (real, variety show)": load_devset(DEVSETS / "comments_dev.labels.jsonl", shared, on_error="raise"),
                   "drama_proxy (written)": read_jsonl(DEVSETS / "drama_proxy.jsonl")}


def tier_models(tiers: str, sentiment: list[str]) -> dict[str, tuple[str, str]]:
    """The named tiers, plus one default-tier copy per ``NAME=MODEL`` of ``sentiment`` (another sentiment model, e.g.
    ``sentiment.linear.v1:/some/folder``, under the default tier's theme model)."""
    models = {tier: TIERS[tier] for tier in tiers.split(",") if tier}
    for item in sentiment:
        name, model = item.split("=", 1)
        models[name] = (TIERS["default"][0], model)
    return models


def score(records: list[dict], tier: tuple[str, str], polarity) -> dict:
    result = evaluate_themes(records, *tier, errors=True, polarity=polarity)
    confusions = [{k: v for k, v in c.items() if k != "examples"} for c in result["errors"]["polarity"]]  # no texts
    return {"accuracy": round(result["polarity_accuracy"], 4), "pairs": result["polarity_pairs"],
            "confusions": confusions}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiers", default="default")
    ap.add_argument("--polarity", default="polarity.clause.v1")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path, default=None, help="the .md (JSON beside it); default models/aspect-polarity/runs/<today>-evaluate.md")
    ap.add_argument("--counterfactual", action="store_true", help="also score the held-out s17 counterfactual rows")
    ap.add_argument("--sentiment", action="append", default=[], metavar="NAME=MODEL",
                    help="also score the default tier with this sentiment model under NAME (repeatable)")
    ap.add_argument("--no-drama-dev", action="store_true", help="leave the drama dev set out (score it once, at the end)")
    args = ap.parse_args()
    args.out = args.out or run_path("aspect-polarity", "evaluate", ".md")
    sets = load_sets(args.shared, not args.no_drama_dev) | (counterfactual_set() if args.counterfactual else {})
    lines = ["# Aspect-polarity agreement, before / after `polarity.clause.v1`", "",
             f"`python -m training.aspect_polarity.evaluate --tiers {args.tiers} --polarity {args.polarity}`: "
             "agreement with the labels on the themes both the labels and the model found; both columns from the same run on the same rows.", "",
             f"| set | rows | tier | pairs | before (`polarity=None`) | after (`{args.polarity}`) |",
             "|---|---:|---|---:|---:|---:|"]
    out = {}
    for tier, models in tier_models(args.tiers, args.sentiment).items():
        for name, records in sets.items():
            before, after = score(records, models, None), score(records, models, args.polarity)
            out[f"{tier} / {name}"] = {"before": before, "after": after}  # no timings: reruns are byte-identical
            lines.append(f"| {name} | {len(records)} | {tier} | {after['pairs']} | {before['accuracy']:.3f} | "
                         f"{after['accuracy']:.3f} |")
            print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
