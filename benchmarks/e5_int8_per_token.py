"""Does int8 with one activation scale per token (not per batch) keep the accurate tier's labels?
Label agreement, cosine and CPU seconds against the fp32 export, in one run.

    python benchmarks/e5_int8_per_token.py [--n 300] [--tune 600] [--calibration 256] [--alpha 0.5]
        [--threads 2] [--json-out FILE]

ONNX Runtime's dynamic int8 (``quantize_dynamic``, the recipe ``analyzer models build`` ships
for ``int8-cascade``) quantizes each MatMul's input with ONE scale for the whole batch, set by its
largest activation: every other token of the batch loses precision. The variants, each built in
a temporary folder from the fp32 export the tier runs (shipped adapter merged):

- ``per-batch``: the shipped int8 file's recipe (``e5_onnx.quantize_onnx``), the baseline;
- ``per-token``: every MatMul with constant weights as ``MatMulInteger`` of its input quantized
  per token in the graph (symmetric 8 bits, one scale per row) by its weights quantized per
  output column (7 bits, so the AVX2 U8S8 kernel cannot saturate), rescaled to float;
- ``per-token-smooth``: the same after SmoothQuant's per-channel migration (each MatMul input
  divided by s_j = max|x_j|^alpha / max|w_j|^(1-alpha), the weight rows multiplied by it: the same
  function in fp32), the activation maxima taken on ``--calibration`` training-side rows.

Each encodes the same texts: ``--n`` of the unlabelled YouTube comments (``sentiment_e5_speed.py``)
and ``--tune`` of the training side's held-out tuning rows (``cascade_margin.tuning_rows``, never
the drama dev set); calibration rows are training rows outside that hold-out. Reported per
variant and text set: sentiment label agreement with fp32, min / mean cosine, CPU seconds (process
time, ONNX Runtime's threads included) and their ratio to fp32's in the same run; on the tuning
rows the int8-then-fp32 cascade's curve (``cascade_margin.curve``): the smallest margin reaching
0.995, the share encoded again, and its cost as measured int8 seconds + that share of fp32's;
on the YouTube comments the cascade at that margin (chosen on the tuning rows, checked there).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from e5_int8 import THRESHOLD, cpu_embed  # noqa: E402
from sentiment_e5_speed import ADAPTER, load_texts  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.backends.embedding import E5Encoder  # noqa: E402
from analyzer.backends.embedding.e5_onnx import OnnxPooler, ensure_onnx, quantize_onnx, words_path  # noqa: E402
from analyzer.backends.embedding.resolve import resolve_encoder  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402
from training.sentiment_e5 import data  # noqa: E402
from training.sentiment_e5.cascade_margin import curve, margins_and_labels, tuning_rows  # noqa: E402

WEIGHT_LEVELS = 63  # 7-bit weights


def const_matmuls(model) -> dict[str, list]:
    """MatMuls with constant weights, grouped by their input (query, key and value share one)."""
    weights = {i.name for i in model.graph.initializer}
    groups: dict[str, list] = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            groups.setdefault(node.input[0], []).append(node)
    return groups


def save(model, out: Path, src: Path) -> Path:
    import onnx

    onnx.save(model, str(out))
    return with_words(out, src)


def with_words(out: Path, src: Path) -> Path:
    """``out`` reads the fp32 export's word table (a link beside it)."""
    os.symlink(words_path(src), words_path(out))
    return out


def token_quantizer(x: str, p: str) -> list:
    """``x`` as uint8 (zero point 128), one scale per token (``p + "scale"``: max |x| / 127)."""
    from onnx import TensorProto
    from onnx.helper import make_node as node

    return [node("Abs", [x], [p + "abs"]), node("ReduceMax", [p + "abs"], [p + "max"], axes=[-1], keepdims=1),
            node("Max", [p + "max", "q8/tiny"], [p + "top"]), node("Mul", [p + "top", "q8/step"], [p + "scale"]),
            node("Div", [x, p + "scale"], [p + "steps"]), node("Round", [p + "steps"], [p + "int"]),
            node("Add", [p + "int", "q8/shift"], [p + "shifted"]), node("Cast", [p + "shifted"], [p + "u8"], to=TensorProto.UINT8)]


