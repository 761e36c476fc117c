"""The accurate tier through the CLI vs the in-process benchmark path vs a plain ``pipeline()``,
in ONE run on the same real comments (issue #17 items 1 and 3), like with like:

    python benchmarks/accurate_cli.py [--n 1000] [--baseline-n N] [--repeat 2] [--threads 2]
        [--before TREE] [--json-out benchmarks/results/accurate_cli.json] [--md-out benchmarks/results/accurate_cli.md]
        [--append]

Paths, each timed ``--repeat`` times, interleaved (so the machine's load hits every path alike),
best kept; wall seconds and CPU seconds (process time, ONNX Runtime's threads included; for
the CLI, the child's) are both recorded, CPU seconds being steadier on a shared machine:

(a) ``analyzer annotate IN -o OUT --sentiment sentiment.e5.v1`` as a subprocess (the issue's
    command), beside (b) the in-process benchmark path of ``sentiment_e5_speed.py``: ``E5Encoder``
    with the shipped adapter and the arithmetic the benchmark chooses on this CPU
    (``runtime="auto"``), embed + sentiment head, model already loaded;
(a2) ``... --sentiment sentiment.e5.v1 --themes themes.e5.v1``, beside (b2) in process: one
    embedding pass shared (``EmbeddingCache``) by the sentiment head and ``themes.e5.v1``
    (its lexicon pass, hybrid features and heads), on the languages the CLI detected;
(c) a plain transformers ``pipeline("feature-extraction")`` over the same encoder (batch 32),
    on the same comments (``--baseline-n`` cuts it to the first N: they need not be as long as
    the whole input, so the ratio is then not like with like; the tokens of each are recorded).

The CLI runs without start-up are its wall (CPU) time minus that of the same command on a
start-up sample timed beside it: the first comment of each language in the input (languages as
an untimed default-tier run detects them), because the theme lexicon compiles its cue matcher the
first time a language appears in a process (~0.1 CPU-s each), a one-off cost that a sample of
the first 10 comments (3 languages here) leaves in the per-comment figure; the ratios with the
first-10 sample (the issue's method) are recorded too. Agreement: the CLI's sentiment labels vs the slow path
(torch fp32 in-process, the arithmetic the accurate tier used on this CPU before) on all
comments. Start-up: a 10-comment run of the accurate tier vs the default tier, and the
encoder's load time in a fresh process (``E5Encoder(...).load()``, after the first build).
The comments are the unlabelled YouTube comments ``sentiment_e5_speed.py`` reads (read here,
written only to a temporary folder). The load average is recorded: compare the ratios.

``--precision P`` runs the after side's CLI commands with ``--set models.sentiment.precision=P``
and its in-process paths with ``E5Encoder(precision=P)`` (e.g. ``int8-cascade``; default: the
tier's own choice). Agreement with the slow path is also measured for the themes: the slow path
then is the same CLI command run once (untimed) with ``--set models.sentiment.precision=fp32
--set models.sentiment.runtime=torch`` (themes.e5.v1 reads the sentiment head's encoder), and
per theme the share of comments where the theme fires alike, and where it fires in both, its
polarity. Peak memory: each CLI process's maximum resident set (``wait4``), the largest of the
repeats, per command.

Before/after in the same run: ``--before TREE`` (a source tree of an earlier commit, e.g.
``git archive COMMIT | tar -x -C TREE``) also runs both CLI commands (and their 10-comment
start-up) from that tree, interleaved with the others (first in odd repeats, as the load drifts), and the in-process path with the ONNX
session as it was before (threads spinning: ``OnnxPooler(spin=True)``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sentiment_e5_speed import ADAPTER, baseline_run, load_texts  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.backends.embedding import E5Encoder, EmbeddingCache, resolve_encoder  # noqa: E402
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits  # noqa: E402
from analyzer.backends.themes_e5 import E5ThemeBackend  # noqa: E402
from analyzer.schema import SENTIMENT_LABELS  # noqa: E402

SENTIMENT = ["--sentiment", "sentiment.e5.v1"]
BOTH = [*SENTIMENT, "--themes", "themes.e5.v1"]
LOAD_SCRIPT = ("import time, sys; t, c = time.perf_counter(), time.process_time(); "
               "from analyzer.backends.embedding import E5Encoder; e = E5Encoder(adapter=sys.argv[1] or None).load(); "
               "print(round(time.perf_counter() - t, 3), round(time.process_time() - c, 3), e.runtime_used, e.arithmetic)")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


GNU_TIME = Path("/usr/bin/time")


def cli(inp: Path, out: Path, extra: list[str], tree: Path = ROOT) -> tuple[float, ...]:
    """Wall and CPU seconds and (with GNU time) peak resident MB of one ``analyzer annotate``
    subprocess (of the source in ``tree``). The peak comes from GNU time, whose child is forked
    from a small process: a child forked from this one would report this process's own peak
    (the high-water mark survives fork and exec)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    peak = Path(tempfile.mkstemp(prefix="peak_")[1])
    wrap = [str(GNU_TIME), "-f", "%M", "-o", str(peak)] if GNU_TIME.is_file() else []
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([*wrap, sys.executable, "-m", "analyzer", "annotate", str(inp), "-o", str(out), "-q", *extra],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = (time.perf_counter() - start, children_cpu() - cpu)
    kb = peak.read_text().strip().splitlines()[-1] if wrap else ""
    peak.unlink()
    return (*seconds, int(kb) / 1024) if kb.isdigit() else seconds


def load_seconds() -> tuple[float, float, str]:
    """The encoder's load time in a fresh process (imports included): wall and CPU seconds,
    and what it loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(ADAPTER or "")], check=True, env=env,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), f"{out[2]}-{out[3]}"


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def in_process(texts: list[str], ref: str, threads: int, **options) -> tuple[E5Encoder, E5SentimentBackend]:
    options = {k: v for k, v in options.items() if v is not None}
    encoder = E5Encoder(path=ref, threads=threads, adapter=ADAPTER, **options).load()
    backend = E5SentimentBackend(encoder_obj=encoder)
    backend.head
    return encoder, backend


def sentiment_only(backend: E5SentimentBackend, texts: list[str]):
    return lambda: head_logits(backend.head, backend.embed(texts)).argmax(1)


def both_heads(encoder: E5Encoder, texts: list[str], langs: list[str | None]):
    """One embedding pass shared by the sentiment head and themes.e5.v1 (a fresh memo per call)."""
    head = E5SentimentBackend(encoder_obj=encoder).head
    themes = E5ThemeBackend()
    themes.model  # loaded before timing, as the CLI's is before its first batch

    def run():
        shared = EmbeddingCache(encoder)
        labels = head_logits(head, shared.embed(texts)).argmax(1)
        themes.use_embedder(shared)  # as the CLI's theme stage does (it keeps the encoder in fp32)
        return labels, themes.predict(texts, langs)

    return run


def timed(fn) -> tuple[float, float, object]:
    cpu, start = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--baseline-n", type=int, default=None, help="pipeline() on the first N only (default: all)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--before", type=Path, default=None, help="source tree of the commit to compare with")
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--md-out", default=None)
    parser.add_argument("--append", action="store_true", help="add the run after those in --json-out/--md-out")
    parser.add_argument("--precision", default=None, help="the after side's encoder precision (e.g. int8-cascade)")
    args = parser.parse_args(argv)
    chosen = ["--set", f"models.sentiment.precision={args.precision}"] if args.precision else []
    args.baseline_n = min(args.baseline_n or args.n, args.n)
    load_start = round(os.getloadavg()[0], 2)
    texts, origin = load_texts(args.n)
    ref, _ = resolve_encoder()
    tmp = Path(tempfile.mkdtemp(prefix="accurate_cli_"))
    inp, small = tmp / "comments.jsonl", tmp / "ten.jsonl"
    inp.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    small.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts[:10]), encoding="utf-8")
    sample = tmp / "languages.jsonl"
    cli(inp, tmp / "languages_out.jsonl", [])
    langs = [r.get("lang") for r in rows_of(tmp / "languages_out.jsonl")]
    firsts = sorted({lang: i for i, lang in reversed(list(enumerate(langs)))}.values())
    sample.write_text("".join(json.dumps({"text": texts[i]}) + "\n" for i in firsts), encoding="utf-8")
    args.sample_n = len(firsts)

    slow_encoder, slow_backend = in_process(texts, ref, args.threads, precision="fp32", runtime="torch")
    _, _, slow_labels = timed(sentiment_only(slow_backend, texts))
    slow_rows = slow_cli(inp, tmp)
    fast_encoder, fast_backend = in_process(texts, ref, args.threads, precision=args.precision)
    head = fast_backend.head
    both_encoder, _ = in_process(texts, ref, args.threads, precision=args.precision)  # themes.e5.v1 keeps it in fp32
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    peak: dict[str, float] = {}

    def record(name: str, seconds: tuple[float, ...]) -> None:
        wall.setdefault(name, []).append(seconds[0])
        cpu.setdefault(name, []).append(seconds[1])
        if len(seconds) > 2:
            peak[name] = max(peak.get(name, 0.0), round(seconds[2], 1))

    rows: dict[str, list[dict]] = {}
    for k in range(args.repeat):
        if args.before and k % 2:  # odd repeats run the before side first: the load drifts
            before_rows = run_before(args.before, sample, inp, tmp, record, fast_encoder, fast_backend, texts)
        for name, extra in (("sentiment", SENTIMENT + chosen), ("both", BOTH + chosen)):
            record(f"cli_{name}_10", cli(small, tmp / "ten_out.jsonl", extra))
            record(f"cli_{name}_langs", cli(sample, tmp / "langs_out.jsonl", extra))
            record(f"cli_{name}", cli(inp, tmp / f"{name}.jsonl", extra))
            rows[name] = rows_of(tmp / f"{name}.jsonl")
        record("default_10", cli(small, tmp / "ten_default.jsonl", []))
        *seconds, fast_labels = timed(sentiment_only(fast_backend, texts))
        record("in_process_sentiment", seconds)
        if args.before and not k % 2:
            before_rows = run_before(args.before, sample, inp, tmp, record, fast_encoder, fast_backend, texts)
        *seconds, _ = timed(both_heads(both_encoder, texts, [r.get("lang") for r in rows["sentiment"]]))
        record("in_process_both", seconds)
        *seconds, base_vecs = timed(baseline_run(texts[: args.baseline_n], ref, "cpu"))
        record("pipeline", seconds)
        base_probs = head_logits(head, base_vecs)
        *seconds, loaded = load_seconds()
        record("encoder_load", seconds)
    result = summarize(args, origin, load_start, wall, cpu, loaded, fast_encoder, slow_encoder)
    tokens = [len(ids) + 2 for ids in fast_encoder.tokenize(texts)]  # what each comment costs the encoder
    result["tokens_with_specials"] = {"texts": sum(tokens), "baseline_texts": sum(tokens[: args.baseline_n])}
    slow_named = [SENTIMENT_LABELS[i] for i in slow_labels]
    result["label_agreement"] = {
        **{f"cli_{name}_vs_slow_path": agreement([r["sentiment"] for r in rows[name]], slow_named) for name in rows},
        "in_process_vs_slow_path": agreement(fast_labels, slow_labels),
        "pipeline_vs_slow_path": agreement(base_probs.argmax(1), slow_labels[: args.baseline_n]),
        **{f"before_cli_{name}_vs_slow_path": agreement([r["sentiment"] for r in before_rows[name]], slow_named)
           for name in (before_rows if args.before else {})},
    }
    result["theme_agreement"] = {"cli_both_vs_slow_path": theme_agreement(rows["both"], slow_rows),
                                 **({"before_cli_both_vs_slow_path": theme_agreement(before_rows["both"], slow_rows),
                                     # --sentiment alone (default themes): the theme polarities read its scores
                                     "cli_sentiment_vs_before_cli_sentiment": theme_agreement(rows["sentiment"],
                                                                                              before_rows["sentiment"])}
                                    if args.before else {})}
    result["label_agreement"]["cli_both_themes_vs_slow_path"] = agreement([r["sentiment"] for r in rows["both"]],
                                                                          [r["sentiment"] for r in slow_rows])
    result["peak_rss_mb"] = peak
    result["precision_asked"] = args.precision or "default"
    result["cascade"] = cascade_info(fast_encoder)
    if args.before:
        result["before"] = before_after(args, wall, cpu)
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    emit(result)
    write_results(result, args.json_out, args.md_out, args.append)
    return 0


def write_results(result: dict, json_out: str | None, md_out: str | None, append: bool) -> None:
    """The run as JSON and Markdown; with ``append``, after the runs already there (the JSON's
    ``runs`` list, a dated section of the Markdown) instead of in their place."""
    if json_out:
        path = Path(json_out)
        old = json.loads(path.read_text(encoding="utf-8")) if append and path.is_file() else None
        runs = (old["runs"] if "runs" in old else [old]) if old else []
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"runs": [*runs, result]} if append else result, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    if md_out:
        path = Path(md_out)
        text = markdown(result)
        if append and path.is_file():
            body = text.split("\n", 1)[1]  # the run's own title becomes a dated section
            text = path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n## Run of {result['date']}\n" + body
        path.write_text(text, encoding="utf-8")


def run_before(tree: Path, sample: Path, inp: Path, tmp: Path, record, encoder: E5Encoder,
               backend: E5SentimentBackend, texts: list[str]) -> dict[str, list[dict]]:
    """One repeat of the before side: both CLI commands from ``tree``, and the in-process path
    with the session's threads spinning as before (the encoder's own session restored after)."""
    rows = {}
    for name, extra in (("sentiment", SENTIMENT), ("both", BOTH)):
        record(f"before_cli_{name}_langs", cli(sample, tmp / "langs_before.jsonl", extra, tree))
        record(f"before_cli_{name}", cli(inp, tmp / f"before_{name}.jsonl", extra, tree))
        rows[name] = rows_of(tmp / f"before_{name}.jsonl")
    if encoder.runtime_used == "onnx":
        from analyzer.backends.embedding.e5_onnx import OnnxPooler

        mine, cascade = encoder._model, encoder.cascade
        encoder._model, encoder.cascade = OnnxPooler(mine.path, encoder.threads, spin=True), False  # fp32, as before
        try:
            *seconds, _ = timed(sentiment_only(backend, texts))
            record("before_in_process_sentiment", seconds)
        finally:
            encoder._model, encoder.cascade = mine, cascade
    return rows


def before_after(args, wall: dict, cpu: dict) -> dict:
    """After / before ratios of the comments per second (wall) and per CPU-second."""
    n, out = args.n, {}
    for kind, table in (("wall", wall), ("cpu", cpu)):
        best = {k: min(v) for k, v in table.items() if k != "pipeline"}
        for name in ("sentiment", "both"):
            after = best[f"cli_{name}"] - best[f"cli_{name}_langs"]
            before = best[f"before_cli_{name}"] - best[f"before_cli_{name}_langs"]
            out[f"{kind}_cli_{name}_without_startup_after_vs_before"] = round(before / max(after, 1e-9), 3)
            out[f"{kind}_cli_{name}_with_startup_after_vs_before"] = round(best[f"before_cli_{name}"] / best[f"cli_{name}"], 3)
            pipeline = args.baseline_n / min(table["pipeline"])  # comments per second of the same run's pipeline()
            out[f"{kind}_before_cli_{name}_without_startup_vs_pipeline"] = round((n - args.sample_n) / max(before, 1e-9) / pipeline, 2)
        if "before_in_process_sentiment" in best:
            out[f"{kind}_in_process_sentiment_after_vs_before"] = round(
                best["before_in_process_sentiment"] / best["in_process_sentiment"], 3)
    out["tree"] = str(args.before)
    return out


def slow_cli(inp: Path, tmp: Path) -> list[dict]:
    """The slow path through the CLI (untimed): both e5 heads on the torch fp32 encoder."""
    slow = ["--set", "models.sentiment.precision=fp32", "--set", "models.sentiment.runtime=torch"]
    cli(inp, tmp / "slow.jsonl", BOTH + slow)
    return rows_of(tmp / "slow.jsonl")


def theme_agreement(rows: list[dict], slow: list[dict]) -> dict:
    """Per theme: the share of comments where it fires alike, and the share of polarity agreement
    where it fires in both; plus every theme set and every polarity map identical."""
    from analyzer.schema import THEMES

    out = {"all_themes_identical": agreement([sorted(r.get("themes") or []) for r in rows],
                                             [sorted(r.get("themes") or []) for r in slow]),
           "all_polarities_identical": agreement([r.get("theme_polarity") or {} for r in rows],
                                                 [r.get("theme_polarity") or {} for r in slow])}
    for theme in THEMES:
        fires = [theme in (r.get("themes") or []) for r in rows]
        ref = [theme in (r.get("themes") or []) for r in slow]
        both = [i for i, (a, b) in enumerate(zip(fires, ref)) if a and b]
        out[theme] = {"fires_alike": agreement(fires, ref), "fires_slow": sum(ref), "fires": sum(fires),
                      "polarity_alike": agreement([rows[i]["theme_polarity"].get(theme) for i in both],
                                                  [slow[i]["theme_polarity"].get(theme) for i in both]) if both else None}
    return out


def cascade_info(encoder: E5Encoder) -> dict:
    """What the in-process encoder's cascade encoded again (empty when it ran no cascade)."""
    if encoder.arithmetic != "int8-cascade":
        return {}
    counts = encoder.cascade_counts
    return {**counts, "fp32_again_share": round(counts["fp32_again"] / max(counts["texts"], 1), 4)}


