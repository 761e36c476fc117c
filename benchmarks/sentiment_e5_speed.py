"""Throughput of ``sentiment.e5.v1`` per runtime/arithmetic vs a plain transformers
``pipeline()`` over the same encoder, measured in the same run on the same comments.

    python benchmarks/sentiment_e5_speed.py [--n 2000] [--threads 2] [--repeat 2]
        [--variants torch-fp32,torch-bf16,torch-int8,onnx-fp32,onnx-int8] [--json-out FILE]
        [--device cuda] [--comments FILE.jsonl[.gz]] [--encoder DIR]

Comments come from the unlabelled YouTube comments in ../shared/data when present
(they are only read, never stored), else from sentences written for this script.
The baseline is ``pipeline("feature-extraction")`` (batch 32, the same ``query: ``
prefix, mean pooling over each text's own tokens, L2 norm and head, input order,
every text scored, truncated at 512). Ours: length-sorted batches, dedup, chunking,
with each variant of ``E5Encoder`` (runtime x arithmetic; ONNX files are exported
into the cache before timing). With ``--device cuda`` the variants are fp16 with
batches of 64 (``cuda-b64``, a simple length-sorted loop) and with the CUDA default
batching (``cuda-auto``); the baseline runs on the GPU too. Timed paths are end to
end: raw texts in, dedup, tokenization, chunking, encoder, pooling and head. Each
path is timed ``--repeat`` times, best kept. Per variant: comments/s, speed-up over the baseline, label agreement and embedding
cosine vs torch-fp32, and the sustained GFLOP/s the rate implies. Prints one JSON object.
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

from timing import emit

from analyzer.backends.embedding.resolve import resolve_encoder
from analyzer.backends.embedding.lora import has_adapter, load_adapter, merge_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend, head_logits, softmax
from analyzer.backends.embedding.e5 import E5Encoder
from training.common import read_jsonl

COMMENTS = ROOT.parent / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
WRITTEN = ["the finale made me cry so much", "where can I watch this with english subs?", "phim hay quá",
           "这个剧太好看了", "연기 너무 잘해요", "ending was rushed, disappointed", "can't wait for ep 5!!"]
ADAPTER = HEAD_DIR if has_adapter(HEAD_DIR) else None  # the shipped head's encoder adapter
VARIANTS = {  # name -> E5Encoder keyword arguments
    "torch-fp32": {"precision": "fp32", "runtime": "torch"},
    "torch-bf16": {"precision": "bf16", "runtime": "torch"},
    "torch-int8": {"quantize": True, "runtime": "torch"},
    "onnx-fp32": {"runtime": "onnx"},
    "onnx-int8": {"runtime": "onnx", "quantize": True},
}
CUDA_VARIANTS = {"cuda-b64": {"batch_size": 64}, "cuda-auto": {}}


def load_texts(n: int, path: str | None = None) -> tuple[list[str], str]:
    source = Path(path) if path else COMMENTS
    if source.is_file():
        texts = [row["text"] for row in read_jsonl(source)]
        return texts[:n], "shared youtube comments" if source == COMMENTS else f"real comments packed in {source.name}"
    return (WRITTEN * (n // len(WRITTEN) + 1))[:n], "written sentences"


def best_rate(run, n: int, repeat: int):
    """Run ``run()`` ``repeat`` times; the best comments/s and the last result."""
    best, out = 0.0, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        best = max(best, n / (time.perf_counter() - start))
    return best, out


def baseline(texts: list[str], ref: str, head: dict, device: str, repeat: int) -> tuple[float, np.ndarray]:
    """A plain ``pipeline("feature-extraction")`` loop: mean pool, normalize, head."""
    rate, vecs = best_rate(baseline_run(texts, ref, device), len(texts), repeat)
    return rate, softmax(head_logits(head, vecs))


def baseline_run(texts: list[str], ref: str, device: str):
    """The plain ``pipeline()`` loop as a function of no arguments returning the normalized
    vectors (the model built first, outside any timing)."""
    from transformers import AutoModel, AutoTokenizer, pipeline

    model = AutoModel.from_pretrained(ref, add_pooling_layer=False)
    if ADAPTER:  # the shipped head's encoder: its LoRA adapter merged, as ours does
        merge_adapter(model, load_adapter(ADAPTER))
    extractor = pipeline("feature-extraction", model=model, tokenizer=AutoTokenizer.from_pretrained(ref),
                         device=device, framework="pt")

    def run() -> np.ndarray:
        queries = ["query: " + t for t in texts]
        outs = extractor(queries, batch_size=32, truncation=True, max_length=512)
        # batched pipeline outputs keep the padding positions: pool over each text's own tokens
        lengths = [len(ids) for ids in extractor.tokenizer(queries, truncation=True, max_length=512)["input_ids"]]
        vecs = np.stack([np.asarray(o[0])[:n].mean(axis=0) for o, n in zip(outs, lengths)])
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs.astype(np.float32)

    return run


def ours(texts: list[str], ref: str, args, options: dict) -> tuple[float, np.ndarray, str]:
    encoder = E5Encoder(path=ref, device=args.device, threads=args.threads, adapter=ADAPTER,
                        **{"batch_size": args.batch_size, **options})
    backend = E5SentimentBackend(encoder_obj=encoder)
    encoder.load(), backend.head

    def run() -> np.ndarray:  # end to end: texts in, vectors and stance probabilities out
        vecs = backend.embed(texts)
        softmax(head_logits(backend.head, vecs))
        return vecs

    rate, vecs = best_rate(run, len(texts), args.repeat)
    return rate, vecs, encoder.arithmetic


def flops_per_token(config) -> float:
    """Multiply-adds x 2 of the encoder's dense layers per token (attention scores excluded)."""
    h, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return 2.0 * layers * (4 * h * h + 2 * h * ff)


