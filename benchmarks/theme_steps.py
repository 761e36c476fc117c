"""Where the default theme stage's CPU goes, step by step, on real comments (one process).

The input's batches are run through the default stages before ``themes`` (untimed), then the theme
stage runs ``--repeat`` steady passes (matchers built and models loaded by a first, untimed pass;
the per-text caches cleared before each pass) with a ``time.process_time`` wrapper around each step
below. Steps nest (``HybridModel.probabilities`` holds the hybrid's share of ``normalize_joined``,
``transform_joined`` and ``HashedHeads.scores``), so the rows do not add up to the total; every
figure is CPU seconds per pass, the mean of the passes. Input: a JSONL file of comments (e.g.
``/tmp/lead/in20k.jsonl`` written by ``benchmarks/cli_speed.write_input``); prints JSON, writes no text.
``--numpy`` switches the compiled kernels of ``text_features`` off (the numpy code they replace).

    PYTHONPATH=TREE python benchmarks/theme_steps.py /tmp/lead/in20k.jsonl --repeat 3
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import time

from themes_stage_speed import _clear_text_caches, annotated_batches

STEPS = (  # module, class (or "" for a function), name
    ("analyzer.stages.themes", "ThemeStage", "predict"),
    ("analyzer.stages.themes", "ThemeStage", "annotate"),
    ("analyzer.backends.themes_hybrid", "HybridThemeBackend", "_predict_batch"),
    ("analyzer.backends.themes_lexicon", "LexiconThemeBackend", "match_batch"),
    ("analyzer.text.matching", "CueMatcher", "find_many"),
    ("analyzer.backends.themes_hybrid", "HybridModel", "probabilities"),
    ("analyzer.backends.text_features", "HashingFeaturizer", "normalize_joined"),
    ("analyzer.backends.text_features", "HashingFeaturizer", "transform_joined"),
    ("analyzer.backends.text_features", "HashedHeads", "scores"),
    ("analyzer.backends.themes_hybrid", "HybridThemeBackend", "_combine"),
    ("analyzer.stages.themes", "ThemeStage", "_clause_probabilities"),
    ("analyzer.stages.themes", "ThemeStage", "_predict_polarity"),
    ("analyzer.backends.aspect_polarity", "ClausePolarityBackend", "predict"),
    ("analyzer.backends.aspect_polarity", "", "dense_features"),
)


def wrap_steps(seconds: dict[str, float]) -> None:
    """Put a CPU-time wrapper around each step that exists in this tree."""
    for module, owner, name in STEPS:
        host = importlib.import_module(module)
        host = getattr(host, owner) if owner else host
        step = getattr(host, name, None)
        if step is None:
            continue
        label = f"{owner or module.rsplit('.', 1)[1]}.{name}"
        setattr(host, name, _timed(step, label, seconds))


def _timed(step, label: str, seconds: dict[str, float]):
    @functools.wraps(step)
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return step(*args, **kwargs)
        finally:
            seconds[label] = seconds.get(label, 0.0) + time.process_time() - start
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSONL comments")
    parser.add_argument("--repeat", type=int, default=3, help="steady passes")
    parser.add_argument("--numpy", action="store_true", help="without the compiled kernels of text_features")
    args = parser.parse_args()
    if args.numpy:
        from analyzer.backends import text_features

        text_features._hashed = None
    stage, batches = annotated_batches(args.input, 512)
    for batch in batches:  # untimed: matchers built, models loaded
        stage(batch)
    seconds: dict[str, float] = {}
    wrap_steps(seconds)
    totals = []
    for _ in range(args.repeat):
        _clear_text_caches()
        start = time.process_time()
        for batch in batches:
            stage(batch)
        totals.append(time.process_time() - start)
    print(json.dumps({"comments": sum(len(b) for b in batches), "passes": args.repeat, "numpy_only": args.numpy,
                      "load": round(os.getloadavg()[0], 1), "stage_cpu_s": [round(t, 3) for t in totals],
                      "steps_cpu_s": {k: round(v / args.repeat, 3) for k, v in seconds.items()}}, indent=2))


if __name__ == "__main__":
    main()
