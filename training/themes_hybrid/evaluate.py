"""Evaluate themes.hybrid.v1 on the hand-labelled dev set, side by side with
themes.lexicon.v1 in the same run (the dev set is not used for training or tuning).
Also reports each source separately (YouTube variety-show comments vs NSMC movie
reviews, the closest thing to drama comments in the set) and, with --own, our synthetic
drama comments (they ARE training data: a sanity check only, not a held-out number).
Texts are joined from ../shared/data at run time.

    python -m training.themes_hybrid.evaluate [--sentiment sentiment.linear.v1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes, format_report
from analyzer.schema import THEMES
from training.common import TRAINSETS, read_jsonl


def side_by_side(results: dict[str, dict]) -> str:
    names = list(results)
    head = f"{'theme':<14}{'n':>5}" + "".join(f"{n[:22]:>24}" for n in names)
    lines = [head, f"{'':<19}" + "".join(f"{'P     R     F1':>24}" for _ in names)]
    for theme in THEMES:
        support = results[names[0]]["themes"][theme]["support"]
        cells = "".join(f"{v['precision']:8.2f}{v['recall']:6.2f}{v['f1']:6.2f}    "
                        for v in (results[n]["themes"][theme] for n in names))
        lines.append(f"{theme:<14}{support:>5}  {cells}")
    for key in ("theme_micro_precision", "theme_micro_recall", "theme_micro_f1", "theme_macro_f1",
                "intent_micro_f1", "intent_macro_f1"):
        lines.append(f"{key:<22}" + "".join(f"{results[n][key]:>24.3f}" for n in names))
    return "\n".join(lines)


def summary(name: str, result: dict) -> str:
    return (f"{name:<34} n={result['n']:<4} theme micro-F1 {result['theme_micro_f1']:.3f} "
            f"(P {result['theme_micro_precision']:.3f}, R {result['theme_micro_recall']:.3f})  "
            f"macro {result['theme_macro_f1']:.3f}  intent micro-F1 {result['intent_micro_f1']:.3f}")


def per_source(records: list[dict], backends: dict) -> str:
    """One summary line per (source file, backend): the dev set mixes YouTube and NSMC rows."""
    lines = []
    for source in sorted({r["id"].rsplit(":", 1)[0] for r in records}):
        subset = [r for r in records if r["id"].startswith(source + ":")]
        for name, backend in backends.items():
            lines.append(summary(f"{source.split('/')[0]} / {name}", evaluate_themes(subset, backend, None)))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", default=str(ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sentiment", default=None, help="a sentiment backend name for polarity/stance")
    parser.add_argument("--own", action="store_true", help="also score our synthetic comments (training data)")
    args = parser.parse_args()
    records = load_devset(args.labels, args.shared)
    print(f"dev set: {len(records)} records joined from {args.shared}\n")
    backends = {"themes.lexicon.v1": LexiconThemeBackend(), "themes.hybrid.v1": HybridThemeBackend()}
    results = {name: evaluate_themes(records, backend, args.sentiment) for name, backend in backends.items()}
    print(format_report(results["themes.hybrid.v1"]))
    print("\nside by side on the dev set (same run):")
    print(side_by_side(results))
    print("\nper source:")
    print(per_source(records, backends))
    if args.own:
        own = read_jsonl(TRAINSETS / "themes_synthetic.jsonl")
        print("\nsynthetic drama comments (training data for the hybrid; not held out):")
        for name, backend in backends.items():
            print(summary(f"synthetic / {name}", evaluate_themes(own, backend, None)))


if __name__ == "__main__":
    main()
