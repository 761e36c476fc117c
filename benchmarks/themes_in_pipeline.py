"""CPU seconds of the default theme stage as a run uses it, for a baseline tree and the current
tree in one run, and whether their annotations are identical.

``themes_stage_speed.py`` times the theme stage on batches prepared beforehand, so its hybrid
head featurizes every batch itself; in a run the sentiment stage has just featurized the same
batch and the theme heads reuse its n-grams (``text_features._Recent``). Here every batch goes
through all the default stages in order, as in a worker process, with the run's garbage
collector thresholds, and only the theme stage is timed (``time.process_time``). Pass 1 builds
the matchers and loads the models; passes 2.. (per-text caches cleared first) give the steady
per-comment cost. Each tree runs in its own subprocess (``PYTHONPATH=TREE``), alternating
(baseline first), ``--repeat`` times; the fastest steady pass of each tree counts. The theme
fields of every comment are written by each tree and compared line by line. ``--breakdown`` adds
one run per tree with timers around the stage's per-batch steps (CPU seconds of its fastest steady
pass; nested steps are inside the ones above them).

    python benchmarks/themes_in_pipeline.py /tmp/lead/in20k.jsonl --baseline /tmp/s19base \
        --repeat 3 --json-out benchmarks/results/s19_themes_in_pipeline.json
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from themes_stage_speed import _clear_text_caches, _plain

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("themes", "theme_scores", "theme_polarity", "intents", "noise")


# ``--breakdown``: CPU seconds inside each of these (per batch calls only, so the timers cost little);
# nested ones are part of the ones above them
PARTS = (("analyzer.stages.themes", "ThemeStage", "predict"),
         ("analyzer.backends.themes_hybrid", "HybridThemeBackend", "_predict_batch"),
         ("analyzer.backends.themes_lexicon", "LexiconThemeBackend", "match_batch"),
         ("analyzer.backends.themes_lexicon", "LexiconThemeBackend", "_structural_noise_many"),
         ("analyzer.text.matching", "CueMatcher", "find_many"),
         ("analyzer.backends.themes_hybrid", "HybridModel", "probabilities"),
         ("analyzer.stages.themes", "ThemeStage", "_clause_probabilities"),
         ("analyzer.stages.themes", "ThemeStage", "_predict_polarity"),
         ("analyzer.backends.aspect_polarity", "ClausePolarityBackend", "predict"),
         ("analyzer.backends.aspect_polarity", None, "dense_features"),
         ("analyzer.stages.themes", "ThemeStage", "annotate"))


def _install_timers() -> dict[str, float]:
    import importlib

    spent: dict[str, float] = {}
    for module_name, owner_name, name in PARTS:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        label = f"{owner_name}.{name}" if owner_name else name
        if not hasattr(owner, name):
            continue

        def timed(*args, _f=getattr(owner, name), _label=label, **kwargs):
            start = time.process_time()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.process_time() - start
        setattr(owner, name, timed)
    return spent


def worker(path: str, out: str, batch_size: int, passes: int, breakdown: bool = False) -> None:
    from analyzer import defaults
    from analyzer.config import Config
    from analyzer.io import ReadContext, read_comments
    from analyzer.schema import Comment
    from analyzer.stages import default_stages

    gc.set_threshold(*getattr(defaults, "GC_THRESHOLDS", gc.get_threshold()))
    comments = [c for c in read_comments([path], ReadContext()) if isinstance(c, Comment)]
    stages = default_stages(Config())
    spent = _install_timers() if breakdown else {}
    parts: dict[str, float] = {}
    seconds, totals = [], []
    for k in range(passes):
        _clear_text_caches()
        spent.clear()
        theme_cpu = all_cpu = 0.0
        digest = hashlib.sha256()
        lines = []
        for start in range(0, len(comments), batch_size):
            batch = comments[start:start + batch_size]
            for stage in stages:
                t = time.process_time()
                batch = stage(batch)
                cpu = time.process_time() - t
                all_cpu += cpu
                theme_cpu += cpu if stage.name == "themes" else 0.0
            for c in batch:
                line = json.dumps([c.id, *(_plain(getattr(c, f)) for f in FIELDS)], ensure_ascii=False)
                digest.update(line.encode())
                if k == 0:
                    lines.append(line)
        if k == 0:
            Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
            first = digest.hexdigest()
        assert digest.hexdigest() == first, "a later pass gave other annotations"
        if k and (not seconds[1:] or theme_cpu < min(seconds[1:])):
            parts = {label: round(v, 3) for label, v in spent.items()}  # of the fastest steady pass
        seconds.append(theme_cpu)
        totals.append(all_cpu)
    print(json.dumps({"n": len(comments), "first_pass": round(seconds[0], 3),
                      "steady": round(min(seconds[1:]), 3) if passes > 1 else None,
                      "steady_passes": [round(s, 3) for s in seconds[1:]],
                      "all_stages_steady": round(min(totals[1:]), 3) if passes > 1 else None,
                      **({"breakdown": parts} if breakdown else {})}))


def run_tree(tree: Path, input_path: Path, out: Path, batch_size: int, passes: int, breakdown: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(input_path), str(out),
           "--batch-size", str(batch_size), "--passes", str(passes), *(["--breakdown"] if breakdown else [])]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?")
    parser.add_argument("--worker", nargs=2, metavar=("INPUT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, required=False)
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the theme stage's steps (timers around per-batch calls; a separate run "
                             "from the timed ones, so the steps' timers do not move the stage's figures)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.batch_size, args.passes, args.breakdown)
        return
    trees = {**({"baseline": args.baseline} if args.baseline else {}), "current": args.current}
    result = {"input": args.input, "batch_size": args.batch_size, "passes": args.passes, "repeat": args.repeat,
              "trees": {k: str(v) for k, v in trees.items()}, "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="themes_pipe_") as tmp:
        for _ in range(args.repeat):
            for name, tree in trees.items():
                r = run_tree(tree, Path(args.input), Path(tmp) / f"{name}.jsonl", args.batch_size, args.passes)
                result.setdefault(f"{name}_runs", []).append(r)
        if args.breakdown:  # one more run per tree, with the step timers
            for name, tree in trees.items():
                r = run_tree(tree, Path(args.input), Path(tmp) / f"{name}.parts.jsonl", args.batch_size, args.passes,
                             breakdown=True)
                result[f"{name}_breakdown"] = {"steady": r["steady"], "parts": r["breakdown"]}
        result["load_after"] = round(os.getloadavg()[0], 2)
        for name in trees:
            result[name] = {"steady_cpu_s": min(r["steady"] for r in result[f"{name}_runs"]),
                            "first_pass_cpu_s": min(r["first_pass"] for r in result[f"{name}_runs"])}
        if args.baseline:
            b, c = result["baseline"], result["current"]
            result["steady_cpu_change"] = round(c["steady_cpu_s"] / b["steady_cpu_s"] - 1, 3)
            result["first_pass_cpu_change"] = round(c["first_pass_cpu_s"] / b["first_pass_cpu_s"] - 1, 3)
            result["identical"] = ((Path(tmp) / "baseline.jsonl").read_bytes()
                                   == (Path(tmp) / "current.jsonl").read_bytes())
    print(json.dumps(result, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
