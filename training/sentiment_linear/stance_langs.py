"""Stance acceptance per language (issue #13): the default and the accurate tier on the same held-out rows.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.stance_langs [--drama] [--tiers default,accurate]
                                                  [--tier NAME=MODEL ...] [--json OUT] [--md OUT]

``--tier before=/some/model/folder`` adds a model (a folder or registered name) scored on the same
rows in the same run, e.g. the previous weights for a before/after table.

Held-out sets, never trained on by either tier:

- ``shared dev``: the held-out dev split of the shared data (``training/sentiment_e5/data.py``: each
  source's own validation file or a seeded split, at most 150 rows per source x language), 15 languages;
- ``real comments``: the hand-labelled real comments of ``data/devsets/comments_dev.labels.jsonl``;
- ``drama dev`` (only with ``--drama``: it is the measuring set of issue #13, run it rarely):
  ``data/devsets/drama_dev.labels.jsonl``, real comments on held-out dramas.

The acceptance number is the mean over the 15 languages of ``shared dev`` (Hindi also reported apart:
its source is at chance even for a model trained on its own rows, see the card). Cells of the other sets
with at least 20 rows are listed too, and a mean over every cell.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation import evaluate_sentiment
from analyzer.evaluation.devset import load_devset
from training.sentiment_e5 import data as sentiment_e5_data

SHARED = ROOT.parent / "shared" / "data"
TIERS = {"default": "sentiment.linear.v1", "accurate": "sentiment.ensemble.v1"}
MIN_ROWS = 20
ALL = "all rows"  # the pooled cell of each set (not a language; left out of the means)


def held_out_sets(shared: Path, drama: bool) -> dict[str, list[dict]]:
    data = sentiment_e5_data
    sets = {"shared dev": [{"text": r.text, "lang": r.lang, "label": r.label} for r in data.load()[1]]}
    files = {"real comments": ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"}
    if drama:
        files["drama dev"] = ROOT / "data" / "devsets" / "drama_dev.labels.jsonl"
    for name, path in files.items():
        sets[name] = [{"text": r["text"], "lang": r.get("lang") or "und", "label": r["stance"]}
                      for r in load_devset(path, shared, on_error="warn")]
    return sets


def cells(sets: dict[str, list[dict]], model: str) -> dict[str, dict[str, dict]]:
    out = {}
    for name, records in sets.items():
        result = evaluate_sentiment(records, model)
        out[name] = {lang: {"n": s["n"], "macro_f1": round(s["macro_f1"], 4), "confusion": s["confusion"]}
                     for lang, s in result["languages"].items() if s["n"] >= MIN_ROWS}
        whole = result["overall"]  # every row of the set pooled (drama_eval's stance number)
        out[name][ALL] = {"n": whole["n"], "macro_f1": round(whole["macro_f1"], 4), "confusion": whole["confusion"]}
    return out


def summary(result: dict[str, dict[str, dict]]) -> dict[str, float]:
    shared = {lang: s["macro_f1"] for lang, s in result["shared dev"].items() if lang != ALL}
    every = [s["macro_f1"] for langs in result.values() for lang, s in langs.items() if lang != ALL]
    no_hi = [v for lang, v in shared.items() if lang != "hi"]
    return {"shared_mean": sum(shared.values()) / len(shared), "shared_mean_without_hi": sum(no_hi) / len(no_hi),
            "shared_min_without_hi": min(no_hi), "all_cells_mean": sum(every) / len(every), "cells": len(every)}


def render(results: dict[str, dict]) -> str:
    tiers = list(results)
    head = "| set | lang | n | " + " | ".join(f"{t} (`{results[t]['model']}`)" for t in tiers) + " |"
    lines = ["# Stance macro-F1 per language, held-out sets (issue #13)", "",
             "`python -m training.sentiment_linear.stance_langs` (see its docstring for the sets); cells with at least "
             f"{MIN_ROWS} rows, every tier on the same rows in the same run.", "", head, "|---|---|---:|" + "---:|" * len(tiers)]
    first = results[tiers[0]]["cells"]
    for name, langs in first.items():
        for lang, s in langs.items():
            lines.append(f"| {name} | {lang} | {s['n']} | "
                         + " | ".join(f"{results[t]['cells'][name][lang]['macro_f1']:.3f}" for t in tiers) + " |")
    for key, label in (("shared_mean", "**mean per language, shared dev (15)**"),
                       ("shared_mean_without_hi", "mean per language, shared dev without hi (14)"),
                       ("shared_min_without_hi", "lowest language without hi"),
                       ("all_cells_mean", "mean over every cell above")):
        lines.append(f"| {label} | | | " + " | ".join(f"{results[t]['summary'][key]:.3f}" for t in tiers) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiers", default=",".join(TIERS))
    ap.add_argument("--tier", action="append", default=[], metavar="NAME=MODEL",
                    help="also score this model (folder or registered name) under NAME (repeatable)")
    ap.add_argument("--drama", action="store_true", help="also score the drama dev set (issue #13's measuring set)")
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--md", type=Path, default=None)
    args = ap.parse_args()
    sets = held_out_sets(args.shared, args.drama)
    models = {**dict(item.split("=", 1) for item in args.tier), **{t: TIERS[t] for t in args.tiers.split(",") if t}}
    results = {}
    for tier, model in models.items():
        result = cells(sets, model)
        results[tier] = {"model": model, "cells": result, "summary": summary(result)}
    table = render(results)
    print(table)
    if args.md:
        args.md.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
