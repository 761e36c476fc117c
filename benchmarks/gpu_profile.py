"""Where the accurate tier's time goes on a GPU: each phase timed alone, same texts.

    python benchmarks/gpu_profile.py --comments .devpack/bench.jsonl.gz --encoder DIR [--device cuda]

Phases (best of ``--repeat``): tokenizer alone; host work alone (the encoder's forward
replaced by zeros: dedup, tokenization, chunking, batching, padding, reduction); GPU work
alone (the same padded batches already on the device, forward and pooling, synchronized);
end to end (``E5SentimentBackend``: texts in, probabilities out); and a plain
``pipeline()`` over the same encoder on ``--baseline-n`` of the texts. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import ADAPTER, baseline, load_texts
from timing import best_seconds, emit

from analyzer.backends.embedding.resolve import resolve_encoder
from analyzer.backends.sentiment_e5 import E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder, mean_pool


def gpu_only(encoder: E5Encoder, texts: list[str], torch) -> callable:
    windows = [w for ids in encoder.tokenize(texts) for w in encoder.chunk(ids)]
    batches = encoder.plan([len(w) for w in windows])
    ready = [tuple(torch.from_numpy(a).to(encoder.device) for a in encoder._padded([windows[j] for j in b])) for b in batches]

    def run() -> None:
        bf16 = encoder.arithmetic == "bf16"  # CPU runs: as E5Encoder._forward does
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for ids, mask in ready:
                mean_pool(encoder._model(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
        if encoder.on_cuda:
            torch.cuda.synchronize()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", default=None)
    parser.add_argument("--encoder", default=None)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--n", type=int, default=40000)
    parser.add_argument("--baseline-n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    import torch

    texts, origin = load_texts(args.n, args.comments)
    ref, _ = resolve_encoder(args.encoder)
    encoder = E5Encoder(path=ref, device=args.device, adapter=ADAPTER).load()
    backend = E5SentimentBackend(encoder_obj=encoder)
    n = len(texts)
    result = {"texts": n, "origin": origin, "device": args.device, "batch_size": encoder.batch_size,
              "attention": getattr(encoder._model.config, "_attn_implementation", None)}
    if args.device != "cpu":
        result["gpu"] = torch.cuda.get_device_name(0)
    backend.predict_proba(texts[:2000])  # warm-up: kernels, allocator, pinned pool
    phases = {"tokenize": lambda: encoder.tokenize(texts), "gpu_only": gpu_only(encoder, texts, torch),
              "end_to_end": lambda: backend.predict_proba(texts)}
    for name, fn in phases.items():
        seconds = best_seconds(fn, args.repeat)
        result[name] = {"seconds": round(seconds, 3), "per_s": round(n / seconds, 1)}
    real = encoder._forward_cuda_group if encoder.on_cuda else encoder._forward
    fake = (lambda groups: [np.zeros((len(g), encoder.dim), np.float32) for g in groups]) if encoder.on_cuda else \
        (lambda windows: np.zeros((len(windows), encoder.dim), np.float32))
    setattr(encoder, real.__name__, fake)
    seconds = best_seconds(lambda: encoder.embed(texts), args.repeat)
    result["host_only"] = {"seconds": round(seconds, 3), "per_s": round(n / seconds, 1)}
    setattr(encoder, real.__name__, real)
    rate, _ = baseline(texts[: args.baseline_n], ref, backend.head, args.device, 1)
    result["baseline_pipeline_per_s"] = round(rate, 1)
    result["end_to_end_vs_pipeline"] = round(result["end_to_end"]["per_s"] / rate, 2)
    emit(result, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
