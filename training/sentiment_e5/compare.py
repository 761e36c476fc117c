"""Frozen vs fine-tuned e5 (and the fast tier as the baseline), same rows, same run.

    python -m training.sentiment_e5.compare [--precision bf16|fp32] [--file dev.jsonl] [--json-out F]

Rows: the held-out dev sample (``data.load``; never training rows), or a labelled file
such as the joined drama dev set (``training/devsets/join.py``). Heads: the frozen-encoder
head in ``models/sentiment-e5/frozen-head/`` (what finetune.py starts from) and the
shipped fine-tuned one in ``analyzer/_models/sentiment-e5/`` (its adapter merged).
Prints per-language macro-F1 side by side, then each backend's overall numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head

from training.sentiment_e5.embed_cache import CACHE, CachedEncoder

from training.sentiment_e5 import data
from analyzer.backends.embedding.lora import adapter_digest, has_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.evaluation.sentiment import evaluate_sentiment, read_labelled

FROZEN_HEAD = HERE / "frozen-head"


def e5_backend(head: Path, precision: str, threads: int) -> E5SentimentBackend:
    """The e5 backend of ``head`` with embeddings cached per arithmetic and adapter."""
    adapter = head if has_adapter(head) else None
    variant = precision + (f"-adapter-{adapter_digest(adapter)[:10]}" if adapter else "")
    cache = CACHE if variant == "fp32" else CACHE.with_name(f"embeddings-{variant}.npz")
    encoder = E5Encoder(batch_size=32, threads=threads, precision=precision, adapter=adapter)
    return E5SentimentBackend(path=str(head), encoder_obj=CachedEncoder(encoder, cache))


def side_by_side(results: dict[str, dict]) -> str:
    names = list(results)
    langs = list(next(iter(results.values()))["languages"])
    head = f"{'lang':<6}{'n':>6}" + "".join(f"{n:>22}" for n in names)
    lines = [head]
    for lang in langs:
        n = results[names[0]]["languages"][lang]["n"]
        lines.append(f"{lang:<6}{n:>6}" + "".join(f"{results[k]['languages'][lang]['macro_f1']:>22.3f}" for k in names))
    lines.append(f"{'mean':<12}" + "".join(f"{results[k]['mean_macro_f1']:>22.3f}" for k in names))
    lines.append(f"{'all F1':<12}" + "".join(f"{results[k]['overall']['macro_f1']:>22.3f}" for k in names))
    lines.append(f"{'all acc':<12}" + "".join(f"{results[k]['overall']['accuracy']:>22.3f}" for k in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="bf16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--file", default=None, help="a labelled JSONL file instead of the dev rows")
    parser.add_argument("--tuned", default=str(HEAD_DIR), help="fine-tuned head folder (with adapter.npz)")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    if args.file:
        records = read_labelled(args.file)
    else:
        records = [{"text": r.text, "lang": r.lang, "label": r.label} for r in data.load()[1]]
    backends = {"sentiment.linear.v1": LinearSentimentBackend(),
                "e5 frozen + head": e5_backend(FROZEN_HEAD, args.precision, args.threads),
                "e5 LoRA + head": e5_backend(Path(args.tuned), args.precision, args.threads)}
    results = {name: evaluate_sentiment(records, backend) for name, backend in backends.items()}
    print(side_by_side(results))
    if args.json_out:
        keep = {name: {"mean_macro_f1": r["mean_macro_f1"], "overall": r["overall"],
                       "languages": {k: {"n": v["n"], "macro_f1": v["macro_f1"], "accuracy": v["accuracy"]}
                                     for k, v in r["languages"].items()}} for name, r in results.items()}
        Path(args.json_out).write_text(json.dumps({"precision": args.precision, "file": args.file, "results": keep},
                                                  indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
