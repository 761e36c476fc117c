"""CPU seconds of the default theme stage (``themes.hybrid.v1`` + ``polarity.clause.v1``) on N
real comments, for a baseline tree and the current tree in one run, and whether their
annotations are identical.

Each tree runs in its own subprocess (``PYTHONPATH=TREE``): it reads the same input, runs the
default stages before ``themes`` (untimed), then times the theme stage batch by batch with
``time.process_time`` (CPU seconds, which other jobs on the machine move less than wall time).
The first batch includes building the stage's matchers and loading its model, as in a run.
Each tree writes one line per comment (themes, scores, polarity, intents, noise); the parent
compares them line by line. The input is N real comments from ``../shared/data`` written by
``cli_speed.write_input`` to a temporary folder and deleted after the run (no text is kept).
The baseline tree is any folder holding an ``analyzer`` package, e.g.
``git worktree add /tmp/base 07b76e9``.

``--stages themes,sentiment,mentions,region`` times the other per-comment stages that run in
the worker processes the same way, each on its own input (the batches after every stage before
it), with fresh stage objects (models loaded and matchers built in the first pass), and
compares each stage's own fields; the theme stage's figures stay where they were in the JSON.

    python benchmarks/themes_stage_speed.py --n 20000 --baseline /tmp/base \
        --json-out benchmarks/results/themes_stage_speed.json --md-out benchmarks/results/themes_stage_speed.md
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIELDS = ("themes", "theme_scores", "theme_polarity", "intents", "noise")


# ---- worker: runs inside one tree -------------------------------------------------------
def stage_inputs(path: str, batch_size: int, names: list[str]):
    """({name: a fresh stage object}, {name: the input's batches after every stage before it})."""
    from analyzer.config import Config
    from analyzer.io import ReadContext, read_comments
    from analyzer.schema import Comment
    from analyzer.stages import default_stages

    comments = [c for c in read_comments([path], ReadContext()) if isinstance(c, Comment)]
    stages = default_stages(Config())
    order = [s.name for s in stages]
    missing = [n for n in names if n not in order]
    assert not missing, (missing, order)
    inputs: dict[str, list] = {n: [] for n in names}
    last = max(order.index(n) for n in names)
    for start in range(0, len(comments), batch_size):
        batch = comments[start:start + batch_size]
        for stage in stages[:last + 1]:
            if stage.name in inputs:
                inputs[stage.name].append(batch)
            batch = stage(batch)
    fresh = {s.name: s for s in default_stages(Config()) if s.name in inputs}  # nothing loaded or built yet
    return fresh, inputs


def annotated_batches(path: str, batch_size: int):
    """(a fresh theme stage, the input's batches after every stage before it)."""
    stages, inputs = stage_inputs(path, batch_size, ["themes"])
    return stages["themes"], inputs["themes"]


def worker(path: str, out: str, batch_size: int, passes: int, names: list[str]) -> None:
    """Per stage: pass 1 is a fresh stage (matchers built, models loaded, as in a run); passes 2..
    reuse it (the steady per-comment cost) with the text caches cleared first."""
    stages, inputs = stage_inputs(path, batch_size, names)
    report = {}
    for name in names:
        stage, batches = stages[name], inputs[name]
        seconds, results = _timed_pass(stage, batches)
        steady = []
        for _ in range(passes - 1):
            _clear_text_caches()
            more, again = _timed_pass(stage, batches)
            steady.append(sum(more))
            assert again == results, f"a later pass of {name} gave other annotations"
        fields = FIELDS if name == "themes" else tuple(stage.assigns)
        with open(f"{out}.{name}" if name != "themes" else out, "w", encoding="utf-8") as handle:
            for batch in results:
                for c in batch:
                    handle.write(json.dumps([c.id, *(_plain(getattr(c, f)) for f in fields)], ensure_ascii=False) + "\n")
        report[name] = {"cpu_seconds": round(sum(seconds), 3), "first_batch": round(seconds[0], 3),
                        "steady_seconds": round(min(steady), 3) if steady else None,
                        "n": sum(len(b) for b in batches), "fields": list(fields)}
    print(json.dumps({**report.get("themes", {}), "stages": report}))


def _timed_pass(themes, batches) -> tuple[list[float], list]:
    seconds, results = [], []
    for batch in batches:
        start = time.process_time()
        results.append(themes(batch))
        seconds.append(time.process_time() - start)
    return seconds, results


def _clear_text_caches() -> None:
    """The per-text caches of either tree, so a later pass does the same work as the first."""
    import importlib

    for module, name in (("analyzer.text.clauses", "_clause_spans"), ("analyzer.text.cues", "_clause_openings")):
        cached = getattr(importlib.import_module(module), name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


# ---- parent: one subprocess per tree ------------------------------------------------------
def run_tree(tree: Path, input_path: Path, out: Path, batch_size: int, passes: int,
             stages: tuple[str, ...] = ("themes",)) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(input_path), str(out),
           "--batch-size", str(batch_size), "--passes", str(passes), "--stages", ",".join(stages)]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: the theme stage failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    """The fastest first pass and the fastest steady pass of a tree's runs."""
    first = min(runs, key=lambda r: r["cpu_seconds"])
    steady = [r["steady_seconds"] for r in runs if r["steady_seconds"] is not None]
    return {**first, "steady_seconds": min(steady) if steady else None}


def compare(a: Path, b: Path, fields: tuple[str, ...] = FIELDS) -> dict:
    """Share of comments whose annotations are identical, per field and over all of them."""
    rows_a = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    rows_b = [json.loads(line) for line in b.read_text(encoding="utf-8").splitlines()]
    if [r[0] for r in rows_a] != [r[0] for r in rows_b]:
        return {"same_ids": False}
    n = max(1, len(rows_a))
    out = {f: round(sum(x[i + 1] == y[i + 1] for x, y in zip(rows_a, rows_b)) / n, 6) for i, f in enumerate(fields)}
    out["all_fields"] = round(sum(x == y for x, y in zip(rows_a, rows_b)) / n, 6)
    return out


def markdown(result: dict) -> str:
    lines = ["# Theme stage speed (`benchmarks/themes_stage_speed.py`)", "",
             f"Default theme stage (themes.hybrid.v1 + polarity.clause.v1) on {result['input']['n']:,} real "
             f"comments (mean {result['input']['mean_chars']} chars, p90 {result['input']['p90_chars']}), "
             f"batches of {result['batch_size']}; CPU seconds (`process_time`) of the stage alone. "
             "'Fresh stage': the first pass, which builds the per-language cue matchers and loads the "
             "models as a run does (the first batch alone is given too); 'steady': the fastest later pass "
             "over the same input with the same stage (matchers built, per-text caches cleared), i.e. "
             f"the per-comment cost. Both trees ran in the same run, alternating, {result['repeat']} "
             f"process(es) each, {result.get('passes', 1)} passes per process; the fastest counts. Load "
             f"average {result['load_before']:.1f} before, {result['load_after']:.1f} after (2 cores "
             "shared with other jobs, so CPU seconds vary by ~20% between passes).", "",
             "| tree | fresh stage CPU s | first batch s | steady CPU s | comments per CPU-s (steady) |",
             "|---|---|---|---|---|"]
    for name in ("baseline", "current"):
        r = result[name]
        lines.append(f"| {name} (`{result['trees'][name]}`) | {r['cpu_seconds']:.2f} | {r['first_batch']:.2f} "
                     f"| {r['steady_seconds']:.2f} | {r['n'] / r['steady_seconds']:,.0f} |")
    lines += ["", f"Speed-up (CPU): **{result['speedup']:.2f}x** for a fresh stage, "
              f"**{result['steady_speedup']:.2f}x** steady. Annotations identical (share of comments, per "
              f"field): {json.dumps(result['agreement'])}", ""]
    others = {k: v for k, v in result.get("stages", {}).items() if k != "themes"}
    if others:
        lines += ["Other per-comment stages of the worker processes, same input, runs and passes (each on the "
                  "batches after every stage before it; fresh stage objects):", "",
                  "| stage | baseline fresh / steady CPU s | current fresh / steady CPU s | speed-up fresh | "
                  "speed-up steady | own fields identical |", "|---|---|---|---|---|---|"]
        for name, r in others.items():
            b, c = r["baseline"], r["current"]
            same = min(v for k, v in r["agreement"].items() if k != "same_ids") if r["agreement"].get("same_ids", True) else 0
            lines.append(f"| {name} | {b['cpu_seconds']:.2f} / {b['steady_seconds']:.2f} | {c['cpu_seconds']:.2f} / "
                         f"{c['steady_seconds']:.2f} | {r['speedup']:.2f}x | {r['steady_speedup']:.2f}x | {same:.6g} |")
        lines.append("")
    return "\n".join(lines)


def stage_results(result: dict, names: tuple[str, ...], tmp: Path, baseline: bool) -> dict:
    """Per stage: each tree's best run, the speed-ups and (with a baseline) the agreement."""
    out = {}
    for name in names:
        entry = {tree: _best([r["stages"][name] for r in result[f"{tree}_runs"]])
                 for tree in ("baseline", "current") if f"{tree}_runs" in result}
        if baseline:
            b, c = entry["baseline"], entry["current"]
            entry["speedup"] = round(b["cpu_seconds"] / c["cpu_seconds"], 2)
            entry["steady_speedup"] = round(b["steady_seconds"] / c["steady_seconds"], 2) if c["steady_seconds"] else None
            suffix = "" if name == "themes" else f".{name}"
            entry["agreement"] = compare(tmp / f"baseline.jsonl{suffix}", tmp / f"current.jsonl{suffix}",
                                         tuple(c["fields"]))
        out[name] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("INPUT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--baseline", type=Path, help="folder with the baseline analyzer package")
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tree (alternating); the best counts")
    parser.add_argument("--passes", type=int, default=3, help="passes over the input per run; 2.. give the steady cost")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--md-out", type=Path)
    parser.add_argument("--append", metavar="LABEL",
                        help="add a dated section LABEL to existing --json-out/--md-out instead of replacing them")
    parser.add_argument("--stages", default="themes",
                        help="comma-separated stages to time, e.g. themes,sentiment,mentions,region")
    args = parser.parse_args()
    names = tuple(n.strip() for n in args.stages.split(",") if n.strip())
    if args.worker:
        worker(*args.worker, args.batch_size, args.passes, list(names))
        return
    sys.path.insert(0, str(HERE))
    from cli_speed import real_texts, write_input

    trees = {"current": args.current, **({"baseline": args.baseline} if args.baseline else {})}
    with tempfile.TemporaryDirectory(prefix="themes_stage_") as tmp:
        input_path = Path(tmp) / "comments.jsonl"
        result = {"input": write_input(input_path, real_texts(args.data), args.n), "batch_size": args.batch_size,
                  "repeat": args.repeat, "passes": args.passes, "trees": {k: str(v) for k, v in trees.items()},
                  "load_before": os.getloadavg()[0]}
        for _ in range(args.repeat):
            for name, tree in reversed(trees.items()):  # baseline first
                r = run_tree(tree, input_path, Path(tmp) / f"{name}.jsonl", args.batch_size, args.passes, names)
                result.setdefault(f"{name}_runs", []).append(r)
                if "themes" in names:
                    result[name] = _best(result[f"{name}_runs"])
        result["load_after"] = os.getloadavg()[0]
        if args.baseline and "themes" in names:
            result["speedup"] = round(result["baseline"]["cpu_seconds"] / result["current"]["cpu_seconds"], 2)
            if result["current"]["steady_seconds"]:
                result["steady_speedup"] = round(result["baseline"]["steady_seconds"]
                                                 / result["current"]["steady_seconds"], 2)
            result["agreement"] = compare(Path(tmp) / "baseline.jsonl", Path(tmp) / "current.jsonl")
        result["stages"] = stage_results(result, names, Path(tmp), bool(args.baseline))
    print(json.dumps(result, indent=2))
    write_results(result, args.json_out, args.md_out if args.baseline and "themes" in names else None,
                  args.append)


def write_results(result: dict, json_out: Path | None, md_out: Path | None, append: str | None) -> None:
    """Write the JSON and Markdown; with ``append`` (a label), add a dated section to files that
    already hold earlier runs (the JSON becomes ``{"runs": [...]}``) instead of replacing them."""
    if not append:
        if json_out:
            json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        if md_out:
            md_out.write_text(markdown(result), encoding="utf-8")
        return
    result = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "label": append, **result}
    if json_out:
        old = json.loads(json_out.read_text(encoding="utf-8")) if json_out.exists() else {"runs": []}
        runs = old["runs"] if "runs" in old else [old]
        json_out.write_text(json.dumps({"runs": [*runs, result]}, indent=2) + "\n", encoding="utf-8")
    if md_out:
        title, _, body = markdown(result).split("\n", 2)
        head = md_out.read_text(encoding="utf-8").rstrip("\n") if md_out.exists() else title
        head += "\n\n"
        md_out.write_text(f"{head}## {result['date']}: {append}\n\n{body}", encoding="utf-8")


if __name__ == "__main__":
    main()
