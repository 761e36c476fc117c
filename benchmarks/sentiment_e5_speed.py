"""Throughput of ``sentiment.e5.v1`` vs a plain transformers ``pipeline()`` over the
same encoder, measured in the same run on the same comments.

    python benchmarks/sentiment_e5_speed.py [--n 2000] [--threads 2] [--device cpu]

Comments come from the unlabelled YouTube comments in ../shared/data when present
(they are only read, never stored), else from sentences written for this script.
The baseline is ``pipeline("feature-extraction")`` with ``batch_size`` and the same
``query: `` prefix, mean pooling (over each text's own tokens), L2 norm and head, in
input order, every text scored (no dedup, no length sorting, truncated at 512). Ours: length-sorted batches, dedup, chunking,
fp32 and int8 dynamic quantization. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.backends.encoder import resolve_encoder
from analyzer.backends.sentiment_e5 import (
    E5Encoder,
    E5SentimentBackend,
    head_logits,
    softmax,
)

COMMENTS = ROOT.parent / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
WRITTEN = ["the finale made me cry so much", "where can I watch this with english subs?", "phim hay quá",
           "这个剧太好看了", "연기 너무 잘해요", "ending was rushed, disappointed", "can't wait for ep 5!!"]


def load_texts(n: int) -> tuple[list[str], str]:
    if COMMENTS.is_file():
        with COMMENTS.open(encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle if line.strip()]
        return texts[:n], "shared youtube comments"
    return (WRITTEN * (n // len(WRITTEN) + 1))[:n], "written sentences"


def baseline(texts: list[str], ref: str, head: dict, batch_size: int, device: str) -> tuple[float, np.ndarray]:
    """A plain ``pipeline("feature-extraction")`` loop: mean pool, normalize, head."""
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model=ref, tokenizer=ref, device=device, framework="pt")
    start = time.perf_counter()
    queries = ["query: " + t for t in texts]
    outs = extractor(queries, batch_size=batch_size, truncation=True, max_length=512)
    # batched pipeline outputs keep the padding positions: pool over each text's own tokens
    lengths = [len(ids) for ids in extractor.tokenizer(queries, truncation=True, max_length=512)["input_ids"]]
    vecs = np.stack([np.asarray(o[0])[:n].mean(axis=0) for o, n in zip(outs, lengths)])
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    probs = softmax(head_logits(head, vecs.astype(np.float32)))
    return len(texts) / (time.perf_counter() - start), probs


def ours(texts: list[str], ref: str, batch_size: int, device: str, quantize: bool) -> tuple[float, np.ndarray]:
    backend = E5SentimentBackend(encoder_obj=E5Encoder(path=ref, batch_size=batch_size, device=device, quantize=quantize))
    backend.encoder.load(), backend.head
    start = time.perf_counter()
    probs = backend.predict_proba(texts)
    return len(texts) / (time.perf_counter() - start), probs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--baseline-n", type=int, default=500, help="texts for the (slow) baseline")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    head = E5SentimentBackend().head
    base_rate, base_probs = baseline(texts[: args.baseline_n], ref, head, 32, args.device)
    fp32_rate, fp32_probs = ours(texts, ref, args.batch_size, args.device, False)
    result = {"texts": len(texts), "origin": origin, "unique": len({" ".join(t.split()) for t in texts}),
              "threads": args.threads, "device": args.device, "cpu_count": os.cpu_count(),
              "baseline_pipeline_per_s": round(base_rate, 1), "ours_fp32_per_s": round(fp32_rate, 1),
              "speedup_fp32": round(fp32_rate / base_rate, 2),
              "label_agreement_fp32_vs_baseline": float(np.mean(
                  fp32_probs[: args.baseline_n].argmax(1) == base_probs.argmax(1)))}
    if args.device == "cpu":
        int8_rate, int8_probs = ours(texts, ref, args.batch_size, args.device, True)
        result.update({"ours_int8_per_s": round(int8_rate, 1), "speedup_int8": round(int8_rate / base_rate, 2),
                       "label_agreement_int8_vs_fp32": float(np.mean(int8_probs.argmax(1) == fp32_probs.argmax(1)))})
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
