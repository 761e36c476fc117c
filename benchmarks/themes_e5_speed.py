"""What themes.e5.v1 adds to the accurate tier (sentiment.e5.v1), per comment, in one run.

Configurations, each over the same comments (real YouTube comments read from
../shared/data at run time, else our own test examples), one e5 encoder loaded once:

  sentiment            SentimentStage(sentiment.e5.v1) alone                 (the baseline)
  +themes shared       then ThemeStage(themes.e5.v1) reusing its embeddings  (themes + intents)
  +themes+polarity     same, with clause polarity: ThemeStage(sentiment=...) scores evidence clauses
  +themes not shared   then ThemeStage(themes.e5.v1) with its own encoder calls (re-encodes)
  +themes.hybrid.v1    for reference: the hybrid (no embeddings) after the sentiment stage

Stages are built and warmed up (models loaded) once per configuration, outside the
timings; every timed pass starts with empty embedding caches. "added" is the theme
stage's own time over the sentiment stage's time in the same pass (median over
--repeat passes); "total" is the best pass's time per comment.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/themes_e5_speed.py [--n 400] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.backends.embedding.cache import EmbeddingCache
from analyzer.backends.embedding.lora import has_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.backends.themes_e5 import E5ThemeBackend
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.schema import Comment
from analyzer.stages.sentiment import SentimentStage
from analyzer.stages.themes import ThemeStage

SHARED = ROOT.parent / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
BATCH = 256


def comments(n: int) -> tuple[list[Comment], str]:
    rows = []
    if SHARED.is_file():
        with open(SHARED, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                rows.append((row["text"], row.get("lang")))
                if len(rows) >= n:
                    break
        origin = "shared youtube comments"
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        import test_themes_e5 as t  # our own written examples

        rows = [t.TEXTS[i % len(t.TEXTS)] for i in range(n)]
        origin = "our test examples (repeated)"
    return [Comment(id=str(i), text=t, clean_text=t, lang=lang) for i, (t, lang) in enumerate(rows)], origin


def configurations(encoder: E5Encoder) -> dict:
    """name -> factory of the stages to run in order."""
    def sentiment_only():
        return [SentimentStage(backend=E5SentimentBackend(encoder_obj=encoder))]

    def shared():
        sentiment = E5SentimentBackend(encoder_obj=encoder)
        themes = E5ThemeBackend()
        if not themes.share_embeddings(sentiment):
            raise SystemExit("themes.e5.v1 did not share the sentiment backend's encoder")
        return [SentimentStage(backend=sentiment), ThemeStage(backend=themes)]

    def shared_polarity():
        sentiment = E5SentimentBackend(encoder_obj=encoder)
        return [SentimentStage(backend=sentiment), ThemeStage(backend=E5ThemeBackend(), sentiment=sentiment)]

    def not_shared():
        return [SentimentStage(backend=E5SentimentBackend(encoder_obj=encoder)),
                ThemeStage(backend=E5ThemeBackend(embedder=encoder))]

    def hybrid():
        return [SentimentStage(backend=E5SentimentBackend(encoder_obj=encoder)), ThemeStage(backend=HybridThemeBackend())]

    return {"sentiment.e5 alone": sentiment_only, "+themes.e5 shared": shared, "+themes.e5 shared +polarity": shared_polarity,
            "+themes.e5 not shared": not_shared, "+themes.hybrid.v1": hybrid}


def clear_caches(stages) -> None:
    for stage in stages:
        encoder = getattr(stage.backend, "encoder", None)
        if isinstance(encoder, EmbeddingCache):
            encoder.clear()


def run(stages, batch: list[Comment]) -> list[float]:
    """Seconds spent in each stage over the whole batch."""
    clear_caches(stages)
    spent = [0.0] * len(stages)
    for lo in range(0, len(batch), BATCH):
        part = batch[lo:lo + BATCH]
        for k, stage in enumerate(stages):
            start = time.perf_counter()
            part = stage(part)
            spent[k] += time.perf_counter() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args()
    batch, origin = comments(args.n)
    encoder = E5Encoder(threads=args.threads, adapter=HEAD_DIR if has_adapter(HEAD_DIR) else None).load()
    configs = {name: factory() for name, factory in configurations(encoder).items()}
    for stages in configs.values():  # warm-up: load every model once, outside the timings
        run(stages, batch[:8])
    passes = {name: [run(stages, batch) for _ in range(args.repeat)] for name, stages in configs.items()}
    base = min(sum(p) for p in passes["sentiment.e5 alone"])
    print(f"{len(batch)} comments ({origin}), mean {sum(len(c.text) for c in batch) / len(batch):.0f} chars; "
          f"e5 arithmetic {encoder.arithmetic}, threads {args.threads}, best of {args.repeat}")
    print("  'added': the theme stage's own time / the sentiment stage's time in the same pass (median of passes);")
    print("  'total': best total per comment, and its difference to 'sentiment.e5 alone' (noisier)")
    out = {"n": len(batch), "origin": origin, "threads": args.threads, "arithmetic": encoder.arithmetic, "configs": {}}
    for name, runs in passes.items():
        total = min(sum(p) for p in runs)
        added = statistics.median(sum(p[1:]) / p[0] for p in runs) if len(runs[0]) > 1 else 0.0
        print(f"  {name:<30} total {1000 * total / len(batch):6.2f} ms/comment ({100 * (total - base) / base:+6.1f}%)   "
              f"theme stage added {100 * added:6.1f}% of the sentiment stage")
        out["configs"][name] = {"ms_per_comment": round(1000 * total / len(batch), 3),
                                "total_vs_alone": round((total - base) / base, 4), "theme_stage_added": round(added, 4)}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
