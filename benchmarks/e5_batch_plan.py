"""The e5 encoder's CPU batch plans side by side, in one run on the same real comments:
fixed length-sorted batches of 64 rows (``plan_batches``, the plan before) vs batches cut
where padding costs more than another batch (``plan_buckets``, the CPU default now).

    python benchmarks/e5_batch_plan.py [--n 1000] [--repeat 2] [--threads 2] [--json-out FILE]

Per plan: batches, padded vs real tokens, best wall and CPU seconds (process time, ONNX
Runtime's threads included) of ``embed`` over all comments (interleaved repeats), and the
largest difference of the vectors from the fixed plan's (the plan only changes how rows are
grouped). The arithmetic is what ``runtime="auto"`` picks on this CPU, adapter merged.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import ADAPTER, load_texts  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.backends.embedding import E5Encoder  # noqa: E402
from analyzer.backends.embedding.e5 import plan_batches, plan_buckets  # noqa: E402

PLANS = {"fixed_64": lambda lengths, size: plan_batches(lengths, size), "buckets": plan_buckets}


def tokens(encoder: E5Encoder, texts: list[str], plan) -> dict[str, int]:
    windows = [w for ids in encoder.tokenize(texts) for w in encoder.chunk(ids)]
    lengths = [len(w) for w in windows]
    batches = plan(lengths, encoder.batch_size)
    padded = sum(len(b) * max(lengths[j] for j in b) for b in batches)
    return {"batches": len(batches), "padded_tokens": padded, "real_tokens": sum(lengths)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    texts, origin = load_texts(args.n)
    encoder = E5Encoder(threads=args.threads, adapter=ADAPTER).load()
    load_start = round(os.getloadavg()[0], 2)
    wall: dict[str, list[float]] = {k: [] for k in PLANS}
    cpu: dict[str, list[float]] = {k: [] for k in PLANS}
    vectors = {}
    for _ in range(args.repeat):
        for name, plan in PLANS.items():
            encoder.plan = lambda lengths, plan=plan: plan(lengths, encoder.batch_size)
            c, w = time.process_time(), time.perf_counter()
            vectors[name] = encoder.embed(texts)
            wall[name].append(round(time.perf_counter() - w, 3))
            cpu[name].append(round(time.process_time() - c, 3))
    result = {
        "texts": args.n, "origin": origin, "threads": args.threads, "repeat": args.repeat,
        "arithmetic": f"{encoder.runtime_used}-{encoder.arithmetic}", "load_avg_1min_at_start": load_start,
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "plans": {name: {**tokens(encoder, texts, plan), "wall_seconds": wall[name], "cpu_seconds": cpu[name]}
                  for name, plan in PLANS.items()},
        "cpu_ratio_fixed_over_buckets": round(min(cpu["fixed_64"]) / min(cpu["buckets"]), 3),
        "wall_ratio_fixed_over_buckets": round(min(wall["fixed_64"]) / min(wall["buckets"]), 3),
        "max_abs_vector_difference": float(np.abs(vectors["buckets"] - vectors["fixed_64"]).max()),
    }
    emit(result, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
