"""Choose the margin of the int8-then-fp32 cascade (``precision="int8-cascade"``) on tuning rows.

    python -m training.sentiment_e5.cascade_margin [--target 0.995] [--threads 2] [--limit N] [--curve RUN.json]

The rows: the training side's held-out rows (``data.ensemble_holdout``: never seen by the
encoder's fine-tuning, the rows the ensemble's weights are chosen on), less any text of the
unlabelled YouTube comments the speed benchmarks time (so the margin is never chosen on
benchmark comments). Each row is encoded by the fp32 and the int8 ONNX exports (shipped adapter
merged, as ``analyzer models build`` writes them); for each margin of a grid the cascade's
labels are the int8 head's, except the rows whose int8 top-two probability margin is under it,
which take the fp32 labels. The chosen margin is the smallest of the grid whose labels agree
with fp32's on at least ``--target`` of the rows (0.995, the tier's bar: on the run of
2026-12-06 a 0.998 target needed a 0.475 margin, 35% of the rows encoded again, which costs
as much as fp32 alone). ``--curve`` re-chooses from a recorded run's curve without encoding. Written: ``analyzer/_models/sentiment-e5/cascade.json``
(what the head reads) and ``models/sentiment-e5/runs/<date>-cascade-margin.json`` (the curve).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from analyzer.backends.base import softmax
from analyzer.backends.embedding import E5Encoder, text_key
from analyzer.backends.sentiment_e5 import HEAD_DIR, head_logits, load_head
from training.sentiment_e5 import data

GRID = [round(0.025 * k, 3) for k in range(0, 21)]  # 0 .. 0.5
BENCH_COMMENTS = data.HERE.parents[2] / "shared" / "data" / "youtube_kvariety_comments_multilingual" / "comments.jsonl"
RUNS = data.HERE / "runs"


def tuning_rows(limit: int | None = None) -> list:
    """Held-out training-side rows, benchmark comments removed, in a fixed order."""
    rows, _ = data.load()
    held = [r for r in rows + data.dataset.read_domain() if data.ensemble_holdout(r)]
    bench = set()
    if BENCH_COMMENTS.is_file():
        with BENCH_COMMENTS.open(encoding="utf-8") as handle:
            bench = {text_key(json.loads(line).get("text") or "") for line in handle if line.strip()}
    kept = [r for r in held if text_key(r.text) not in bench]
    return kept[:limit] if limit else kept


def margins_and_labels(head: dict, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = softmax(head_logits(head, vectors))
    top2 = np.sort(probs, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0], probs.argmax(1)


def curve(head: dict, fp32: np.ndarray, int8: np.ndarray) -> list[dict]:
    """Per margin of the grid: share of rows encoded again and label agreement with fp32."""
    margin, labels = margins_and_labels(head, int8)
    _, ref = margins_and_labels(head, fp32)
    out = []
    for m in GRID:
        again = margin < m
        mixed = np.where(again, ref, labels)
        out.append({"margin": m, "fp32_again": round(float(again.mean()), 4),
                    "label_agreement_vs_fp32": round(float((mixed == ref).mean()), 4)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.995)
    parser.add_argument("--curve", default=None, help="a recorded run (runs/*-cascade-margin.json): choose again from it")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print the curve only")
    args = parser.parse_args(argv)
    result = json.loads(Path(args.curve).read_text(encoding="utf-8")) if args.curve else measure(args)
    passing = [p for p in result["curve"] if p["label_agreement_vs_fp32"] >= args.target]
    result.update(target=args.target, chosen=passing[0] if passing else result["curve"][-1])
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}, indent=1))
    if not args.no_write:
        write(result)
    return 0


def measure(args) -> dict:
    """Encode the tuning rows in fp32 and int8; the curve and what it was measured on."""
    rows = tuning_rows(args.limit)
    texts = [r.text for r in rows]
    head = load_head(HEAD_DIR)
    start = time.process_time()
    fp32 = E5Encoder(runtime="onnx", precision="fp32", threads=args.threads, adapter=HEAD_DIR).embed(texts)
    fp32_cpu = time.process_time() - start
    int8 = E5Encoder(runtime="onnx", quantize=True, threads=args.threads, adapter=HEAD_DIR).embed(texts)
    int8_cpu = time.process_time() - start - fp32_cpu
    points = curve(head, fp32, int8)
    cosine = np.sum(fp32 * int8, axis=1)
    return {"rows": len(rows), "sources": dict(Counter(r.source for r in rows).most_common()),
            "labels": dict(Counter(r.label for r in rows)), "int8_alone_agreement": points[0]["label_agreement_vs_fp32"],
            "min_cosine": round(float(cosine.min()), 5), "mean_cosine": round(float(cosine.mean()), 5),
            "cpu_seconds": {"fp32": round(fp32_cpu, 1), "int8": round(int8_cpu, 1)}, "curve": points,
            "date": time.strftime("%Y-%m-%d")}


def write(result: dict) -> None:
    """The run (with its curve) under models/sentiment-e5/runs, the chosen margin beside the head."""
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / f"{result['date']}-cascade-margin.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    chosen = result["chosen"]
    shipped = {"margin": chosen["margin"], "target": result["target"], "tuning_rows": result["rows"],
               "tuning_agreement_vs_fp32": chosen["label_agreement_vs_fp32"], "tuning_fp32_again": chosen["fp32_again"],
               "chosen_by": f"python -m training.sentiment_e5.cascade_margin, run of {result['date']} (data.ensemble_holdout rows)"}
    (Path(HEAD_DIR) / "cascade.json").write_text(json.dumps(shipped, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
