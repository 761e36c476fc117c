"""Evaluate themes.lexicon.v1 on the hand-labelled dev set, next to a baseline measured
in the same run: the same backend with only the English + common lexicons (what a
single-language lexicon would give). Texts are joined from ../shared/data at run time.

    python -m training.themes_lexicon.evaluate [--sentiment sentiment.linear.v1]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.themes_lexicon import LexiconThemeBackend, default_lexicon_dir
from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes, format_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", default=str(ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sentiment", default=None, help="a sentiment backend name for polarity/stance")
    args = parser.parse_args()
    records = load_devset(args.labels, args.shared)
    print(f"dev set: {len(records)} records joined from {args.shared}\n")
    result = evaluate_themes(records, LexiconThemeBackend(), args.sentiment)
    print(format_report(result))
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("en.tsv", "common.tsv"):
            shutil.copy(default_lexicon_dir() / name, tmp)
        base = evaluate_themes(records, LexiconThemeBackend(path=tmp), None)
    print("\nbaseline (English + common lexicons only, same matcher):")
    print(f"theme micro-F1 {base['theme_micro_f1']:.3f}  macro-F1 {base['theme_macro_f1']:.3f}  "
          f"intent micro-F1 {base['intent_micro_f1']:.3f}  noise F1 {base['noise']['f1']:.3f}")


if __name__ == "__main__":
    main()
