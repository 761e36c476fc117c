"""Evaluate ``sentiment.e5.v1`` on the held-out dev rows (and optionally a labelled file).

    OMP_NUM_THREADS=1 python -m training.sentiment_e5.evaluate [--precision fp32|bf16] [--quantize]
                                                        [--runtime torch|onnx] [--file dev.jsonl] [--json]

Dev rows are the same seeded sample train.py reports on (never training rows).
On the dev rows (torch, not quantized) it also writes ``dev_scores.json`` beside the head
(per-language macro-F1 and confusion matrices for the run manifest, the report footer and
``[aggregate] confusion = "model"``). Embeddings are cached under training/sentiment_e5/.cache/ (gitignored), one file per
arithmetic and adapter (a head folder with adapter.npz is run with it merged).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head

from training.sentiment_e5.embed_cache import CACHE, CachedEncoder

from training.sentiment_e5 import data
from analyzer.backends.embedding.lora import adapter_digest, has_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.evaluation.sentiment import (
    evaluate_sentiment,
    format_report,
    read_labelled,
    write_dev_scores,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", default=str(HEAD_DIR))
    parser.add_argument("--encoder", default=None)
    parser.add_argument("--quantize", action="store_true", help="int8 dynamic quantization (CPU)")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help="CPU arithmetic")
    parser.add_argument("--runtime", choices=("torch", "onnx"), default="torch")
    parser.add_argument("--file", default=None, help="a labelled JSONL file to score instead of the dev rows")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    variant = "int8" if args.quantize else args.precision
    if args.runtime == "onnx":
        variant = f"onnx-{variant}"
    adapter = args.head if has_adapter(args.head) else None
    if adapter:
        variant += f"-adapter-{adapter_digest(adapter)[:10]}"
    cache = CACHE if variant == "fp32" else CACHE.with_name(f"embeddings-{variant}.npz")
    encoder = CachedEncoder(E5Encoder(path=args.encoder, batch_size=32, threads=args.threads, quantize=args.quantize,
                                      precision=args.precision, runtime=args.runtime, adapter=adapter), cache)
    backend = E5SentimentBackend(path=args.head, encoder_obj=encoder)
    if args.file:
        records = read_labelled(args.file)
    else:
        records = [{"text": r.text, "lang": r.lang, "label": r.label} for r in data.load()[1]]
    result = evaluate_sentiment(records, backend)
    if not args.file and not args.quantize and args.runtime == "torch":
        print(f"wrote {write_dev_scores(result, args.head)}", file=sys.stderr)  # beside the head: manifest, footer
    result["quantize"], result["arithmetic"], result["runtime"] = args.quantize, variant, args.runtime
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
