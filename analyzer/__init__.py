"""resonance-analyzer: does a Chinese drama resonate with overseas viewers, where, and why.

Public API (the CLI mirrors it one to one)::

    import analyzer
    summary = analyzer.run(["data/samples"], "out")        # analyzer run
    analyzer.annotate("dump.jsonl", "annotated.parquet")   # analyzer annotate
    for c in analyzer.read_comments("dump.jsonl"): ...     # readers
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "Comment", "Pipeline", "annotate", "build_pipeline", "read_comments", "run"]


def __getattr__(name: str):
    # Lazy: importing analyzer stays cheap and free of side effects.
    if name in ("run", "annotate", "build_pipeline"):
        from . import runner

        return getattr(runner, name)
    if name == "Comment":
        from .schema import Comment

        return Comment
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    if name == "read_comments":
        from .io import read_comments

        return read_comments
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