def integer_matmul(model, matmul, weights: dict, p: str) -> list:
    """``matmul`` as MatMulInteger of the quantized input by per-column 7-bit weights, to float."""
    from onnx import TensorProto, numpy_helper
    from onnx.helper import make_node as node

    w = numpy_helper.to_array(weights[matmul.input[1]])
    scale = (np.maximum(np.abs(w).max(0), 1e-12) / WEIGHT_LEVELS).astype(np.float32)
    q = matmul.name + "/q8"
    model.graph.initializer.extend([numpy_helper.from_array(np.round(w / scale).astype(np.int8), q + "/w"),
                                    numpy_helper.from_array(scale, q + "/w_scale")])
    return [node("MatMulInteger", [p + "u8", q + "/w", "q8/zero"], [q + "/i32"]),
            node("Cast", [q + "/i32"], [q + "/f32"], to=TensorProto.FLOAT),
            node("Mul", [q + "/f32", p + "scale"], [q + "/rows"]), node("Mul", [q + "/rows", q + "/w_scale"], list(matmul.output))]


def per_token(src: Path, out: Path) -> Path:
    """The ``per-token`` variant of the export ``src``."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    weights = {i.name: i for i in model.graph.initializer}
    groups = const_matmuls(model)
    prefix = {x: f"q8/{k}/" for k, x in enumerate(groups)}
    quantized = {m.name: x for x, matmuls in groups.items() for m in matmuls}
    firsts = {matmuls[0].name for matmuls in groups.values()}
    nodes = []
    for n in model.graph.node:
        if n.name not in quantized:
            nodes.append(n)
            continue
        if n.name in firsts:
            nodes.extend(token_quantizer(n.input[0], prefix[n.input[0]]))
        nodes.extend(integer_matmul(model, n, weights, prefix[n.input[0]]))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.graph.initializer.extend(numpy_helper.from_array(np.array(v, dtype), name) for name, v, dtype in
                                   (("q8/tiny", 1e-12, np.float32), ("q8/step", 1 / 127, np.float32),
                                    ("q8/shift", 128, np.float32), ("q8/zero", 128, np.uint8)))
    return save(model, out, src)


def smoothed(src: Path, out: Path, maxima: dict[str, np.ndarray], alpha: float) -> Path:
    """``src`` with SmoothQuant's migration: the same function, flatter MatMul inputs."""
    import onnx
    from onnx import numpy_helper
    from onnx.helper import make_node

    model = onnx.load(str(src))
    weights = {i.name: i for i in model.graph.initializer}
    for k, (x, matmuls) in enumerate(const_matmuls(model).items()):
        arrays = [numpy_helper.to_array(weights[m.input[1]]) for m in matmuls]
        w_max = np.max([np.abs(w).max(1) for w in arrays], axis=0)
        s = np.clip(np.maximum(maxima[x], 1e-5) ** alpha / np.maximum(w_max, 1e-5) ** (1 - alpha), 1e-3, 1e3).astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array(1 / s, f"smooth/{k}"))
        at = list(model.graph.node).index(matmuls[0])
        model.graph.node.insert(at, make_node("Mul", [x, f"smooth/{k}"], [f"smooth/{k}/x"]))
        for m, w in zip(matmuls, arrays):
            weights[m.input[1]].CopyFrom(numpy_helper.from_array(w * s[:, None], m.input[1]))
            m.input[0] = f"smooth/{k}/x"
    return save(model, out, src)


