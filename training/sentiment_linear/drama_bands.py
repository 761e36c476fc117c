"""Where the fast stance tier fails on the drama dev set, and how each stance source draws its neutral band.

    python -m training.sentiment_linear.drama_bands [--model DIR] [--md OUT]

Prints (and writes as Markdown with ``--md``): per language of ``data/devsets/drama_dev.labels.jsonl`` the
confusion matrix (rows gold, columns predicted), each class's F1 and support, the macro-F1 with a bootstrap
standard deviation (500 resamples of the rows, seed 0); for the Korean rows the predictions per star rating
(the dev's Korean stance is the star rule: <= 2.0 negative, 2.5-3.5 neutral, >= 4.0 positive); and, for the
Korean training sources, how their labels map stars (NSMC 1-10 as shipped in ../shared/data; the training drama's
Kinolights rows as ``stance_drama_zh_ko.labels.jsonl`` reads them from the text). Reading only: nothing here is
chosen on the dev set.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from analyzer.evaluation.devset import load_devset
from analyzer.registry import select_backend
from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.dataset import DATA_DIR, DRAMA_DEV_LABELS, STANCE_DRAMA_LABELS
from training.common import read_jsonl

KINOLIGHTS = "kdrama_reviews_ko/train.jsonl"


def f1s(gold: np.ndarray, pred: np.ndarray) -> list[float]:
    out = []
    for k in range(3):
        tp, g, p = int(((gold == k) & (pred == k)).sum()), int((gold == k).sum()), int((pred == k).sum())
        out.append(2 * tp / (g + p) if g + p else 0.0)
    return out


def macro(gold: np.ndarray, pred: np.ndarray) -> float:
    present = sorted(set(gold.tolist()))
    return float(np.mean([f1s(gold, pred)[k] for k in present]))


def language_block(lang: str, gold: np.ndarray, pred: np.ndarray) -> list[str]:
    rng = np.random.default_rng(0)
    boot = [macro(gold[i], pred[i]) for i in (rng.integers(0, len(gold), len(gold)) for _ in range(500))]
    lines = [f"### {lang}: {len(gold)} rows, macro-F1 {macro(gold, pred):.3f} (bootstrap sd {np.std(boot):.3f})", "",
             "| gold \\ predicted | " + " | ".join(SENTIMENT_LABELS) + " | support | F1 |", "|---|---:|---:|---:|---:|---:|"]
    for k, (label, f1) in enumerate(zip(SENTIMENT_LABELS, f1s(gold, pred))):
        row = [int(((gold == k) & (pred == j)).sum()) for j in range(3)]
        lines.append(f"| {label} | " + " | ".join(map(str, row)) + f" | {int((gold == k).sum())} | {f1:.3f} |")
    return lines + [""]


def star_table(records: list[dict], pred: np.ndarray, shared: Path) -> list[str]:
    ratings = [json.loads(line).get("rating") for line in (shared / KINOLIGHTS).read_text(encoding="utf-8").splitlines()]
    bands: dict = defaultdict(Counter)
    for r, p in zip(records, pred):
        source, line = r["id"].rsplit(":", 1)
        bands[ratings[int(line) - 1] if source == KINOLIGHTS else None][SENTIMENT_LABELS[p]] += 1
    lines = ["Korean dev rows by the reviewer's stars (gold = star rule), predicted:", "",
             "| stars | gold | " + " | ".join(SENTIMENT_LABELS) + " |", "|---:|---|---:|---:|---:|"]
    for stars in sorted(bands, key=lambda s: (s is None, s or 0)):
        gold = "-" if stars is None else "negative" if stars <= 2.0 else "neutral" if stars <= 3.5 else "positive"
        lines.append(f"| {stars} | {gold} | " + " | ".join(str(bands[stars][k]) for k in SENTIMENT_LABELS) + " |")
    return lines + [""]


def training_bands(shared: Path) -> list[str]:
    """The Korean training drama's text-read stance against the dev's star rule, per star rating."""
    ratings = [json.loads(line).get("rating") for line in (shared / KINOLIGHTS).read_text(encoding="utf-8").splitlines()]
    counts: dict = defaultdict(Counter)
    for r in read_jsonl(STANCE_DRAMA_LABELS):
        if r["source"] == KINOLIGHTS:
            counts[ratings[r["line"] - 1]][r["stance"]] += 1
    lines = ["Training drama (선재 업고 튀어, Kinolights) rows: stance read from the text, per star rating:", "",
             "| stars | star rule | " + " | ".join(SENTIMENT_LABELS) + " |", "|---:|---|---:|---:|---:|"]
    for stars in sorted(counts, key=lambda s: (s is None, s or 0)):
        rule = "-" if stars is None else "negative" if stars <= 2.0 else "neutral" if stars <= 3.5 else "positive"
        lines.append(f"| {stars} | {rule} | " + " | ".join(str(counts[stars][k]) for k in SENTIMENT_LABELS) + " |")
    nsmc = Counter(json.loads(line).get("rating") for line in (shared / "nsmc_raw_ko/train.jsonl").open(encoding="utf-8"))
    lines += ["", "NSMC (shared training source, 1-10 stars): " + ", ".join(f"{k}/10: {nsmc[k]}" for k in sorted(nsmc))
              + " (1-4 negative, 5-6 neutral, 9-10 positive; 7-8 = 3.5-4.0 stars left out upstream)", ""]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="sentiment.linear.v1 folder (default: the packaged artifact)")
    ap.add_argument("--shared", type=Path, default=DATA_DIR)
    ap.add_argument("--md", type=Path, default=None)
    args = ap.parse_args()
    model = select_backend("sentiment.linear.v1" + (f":{args.model}" if args.model else ""), "sentiment")
    records = load_devset(DRAMA_DEV_LABELS, args.shared, on_error="raise")
    lines = [f"# Drama dev stance, per class and per star band (`{args.model or 'shipped sentiment.linear.v1'}`)", ""]
    for lang in ("ko", "zh"):
        rows = [r for r in records if r.get("lang") == lang]
        gold = np.array([SENTIMENT_LABELS.index(r["stance"]) for r in rows])
        pred = model.predict_proba([r["text"] for r in rows]).argmax(1)
        lines += language_block(lang, gold, pred)
        lines += star_table(rows, pred, args.shared) if lang == "ko" else []
    lines += training_bands(args.shared)
    text = "\n".join(lines)
    print(text)
    if args.md:
        args.md.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
