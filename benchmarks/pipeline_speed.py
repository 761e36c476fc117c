"""End-to-end throughput of the default pipeline, stage by stage, on 2 CPU cores.

Streams N synthetic comments (the bundled samples, each varied by a counter so that
dedup does not collapse them) through every default stage and reports comments/s per
stage and overall. The baseline of the same run is the same stages fed one comment at
a time (no batching), on the first N/10 comments.

    python benchmarks/pipeline_speed.py --n 20000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.schema import Comment
from analyzer.stages import default_stages

ROOT = Path(__file__).resolve().parent.parent


def synthetic(n: int) -> list[Comment]:
    base = [c for c in read_comments([str(ROOT / "data/samples/comments_mixed.jsonl"),
                                       str(ROOT / "data/samples/platform_export.csv")], ReadContext())
            if isinstance(c, Comment)]
    return [base[i % len(base)].with_(id=f"b{i}", text=f"{base[i % len(base)].text} #{i}", author=f"u{i % 997}")
            for i in range(n)]


def run_stages(comments: list[Comment], batch_size: int) -> tuple[float, dict[str, float]]:
    stages = default_stages(Config())
    timings = {s.name: 0.0 for s in stages}
    start = time.perf_counter()
    for i in range(0, len(comments), batch_size):
        batch = comments[i:i + batch_size]
        for stage in stages:
            t = time.perf_counter()
            batch = stage(batch)
            timings[stage.name] += time.perf_counter() - t
    return time.perf_counter() - start, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    comments = synthetic(args.n)
    total, timings = run_stages(comments, args.batch_size)
    small = comments[: max(1, args.n // 10)]
    base_total, _ = run_stages(small, 1)
    lines = ["| stage | comments/s | share of time |", "|---|---|---|"]
    for name, seconds in timings.items():
        lines.append(f"| {name} | {args.n / seconds:,.0f} | {seconds / total:.1%} |")
    lines.append(f"| **all stages** | **{args.n / total:,.0f}** | 100% |")
    lines.append(f"| baseline: all stages, one comment per batch | {len(small) / base_total:,.0f} | "
                 f"batched is {(args.n / total) / (len(small) / base_total):.1f}x faster |")
    print(f"{args.n} comments, batch size {args.batch_size}\n")
    print("\n".join(lines))
    print(json.dumps({"n": args.n, "seconds": round(total, 3), "per_stage_seconds": {k: round(v, 3) for k, v in timings.items()}}))


if __name__ == "__main__":
    main()
