"""The notebook API: ``analyze(source)`` -> ``Result`` with DataFrames, the report and charts.

``source`` is what ``analyzer run`` reads (paths, folders, globs), a pandas DataFrame, a
pyarrow Table or a Hugging Face ``datasets.Dataset`` (any object that iterates over dict
rows and has ``column_names``). Rows are mapped to comments as the file readers map
them; a rejected row's location is ``<dataframe>:row LABEL`` (the index label). The run
is the one ``analyzer run`` does (same stages, same accumulator, same renderer);
everything stays in memory, so ``Result.save(out_dir)`` writes the files of a run
folder without annotating again. pandas is needed only for the DataFrame views;
``datasets`` only for ``to_datasets()``.
"""

from __future__ import annotations

import contextlib
import copy
import html
import os
import re
import time
import warnings
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from .config import Config, check_limit
from .engines.workers import WorkerPool, worker_pool
from .errors import ConfigError, InputError, MissingDependency
from .io import FileCounts, ReadContext, ReadStats, Reject
from .io.formats import safe_comment
from .io.readers import counted
from .io.records import unread_hint
from .manifest import RunManifest
from .schema import Comment

# Keyword options of ``analyze`` -> (config section, key); the CLI's job options, one to one.
OPTIONS = {
    "platform": ("input", "platform"), "dump_time": ("input", "dump_time"), "on_error": ("input", "on_error"),
    "sentiment": ("models", "sentiment"), "themes": ("models", "themes"), "device": ("models", "device"),
    "polarity": ("models", "polarity"),
    "batch_size": ("run", "batch_size"), "catalog": ("run", "catalog"), "channels": ("run", "channels"),
    "keep_authors": ("privacy", "keep_authors"), "link_by_cast": ("run", "link_by_cast"),
    "max_reject_ratio": ("run", "max_reject_ratio"), "csv_guard": ("run", "csv_guard"),
    "workers": ("run", "workers"),
}


def job_config(config: Config | dict | str | os.PathLike | None = None, *, map: dict[str, str] | None = None,
               overrides: list[str] | None = None, **options: Any) -> Config:
    """The run's config: ``config`` (a Config, dict, TOML path, run folder or manifest.json) with
    the CLI's options on top, then ``overrides`` (``--set section.key=value``, see docs/config.md)."""
    from .runner import resolve_config

    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"Unknown option {unknown[0]!r}; use one of: limit, map, overrides, progress, "
                          f"{', '.join(sorted(OPTIONS))}.")
    if map is not None and not (isinstance(map, dict) and all(isinstance(v, str) for v in map.values())):
        raise ConfigError(f"The 'map' option must be a dict of input column -> Comment field, such as "
                          f"{{'Comment Text': 'text'}}. Got {map!r} instead.")
    config = resolve_config(copy.deepcopy(config) if isinstance(config, Config) else config)
    config.input.mapping.update({str(k): v for k, v in (map or {}).items()})
    for name, value in options.items():
        if value is not None:
            section, key = OPTIONS[name]
            setattr(getattr(config, section), key, value)
    return config.validate().with_overrides(overrides)


def analyze(source: Any, *, config: Config | dict | str | None = None, limit: int | None = None,
            progress: bool = False, **options: Any) -> "Result":
    """Read, annotate and aggregate ``source`` in memory; the Python twin of ``analyzer run``.

    Options are the CLI's: ``map={"Comment Text": "text"}``, ``platform``, ``dump_time``,
    ``sentiment``, ``themes``, ``device``, ``batch_size``, ``on_error``, ``catalog``,
    ``channels``, ``keep_authors``, ``link_by_cast``, ``workers`` (processes; "auto" by default).
    """
    from . import runner

    check_limit(limit)
    config = runner.with_limit(job_config(config, **options), limit)
    started = time.time()
    ctx, stats = runner._context(config), ReadStats()
    items, inputs = _items(source, ctx, stats)
    records = runner._records(inputs, config, limit) if inputs else getattr(source, "__len__", lambda: None)()
    with worker_pool(config, records) or contextlib.nullcontext() as pool:
        pipeline = runner.build_pipeline(config)
        return _analyze(items, inputs, config, pipeline, ctx, stats, limit, progress, started, pool)


