"""Can the fp32 ONNX encoder run cheaper on this CPU at unchanged labels? CPU seconds and
label agreement of ONNX Runtime session variants of the same fp32 export, in one run.

    python benchmarks/e5_ort_variants.py [--n 500] [--repeat 3] [--threads 2]
        [--json-out FILE] [--md-out FILE]

Variants (all fp32, the export the tier runs, shipped adapter merged, ``ORT_ENABLE_ALL``):
``spin`` (intra-op threads spin between parallel sections: ONNX Runtime's default, what the
tier ran before), ``sleep`` (they sleep: ``OnnxPooler``'s default now), ``fused-sleep`` and
``fused-spin`` (the graph rewritten offline by ``onnxruntime.transformers.optimizer``,
model_type bert: fused Attention, SkipLayerNormalization and BiasGelu, which the session's own
optimizer does not produce for this graph). Each embeds the same comments
(``sentiment_e5_speed.py``'s unlabelled YouTube comments) ``--repeat`` times, interleaved;
reported: the median CPU seconds (process time, ONNX Runtime's threads included) and its ratio
to ``spin``, and sentiment label agreement with the slow path (torch fp32 in process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
from analyzer.backends.embedding.e5_onnx import OnnxPooler, ensure_onnx  # noqa: E402
from analyzer.backends.embedding.resolve import resolve_encoder  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402


def fused(src: Path, out: Path, dim: int, heads: int) -> Path:
    """``src`` with BERT attention, skip-LayerNorm and GELU fused offline (fp32)."""
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(src), model_type="bert", num_heads=heads, hidden_size=dim, opt_level=0)
    model.save_model_to_file(str(out))
    (out.parent / (out.stem + ".words.npy")).symlink_to(src.parent / (src.stem + ".words.npy"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--md-out", default=None)
    args = parser.parse_args(argv)
    load_start = round(os.getloadavg()[0], 2)
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    slow = E5Encoder(path=ref, precision="fp32", runtime="torch", threads=args.threads, adapter=ADAPTER)
    head = E5SentimentBackend(encoder_obj=slow).head
    slow_labels = head_logits(head, slow.embed(texts)).argmax(1)
    encoder = E5Encoder(path=ref, runtime="onnx", threads=args.threads, adapter=ADAPTER).load()
    src = ensure_onnx(ref, None, int8=False, adapter=str(ADAPTER) if ADAPTER else None)
    config = json.loads(Path(ref, "config.json").read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="e5_ort_variants_"))
    fused_file = fused(src, tmp / "fused.onnx", int(config["hidden_size"]), int(config["num_attention_heads"]))
    poolers = {"spin": OnnxPooler(src, args.threads, spin=True), "sleep": OnnxPooler(src, args.threads, spin=False),
               "fused-sleep": OnnxPooler(fused_file, args.threads, spin=False),
               "fused-spin": OnnxPooler(fused_file, args.threads, spin=True)}
    cpu: dict[str, list[float]] = {}
    labels: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for name, pooler in poolers.items():
            encoder._model = pooler
            start = time.process_time()
            vectors = encoder.embed(texts)
            cpu.setdefault(name, []).append(round(time.process_time() - start, 3))
            labels[name] = head_logits(head, vectors).argmax(1)
    median = {k: statistics.median(v) for k, v in cpu.items()}
    result = {
        "texts": args.n, "origin": origin, "threads": args.threads, "repeat": args.repeat, "cpu_count": os.cpu_count(),
        "load_avg_1min_at_start": load_start, "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "cpu_seconds": cpu, "median_cpu_seconds": median,
        "speedup_vs_spin_cpu": {k: round(median["spin"] / v, 3) for k, v in median.items()},
        "agreement_vs_torch_fp32": {k: round(float(np.mean(v == slow_labels)), 4) for k, v in labels.items()},
    }
    emit(result, args.json_out)
    if args.md_out:
        Path(args.md_out).write_text(markdown(result), encoding="utf-8")
    return 0


def markdown(r: dict) -> str:
    rows = [f"| {k} | {r['median_cpu_seconds'][k]:.2f} | {r['speedup_vs_spin_cpu'][k]}x | {r['agreement_vs_torch_fp32'][k]} |"
            for k in r["cpu_seconds"]]
    return "\n".join([
        "# e5_ort_variants: fp32 ONNX Runtime session variants of the e5 encoder (one run)", "",
        f"`python benchmarks/e5_ort_variants.py --n {r['texts']} --repeat {r['repeat']}` on {r['texts']} {r['origin']} "
        f"({r['cpu_count']} CPUs, {r['threads']} threads; load average {r['load_avg_1min_at_start']} at start, "
        f"{r['load_avg_1min_at_end']} at end: a shared machine, compare the ratios). Median of the interleaved repeats.", "",
        "| variant | CPU-s (median) | vs spin (CPU) | label agreement vs torch fp32 |", "|---|---|---|---|", *rows, "",
        "CPU seconds per repeat: " + json.dumps(r["cpu_seconds"]), ""])


if __name__ == "__main__":
    raise SystemExit(main())