def token_stats(texts: list[str], ref: str) -> dict:
    encoder = E5Encoder(path=ref, precision="fp32").load()
    start = time.perf_counter()
    ids = encoder.tokenize(texts)
    tok_rate = len(texts) / (time.perf_counter() - start)
    lengths = np.array([len(w) for i in ids for w in encoder.chunk(i)])
    return {"tokenize_per_s": round(tok_rate), "tokens_per_comment_mean": round(float(lengths.mean()), 1),
            "tokens_per_comment_p90": float(np.percentile(lengths, 90)),
            "gflop_per_comment": round(flops_per_token(encoder._model.config) * lengths.mean() / 1e9, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--baseline-n", type=int, default=500, help="texts for the (slow) baseline")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="default: 64 on CPU, the CUDA batching on a GPU")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per path (best kept)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ", ".join(VARIANTS))
    parser.add_argument("--json-out", default=None, help="also write the result here")
    parser.add_argument("--comments", default=None, help="JSONL (or .jsonl.gz) of comments with a 'text' field")
    parser.add_argument("--encoder", default=None, help="encoder directory (default: the cache, see resolve_encoder)")
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)  # other jobs on the machine skew every number
    import torch

    torch.set_num_threads(args.threads)
    texts, origin = load_texts(args.n, args.comments)
    ref, _ = resolve_encoder(args.encoder)
    head = E5SentimentBackend().head
    stats = token_stats(texts, ref)
    base_rate, base_probs = baseline(texts[: args.baseline_n], ref, head, args.device, args.repeat)
    result = {"texts": len(texts), "origin": origin, "unique": len({" ".join(t.split()) for t in texts}),
              "threads": args.threads, "device": args.device, "cpu_count": os.cpu_count(),
              "batch_size": args.batch_size, "repeat": args.repeat, "load_avg_1min_at_start": load_at_start,
              **stats,
              "baseline_pipeline_per_s": round(base_rate, 1), "variants": {}}
    reference = None
    table = VARIANTS if args.device == "cpu" else CUDA_VARIANTS
    names = [v.strip() for v in args.variants.split(",") if v.strip()] if args.device == "cpu" else list(table)
    if args.device != "cpu":
        result["gpu"] = torch.cuda.get_device_name(0)
    for name in names:
        rate, vecs, arithmetic = ours(texts, ref, args, table[name])
        labels = head_logits(head, vecs).argmax(1)
        reference = (vecs, labels) if reference is None else reference
        cosine = np.sum(vecs * reference[0], axis=1)
        result["variants"][name] = {
            "arithmetic": arithmetic, "per_s": round(rate, 1), "speedup_vs_pipeline": round(rate / base_rate, 2),
            "gflop_per_s": round(rate * stats["gflop_per_comment"], 1),
            "label_agreement_vs_first": round(float(np.mean(labels == reference[1])), 4),
            "label_agreement_vs_pipeline": round(float(np.mean(labels[: args.baseline_n] == base_probs.argmax(1))), 4),
            "cosine_vs_first_min": round(float(cosine.min()), 5), "cosine_vs_first_mean": round(float(cosine.mean()), 6)}
    result["first_variant"] = next(iter(result["variants"]), None)
    emit(result, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