def input_maxima(encoder: E5Encoder, src: Path, tmp: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """Per-channel max |x| of every constant-weight MatMul's input over ``texts`` (real tokens only)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(src))
    names = list(const_matmuls(model))
    model.graph.output.extend(helper.make_tensor_value_info(x, TensorProto.FLOAT, None) for x in names)
    pooler = OnnxPooler(save(model, tmp / "calibration.onnx", src), encoder.threads)
    maxima = {x: np.zeros(0, np.float32) for x in names}

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"inputs_embeds": np.asarray(pooler.words[ids], dtype=np.float32), "attention_mask": mask}
        pooled, *inputs = pooler.session.run(["pooled", *names], feeds)
        for x, values in zip(names, inputs):
            top = np.abs(values[mask.astype(bool)]).max(0)
            maxima[x] = top if not len(maxima[x]) else np.maximum(maxima[x], top)
        return pooled

    model_before, encoder._model = encoder._model, forward
    try:
        encoder.embed(texts)
    finally:
        encoder._model = model_before
    return maxima


def calibration_texts(n: int) -> list[str]:
    """Training rows outside the tuning hold-out (no cue rows), in a fixed order."""
    rows, _ = data.load()
    texts = [r.text for r in rows if not data.ensemble_holdout(r) and r.source != "drama_cues"]
    return sorted(texts, key=lambda t: zlib.crc32(t.encode("utf-8")))[:n]


def score(encoder: E5Encoder, pooler, head: dict, texts: list[str],
          fp32: tuple[float, np.ndarray]) -> tuple[dict, np.ndarray, float]:
    """``pooler``'s vectors of ``texts`` against fp32's: agreement, cosine, CPU seconds."""
    fp32_model, encoder._model = encoder._model, pooler
    try:
        seconds, vectors = cpu_embed(encoder, texts)
    finally:
        encoder._model = fp32_model
    cosine = np.sum(vectors * fp32[1], axis=1)
    agreement = float(np.mean(head_logits(head, vectors).argmax(1) == head_logits(head, fp32[1]).argmax(1)))
    row = {"label_agreement_vs_fp32": round(agreement, 4), "passes": agreement >= THRESHOLD,
           "min_cosine": round(float(cosine.min()), 5), "mean_cosine": round(float(cosine.mean()), 5),
           "cpu_seconds": round(seconds, 2), "speed_vs_fp32": round(fp32[0] / seconds, 2)}
    return row, vectors, seconds


def cascade_point(head: dict, fp32: tuple[float, np.ndarray], vectors: np.ndarray, seconds: float) -> dict:
    """The smallest margin of the curve reaching the bar, and its cost in fp32 seconds."""
    points = [p for p in curve(head, fp32[1], vectors) if p["label_agreement_vs_fp32"] >= THRESHOLD]
    if not points:
        return {"margin": None}
    cost = seconds + points[0]["fp32_again"] * fp32[0]
    return {**points[0], "cpu_seconds_int8_plus_share_of_fp32": round(cost, 2), "speed_vs_fp32": round(fp32[0] / cost, 2)}


def cascade_check(head: dict, fp32: tuple[float, np.ndarray], vectors: np.ndarray, seconds: float, chosen: dict) -> dict:
    """The cascade at the tuning rows' margin on other texts: re-encoded share, agreement, cost."""
    if chosen["margin"] is None:
        return {"margin": None}
    margin, labels = margins_and_labels(head, vectors)
    _, ref = margins_and_labels(head, fp32[1])
    again = margin < chosen["margin"]
    cost = seconds + float(again.mean()) * fp32[0]
    return {"margin": chosen["margin"], "fp32_again": round(float(again.mean()), 4),
            "label_agreement_vs_fp32": round(float(np.mean(np.where(again, ref, labels) == ref)), 4),
            "cpu_seconds_int8_plus_share_of_fp32": round(cost, 2), "speed_vs_fp32": round(fp32[0] / cost, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--tune", type=int, default=600)
    parser.add_argument("--calibration", type=int, default=256)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    sets = {"tuning_rows": [r.text for r in tuning_rows(args.tune)], "youtube": load_texts(args.n)[0]}
    ref, _ = resolve_encoder()
    src = ensure_onnx(ref, None, int8=False, adapter=str(ADAPTER) if ADAPTER else None)
    encoder = E5Encoder(path=ref, threads=args.threads, adapter=ADAPTER, runtime="onnx", precision="fp32").load()
    head = E5SentimentBackend(encoder_obj=encoder).head
    load_start = round(os.getloadavg()[0], 2)
    tmp = Path(tempfile.mkdtemp(prefix="e5_int8_token_"))
    try:
        maxima = input_maxima(encoder, src, tmp, calibration_texts(args.calibration))
        fp32 = {name: cpu_embed(encoder, texts) for name, texts in sets.items()}
        files = {"per-batch": lambda: with_words(quantize_onnx(src, tmp / "batch.onnx"), src), "per-token": lambda: per_token(src, tmp / "token.onnx"),
                 "per-token-smooth": lambda: per_token(smoothed(src, tmp / "smooth.onnx", maxima, args.alpha),
                                                       tmp / "token-smooth.onnx")}
        variants = {}
        for name, build in files.items():
            pooler = OnnxPooler(build(), args.threads)
            variants[name] = {}
            for set_name, texts in sets.items():
                row, vectors, seconds = score(encoder, pooler, head, texts, fp32[set_name])
                if set_name == "tuning_rows":
                    row["cascade_at_0.995"] = chosen = cascade_point(head, fp32[set_name], vectors, seconds)
                else:  # the margin chosen on the tuning rows, checked on the comments
                    row["cascade_at_tuning_margin"] = cascade_check(head, fp32[set_name], vectors, seconds, chosen)
                variants[name][set_name] = row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    emit({"texts": {k: len(v) for k, v in sets.items()}, "calibration_rows": args.calibration, "alpha": args.alpha,
          "threads": args.threads, "load_avg_1min_at_start": load_start, "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
          "fp32_cpu_seconds": {k: round(v[0], 2) for k, v in fp32.items()}, "threshold": THRESHOLD, "variants": variants},
         args.json_out)
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
