"""Peak memory of the aggregation (``ResonanceAccumulator.update`` + ``result``) on synthetic
annotated comments with unique authors: the old per-author-per-day accumulator (the
package as of ``--baseline-rev``, taken from git) vs the current one, in the same run.

Each measurement is a fresh subprocess (peak RSS = ``ru_maxrss``); "imports" is the RSS of
the same subprocess after its imports and one generated batch, before any aggregation,
so "aggregation" = peak - imports is what the accumulator itself costs. Comments are
made in batches of 5,000 and dropped after ``update`` (as the run loop does): 20 dramas x
8 regions, 120 days, random stance/themes/intents/likes, one author each.

    python benchmarks/memory_aggregate.py [--sizes 100000 1000000] [--cells 160]
        [--baseline-rev 4f5159e] [--out benchmarks/results/memory_aggregate.md]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 5000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batches(n: int, cells: int, seed: int = 0):
    from analyzer.schema import INTENTS, THEMES, Comment

    rng = random.Random(seed)
    dramas, regions = [f"Drama {i}" for i in range(20)], ["VN", "TH", "ID", "US", "BR", "ES", "KR", "PH"]
    pairs = [(d, r) for d in dramas for r in regions][:cells]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    langs = ["en", "vi", "th", "id", "es", "pt", "ko", "tl"]
    for first in range(0, n, BATCH):
        batch = []
        for i in range(first, min(n, first + BATCH)):
            drama, region = pairs[i % len(pairs)]
            stance = rng.choice(("positive", "positive", "neutral", "negative"))
            themes = tuple(rng.sample(THEMES, rng.choice((0, 1, 1, 2))))
            batch.append(Comment(
                id=f"c{i:08d}", text=f"synthetic comment {i} about the story", drama=drama, region=region,
                author=f"u_{i:016x}", created_at=start + timedelta(days=rng.randrange(120), seconds=i % 86400),
                likes=rng.randrange(50), lang=rng.choice(langs), sentiment=stance,
                sentiment_scores=(0.1, 0.2, 0.7) if stance == "positive" else (0.6, 0.3, 0.1),
                themes=themes, theme_polarity={t: stance for t in themes},
                intents=tuple(rng.sample(INTENTS, rng.choice((0, 0, 1)))), platform="youtube"))
        yield batch


def worker(n: int, cells: int) -> None:
    from analyzer.aggregate import ResonanceAccumulator

    stream = batches(n, cells)
    first = next(stream)
    imports = rss_mb()
    started = time.perf_counter()
    acc = ResonanceAccumulator({"bootstrap": 200})
    acc.update(first)
    del first
    for batch in stream:
        acc.update(batch)
    result = acc.result()
    print(json.dumps({"n": n, "cells": len(result.cells), "imports_mb": round(imports, 1),
                      "peak_mb": round(rss_mb(), 1), "seconds": round(time.perf_counter() - started, 1),
                      "checksum": round(sum(c["comments"] + c["authors"] for c in result.cells), 1)}))


def measure(package_root: Path, n: int, cells: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    proc = subprocess.run([sys.executable, __file__, "--worker", str(n), "--cells", str(cells)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_tree(rev: str, into: Path) -> Path:
    """The ``analyzer`` package as of ``rev`` (git archive), beside the current one."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "analyzer"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--cells", type=int, default=160, help="drama x region pairs the comments spread over (1..160)")
    ap.add_argument("--baseline-rev", default="4f5159e", help="git revision of the old accumulator")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "memory_aggregate.md"))
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.cells)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_tree(args.baseline_rev, Path(tmp))
        for n in args.sizes:
            for name, root in ((f"before ({args.baseline_rev})", base), ("after", ROOT)):
                r = measure(root, n, args.cells)
                rows.append((name, r))
                print(name, r, flush=True)
    lines = [f"# Aggregation peak memory, unique authors ({args.cells} drama x region cells)", "",
             "`python benchmarks/memory_aggregate.py " + " ".join(sys.argv[1:]) + "`", "",
             "| accumulator | comments | cells out | peak RSS MB | after imports MB | aggregation MB | seconds | checksum |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['n']:,} | {r['cells']} | {r['peak_mb']} | {r['imports_mb']} | "
                     f"{r['peak_mb'] - r['imports_mb']:.1f} | {r['seconds']} | {r['checksum']} |")
    for n in args.sizes:
        before, after = [r for _, r in rows if r["n"] == n]
        lines.append("")
        lines.append(f"- {n:,} comments: peak {after['peak_mb'] / before['peak_mb']:.2f}x of before; aggregation "
                     f"{(after['peak_mb'] - after['imports_mb']) / max(before['peak_mb'] - before['imports_mb'], 1e-9):.2f}x "
                     f"(same checksum of comments + authors per cell: {before['checksum'] == after['checksum']})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