def _analyze(items: Iterator[Comment | Reject], inputs: list[str], config: Config, pipeline, ctx: ReadContext,
             stats: ReadStats, limit: int | None, progress: bool, started: float, pool: WorkerPool | None) -> "Result":
    from . import runner
    from .aggregate import ResonanceAccumulator

    rejects: list[Reject] = []
    items = runner._progress(runner._limited(items, limit or config.run.limit), progress, "analyze")
    accepted = runner._accepted(items, config.input.on_error, _Sink(rejects, config.input.on_error))
    settings = runner._aggregate_settings(config, pipeline)
    accumulator = ResonanceAccumulator(settings or None)
    tally, comments = runner.Tally(), []
    for batch in pipeline.batches(accepted, pool):
        comments.extend(batch)
        accumulator.update(batch)
        tally.update(batch)
    if hint := unread_hint(ctx.unread, api=True):
        warnings.warn(hint, UserWarning, stacklevel=3)
    manifest = runner._manifest(config, pipeline, stats, inputs, ctx, started,
                                {"outputs": {}, "accepted": tally.counts})
    manifest.config["aggregate"] = settings
    return Result(comments, rejects, accumulator.result(), manifest)


class _Sink:
    """Collects rejects in memory (``on_error="skip"`` keeps none)."""

    def __init__(self, into: list, on_error: str) -> None:
        self.into, self.keep = into, on_error == "collect"

    def write(self, item: Reject) -> None:
        if self.keep:
            self.into.append(item)


def _items(source: Any, ctx: ReadContext, stats: ReadStats) -> tuple[Iterator[Comment | Reject], list[str]]:
    """(comments and rejects, input paths to fingerprint) for any supported source."""
    from .io import read_comments
    from .io.sources import expand_inputs

    if isinstance(source, (str, os.PathLike)) or (isinstance(source, (list, tuple))
                                                  and all(isinstance(s, (str, os.PathLike)) for s in source)):
        paths = expand_inputs([str(s) for s in ([source] if isinstance(source, (str, os.PathLike)) else source)])
        return read_comments(paths, ctx, stats), paths
    if _is_dataframe(source):
        _check_flat_columns(source)
        return _rows(_frame_records(source), "<dataframe>", ctx, stats), []
    if hasattr(source, "to_pylist") and hasattr(source, "schema"):  # a pyarrow Table or RecordBatch
        return _rows(enumerate(source.to_pylist()), "<table>", ctx, stats), []
    names = getattr(source, "column_names", None)
    if isinstance(names, dict):
        raise InputError(f"Got a DatasetDict with splits {', '.join(names)}; pass one split, e.g. analyze(ds['train']).")
    if hasattr(source, "column_names") and hasattr(source, "__iter__"):  # a datasets.Dataset (or alike)
        return _rows(((i, dict(row)) for i, row in enumerate(source)), "<dataset>", ctx, stats), []
    raise InputError(f"Cannot analyze a {type(source).__name__}; pass file/folder paths, a pandas DataFrame, "
                     "a pyarrow Table or a datasets.Dataset.")


def _is_dataframe(source: Any) -> bool:
    return type(source).__name__ == "DataFrame" and hasattr(source, "itertuples") and hasattr(source, "index")


def _check_flat_columns(frame: Any) -> None:
    """A DataFrame whose columns have several levels (after a groupby-agg or a pivot) names no column 'text';
    every row would be rejected for missing text, so say what to do instead."""
    levels = getattr(frame.columns, "nlevels", 1)
    if levels > 1:
        example = tuple(frame.columns[0])
        raise InputError(f"The DataFrame's columns have {levels} levels (a MultiIndex, e.g. {example!r}); "
                         "flatten them first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns], "
                         "then name the text column with map={'COLUMN': 'text'}.")


