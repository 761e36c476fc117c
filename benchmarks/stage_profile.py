"""CPU seconds per stage of the default pipeline on N real comments, for one tree.

Reads a JSONL of comments (e.g. written by ``cli_speed.write_input``) and times every
stage with ``time.process_time`` (CPU time, so other jobs on the machine move it less);
with ``--cprofile FILE`` it also writes the top functions by own time. Run it once per
tree (``PYTHONPATH=TREE``) to compare stage by stage:

    python benchmarks/stage_profile.py INPUT.jsonl --batch-size 512
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time

from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.schema import Comment
from analyzer.stages import default_stages


def run_stages(comments: list[Comment], batch_size: int) -> dict[str, float]:
    stages = default_stages(Config())
    seconds = {s.name: 0.0 for s in stages}
    for i in range(0, len(comments), batch_size):
        batch = comments[i:i + batch_size]
        for stage in stages:
            start = time.process_time()
            batch = stage(batch)
            seconds[stage.name] += time.process_time() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--cprofile", help="write the top functions by own time to this file")
    args = parser.parse_args()
    comments = [c for c in read_comments([args.input], ReadContext()) if isinstance(c, Comment)]
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    seconds = run_stages(comments, args.batch_size)
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        with open(args.cprofile, "w", encoding="utf-8") as handle:
            handle.write(out.getvalue())
    total = sum(seconds.values())
    print(json.dumps({"n": len(comments), "cpu_seconds": {k: round(v, 3) for k, v in seconds.items()},
                      "total": round(total, 3), "comments_per_cpu_s": round(len(comments) / total, 1)}))


if __name__ == "__main__":
    main()
