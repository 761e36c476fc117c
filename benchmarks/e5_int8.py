"""Can int8 replace fp32 for the accurate tier on a CPU without bf16 instructions? Label
agreement and CPU seconds of ONNX Runtime dynamic int8 variants vs the fp32 export, in one run.

    python benchmarks/e5_int8.py [--n 1000] [--threads 2] [--variants all,skip-ffn-out,ffn-in-only]
        [--json-out FILE]

Every variant is quantized (``onnxruntime.quantization.quantize_dynamic``, per-channel int8
weights, only MatMuls with constant weights) from the fp32 export the tier runs (shipped
adapter merged) into a temporary folder: ``all`` (every such MatMul: what ``quantize=True``
builds), ``skip-ffn-out`` (not the feed-forward output projections, whose inputs carry the
largest activations), ``ffn-in-only`` (only the feed-forward input projections). Each
embeds the same comments (``sentiment_e5_speed.py``'s unlabelled YouTube comments); reported:
CPU seconds (process time, ONNX Runtime's threads included) beside fp32's, sentiment label
agreement with fp32, min and mean cosine. The tier would choose int8 only at agreement >= 0.995.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import ADAPTER, load_texts  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.backends.embedding import E5Encoder  # noqa: E402
from analyzer.backends.embedding.e5_onnx import OnnxPooler, ensure_onnx, words_path  # noqa: E402
from analyzer.backends.embedding.resolve import resolve_encoder  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402

THRESHOLD = 0.995


def matmuls(path: Path) -> list[str]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return [n.name for n in model.graph.node if n.op_type == "MatMul"]


def variant_options(name: str, names: list[str]) -> dict:
    ffn_out = [n for n in names if n.endswith("/output/dense/MatMul") and "/attention/" not in n]
    ffn_in = [n for n in names if n.endswith("/intermediate/dense/MatMul")]
    return {"all": {}, "skip-ffn-out": {"nodes_to_exclude": ffn_out}, "ffn-in-only": {"nodes_to_quantize": ffn_in}}[name]


def quantize(src: Path, out: Path, options: dict) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(out), per_channel=True, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                     extra_options={"MatMulConstBOnly": True}, **options)
    os.symlink(words_path(src), words_path(out))
    return out


def cpu_embed(encoder: E5Encoder, texts: list[str]) -> tuple[float, np.ndarray]:
    start = time.process_time()
    vectors = encoder.embed(texts)
    return time.process_time() - start, vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default="all,skip-ffn-out,ffn-in-only")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    src = ensure_onnx(ref, None, int8=False, adapter=str(ADAPTER) if ADAPTER else None)
    encoder = E5Encoder(path=ref, threads=args.threads, adapter=ADAPTER, runtime="onnx").load()
    head = E5SentimentBackend(encoder_obj=encoder).head
    load_start = round(os.getloadavg()[0], 2)
    fp32_cpu, fp32 = cpu_embed(encoder, texts)
    fp32_labels = head_logits(head, fp32).argmax(1)
    tmp = Path(tempfile.mkdtemp(prefix="e5_int8_"))
    rows = {}
    try:
        for name in args.variants.split(","):
            encoder._model = OnnxPooler(quantize(src, tmp / f"{name}.onnx", variant_options(name, matmuls(src))),
                                        args.threads)
            seconds, vectors = cpu_embed(encoder, texts)
            cosine = np.sum(vectors * fp32, axis=1)
            agreement = float(np.mean(head_logits(head, vectors).argmax(1) == fp32_labels))
            rows[name] = {"cpu_seconds": round(seconds, 2), "speed_vs_fp32": round(fp32_cpu / seconds, 2),
                          "label_agreement_vs_fp32": round(agreement, 4), "min_cosine": round(float(cosine.min()), 5),
                          "mean_cosine": round(float(cosine.mean()), 5), "passes": agreement >= THRESHOLD}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    emit({"texts": args.n, "origin": origin, "threads": args.threads, "load_avg_1min_at_start": load_start,
          "load_avg_1min_at_end": round(os.getloadavg()[0], 2), "fp32_cpu_seconds": round(fp32_cpu, 2),
          "threshold": THRESHOLD, "variants": rows}, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
