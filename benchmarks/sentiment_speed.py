"""Throughput of sentiment.linear.v1 on short comments vs. baselines in the same run.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sentiment_speed.py [--n 50000] [--path MODEL_DIR]

Texts: unique real short comments (<= 140 chars) from the shared data folder when it
is present (YouTube comments, Korean movie reviews, tweets), else generated
combinations of hand-written phrases. All texts are distinct, so deduplication does
not inflate the numbers. Baselines: (a) scikit-learn HashingVectorizer (char_wb 1-4 +
word 1-2) + LogisticRegression.predict_proba, the plain approach; (b) our own model
called one text at a time (a naive per-comment loop). The model is also timed with one
language code per text (as the pipeline calls it), which adds its per-language bias terms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import best_seconds  # noqa: E402

from analyzer.backends.sentiment_linear import LinearSentimentBackend  # noqa: E402

DATA = Path(os.environ.get("ANALYZER_SHARED_DATA", "/work/shared/data"))
FILES = ("youtube_kvariety_comments_multilingual/comments.jsonl", "nsmc_raw_ko/train.jsonl",
         "xlmt_umsab_tweets/train.jsonl", "wisesight_th/train.jsonl", "indonlu_smsa_id/train.jsonl")
PHRASES = ("loved the finale", "so boring", "where can I watch", "这部剧太好看了", "재밌어요",
           "ตอนจบดีมาก", "hay quá", "bagus banget", "qué aburrida", "ep", "😭", "🔥", "!!", "?")


def short_comments(n: int) -> list[str]:
    texts: dict[str, None] = {}
    for name in FILES:
        path = DATA / name
        if path.is_file():
            for line in path.open(encoding="utf-8"):
                text = json.loads(line)["text"]
                if len(text) <= 140:
                    texts[text] = None
    rng = np.random.default_rng(0)
    while len(texts) < n:  # fallback / top-up with generated distinct texts
        words = rng.choice(PHRASES, size=rng.integers(2, 7))
        texts[" ".join(words) + f" {len(texts)}"] = None
    out = list(texts)
    rng.shuffle(out)
    return out[:n]


def sklearn_baseline(backend: LinearSentimentBackend, texts: list[str]):
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    n_features = backend.model.featurizer.n_features
    vec = make_union(HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), n_features=n_features),
                     HashingVectorizer(ngram_range=(1, 2), n_features=n_features))
    clf = LogisticRegression()
    clf.classes_ = np.arange(3)
    clf.coef_ = np.vstack([backend.model.weights, backend.model.weights]).reshape(3, -1)
    clf.intercept_ = backend.model.bias.astype(np.float64)
    return lambda: clf.predict_proba(vec.transform(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--path", default=None, help="model folder (default: the packaged model)")
    args = parser.parse_args()
    texts = short_comments(args.n)
    langs = [("en", "ko", "zh", "th", "id", "es", "vi", None)[i % 8] for i in range(len(texts))]
    backend = LinearSentimentBackend(path=args.path)
    backend.predict_proba(texts[:100])  # load the model outside the timing
    ours = best_seconds(lambda: backend.predict_proba(texts))
    with_langs = best_seconds(lambda: backend.predict_proba(texts, langs))
    sk = best_seconds(sklearn_baseline(backend, texts), repeat=1)
    loop_n = min(len(texts), 5_000)
    loop = best_seconds(lambda: [backend.predict_proba([t]) for t in texts[:loop_n]], repeat=1)
    rates = {"sentiment.linear.v1 (batched)": len(texts) / ours,
             "sentiment.linear.v1 (batched, with langs)": len(texts) / with_langs,
             "sklearn HashingVectorizer+LogisticRegression": len(texts) / sk,
             "same model, one text per call": loop_n / loop}
    print(f"{len(texts)} distinct short comments, mean {np.mean([len(t) for t in texts]):.0f} chars, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    for name, rate in rates.items():
        print(f"  {name:<48}{rate:>12,.0f} comments/s")
    base = rates["sklearn HashingVectorizer+LogisticRegression"]
    print(f"  speed-up vs sklearn baseline: {rates['sentiment.linear.v1 (batched)'] / base:.1f}x")


if __name__ == "__main__":
    main()
