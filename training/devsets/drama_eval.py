"""Score the model tiers on the held-out real drama comments (data/devsets/drama_dev.labels.jsonl).

    python -m training.devsets.drama_eval [--tiers default,accurate] [--out models/devsets/runs/DATE-drama-eval.md]
    python -m training.devsets.drama_eval --hybrid DIR [--e5 DIR] [--polarity DIR] [--labels FILE]   # candidates beside shipped

Texts are joined from ../shared/data at run time (the label file holds none). ``--hybrid`` /
``--e5`` add the tiers ``default-candidate`` / ``accurate-candidate``: the same tier with a
candidate theme artifact (the e5 candidate reads the hybrid candidate's probabilities), so a
retrain is compared with the shipped weights on the same rows in one run; ``--polarity`` gives the
candidate tiers (``default-candidate`` alone when no theme candidate is named) a candidate
``polarity.clause.v1`` artifact. Every tier is
scored on the same rows in the same run: theme / intent micro-F1, stance macro-F1 (with the
per-language breakdown) and aspect-polarity agreement (on the themes both the labels and the
model found), next to the issue's bars.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.aspect_polarity import ClausePolarityBackend
from analyzer.backends.themes_e5 import E5ThemeBackend
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.evaluation.devset import load_devset
from analyzer.defaults import MODELS
from analyzer.evaluation.themes import evaluate_themes
from training.common import run_path

LABELS = ROOT / "data" / "devsets" / "drama_dev.labels.jsonl"
TIERS = {"default": ("themes.hybrid.v1", "sentiment.linear.v1"),
         "accurate": ("themes.e5.v1", "sentiment.ensemble.v1")}
BARS = {"theme_micro_f1": 0.75, "intent_micro_f1": 0.65, "stance_macro_f1": 0.75, "polarity_accuracy": 0.80}


def candidate_tiers(hybrid: str | None, e5: str | None, polarity: str | None = None) -> dict[str, tuple]:
    """Tiers with candidate artifacts: (theme backend, sentiment name, the label shown, polarity backend)."""
    out = {}
    pol = ClausePolarityBackend(path=polarity) if polarity else MODELS["polarity"]
    shown_pol = f" + polarity @ {polarity}" if polarity else ""
    if hybrid or (polarity and not e5):
        theme = HybridThemeBackend(path=hybrid) if hybrid else TIERS["default"][0]
        out["default-candidate"] = (theme, TIERS["default"][1], f"themes.hybrid.v1 @ {hybrid or 'shipped'}{shown_pol}", pol)
    if e5:
        out["accurate-candidate"] = (E5ThemeBackend(path=e5, hybrid=hybrid), TIERS["accurate"][1],
                                     f"themes.e5.v1 @ {e5}{shown_pol}", pol)
    return out


def per_language_stance(records: list[dict], tier: tuple) -> dict[str, dict]:
    by_lang = defaultdict(list)
    for r in records:
        by_lang[r.get("lang") or "und"].append(r)
    return {lang: {"n": len(rows), "stance_macro_f1": evaluate_themes(rows, *tier[:2])["stance_macro_f1"]}
            for lang, rows in sorted(by_lang.items()) if len(rows) >= 20}


def score(records: list[dict], tier: tuple, languages: dict | None = None) -> dict:
    """Scores of one tier; ``languages``: the per-language stance already measured for the same
    sentiment backend (a candidate tier changes only the themes), else measured here."""
    started = time.perf_counter()
    result = evaluate_themes(records, *tier[:2], **({"polarity": tier[3]} if len(tier) > 3 else {}))
    out = {k: result[k] for k in ("theme_micro_f1", "theme_macro_f1", "intent_micro_f1", "stance_macro_f1",
                                  "stance_accuracy", "polarity_accuracy", "polarity_pairs")}
    out["sentiment_backend"] = tier[1]
    out["themes_backend"] = tier[2] if len(tier) > 2 else tier[0]
    out["themes"] = {k: round(v["f1"], 3) for k, v in result["themes"].items() if v["support"]}
    out["languages"] = languages if languages is not None else per_language_stance(records, tier)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def render(results: dict, n: int, counts: dict, labels: Path) -> str:
    held_out = Path(labels).resolve() == LABELS.resolve()
    lines = ["# Real drama comments, held-out dramas: scores per tier" if held_out else f"# `{shown(labels)}`: scores per tier", "",
             f"`python -m training.devsets.drama_eval` on {n} rows of `{shown(labels)}` "
             f"(languages: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})."
             + (" Dramas no model trained on: see `training/devsets/drama_split.py`." if held_out else ""), "",
             "| tier (themes + stance) | theme micro-F1 | intent micro-F1 | stance macro-F1 | aspect polarity |",
             "|---|---:|---:|---:|---:|",
             "| bar (issue #13) | " + " | ".join(f">= {v:.2f}" for v in BARS.values()) + " |"]
    for name, r in results.items():
        theme, stance = r["themes_backend"], r["sentiment_backend"]
        lines.append(f"| {name} (`{theme}` + `{stance}`) | {r['theme_micro_f1']:.3f} | {r['intent_micro_f1']:.3f} | "
                     f"{r['stance_macro_f1']:.3f} | {r['polarity_accuracy']:.3f} ({r['polarity_pairs']} pairs) |")
    languages = next(iter(results.values()))["languages"]
    if languages:
        lines += ["", "Stance macro-F1 per language (>= 20 rows):", "",
                  "| tier | " + " | ".join(languages) + " |", "|---|" + "---:|" * len(languages)]
    for name, r in results.items() if languages else ():
        lines.append(f"| {name} | " + " | ".join(f"{v['stance_macro_f1']:.3f} (n={v['n']})" for v in r["languages"].values()) + " |")
    lines += ["", "Theme F1 per label:", "", "| tier | " + " | ".join(next(iter(results.values()))["themes"]) + " |",
              "|---|" + "---:|" * len(next(iter(results.values()))["themes"])]
    for name, r in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in r["themes"].values()) + " |")
    return "\n".join(lines) + "\n"


def shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiers", default=",".join(TIERS))
    ap.add_argument("--labels", type=Path, default=LABELS, help="label file (default: the held-out drama dev set)")
    ap.add_argument("--hybrid", help="candidate themes.hybrid.v1 folder: adds the tier default-candidate")
    ap.add_argument("--e5", help="candidate themes.e5.v1 folder (trained on --hybrid): adds accurate-candidate")
    ap.add_argument("--polarity", help="candidate polarity.clause.v1 folder for the candidate tiers")
    ap.add_argument("--no-languages", action="store_true",
                    help="skip the per-language stance table (a second pass per language: half the time of a tier)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path, default=None, help="the .md (JSON beside it); default models/devsets/runs/<today>-drama-eval.md")
    args = ap.parse_args()
    records = load_devset(args.labels, args.shared, on_error="raise")
    counts: dict[str, int] = defaultdict(int)
    for r in records:
        counts[r.get("lang") or "und"] += 1
    args.out = args.out or run_path("devsets", "drama-eval", ".md")
    tiers = {name: TIERS[name] for name in args.tiers.split(",")} | candidate_tiers(args.hybrid, args.e5, args.polarity)
    results: dict[str, dict] = {}
    for name, tier in tiers.items():
        base = results.get(name.removesuffix("-candidate"), {})
        results[name] = score(records, tier, {} if args.no_languages else base.get("languages"))
    args.out.write_text(render(results, len(records), counts, args.labels), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
