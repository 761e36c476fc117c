"""The accurate tier through the CLI vs the in-process benchmark path vs a plain ``pipeline()``,
in ONE run on the same real comments (issue #17 items 1 and 3).

    python benchmarks/accurate_cli.py [--n 1000] [--baseline-n 200] [--repeat 2] [--threads 2]
        [--json-out benchmarks/results/accurate_cli.json] [--md-out benchmarks/results/accurate_cli.md]

Paths, each timed ``--repeat`` times, interleaved (CLI, in-process, pipeline, CLI, ...), best kept:

(a) ``analyzer annotate IN -o OUT --sentiment sentiment.e5.v1 --themes themes.e5.v1`` as a
    subprocess: wall time with start-up, and without it (minus the wall time of the same
    command on the first 10 comments, timed beside it);
(b) the in-process benchmark path of ``sentiment_e5_speed.py``: ``E5Encoder`` with the
    shipped adapter and the arithmetic the benchmark chooses on this CPU (``runtime="auto"``:
    bf16 with bf16 instructions, else the ONNX export), embed + head, model already loaded;
(c) a plain transformers ``pipeline("feature-extraction")`` over the same encoder (batch 32;
    on the first ``--baseline-n`` comments, it is slow).

Agreement: the CLI's sentiment labels vs the slow path (torch fp32 in-process, the arithmetic
the accurate tier used on this CPU before) on all comments. Start-up: a 10-comment run of the
accurate tier vs the default tier, interleaved. The comments are the unlabelled YouTube
comments ``sentiment_e5_speed.py`` reads (read here, written only to a temporary folder).
The machine is shared: the load average is recorded, compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import ADAPTER, baseline, load_texts  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.backends.embedding import E5Encoder, resolve_encoder  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402
from analyzer.schema import SENTIMENT_LABELS  # noqa: E402

ACCURATE = ["--sentiment", "sentiment.e5.v1", "--themes", "themes.e5.v1"]


def cli(inp: Path, out: Path, extra: list[str]) -> float:
    """Wall seconds of one ``analyzer annotate`` subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analyzer", "annotate", str(inp), "-o", str(out), "-q", *extra],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def labels_of(path: Path) -> list[str]:
    return [json.loads(line)["sentiment"] for line in path.read_text(encoding="utf-8").splitlines()]


def in_process(texts: list[str], ref: str, threads: int, **options) -> tuple[E5SentimentBackend, callable]:
    encoder = E5Encoder(path=ref, threads=threads, adapter=ADAPTER, **options).load()
    backend = E5SentimentBackend(encoder_obj=encoder)
    backend.head

    def run() -> np.ndarray:
        return head_logits(backend.head, backend.embed(texts)).argmax(1)

    return encoder, run


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--baseline-n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--md-out", default=None)
    args = parser.parse_args(argv)
    load_start = round(os.getloadavg()[0], 2)
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    tmp = Path(tempfile.mkdtemp(prefix="accurate_cli_"))
    inp, small = tmp / "comments.jsonl", tmp / "ten.jsonl"
    inp.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    small.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts[:10]), encoding="utf-8")

    slow_encoder, slow = in_process(texts, ref, args.threads, precision="fp32", runtime="torch")
    slow_seconds, slow_labels = timed(slow)
    fast_encoder, fast = in_process(texts, ref, args.threads)
    head = E5SentimentBackend().head
    times: dict[str, list[float]] = {k: [] for k in ("cli", "cli_10", "default_10", "in_process", "pipeline")}
    cli_labels = None
    for _ in range(args.repeat):  # interleaved, so the machine's load hits every path alike
        times["cli_10"].append(cli(small, tmp / "ten_out.jsonl", ACCURATE))
        times["cli"].append(cli(inp, tmp / "out.jsonl", ACCURATE))
        cli_labels = labels_of(tmp / "out.jsonl")
        times["default_10"].append(cli(small, tmp / "ten_default.jsonl", []))
        seconds, fast_labels = timed(fast)
        times["in_process"].append(seconds)
        rate, base_probs = baseline(texts[: args.baseline_n], ref, head, "cpu", 1)
        times["pipeline"].append(args.baseline_n / rate)
    best = {k: min(v) for k, v in times.items()}
    slow_named = [SENTIMENT_LABELS[i] for i in slow_labels]
    rates = {"cli_with_startup": args.n / best["cli"],
             "cli_without_startup": (args.n - 10) / max(best["cli"] - best["cli_10"], 1e-9),
             "in_process": args.n / best["in_process"], "pipeline": args.baseline_n / best["pipeline"],
             "slow_path_torch_fp32": args.n / slow_seconds}
    result = {
        "texts": args.n, "origin": origin, "baseline_texts": args.baseline_n, "repeat": args.repeat,
        "threads": args.threads, "cpu_count": os.cpu_count(), "load_avg_1min_at_start": load_start,
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "in_process_runtime": fast_encoder.runtime_used, "in_process_arithmetic": fast_encoder.arithmetic,
        "slow_path": f"{slow_encoder.runtime_used}-{slow_encoder.arithmetic}",
        "seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "per_s": {k: round(v, 1) for k, v in rates.items()},
        "ratios": {
            "cli_without_startup_vs_in_process": round(rates["cli_without_startup"] / rates["in_process"], 3),
            "cli_with_startup_vs_in_process": round(rates["cli_with_startup"] / rates["in_process"], 3),
            "cli_without_startup_vs_pipeline": round(rates["cli_without_startup"] / rates["pipeline"], 2),
            "in_process_vs_pipeline": round(rates["in_process"] / rates["pipeline"], 2),
            "in_process_vs_slow_path": round(rates["in_process"] / rates["slow_path_torch_fp32"], 2),
            "startup_accurate_vs_default_10_comments": round(best["cli_10"] / best["default_10"], 2),
        },
        "startup_seconds_10_comments": {"accurate": round(best["cli_10"], 2), "default": round(best["default_10"], 2)},
        "label_agreement": {
            "cli_vs_slow_path": round(float(np.mean([a == b for a, b in zip(cli_labels, slow_named)])), 4),
            "in_process_vs_slow_path": round(float(np.mean(fast_labels == slow_labels)), 4),
            "pipeline_vs_slow_path": round(float(np.mean(base_probs.argmax(1) == slow_labels[: args.baseline_n])), 4),
        },
    }
    emit(result, args.json_out)
    if args.md_out:
        Path(args.md_out).write_text(markdown(result), encoding="utf-8")
    return 0


