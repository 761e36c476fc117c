"""What the fast stance model sees per language: training rows and loss mass per class.

    python -m training.sentiment_linear.data_report [--md OUT]

Builds the training rows exactly as ``train.py`` does (same sources, dedup, dev exclusion,
in-domain batches and sample weights) and prints, per language: rows per class, the share of
the total loss mass (sum of sample weights) the language gets, and how that mass splits over
the classes; plus the held-out dev rows per language and how many dev texts also occur in
training after normalization (must be 0).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

from analyzer.backends.text_features import HashingFeaturizer
from training.sentiment_linear.train import build_rows, normalized, sample_weights

CLASSES = ("negative", "neutral", "positive")


def table(rows: list, weights, dev: list, leaks: int) -> str:
    counts: dict[str, Counter] = defaultdict(Counter)
    mass: dict[str, Counter] = defaultdict(Counter)
    for row, weight in zip(rows, weights):
        counts[row.lang][row.label] += 1
        mass[row.lang][row.label] += float(weight)
    total = float(sum(weights))
    dev_rows = Counter(r.lang for r in dev)
    lines = ["| lang | train rows neg / neu / pos | share of loss mass | its mass neg / neu / pos | dev rows |",
             "|---|---:|---:|---:|---:|"]
    for lang in sorted(counts, key=lambda k: -sum(mass[k].values())):
        own = sum(mass[lang].values())
        lines.append(f"| {lang} | {' / '.join(str(counts[lang][k]) for k in CLASSES)} | {own / total:.3f} | "
                     f"{' / '.join(f'{mass[lang][k] / own:.2f}' for k in CLASSES)} | {dev_rows.get(lang, 0)} |")
    lines.append(f"\nDev texts that also occur in training after normalization: {leaks}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--md", type=Path, default=None)
    args = parser.parse_args()
    featurizer = HashingFeaturizer()
    train, domain, dev = build_rows(featurizer, {})
    rows = train + domain
    dev_texts = set(normalized(featurizer, [r.text for r in dev]))
    leaks = sum(1 for n in normalized(featurizer, [r.text for r in rows]) if n in dev_texts)
    out = table(rows, sample_weights(rows), dev, leaks)
    print(out)
    if args.md:
        args.md.write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
