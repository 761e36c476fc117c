"""Reproduce the model card's dev numbers for sentiment.linear.v1.

    python -m training.sentiment_linear.evaluate [--model DIR] [--json OUT]

Scores the held-out dev split (see dataset.py) per language and per source, next to a
majority-class baseline (most frequent dev label of each language) computed in the same run,
then on the project's hand-labelled real comments (data/devsets, when the shared data are
present; its rows are excluded from training), then on data/devsets/stance_drama_dev.jsonl: 60 drama comments written by hand for this check, never trained on.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.sentiment_linear import LinearSentimentBackend, default_model_dir
from analyzer.evaluation import evaluate_sentiment, format_report
from analyzer.evaluation.sentiment import write_dev_scores
from training.sentiment_linear.dataset import DATA_DIR, DEVSET_LABELS, WRITTEN_DEV, dev_records, load_split


class MajorityBackend:
    """Baseline: always the most frequent dev label of the row's language."""

    name = "majority-class"

    def __init__(self, records: list[dict]) -> None:
        by_lang: dict[str, Counter] = {}
        for r in records:
            by_lang.setdefault(r["lang"], Counter())[r["label"]] += 1
        self.top = {lang: c.most_common(1)[0][0] for lang, c in by_lang.items()}

    def predict_proba(self, texts, langs=None):
        import numpy as np

        labels = ("negative", "neutral", "positive")
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for i, lang in enumerate(langs):
            out[i, labels.index(self.top[lang])] = 1.0
        return out


def real_comment_records() -> list[dict]:
    """The project's hand-labelled real comments joined with their texts, if available."""
    try:
        from analyzer.evaluation.devset import load_devset
    except ImportError:
        return []
    if not (DEVSET_LABELS.is_file() and DATA_DIR.is_dir()):
        return []
    records = load_devset(DEVSET_LABELS, DATA_DIR, on_error="warn")
    return [{"text": r["text"], "lang": r.get("lang") or "und", "label": r["stance"]} for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate sentiment.linear.v1 on the held-out dev split.")
    parser.add_argument("--model", default=None, help="model folder (default: the packaged artifact)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()

    _, dev = load_split()
    records = dev_records(dev)
    backend = LinearSentimentBackend(path=args.model)
    result = evaluate_sentiment(records, backend)
    print(format_report(result))
    by_source = {}
    for source in sorted({r["source"] for r in records}):
        part = [r for r in records if r["source"] == source]
        s = evaluate_sentiment(part, backend)["overall"]
        by_source[source] = {k: s[k] for k in ("n", "accuracy", "macro_f1")}
        print(f"  {source:<36}{s['n']:>7}{s['accuracy']:>8.3f}{s['macro_f1']:>8.3f}")
    base = evaluate_sentiment(records, MajorityBackend(records))
    print(f"baseline majority-class mean per-language macro-F1: {base['mean_macro_f1']:.3f}")
    real = real_comment_records()
    if real:
        real_result = evaluate_sentiment(real, backend)
        real_base = evaluate_sentiment(real, MajorityBackend(real))
        print(f"\nreal-comment dev set (data/devsets, {len(real)} rows, never trained on):")
        print(format_report(real_result))
        print(f"baseline majority-class mean per-language macro-F1: {real_base['mean_macro_f1']:.3f}")
        result["real_comments"] = real_result
        result["real_comments_baseline_majority_mean_macro_f1"] = real_base["mean_macro_f1"]
    drama = evaluate_sentiment(WRITTEN_DEV, backend)
    print("\nhand-written drama-stance check (data/devsets/stance_drama_dev.jsonl, never trained on):")
    print(format_report(drama).split("\n\n")[0])
    result["by_source"] = by_source
    result["drama_dev"] = drama
    result["baseline_majority_mean_macro_f1"] = base["mean_macro_f1"]
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    write_dev_scores(result, args.model or default_model_dir())


if __name__ == "__main__":
    main()
