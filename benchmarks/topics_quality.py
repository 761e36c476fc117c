"""Topic recovery on real Chinese reviews with known product categories.

Samples ``--per-category`` reviews from each of 8 product categories of
../shared/data/zh_reviews_chnsenticorp_shopping (field ``category``; seed 13) and
checks how well the discovered topics recover the categories: normalized mutual
information (NMI) and purity, plus how many topic words each topic gets.
Side by side, in the same run:

- tfidf + jieba words (the default),
- tfidf + single characters (the no-segmenter fallback, the baseline),
- e5 embeddings (when the e5 encoder is built; ``--no-e5`` skips it),

each with n_topics = 8 (the true number) and with "auto", averaged over seeds.
NMI against product category understates topic quality: reviews of every category
also talk about delivery, price and fakes, which are real topics across categories.
Usage: OMP_NUM_THREADS=1 python benchmarks/topics_quality.py [--per-category 150]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

from analyzer.schema import Comment
from analyzer.text import segment as seg
from analyzer.topics.discover import _discover
from analyzer.topics.embed import e5_ready

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "zh_reviews_chnsenticorp_shopping" / "train.jsonl"
CATEGORIES = ("书籍", "平板", "手机", "水果", "洗发水", "蒙牛", "衣服", "计算机")


def sample(per_category: int, seed: int = 13) -> tuple[list[Comment], dict[str, str]]:
    by_cat: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    with open(DATA, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("category") in by_cat:
                by_cat[row["category"]].append(row["text"])
    rng = random.Random(seed)
    comments, truth = [], {}
    for cat in CATEGORIES:
        for i, text in enumerate(rng.sample(by_cat[cat], per_category)):
            cid = f"{cat}-{i}"
            comments.append(Comment(id=cid, text=text, drama="reviews", region="CN", lang="zh"))
            truth[" ".join(text.split())] = cat
    return comments, truth


def score(comments: list[Comment], truth: dict[str, str], **kwargs) -> dict:
    """Run discovery, label every comment by its topic (via the topic's unit texts)."""
    from sklearn.metrics import normalized_mutual_info_score

    from analyzer.topics import discover, describe

    assignments: dict[str, int] = {}
    original = describe.representatives

    def capture(members, vectors, centroid, units, n=3, max_overlap=0.5):
        topic = len({v for v in assignments.values()})
        for m in members:
            assignments[units[m]["model_text"]] = topic
        return original(members, vectors, centroid, units, n, max_overlap)

    discover.representatives = capture
    try:
        start = time.perf_counter()
        topics, cells, _ = _discover(comments, min_comments=10, **kwargs)
        seconds = time.perf_counter() - start
    finally:
        discover.representatives = original
    keys = [k for k in assignments if k in truth]
    gold, pred = [truth[k] for k in keys], [assignments[k] for k in keys]
    purity = sum(Counter(g for g, p in zip(gold, pred) if p == t).most_common(1)[0][1] for t in set(pred)) / len(keys)
    return {"topics": len(topics), "nmi": round(normalized_mutual_info_score(gold, pred), 3),
            "purity": round(purity, 3), "clustered": len(keys),
            "words_per_topic": round(sum(len(t["words"]) for t in topics) / max(len(topics), 1), 1),
            "seconds": round(seconds, 1), "example_words": [t["words"][:5] for t in topics[:3]]}


class CachedEmbedder:
    """Embeds each text once across runs (so seeds and k settings share the e5 cost)."""

    def __init__(self, model) -> None:
        self.model, self.cache = model, {}

    def embed(self, texts):
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.model.embed(todo)))
        return [self.cache[t] for t in texts]


def mean_over_seeds(comments, truth, seeds: int, **kwargs) -> dict:
    results = [score(comments, truth, seed=s, **kwargs) for s in range(seeds)]
    out = dict(results[0])
    for key in ("topics", "nmi", "purity", "seconds"):
        out[key] = round(sum(r[key] for r in results) / seeds, 3)
    out["nmi_by_seed"] = [r["nmi"] for r in results]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-category", type=int, default=150)
    parser.add_argument("--no-e5", action="store_true")
    parser.add_argument("--seeds", type=int, default=3, help="average over seeds 0..N-1")
    args = parser.parse_args()
    comments, truth = sample(args.per_category)
    print(f"{len(comments)} reviews, {len(CATEGORIES)} categories; segmenters: {seg.available()}")
    runs = [("tfidf+jieba", "tfidf", False), ("tfidf+chars (baseline)", "tfidf", True)]
    if not args.no_e5 and e5_ready():
        from analyzer.backends.embedding.e5 import E5Encoder

        runs.append(("e5", CachedEmbedder(E5Encoder(threads=1)), False))
    for name, embedder, chars in runs:
        for n_topics in (len(CATEGORIES), "auto"):
            saved = seg._jieba
            if chars:
                seg._jieba = lambda: None
            try:
                result = mean_over_seeds(comments, truth, args.seeds, embedder=embedder, n_topics=n_topics)
            finally:
                seg._jieba = saved
            print(f"{name:24s} n_topics={n_topics!s:5s} " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
