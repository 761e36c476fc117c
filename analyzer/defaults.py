"""Every default setting, written once. The config dataclasses, ``run --help``,
``models list``, ``eval``, the stage constructors and docs/config.md read them from here."""

from __future__ import annotations

from typing import Any

# The default backend of each model kind (``[models.<kind>] name``).
MODELS: dict[str, str] = {
    "langid": "langid.py3langid.v1",
    "sentiment": "sentiment.linear.v1",
    "themes": "themes.hybrid.v1",
    "polarity": "polarity.clause.v1",  # per-theme polarity; "none": the clause sentiment's argmax
}
DEVICE = "cpu"

# ``[pipeline] stages``: the default stage order. Mentions run before themes so that a named
# actor adds `acting` and a named character adds `characters`.
STAGES: tuple[str, ...] = ("normalize", "dedup", "link", "langid", "region", "sentiment", "mentions", "themes")
BATCH_SIZE = 512
# ``[run] workers``: processes of the local engine. "auto" = one per CPU this process may use, at
# most MAX_AUTO_WORKERS; 1 (everything in one process) when ``[models] device`` is a GPU or the
# input holds fewer than AUTO_WORKERS_MIN_RECORDS records (too few to pay for starting workers,
# which load their own models where the OS cannot fork). A number N always starts N workers.
WORKERS: int | str = "auto"
MAX_AUTO_WORKERS = 8
AUTO_WORKERS_MIN_RECORDS = 20_000
# Python's cyclic garbage collector during ``analyzer run`` (main and worker processes; restored
# afterwards): a young collection every 50,000 container allocations instead of 700. A run makes
# millions of short-lived tuples, dicts and Comments that reference counting frees anyway; the
# default thresholds spent ~8% of the main process's CPU walking them (docs/speed.md).
GC_THRESHOLDS = (50_000, 20, 100)

# Default weights of the Resonance Index (weighted geometric mean of component
# multiples of the cohort median). Reach and valence carry most of the weight;
# the diagnostic components (star pull, unmet access) are reported but not in the index.
INDEX_WEIGHTS: dict[str, float] = {
    "reach": 0.30,
    "valence": 0.25,
    "intensity": 0.10,
    "net_intent": 0.15,
    "depth": 0.10,
    "localness": 0.10,
}

# ``[aggregate]``: settings of the resonance aggregation (the accumulator's keywords).
AGGREGATE: dict[str, Any] = {
    "max_comments_per_author": 3,  # weight cap per author and cell (comments beyond count less)
    "strong_positive": 0.8,  # P(positive) at or above which a positive comment is "strong"
    "min_authors": 10,  # cells below this are flagged "small_cell" (never hidden)
    "bootstrap": 500,  # bootstrap resamples over authors (0 turns intervals off)
    "seed": 20240601,
    "shrinkage": True,  # empirical-Bayes shrinkage of small cells toward the cohort
    "shrinkage_strength": None,  # pseudo-authors of the prior; None = estimated per cohort
    "weights": INDEX_WEIGHTS,
    "cohort": None,  # None = all titles in the run; or {drama: group} (genre, episode count)
    "top_themes": 3,
    "quotes_per_slot": 3,  # quotes shown per cell x theme x polarity
    "quote_candidates": 8,  # bounded top-k kept per slot by the accumulator
    "quote_chars": 280,
    "region_languages": None,  # {region: [lang, ...]} overrides/extends the built-in map
    "confusion": None,  # {lang: 3x3 matrix, rows true, cols predicted (neg, neu, pos)}; "model": the sentiment model's
}