def markdown(r: dict) -> str:
    p, q, a = r["per_s"], r["ratios"], r["label_agreement"]
    rows = [
        ("(a) CLI `annotate --sentiment sentiment.e5.v1 --themes themes.e5.v1`, start-up excluded",
         p["cli_without_startup"], q["cli_without_startup_vs_in_process"], q["cli_without_startup_vs_pipeline"]),
        ("(a) the same, start-up included", p["cli_with_startup"], q["cli_with_startup_vs_in_process"],
         round(p["cli_with_startup"] / p["pipeline"], 2)),
        (f"(b) in-process benchmark path ({r['in_process_runtime']}-{r['in_process_arithmetic']}, sentiment only)",
         p["in_process"], 1.0, q["in_process_vs_pipeline"]),
        (f"slow path ({r['slow_path']} in-process, the tier's arithmetic on this CPU before)", p["slow_path_torch_fp32"],
         round(p["slow_path_torch_fp32"] / p["in_process"], 3), round(p["slow_path_torch_fp32"] / p["pipeline"], 2)),
        ("(c) plain transformers `pipeline()`, same encoder", p["pipeline"], round(p["pipeline"] / p["in_process"], 3), 1.0),
    ]
    lines = [
        "# accurate_cli: the accurate tier through the CLI vs in-process vs `pipeline()` (one run)", "",
        f"`python benchmarks/accurate_cli.py --n {r['texts']} --baseline-n {r['baseline_texts']} --repeat {r['repeat']}` "
        f"on {r['texts']} {r['origin']} ({r['cpu_count']} CPUs, {r['threads']} threads; load average "
        f"{r['load_avg_1min_at_start']} at start, {r['load_avg_1min_at_end']} at end: a shared machine, compare ratios). "
        "Paths interleaved, best of the repeats.", "",
        "| path | comments/s | vs in-process | vs `pipeline()` |", "|---|---|---|---|",
        *[f"| {name} | {rate} | {vs_in}x | {vs_pipe}x |" for name, rate, vs_in, vs_pipe in rows], "",
        f"Label agreement with the slow path: CLI {a['cli_vs_slow_path']}, in-process {a['in_process_vs_slow_path']}, "
        f"`pipeline()` {a['pipeline_vs_slow_path']} (first {r['baseline_texts']}).", "",
        f"Start-up (10 comments, whole CLI wall time): accurate tier {r['startup_seconds_10_comments']['accurate']} s, "
        f"default tier {r['startup_seconds_10_comments']['default']} s "
        f"({q['startup_accurate_vs_default_10_comments']}x).", "",
        "Wall seconds per repeat: " + json.dumps(r["seconds"]), "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