def _frame_records(frame: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(index label, row dict) with NaN/NaT as None and numpy scalars as Python values."""
    columns = [str(c) for c in frame.columns]
    whole = [_gapped_integers(frame.iloc[:, i]) for i in range(len(columns))]
    for label, values in zip(frame.index, frame.itertuples(index=False, name=None)):
        yield label, {c: _plain(v, w) for c, v, w in zip(columns, values, whole)}


def _gapped_integers(column: Any) -> bool:
    """True for a float column holding only whole numbers: pandas' form of an integer column with a gap
    (ids 1, 2, NaN arrive as 1.0, 2.0), whose values are given back as ints so an id reads '1', not '1.0'."""
    if getattr(column.dtype, "kind", "") != "f":
        return False
    values = column.to_numpy(dtype="float64", na_value=float("nan"))
    values = values[values == values]
    return bool(values.size) and bool((values == values.round()).all() and (abs(values) < 2.0 ** 53).all())


_MISSING = frozenset({"NAType", "NaTType"})  # pandas' pd.NA (nullable dtypes) and NaT: no value


def _plain(value: Any, whole: bool = False) -> Any:
    if value is None or type(value).__name__ in _MISSING:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return None if value != value else value.to_pydatetime()
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        value = value.tolist()  # a numpy scalar's Python value; an array (a list cell read back) a list
    if isinstance(value, float) and value != value:
        return None
    return int(value) if whole and isinstance(value, float) else value


def _rows(records, name: str, ctx: ReadContext, stats: ReadStats) -> Iterator[Comment | Reject]:
    """Every row as a Comment or a Reject located at ``<dataframe>:row LABEL``."""
    counts = FileCounts(name, name.strip("<>"))
    stats.files.append(counts)
    yield from counted((safe_comment(record, name, f"row {label}", ctx) for label, record in records), counts)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise MissingDependency("DataFrames need pandas: pip install 'resonance-analyzer[notebook]'") from None
    return pandas


class Result:
    """An analysed source: DataFrames (``comments``, ``cells``, ``themes``, ``quotes``,
    ``rejects``), ``counts``, ``manifest``, ``report()``, ``save()``, ``plot.<chart>()``."""

    def __init__(self, comments: list[Comment], rejects: list[Reject], result, manifest: RunManifest) -> None:
        self.annotated, self.rejected, self.result, self.manifest = comments, rejects, result, manifest
        self.plot = Plots(self)

    @property
    def counts(self) -> dict[str, Any]:
        """read / accepted / rejected (read = accepted + rejected) and what became of the accepted."""
        return {**self.manifest.counts, **self.manifest.accepted}

    @cached_property
    def comments(self):
        """One row per accepted comment, the columns of ``comments.parquet``."""
        return self._arrow_comments().to_pandas()

    @cached_property
    def cells(self):
        """One row per drama x market x window, the columns of ``resonance.csv``."""
        from .report import FIRST_COLUMNS
        from .report.tables import columns_of

        rows = self.result.to_rows()
        return _pandas().DataFrame(rows, columns=columns_of(rows, FIRST_COLUMNS) if rows else list(FIRST_COLUMNS))

    @cached_property
    def themes(self):
        """The driver map: salience and net valence per theme and cell (``tables/themes``)."""
        return _pandas().DataFrame(self.result.theme_rows())

    @cached_property
    def quotes(self):
        """Representative comments per cell, theme and polarity (``tables/quotes``)."""
        return _pandas().DataFrame(self.result.quote_rows())

    @cached_property
    def rejects(self):
        """Records not accepted, with reason and location (``<dataframe>:row 3``, ``file:line``)."""
        return _pandas().DataFrame([r.to_dict() for r in self.rejected], columns=["reason", "location", "file", "raw"])

    def _arrow_comments(self):
        from .schema import ARROW_SCHEMA, to_arrow

        return to_arrow(self.annotated) if self.annotated else ARROW_SCHEMA.empty_table()

    def to_datasets(self):
        """A ``datasets.DatasetDict`` with comments, cells, themes and quotes."""
        try:
            import datasets
        except ImportError:
            raise MissingDependency("to_datasets() needs the datasets package: pip install datasets") from None
        frames = {"comments": self.comments, "cells": self.cells, "themes": self.themes, "quotes": self.quotes}
        return datasets.DatasetDict({k: datasets.Dataset.from_pandas(_for_datasets(v), preserve_index=False)
                                     for k, v in frames.items()})

    def report(self) -> str:
        """The HTML report, rendered as ``analyzer run`` renders report.html."""
        from .report import render_html

        return render_html(self.result, self.manifest)

    def save(self, out_dir: str | os.PathLike) -> dict[str, str]:
        """Write the files of ``analyzer run`` (comments.parquet, rejects.jsonl, resonance.csv,
        tables/, report.html, report.md, manifest.json) into ``out_dir``; returns name -> path."""
        from .io.outdir import RunFolder
        from .io.writers import CommentParquetWriter, RejectsWriter, write_json
        from .report import write_reports

        with RunFolder(out_dir) as out:  # all or nothing, one run per folder, as `analyzer run`
            writer = CommentParquetWriter(out / "comments.parquet")
            writer.write(self.annotated)
            writer.close(True)
            rejects = RejectsWriter(out / "rejects.jsonl")
            for item in self.rejected:
                rejects.write(item)
            rejects.close()
            manifest = copy.deepcopy(self.manifest)
            outputs = write_reports(self.result, out, manifest=manifest, comments_path=out / "comments.parquet") or {}
            manifest.outputs = {name: Path(path).relative_to(out).as_posix() for name, path in dict(outputs).items()}
            write_json(out / "manifest.json", manifest.to_dict())
        final = Path(out_dir)
        files = {"comments.parquet": "comments.parquet", "rejects.jsonl": "rejects.jsonl", **manifest.outputs,
                 "manifest.json": "manifest.json"}
        return {name: str(final / rel) for name, rel in files.items()}

    def _repr_html_(self) -> str:
        c = self.counts
        main = sorted((x for x in self.result.cells if x["window"] == "all"),
                      key=lambda x: (-(x["resonance_index"] or 0), x["drama"], x["region"]))[:8]
        rows = "".join(
            f"<tr><td>{html.escape(x['drama'])}</td><td>{html.escape(x['region'])}</td><td>{x['authors']}</td>"
            f"<td>{'–' if x['resonance_index'] is None else format(x['resonance_index'], '.2f')}</td>"
            f"<td>{html.escape(x['tier'] or '–')}</td></tr>" for x in main)
        from .report.views import count_of, named

        dramas, markets = named(self.result)
        return (f"<div><b>analyzer Result</b>: read {c['read']}, accepted {c['accepted']}, rejected {c['rejected']}; "
                f"{count_of(len(dramas), 'drama')} x {count_of(len(markets), 'market')}"
                "<table><tr><th>drama</th><th>market</th><th>authors</th><th>index</th><th>tier</th></tr>"
                f"{rows}</table><small>.comments .cells .themes .quotes .rejects · .report() · .save(dir) · "
                f"{html.escape(repr(self.plot))}</small></div>")

    def __repr__(self) -> str:
        c = self.counts
        return f"<Result read={c['read']} accepted={c['accepted']} rejected={c['rejected']} cells={len(self.result.cells)}>"


def _for_datasets(frame):
    """Map columns (lists of pairs in pandas) as JSON text, which datasets can type."""
    import json

    out = frame.copy()
    for name in ("theme_scores", "theme_polarity"):
        if name in out:
            out[name] = [json.dumps(dict(v) if v is not None else {}, ensure_ascii=False) for v in out[name]]
    return out


class Chart:
    """One report section's figure(s): ``.html`` (the section as the report shows it) and
    ``.svgs`` (its inline SVG charts; none for the HTML heat tables); displays itself in Jupyter."""

    def __init__(self, name: str, section_html: str) -> None:
        self.name, self.html = name, section_html
        self.svgs = re.findall(r"<svg\b.*?</svg>", section_html, flags=re.S)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<Chart {self.name}: {len(self.svgs)} svg>"


class Plots:
    """``result.plot.<name>()`` for every report section that draws a chart
    (``result.plot.names`` lists them), cut from the rendered report."""

    def __init__(self, result: Result) -> None:
        self._result = result

    @cached_property
    def _sections(self) -> dict[str, str]:
        page = self._result.report()
        found = re.findall(r'<section id="([^"]+)">(.*?)</section>', page, flags=re.S)
        return {sid.replace("-", "_"): body for sid, body in found if "<svg" in body or '<figure class="chart' in body}

    @property
    def names(self) -> list[str]:
        """The report sections that hold a chart for this result."""
        return list(self._sections)

    def __getattr__(self, name: str):
        from .report import SECTIONS

        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.names and name not in {sid.replace("-", "_") for sid, _ in SECTIONS}:
            raise AttributeError(f"No chart {name!r}; charts: {', '.join(self.names)}")

        def draw() -> Chart:
            body = self._sections.get(name)
            return Chart(name, body if body is not None else "<p>No chart: too little data.</p>")

        return draw

    def __repr__(self) -> str:
        return "".join(f".plot.{name}() " for name in self.names).strip() or ".plot: no charts (too little data)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.names))
