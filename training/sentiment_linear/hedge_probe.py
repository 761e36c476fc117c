"""What sentiment.linear.v1 weights say about hedge and contrast words of mixed reviews (ko/zh/en), alone.

    python -m training.sentiment_linear.hedge_probe [--model NAME=DIR ...]

Prints a Markdown table: per phrase, the probabilities negative / neutral / positive of each model
(default: the shipped weights). A probe of hand-picked words, not a score: it shows whether the
words of a "3-star" comment carry neutral weight at all.
"""

from __future__ import annotations

import argparse

import numpy as np

from analyzer.backends.sentiment_linear import LinearModel, default_model_dir

PHRASES = ("还行", "一般", "一般般", "但是", "可惜", "凑合", "还可以", "中规中矩", "及格",
           "그런데", "하지만", "아쉽", "아쉽다", "그럭저럭", "볼만", "볼만하다", "무난", "평범", "나쁘지 않",
           "演员演技很好但是剧情拖沓", "배우 연기는 좋은데 스토리가 지루하다", "good actors but boring story")


def probabilities(folder, phrases=PHRASES) -> np.ndarray:
    logits = LinearModel.load(folder).logits(list(phrases))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", default=[], metavar="NAME=DIR")
    args = ap.parse_args()
    models = dict(item.split("=", 1) for item in args.model) or {"shipped": str(default_model_dir())}
    probs = {name: probabilities(folder) for name, folder in models.items()}
    print("| text | " + " | ".join(models) + " |\n|---|" + "---|" * len(models))
    for i, phrase in enumerate(PHRASES):
        print(f"| {phrase} | " + " | ".join(" / ".join(f"{v:.2f}" for v in probs[m][i]) for m in models) + " |")


if __name__ == "__main__":
    main()
