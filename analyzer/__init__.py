"""resonance-analyzer: does a Chinese drama resonate with overseas viewers, where, and why.

Public API (the CLI mirrors it one to one)::

    import analyzer
    result = analyzer.analyze(analyzer.samples.path())     # in memory: DataFrames, report, charts
    result.cells, result.comments, result.plot.net_sentiment()
    summary = analyzer.run(["data/samples"], "out")        # analyzer run
    analyzer.annotate("dump.jsonl", "annotated.parquet")   # analyzer annotate
    for c in analyzer.read_comments("dump.jsonl"): ...     # readers
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "Comment", "Pipeline", "Result", "analyze", "annotate", "build_pipeline", "export_config",
           "load_config", "load_manifest", "read_comments", "run", "samples"]


def __getattr__(name: str):
    # Lazy: importing analyzer stays cheap and free of side effects.
    if name in ("run", "annotate", "build_pipeline", "export_config"):
        from . import runner

        return getattr(runner, name)
    if name in ("analyze", "Result"):
        from . import api

        return getattr(api, name)
    if name == "samples":  # a submodule: import it by name (``from . import`` would recurse here)
        import importlib

        return importlib.import_module(".samples", __name__)
    if name == "load_config":
        from .config import load_config

        return load_config
    if name == "load_manifest":
        from .manifest import load_manifest

        return load_manifest
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
