"""Speed of topic discovery, and how often topics cross languages, tfidf vs e5.

Part 1: all comments of a JSONL file (default: ../shared/data/youtube_kvariety_
comments_multilingual, ~10k real comments), one cell per language, tfidf embedding:
seconds for word segmentation alone and for the whole discovery, comments/s.
Part 2: a mixed-language cell of ``--mixed`` comments (en, ko, id, es, th, ja in
turn), tfidf vs e5 (when built) on the same cell: seconds and the share of topics
whose second language holds >= 20% of the topic (topics that cross languages).
Usage: OMP_NUM_THREADS=1 python benchmarks/topics_speed.py [FILE.jsonl] [--mixed 600]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from analyzer.schema import Comment
from analyzer.text.segment import available, content_words
from analyzer.topics import discover_topics
from analyzer.topics.embed import e5_ready

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
MIXED_LANGS = ("en", "ko", "id", "es", "th", "ja")


def load(path: Path) -> list[Comment]:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [Comment(id=str(i), text=r["text"], drama="show", region="ALL", lang=r.get("lang"), likes=0)
            for i, r in enumerate(rows) if r.get("text")]


def mixed_cell(comments: list[Comment], n: int) -> list[Comment]:
    pools = {lang: [c for c in comments if c.lang == lang] for lang in MIXED_LANGS}
    out, i = [], 0
    while len(out) < n and any(i < len(p) for p in pools.values()):
        out.extend(p[i] for p in pools.values() if i < len(p))
        i += 1
    return out[:n]


def crossing(topics: list[dict]) -> float:
    crossed = [t for t in topics if len(t["langs"]) > 1 and sorted(t["langs"].values())[-2] >= 0.2]
    return round(len(crossed) / max(len(topics), 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--mixed", type=int, default=600)
    args = parser.parse_args()
    comments = load(Path(args.file))
    print(f"{len(comments)} comments; segmenters: {available()}")
    content_words("预热 jieba", "zh"), content_words("ウォームアップ", "ja"), content_words("อุ่นเครื่อง", "th")
    start = time.perf_counter()
    for c in comments:
        content_words(c.text, c.lang)
    seg_s = time.perf_counter() - start
    start = time.perf_counter()
    topics = discover_topics(comments, by=("lang",), min_comments=100, embedder="tfidf")
    total_s = time.perf_counter() - start
    print(f"segmentation only: {seg_s:.1f} s ({len(comments) / seg_s:.0f} comments/s)")
    print(f"tfidf discovery, by lang: {total_s:.1f} s ({len(comments) / total_s:.0f} comments/s), "
          f"{len({t['lang'] for t in topics})} cells, {len(topics)} topics")
    cell = mixed_cell(comments, args.mixed)
    for name in ("tfidf", "e5") if e5_ready() else ("tfidf",):
        start = time.perf_counter()
        found = discover_topics(cell, min_comments=50, n_topics=8, embedder=name)
        seconds = time.perf_counter() - start
        print(f"mixed cell of {len(cell)} ({'/'.join(MIXED_LANGS)}), {name}: {seconds:.1f} s, "
              f"{len(found)} topics, cross-language topics: {crossing(found)}")


if __name__ == "__main__":
    main()