def agreement(a, b) -> float:
    return round(float(np.mean([x == y for x, y in zip(a, b)])), 4)


def summarize(args, origin: str, load_start: float, wall: dict, cpu: dict, loaded: str,
              fast: E5Encoder, slow: E5Encoder) -> dict:
    n, best_wall = args.n, {k: min(v) for k, v in wall.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    rates, cpu_rates = {}, {}
    for name in ("sentiment", "both"):
        for best, out in ((best_wall, rates), (best_cpu, cpu_rates)):
            out[f"cli_{name}_with_startup"] = n / best[f"cli_{name}"]
            out[f"cli_{name}_without_startup"] = (n - args.sample_n) / max(best[f"cli_{name}"] - best[f"cli_{name}_langs"], 1e-9)
            out[f"cli_{name}_without_first10_startup"] = (n - 10) / max(best[f"cli_{name}"] - best[f"cli_{name}_10"], 1e-9)
            out[f"in_process_{name}"] = n / best[f"in_process_{name}"]
    rates["pipeline"] = args.baseline_n / best_wall["pipeline"]
    cpu_rates["pipeline"] = args.baseline_n / best_cpu["pipeline"]
    ratios = {}
    for name in ("sentiment", "both"):
        for kind in ("with", "without", "without_first10"):
            ratios[f"cli_{name}_{kind}_startup_vs_in_process"] = round(
                rates[f"cli_{name}_{kind}_startup"] / rates[f"in_process_{name}"], 3)
            ratios[f"cpu_cli_{name}_{kind}_startup_vs_in_process"] = round(
                cpu_rates[f"cli_{name}_{kind}_startup"] / cpu_rates[f"in_process_{name}"], 3)
        ratios[f"cli_{name}_without_startup_vs_pipeline"] = round(rates[f"cli_{name}_without_startup"] / rates["pipeline"], 2)
        ratios[f"cpu_cli_{name}_without_startup_vs_pipeline"] = round(
            cpu_rates[f"cli_{name}_without_startup"] / cpu_rates["pipeline"], 2)
    ratios["in_process_sentiment_vs_pipeline"] = round(rates["in_process_sentiment"] / rates["pipeline"], 2)
    ratios["cpu_in_process_sentiment_vs_pipeline"] = round(cpu_rates["in_process_sentiment"] / cpu_rates["pipeline"], 2)
    ratios["startup_accurate_vs_default_10_comments"] = round(best_wall["cli_sentiment_10"] / best_wall["default_10"], 2)
    return {
        "texts": n, "origin": origin, "baseline_texts": args.baseline_n, "repeat": args.repeat,
        "startup_sample": f"first comment of each of {args.sample_n} languages",
        "threads": args.threads, "cpu_count": os.cpu_count(), "load_avg_1min_at_start": load_start,
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
        "in_process_runtime": fast.runtime_used, "in_process_arithmetic": fast.arithmetic,
        "slow_path": f"{slow.runtime_used}-{slow.arithmetic}", "encoder_loaded_as": loaded,
        "wall_seconds": {k: [round(x, 3) for x in v] for k, v in wall.items()},
        "cpu_seconds": {k: [round(x, 3) for x in v] for k, v in cpu.items()},
        "per_s": {k: round(v, 1) for k, v in rates.items()},
        "per_cpu_s": {k: round(v, 1) for k, v in cpu_rates.items()},
        "ratios": ratios,
        "startup_seconds_10_comments": {"accurate": round(best_wall["cli_sentiment_10"], 2),
                                        "accurate_with_themes": round(best_wall["cli_both_10"], 2),
                                        "default": round(best_wall["default_10"], 2)},
        "encoder_load_seconds": round(best_wall["encoder_load"], 2),
        "encoder_load_cpu_seconds": round(best_cpu["encoder_load"], 2),
    }


def markdown(r: dict) -> str:
    p, c, q, a = r["per_s"], r["per_cpu_s"], r["ratios"], r["label_agreement"]
    arith = f"{r['in_process_runtime']}-{r['in_process_arithmetic']}"
    rows = []
    for name, command, inproc in (("sentiment", "--sentiment sentiment.e5.v1", "embed + sentiment head"),
                                  ("both", "--sentiment sentiment.e5.v1 --themes themes.e5.v1",
                                   "one embed pass + sentiment head + themes.e5.v1")):
        rows += [
            (f"(a) CLI `annotate {command}`, start-up excluded", p[f"cli_{name}_without_startup"],
             c[f"cli_{name}_without_startup"], q[f"cli_{name}_without_startup_vs_in_process"],
             q[f"cpu_cli_{name}_without_startup_vs_in_process"], q[f"cli_{name}_without_startup_vs_pipeline"],
             q[f"cpu_cli_{name}_without_startup_vs_pipeline"]),
            ("(a) the same, start-up included", p[f"cli_{name}_with_startup"], c[f"cli_{name}_with_startup"],
             q[f"cli_{name}_with_startup_vs_in_process"], q[f"cpu_cli_{name}_with_startup_vs_in_process"],
             round(p[f"cli_{name}_with_startup"] / p["pipeline"], 2), round(c[f"cli_{name}_with_startup"] / c["pipeline"], 2)),
            (f"(b) in process ({arith}, {inproc})", p[f"in_process_{name}"], c[f"in_process_{name}"], 1.0, 1.0,
             round(p[f"in_process_{name}"] / p["pipeline"], 2), round(c[f"in_process_{name}"] / c["pipeline"], 2)),
        ]
    rows.append(("(c) plain transformers `pipeline()`, same encoder", p["pipeline"], c["pipeline"], "", "", 1.0, 1.0))
    s = r["startup_seconds_10_comments"]
    lines = [
        "# accurate_cli: the accurate tier through the CLI vs in-process vs `pipeline()` (one run)", "",
        f"`python benchmarks/accurate_cli.py --n {r['texts']} --baseline-n {r['baseline_texts']} --repeat {r['repeat']}"
        + (f" --precision {r['precision_asked']}" if r.get("precision_asked", "default") != "default" else "")
        + (f" --before {r['before']['tree']}" if "before" in r else "") + "` "
        f"on {r['texts']} {r['origin']} ({r['cpu_count']} CPUs, {r['threads']} threads; load average "
        f"{r['load_avg_1min_at_start']} at start, {r['load_avg_1min_at_end']} at end: a shared machine, compare ratios). "
        "Paths interleaved, best of the repeats. \"vs in-process\" compares like with like: each CLI "
        "command with the in-process path that does the same model work (rows (b) below it); "
        "CPU seconds include ONNX Runtime's threads and are steadier than wall time under load. "
        f"Start-up excluded: minus the same command on the {r['startup_sample']}.", "",
        "| path | comments/s (wall) | comments per CPU-s | vs in-process (wall) | vs in-process (CPU) | vs `pipeline()` (wall) | vs `pipeline()` (CPU) |",
        "|---|---|---|---|---|---|---|",
        *[f"| {name} | {rate} | {per_cpu} | {vs_in}{'x' if vs_in != '' else ''} | {vs_cpu}{'x' if vs_cpu != '' else ''} "
          f"| {vs_pipe}x | {vs_pipe_cpu}x |" for name, rate, per_cpu, vs_in, vs_cpu, vs_pipe, vs_pipe_cpu in rows], "",
        "Label agreement with the slow path (" + r["slow_path"] + " in process): " +
        ", ".join(f"{k.removesuffix('_vs_slow_path')} {v}" for k, v in a.items()) +
        f" (`pipeline()` on the first {r['baseline_texts']}: {r['tokens_with_specials']['baseline_texts']} tokens, "
        f"the {r['texts']}: {r['tokens_with_specials']['texts']}).", "",
        *theme_lines(r), "",
        f"Start-up excluded with the first 10 comments as the start-up sample instead (the issue's method; the "
        "theme lexicon's per-language matcher compilation then counts as per-comment work): CLI vs in process "
        f"{q['cli_sentiment_without_first10_startup_vs_in_process']}x wall, "
        f"{q['cpu_cli_sentiment_without_first10_startup_vs_in_process']}x CPU (`--sentiment`); "
        f"{q['cli_both_without_first10_startup_vs_in_process']}x wall, "
        f"{q['cpu_cli_both_without_first10_startup_vs_in_process']}x CPU (with `--themes`).", "",
        f"Start-up (10 comments, whole CLI wall time): accurate tier {s['accurate']} s "
        f"(with themes.e5.v1 {s['accurate_with_themes']} s), default tier {s['default']} s "
        f"({q['startup_accurate_vs_default_10_comments']}x). Encoder load in a fresh process, imports included "
        f"({r['encoder_loaded_as']}, after the first build): {r['encoder_load_seconds']} s "
        f"({r['encoder_load_cpu_seconds']} CPU-s).", "",
        "Wall seconds per repeat: " + json.dumps(r["wall_seconds"]), "",
        "CPU seconds per repeat: " + json.dumps(r["cpu_seconds"]), "",
    ]
    if "before" in r:
        lines[-6:-6] = before_lines(r["before"])
    return "\n".join(lines)


def theme_lines(r: dict) -> list[str]:
    """Theme agreement with the slow path, peak memory and the cascade's share (newer runs)."""
    if "theme_agreement" not in r:
        return []
    lines = [f"After side's precision: {r['precision_asked']} (in process: {r['in_process_arithmetic']}"
             + (f", {r['cascade']['fp32_again_share']:.1%} of the texts encoded again in fp32" if r.get("cascade") else "")
             + "). Themes vs the slow path (`--themes themes.e5.v1` run once on torch fp32), and the `--sentiment` "
             "command's default-tier themes vs the before tree's:"]
    for side, t in r["theme_agreement"].items():
        worst = min((v["fires_alike"], k) for k, v in t.items() if isinstance(v, dict))
        pol = [v["polarity_alike"] for v in t.values() if isinstance(v, dict) and v["polarity_alike"] is not None]
        lines.append(f"{side.removesuffix('_vs_slow_path')}: theme sets identical {t['all_themes_identical']}, "
                     f"polarity maps identical {t['all_polarities_identical']}; per theme, fires alike min {worst[0]} "
                     f"({worst[1]}), polarity alike where both fire min {min(pol) if pol else '-'}.")
    peak = r.get("peak_rss_mb", {})
    lines.append("Peak resident memory per CLI process, MB: " + ", ".join(
        f"{k} {v}" for k, v in sorted(peak.items()) if not k.endswith(("_10", "_langs"))) + ".")
    return lines


def before_lines(b: dict) -> list[str]:
    """The after/before table (same run, same comments)."""
    rows = [("CLI `--sentiment sentiment.e5.v1`, start-up excluded", "cli_sentiment_without_startup"),
            ("CLI `--sentiment sentiment.e5.v1`, start-up included", "cli_sentiment_with_startup"),
            ("CLI `... --themes themes.e5.v1`, start-up excluded", "cli_both_without_startup"),
            ("CLI `... --themes themes.e5.v1`, start-up included", "cli_both_with_startup"),
            ("in process, embed + sentiment head", "in_process_sentiment")]
    table = [f"| {name} | {b.get(f'wall_{key}_after_vs_before', '')}x | {b.get(f'cpu_{key}_after_vs_before', '')}x |"
             for name, key in rows if f"wall_{key}_after_vs_before" in b]
    against = [f"{b[f'{kind}_before_cli_{name}_without_startup_vs_pipeline']}x {kind} (`{flag}`)"
               for name, flag in (("sentiment", "--sentiment"), ("both", "with --themes")) for kind in ("wall", "cpu")
               if f"{kind}_before_cli_{name}_without_startup_vs_pipeline" in b]
    return [f"Before/after in this run (before: the source tree `{b['tree']}`, its CLI run beside this one's; "
            "in process: the same encoder with ONNX Runtime's threads spinning, as before). Comments per second, "
            "after / before:", "", "| path | wall | CPU |", "|---|---|---|", *table, "",
            *([f"The before side's CLI, start-up excluded, vs the same run's `pipeline()`: {', '.join(against)}.", ""]
              if against else [])]


if __name__ == "__main__":
    raise SystemExit(main())
