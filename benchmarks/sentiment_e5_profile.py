"""Where the e5 encoder's CPU time goes, and the alternatives that were not taken.

    python benchmarks/sentiment_e5_profile.py [--n 600] [--threads 1] [--json-out FILE]

Same comments as sentiment_e5_speed.py. Reports: tokenization rate; padding waste of
length-sorted batches per batch size; the top torch-profiler operators for fp32 and
bf16; and, in the same run, comments/s plus label agreement with fp32 for bf16 with
eager instead of SDPA attention and for a fully-bf16 model (LayerNorm/softmax too).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import load_texts
from timing import emit

from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits
from analyzer.backends.embedding.e5 import E5Encoder


def padding_waste(lengths: list[int], batch_size: int) -> float:
    ordered = sorted(lengths)
    padded = sum(max(ordered[i:i + batch_size]) * len(ordered[i:i + batch_size]) for i in range(0, len(ordered), batch_size))
    return round(1 - sum(ordered) / padded, 3)


def top_ops(encoder: E5Encoder, texts: list[str], k: int = 6) -> dict[str, float]:
    import torch

    encoder.embed(texts[:50])
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        encoder.embed(texts[50:])
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return {e.key: round(e.self_cpu_time_total / total, 3) for e in events[:k]}


def timed(encoder: E5Encoder, texts: list[str]) -> tuple[float, np.ndarray]:
    encoder.embed(texts[:50])
    start = time.perf_counter()
    vecs = encoder.embed(texts)
    return len(texts) / (time.perf_counter() - start), vecs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    import os

    import torch

    load_at_start = round(os.getloadavg()[0], 2)
    torch.set_num_threads(args.threads)
    texts, origin = load_texts(args.n)
    head = E5SentimentBackend().head
    fp32 = E5Encoder(precision="fp32").load()
    start = time.perf_counter()
    ids = fp32.tokenize(texts)
    tok_rate = len(texts) / (time.perf_counter() - start)
    lengths = [len(w) for i in ids for w in fp32.chunk(i)]
    bf16 = E5Encoder(precision="bf16").load()
    result = {"texts": len(texts), "origin": origin, "threads": args.threads, "load_avg_1min_at_start": load_at_start,
              "tokenize_per_s": round(tok_rate), "padding_waste": {bs: padding_waste(lengths, bs) for bs in (16, 32, 64, 128)},
              "top_ops_fp32": top_ops(fp32, texts), "top_ops_bf16": top_ops(bf16, texts)}
    rate, ref = timed(fp32, texts)
    labels = head_logits(head, ref).argmax(1)
    variants = {"fp32 sdpa": fp32, "bf16 sdpa (shipped)": bf16}
    eager = E5Encoder(precision="bf16").load()
    eager._model.set_attn_implementation("eager")
    variants["bf16 eager attention"] = eager
    full = E5Encoder(precision="fp32").load()
    full._model = copy.deepcopy(full._model).to(torch.bfloat16)
    variants["bf16 everywhere (LayerNorm/softmax too)"] = full
    result["variants"] = {}
    for name, encoder in variants.items():
        rate, vecs = timed(encoder, texts)
        result["variants"][name] = {"per_s": round(rate, 1),
                                    "label_agreement_vs_fp32": round(float(np.mean(head_logits(head, vecs).argmax(1) == labels)), 4),
                                    "cosine_vs_fp32_min": round(float(np.min(np.sum(vecs * ref, axis=1))), 5)}
    emit(result, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
