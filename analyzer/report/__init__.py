"""Exporters: ``resonance.csv``, tidy tables (CSV + Parquet), JSON, ``report.html`` and
``report.md``; ``rerender`` rebuilds them from a run folder without re-scoring."""

from __future__ import annotations

import dataclasses
import functools
import operator
from pathlib import Path
from typing import Any

from ..aggregate import ResonanceResult
from ..aggregate.result import Spread, serial_map
from ..manifest import RunManifest
from .html import SECTIONS, render_html
from .markdown import render_markdown
from .rerender import read_manifest, result_from_run
from .tables import columns_of, copy_file, write_csv, write_json, write_parquet, write_text

FIRST_COLUMNS = (
    "drama", "region", "window", "cohort", "comments", "authors", "noise_comments", "likes",
    "positive", "neutral", "negative", "net_sentiment", "net_sentiment_ci_low", "net_sentiment_ci_high",
)


def write_reports(result: ResonanceResult, out_dir: str | Path, manifest: RunManifest | None = None,
                  comments_path: str | Path | None = None, spread: Spread | None = None) -> dict[str, Path]:
    """Write resonance.csv, resonance.json, tables/*.{csv,parquet}, report.html and report.md.

    ``comments_path`` is accepted for symmetry with ``rerender``; quotes come from the
    accumulator's bounded candidates, so it is not read. ``spread`` (shares, map function):
    with 2 or more shares, resonance.json and report.md (about half the work) are written by
    the map's second share, beside the other files (the same files). Returns name -> path.
    """
    out = Path(out_dir)
    # Timings are the one part of a manifest that differs between reruns: keep them out of the reports;
    # outputs are these very files, known only after them (empty during a run, so `rerender` matches it).
    manifest = dataclasses.replace(manifest, timings={}, outputs={}) if manifest is not None else RunManifest()
    rows = result.to_rows()
    cols = columns_of(rows, FIRST_COLUMNS) if rows else list(FIRST_COLUMNS)
    _, map_shares = spread or (1, serial_map)
    writes = [functools.partial(_write_tables_and_html, result, out, manifest, rows, cols),
              functools.partial(_write_json_and_markdown, result, out, manifest, rows)]
    made = map_shares(operator.call, writes)
    paths = made[0]
    paths["resonance.json"] = made[1]
    paths["report.html"] = out / "report.html"
    paths["report.md"] = out / "report.md"
    return paths


def _write_tables_and_html(result: ResonanceResult, out: Path, manifest: RunManifest, rows: list[dict[str, Any]],
                           cols: list[str]) -> dict[str, Path]:
    """resonance.csv, tables/*.{csv,parquet} and report.html; returns the tables' name -> path."""
    guard = csv_guard(manifest)
    paths = {"resonance.csv": out / "resonance.csv"}
    write_csv(paths["resonance.csv"], rows, cols, guard)
    tables = {
        "cells": (rows, cols),
        "windows": ([r for r in rows if "-W" in r["window"]], cols),
        "themes": (result.theme_rows(), None),
        "quotes": (result.quote_rows(), None),
    }
    for name, (trows, tcols) in tables.items():
        tcols = tcols or columns_of(trows)
        for ext, writer in (("csv", write_csv), ("parquet", write_parquet)):
            path = out / "tables" / f"{name}.{ext}"
            if ext == "csv" and trows is rows and tcols == cols:  # the same table as resonance.csv
                copy_file(paths["resonance.csv"], path)
            else:
                writer(path, trows, tcols, guard) if ext == "csv" else writer(path, trows, tcols)
            paths[f"tables/{name}.{ext}"] = path
    write_text(out / "report.html", render_html(result, manifest))
    return paths


def _write_json_and_markdown(result: ResonanceResult, out: Path, manifest: RunManifest,
                             rows: list[dict[str, Any]]) -> Path:
    """resonance.json and report.md; returns resonance.json's path."""
    path = out / "resonance.json"
    write_json(path, {"config": result.config, "cells": rows, "themes": result.theme_rows(),
                      "quotes": result.quote_rows()})
    write_text(out / "report.md", render_markdown(result, manifest))
    return path


def csv_guard(manifest: RunManifest) -> bool:
    """The run's ``[run] csv_guard`` setting (CSV formula neutralising; on unless turned off)."""
    run = (manifest.config or {}).get("run") or {}
    return bool(run.get("csv_guard", True)) if isinstance(run, dict) else True


def rerender(run_dir: str | Path) -> dict[str, Path]:
    """``analyzer report RUN_DIR``: rebuild every report from comments.parquet + manifest.json."""
    run_dir = Path(run_dir)
    result = result_from_run(run_dir)
    return write_reports(result, run_dir, read_manifest(run_dir), run_dir / "comments.parquet")


__all__ = ["write_reports", "rerender", "render_html", "render_markdown", "result_from_run", "SECTIONS"]
