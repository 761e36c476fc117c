"""Can int8 replace fp32 for the accurate tier on a CPU without bf16 instructions? Label
agreement and CPU seconds of ONNX Runtime dynamic int8 variants vs the fp32 export, in one run.

    python benchmarks/e5_int8.py [--n 1000] [--threads 2] [--variants all,skip-ffn-out,ffn-in-only]
        [--margins 0.1,0.2,0.3] [--json-out FILE]

Every variant is quantized (``onnxruntime.quantization.quantize_dynamic``, per-channel int8
weights, only MatMuls with constant weights) from the fp32 export the tier runs (shipped
adapter merged) into a temporary folder: ``all`` (every such MatMul, 8-bit weights;
``quantize=True`` and ``int8-cascade`` now build ``all-reduce-range``), ``skip-ffn-out`` (not the feed-forward output projections, whose inputs carry the
largest activations), ``ffn-in-only`` (only the feed-forward input projections), ``ffn`` (both
feed-forward projections, attention in fp32); a ``-u8u8`` suffix stores the weights unsigned
(ONNX Runtime's U8U8 kernel) and ``-reduce-range`` in 7 bits: on a CPU without VNNI the default
U8S8 kernel (VPMADDUBSW) saturates its 16-bit pairwise sums, and these are the two ways ONNX
Runtime's documentation gives to avoid that. Each embeds the same comments
(``sentiment_e5_speed.py``'s unlabelled YouTube comments); reported: CPU seconds (process time,
ONNX Runtime's threads included) beside fp32's, sentiment label agreement with fp32, min and
mean cosine. The tier would choose int8 only at agreement >= 0.995.

Cascade (``--margins``): int8 for every comment, then fp32 again for the comments whose int8
sentiment margin (top probability minus the second) is below each margin; reported: the share
re-encoded, the label agreement with fp32, and the measured CPU seconds of both passes.
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
from analyzer.backends.base import softmax  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402

THRESHOLD = 0.995


def matmuls(path: Path) -> list[str]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return [n.name for n in model.graph.node if n.op_type == "MatMul"]


def variant_options(name: str, names: list[str]) -> dict:
    """quantize_dynamic's arguments for variant ``name``. ``-u8u8``: unsigned int8 weights (the
    U8U8 kernel, no 16-bit saturation); ``-reduce-range``: 7-bit weights, so the AVX2 U8S8
    kernel's pairwise 16-bit sums cannot saturate (ONNX Runtime's advice on CPUs without VNNI)."""
    from onnxruntime.quantization import QuantType

    ffn_out = [n for n in names if n.endswith("/output/dense/MatMul") and "/attention/" not in n]
    ffn_in = [n for n in names if n.endswith("/intermediate/dense/MatMul")]
    where = {"all": {}, "skip-ffn-out": {"nodes_to_exclude": ffn_out}, "ffn-in-only": {"nodes_to_quantize": ffn_in},
             "ffn": {"nodes_to_quantize": ffn_in + ffn_out}}
    base, kind = name, ""
    for suffix in ("-u8u8", "-reduce-range"):
        if name.endswith(suffix):
            base, kind = name.removesuffix(suffix), suffix[1:]
    options = {"weight_type": QuantType.QInt8, **where[base]}
    if kind == "u8u8":
        options["weight_type"] = QuantType.QUInt8
    elif kind == "reduce-range":
        options["reduce_range"] = True
    return options


def quantize(src: Path, out: Path, options: dict) -> Path:
    from onnxruntime.quantization import quantize_dynamic

    quantize_dynamic(str(src), str(out), per_channel=True, op_types_to_quantize=["MatMul"],
                     extra_options={"MatMulConstBOnly": True}, **options)
    os.symlink(words_path(src), words_path(out))
    return out


def cpu_embed(encoder: E5Encoder, texts: list[str]) -> tuple[float, np.ndarray]:
    start = time.process_time()
    vectors = encoder.embed(texts)
    return time.process_time() - start, vectors


def cascade(encoder: E5Encoder, head: dict, texts: list[str], vectors: np.ndarray, int8_cpu: float,
            fp32_cpu: float, fp32_labels: np.ndarray, margins: list[float]) -> dict:
    """int8 labels, with the rows whose int8 margin is below each margin encoded again in fp32
    (``encoder`` runs fp32 here): share re-encoded, agreement with fp32, measured CPU seconds."""
    probs = softmax(head_logits(head, vectors))
    top2 = np.sort(probs, axis=1)[:, -2:]
    margin, labels = top2[:, 1] - top2[:, 0], probs.argmax(1)
    out = {}
    for m in margins:
        again = np.flatnonzero(margin < m)
        seconds, fixed = cpu_embed(encoder, [texts[i] for i in again]) if len(again) else (0.0, None)
        mixed = labels.copy()
        if len(again):
            mixed[again] = head_logits(head, fixed).argmax(1)
        out[str(m)] = {"reencoded": round(len(again) / len(texts), 4),
                       "label_agreement_vs_fp32": round(float(np.mean(mixed == fp32_labels)), 4),
                       "cpu_seconds": round(int8_cpu + seconds, 2), "speed_vs_fp32": round(fp32_cpu / (int8_cpu + seconds), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default="all,skip-ffn-out,ffn-in-only")
    parser.add_argument("--margins", default="0.1,0.2,0.3")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    margins = [float(m) for m in args.margins.split(",") if m]
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    src = ensure_onnx(ref, None, int8=False, adapter=str(ADAPTER) if ADAPTER else None)
    encoder = E5Encoder(path=ref, threads=args.threads, adapter=ADAPTER, runtime="onnx").load()
    head = E5SentimentBackend(encoder_obj=encoder).head
    load_start = round(os.getloadavg()[0], 2)
    fp32_cpu, fp32 = cpu_embed(encoder, texts)
    fp32_labels = head_logits(head, fp32).argmax(1)
    fp32_model = encoder._model
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
            encoder._model = fp32_model  # the cascade re-encodes in fp32
            rows[name]["cascade"] = cascade(encoder, head, texts, vectors, seconds, fp32_cpu, fp32_labels, margins)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    emit({"texts": args.n, "origin": origin, "threads": args.threads, "load_avg_1min_at_start": load_start,
          "load_avg_1min_at_end": round(os.getloadavg()[0], 2), "fp32_cpu_seconds": round(fp32_cpu, 2),
          "threshold": THRESHOLD, "variants": rows}, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
