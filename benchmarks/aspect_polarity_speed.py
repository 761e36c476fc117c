"""Cost of polarity.clause.v1 in the theme stage: ThemeStage with and without it, same run.

The comments go through every default stage before themes once (normalize, dedup, link,
langid, region, sentiment, mentions: what ``analyzer run`` does), then the theme stage of
the default tier is timed both ways on the same annotated batches, each batch timed both ways alternately, the fastest of 5 per batch, summed:
``polarity=None`` (the clause-sentiment argmax, the baseline) and the default
``polarity.clause.v1``. Texts: the bundled samples varied by a counter (as
benchmarks/pipeline_speed.py) and, when ``../shared/data`` is present, real YouTube
comments read at run time (never copied).

    OMP_NUM_THREADS=1 python benchmarks/aspect_polarity_speed.py [--n 5000] [--out benchmarks/results/aspect_polarity_speed.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.config import Config  # noqa: E402
from analyzer.schema import Comment  # noqa: E402
from analyzer.stages import default_stages  # noqa: E402
from analyzer.stages.themes import ThemeStage  # noqa: E402
from benchmarks.pipeline_speed import synthetic  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
BATCH = 512
REPEAT = 5


def shared_comments(n: int) -> list[Comment]:
    if not SHARED.is_file():
        return []
    out = []
    with open(SHARED, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            out.append(Comment(id=f"y{i}", text=json.loads(line)["text"], platform="youtube"))
    return out


def upstream(comments: list[Comment]) -> tuple[list[list[Comment]], ThemeStage]:
    """The comments annotated by every default stage before themes, in batches; the default theme stage."""
    stages = default_stages(Config())
    batches = [comments[i:i + BATCH] for i in range(0, len(comments), BATCH)]
    for stage in stages[:-1]:
        batches = [stage(b) for b in batches]
    return batches, stages[-1]


def timed(stage: ThemeStage, batches: list[list[Comment]]) -> float:
    start = time.perf_counter()
    for b in batches:
        stage(b)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "aspect_polarity_speed.md")
    args = ap.parse_args()
    lines = ["# Theme stage with and without polarity.clause.v1 (same run, per batch fastest of 5, alternating)", "",
             f"`python benchmarks/aspect_polarity_speed.py --n {args.n}`; python {sys.version.split()[0]}, "
             "default tier (`themes.hybrid.v1` + `sentiment.linear.v1`), batches of 512.", "",
             "| comments | n | baseline `polarity=None` (comments/s) | `polarity.clause.v1` (comments/s) | time ratio |",
             "|---|---:|---:|---:|---:|"]
    for name, comments in (("bundled samples, varied", synthetic(args.n)), ("real YouTube comments", shared_comments(args.n))):
        if not comments:
            continue
        batches, default = upstream(comments)
        base = ThemeStage(backend=default.backend, sentiment=default.sentiment, polarity=None)
        timed(default, batches), timed(base, batches)  # load the models and compile the matchers first
        best = {"base": 0.0, "new": 0.0}
        for b in batches:  # per batch, alternating, the fastest of REPEAT: robust to load spikes on a shared machine
            times = {"base": float("inf"), "new": float("inf")}
            for _ in range(REPEAT):
                times["base"] = min(times["base"], timed(base, [b]))
                times["new"] = min(times["new"], timed(default, [b]))
            best["base"] += times["base"]
            best["new"] += times["new"]
        n = len(comments)
        lines.append(f"| {name} | {n} | {n / best['base']:,.0f} | {n / best['new']:,.0f} | "
                     f"x{best['new'] / best['base']:.2f} |")
        print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
