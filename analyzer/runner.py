"""The public jobs: ``run`` (annotate + aggregate + report into a folder) and
``annotate`` (per-comment annotations only). The CLI is a thin wrapper over these."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import itertools
import os
import platform as _platform
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import __version__
from .config import Config, check_limit, config_from_dict, load_config
from .defaults import GC_THRESHOLDS
from .errors import ConfigError, InputError, RecordError
from .io import ReadContext, ReadStats, Reject, read_comments
from .io.fields import parse_time
from .io.limits import input_limits
from .io.outdir import RunFolder, check_output_file, check_paths, without_run_outputs
from .io.pseudonym import Pseudonymizer
from .io.sources import STDIN, display_path, expand_inputs
from .io.writers import CommentParquetWriter, RejectsWriter, RowWriter, write_json
from .engines.memory import Upkeep, bound_heap, release_free_memory
from .engines.workers import WorkerPool, worker_pool
from .manifest import InputRecord, RunManifest, StageRecord, package_versions
from .pipeline import Pipeline
from .progress import bar as progress_bar
from .progress import cell_bar
from .progress import enabled as progress_on
from .progress import estimate_records, phase
from .schema import SENTIMENT_SCORES_TYPE, Comment, labelled_scores

PACKAGE_ROOT = Path(__file__).resolve().parent
RELEASE_EVERY = 64  # batches merged (~32k comments) between two hand-backs of freed memory in ``run``


@dataclass
class RunSummary:
    out_dir: str | None
    counts: dict[str, int]
    files: list[dict[str, Any]]
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    accepted: dict[str, Any] = field(default_factory=dict)  # of the accepted: unlinked (+ by reason), noise, duplicates
    reject_reasons: dict[str, int] = field(default_factory=dict)  # reason (without details) -> rejects
    timings: dict[str, Any] = field(default_factory=dict)  # seconds per phase and per stage
    unread: dict[str, str] = field(default_factory=dict)  # market/date-like input columns left unread -> field

    @property
    def reconciles(self) -> bool:
        c = self.counts
        return c["read"] == c["accepted"] + c["rejected"]


def resolve_config(config: Config | dict | str | os.PathLike | None) -> Config:
    if isinstance(config, Config):
        return config.validate()
    if isinstance(config, dict):
        return config_from_dict(config)
    return load_config(_manifest_path(config) if config is not None else None)


def build_pipeline(config: Config | None = None) -> Pipeline:
    """``Pipeline.from_config``: by default normalize -> dedup -> link -> langid -> region ->
    sentiment -> mentions -> themes."""
    return Pipeline.from_config(config or Config())


def export_config(source: str | os.PathLike, output: str | os.PathLike | None = None) -> str:
    """The resolved config of a run (its folder or manifest.json) or of a TOML config, as TOML
    that reproduces it (``analyzer config export``); written to ``output`` when given."""
    from .config import to_toml

    if not Path(source).exists():  # "Config file not found" read as if RUN_DIR had to be a config file
        raise InputError(f"{source}: no such folder or file; give the output folder of `analyzer run`, "
                         "its manifest.json or a config .toml.")
    text = to_toml(load_config(_manifest_path(source)).to_dict())
    if output is not None:
        Path(output).write_text(text, encoding="utf-8")
    return text


def _manifest_path(source: str | os.PathLike) -> str:
    path = Path(source)
    return str(path / "manifest.json") if path.is_dir() else str(path)


def check_models(config: Config | dict | str | None = None) -> list[dict[str, Any]]:
    """Load every stage of the default pipeline (and so its model files) and describe it."""
    return build_pipeline(resolve_config(config)).describe()


def _context(config: Config) -> ReadContext:
    try:
        dump_time = parse_time(config.input.dump_time) if config.input.dump_time else None
    except ValueError:
        raise ConfigError(f"input.dump_time must be an ISO time such as 2024-06-01T00:00:00Z. Got {config.input.dump_time!r} instead.") from None
    pseudo = Pseudonymizer(config.privacy.author_key or None, keep_authors=config.privacy.keep_authors)
    return ReadContext(mapping=dict(config.input.mapping), pseudonymize=pseudo, dump_time=dump_time,
                       platform=config.input.platform or None, keep_authors=config.privacy.keep_authors,
                       limits=input_limits(config.input), keep_fields=tuple(config.input.keep_fields))


def _progress(iterable: Iterable, enabled: bool, desc: str, total: int | None = None) -> Iterable:
    """A tqdm bar on stderr, only when stderr is a terminal (off with --quiet); with total,
    rate and ETA when the number of records is known (see ``progress.estimate_records``)."""
    if not progress_on(enabled):
        return iterable
    return progress_bar(iterable, desc, total)


def _accepted(items: Iterator[Comment | Reject], on_error: str, rejects: RejectsWriter | None) -> Iterator[Comment]:
    for item in items:
        if isinstance(item, Reject):
            if on_error == "raise":
                raise RecordError(item.reason, item.location)
            if rejects is not None:
                rejects.write(item)
        else:
            yield item


class PhaseClock:
    """Seconds spent per phase of a job (``with clock("write"): ...``); see ``timings``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()
        self.workers = 1  # processes that ran the stages

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start

    def end_loop(self, pipeline: Pipeline, loop_seconds: float, pool: WorkerPool | None = None) -> None:
        """``read``: the streaming loop's time outside the stages and the phases timed in it
        (reading, parsing, batching). With worker processes, ``wait``: the main process's time
        waiting for their batches (their stage seconds are not part of the main loop)."""
        if pool is not None:
            self.seconds["wait"] = pool.wait_seconds
            self.workers = pool.workers
        inside = pipeline.local_seconds() + sum(v for k, v in self.seconds.items() if k != "load")
        self.seconds["read"] = max(0.0, loop_seconds - inside)

    def timings(self, pipeline: Pipeline) -> dict[str, Any]:
        """Phases and stages in seconds."""
        phases = {"read": round(self.seconds.get("read", 0.0), 3), "stages": round(sum(pipeline.timings.values()), 3)}
        phases.update({k: round(v, 3) for k, v in self.seconds.items() if k != "read"})
        stages = {name: round(sec, 3) for name, sec in pipeline.timings.items()}
        return {**phases, "total": round(time.perf_counter() - self.started, 3), "per_stage": stages,
                "workers": self.workers}


def format_timings(timings: dict[str, Any]) -> str:
    """The ``--profile`` table: phases, then stages, with seconds and share of the total."""
    total = timings.get("total") or 1e-9
    # "seconds" and "started_at" are the run's wall clock, kept beside the phases in the manifest
    rows = [(k, v) for k, v in timings.items() if k not in ("per_stage", "total", "seconds", "started_at", "workers")]
    rows += [(f"  {k}", v) for k, v in timings.get("per_stage", {}).items()]
    lines = [f"{name:<14} {sec:>9.3f} s {sec / total:>6.1%}" for name, sec in rows]
    workers = timings.get("workers", 1)
    note = [f"(stages on {workers} worker processes: their seconds add up over the workers)"] if workers > 1 else []
    return "\n".join(["phase/stage      seconds  share", *lines, f"{'total':<14} {total:>9.3f} s", *note])


class Tally:
    """What became of the accepted comments: kept in the output, but not all counted in metrics."""

    def __init__(self) -> None:
        self.counts = {"unlinked": 0, "noise": 0, "duplicates": 0, "unlinked_by_reason": {}}

    def update(self, batch: list[Comment]) -> "Tally":
        by_reason = self.counts["unlinked_by_reason"]
        for c in batch:
            if c.drama is None:  # why: the link stage's extra["unlinked_reason"]
                reason = (c.extra or {}).get("unlinked_reason", "not_linked")
                by_reason[reason] = by_reason.get(reason, 0) + 1
            self.counts["unlinked"] += c.drama is None
            self.counts["noise"] += c.noise
            self.counts["duplicates"] += c.duplicate_of is not None
        return self

    def merge(self, counts: dict[str, Any]) -> "Tally":
        """Add another tally's ``counts`` (a shard's, from a distributed engine)."""
        for key in ("unlinked", "noise", "duplicates"):
            self.counts[key] += counts.get(key, 0)
        by_reason = self.counts["unlinked_by_reason"]
        for reason, n in counts.get("unlinked_by_reason", {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + n
        return self


@dataclass
class BatchPart:
    """What ``run`` keeps of one or more consecutive annotated batches: their rows of
    comments.parquet (one table), their accumulator and tally (merged in input order by the
    main process)."""

    table: pa.Table
    accumulator: Any  # ResonanceAccumulator of these batches alone
    tally: dict[str, Any]
    sizes: tuple[int, ...] = ()  # rows per batch, in order (empty: one batch, the whole table)

    def tables(self) -> Iterator[pa.Table]:
        """The table cut back into its batches (zero-copy slices), so that comments.parquet
        is written batch by batch as in one process."""
        if not self.sizes:
            yield self.table
            return
        offset = 0
        for size in self.sizes:
            yield self.table.slice(offset, size)
            offset += size


class BatchOutputs:
    """``then`` of ``Pipeline.batches`` for ``run``: consecutive batches -> one ``BatchPart``,
    made on the worker that annotated them, so the main process only writes and merges
    (picklable). Updating one accumulator with the batches in order is the same as merging
    one per batch in order (``ResonanceAccumulator``: merge == update)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def __call__(self, *batches: list[Comment]) -> BatchPart:
        from .aggregate import ResonanceAccumulator
        from .schema import to_arrow

        rows = batches[0] if len(batches) == 1 else list(itertools.chain.from_iterable(batches))
        sizes = tuple(map(len, batches)) if len(batches) > 1 else ()
        return BatchPart(to_arrow(rows), ResonanceAccumulator(self.settings).update(rows), Tally().update(rows).counts,
                         sizes)


def _counts(stats: ReadStats) -> dict[str, Any]:
    totals = stats.totals
    return {**totals, "reconciles": totals["read"] == totals["accepted"] + totals["rejected"]}


def fingerprint(path: str) -> InputRecord:
    if path == STDIN:
        return InputRecord("<stdin>")
    if not os.path.isfile(path) and os.path.exists(path):  # a pipe (mkfifo, <(...)): read once, by its reader
        return InputRecord(display_path(path))
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:  # unreadable, a dangling link: its reject says why; no size or hash to record
        return InputRecord(display_path(path))
    return InputRecord(display_path(path), os.path.getsize(path), digest.hexdigest())


def _manifest(config: Config, pipeline: Pipeline, stats: ReadStats, inputs: list[str], ctx: ReadContext,
              started: float, extra: dict[str, Any]) -> RunManifest:
    """The run's record; ``extra`` adds or replaces fields (the Ray engine's stage summaries)."""
    fields = dict(
        package={"name": "resonance-analyzer", "version": __version__},
        python=_platform.python_version(),
        packages=package_versions(),
        # The only part that differs between two runs of the same input and config.
        timings={"started_at": datetime.fromtimestamp(started, tz=timezone.utc).isoformat(timespec="seconds"),
                 "seconds": round(time.time() - started, 3)},
        config=config.to_dict(),
        stages=[StageRecord.from_dict(d) for d in pipeline.describe()],
        inputs=[fingerprint(p) for p in inputs],
        counts=_counts(stats),
        files=[f.to_dict() for f in stats.files],
        stage_summaries=pipeline.summaries(),
        dump_time=ctx.dump_time.isoformat() if ctx.dump_time else None,
        author_pseudonyms="kept raw (--keep-authors)" if ctx.keep_authors else
            f"HMAC-SHA256, key from {getattr(ctx.pseudonymize, 'key_source', 'config')}",
    )
    return RunManifest(**{**fields, **extra})


def run(inputs: list[str] | str, out_dir: str | os.PathLike, *, config: Config | dict | str | None = None,
        limit: int | None = None, progress: bool = False, engine: str | None = None, address: str | None = None,
        num_workers: int | None = None, gpus_per_worker: float | None = None) -> RunSummary:
    """Read, annotate, aggregate and report. Writes comments.parquet, resonance.csv,
    report.html, report.md, rejects.jsonl and manifest.json into ``out_dir``, all or
    nothing: the folder is replaced as a whole only when the run succeeds (``io.outdir``).
    ``engine="ray"`` runs the same job on Ray Data (see README "Scale-out on Ray")."""
    check_limit(limit)
    config = with_limit(with_engine(resolve_config(config), engine, address, num_workers, gpus_per_worker), limit)
    started = time.time()
    clock = PhaseClock()
    paths, skipped = without_run_outputs(inputs, expand_inputs(inputs))
    check_paths(inputs, paths, out_dir)
    bound_heap()  # glibc only: freed memory reused or handed back, so the peak stays flat (engines.memory)
    with gc_thresholds(), worker_pool(config, _records(paths, config, limit)) or contextlib.nullcontext() as pool:  # started first: workers build as we do
        with clock("load"):
            pipeline = build_pipeline(config)
        ctx, stats = _context(config), ReadStats()
        with RunFolder(out_dir) as out:
            manifest, reasons = _run_into(out, paths, config, pipeline, ctx, stats, limit, progress, started, clock, pool)
            manifest.skipped_inputs = [{"path": p, "reason": "inside an earlier run's output folder"} for p in skipped]
            write_json(out / "manifest.json", manifest.to_dict())
    final = Path(out_dir)
    outputs = {name: str(final / rel) for name, rel in manifest.outputs.items()}
    return RunSummary(str(final), manifest.counts, manifest.files, outputs, manifest.timings["seconds"],
                      manifest.accepted, reasons, manifest.timings, dict(ctx.unread))


@contextlib.contextmanager
def gc_thresholds(thresholds: tuple[int, ...] = GC_THRESHOLDS) -> Iterator[None]:
    """Collect cyclic garbage less often while a run lasts (worker processes forked in it
    inherit the setting); the caller's thresholds come back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run_into(out: Path, paths: list[str], config: Config, pipeline: Pipeline, ctx: ReadContext, stats: ReadStats,
              limit: int | None, progress: bool, started: float, clock: "PhaseClock",
              pool: WorkerPool | None = None) -> tuple[RunManifest, dict[str, int]]:
    """The body of ``run``, writing into the (temporary) folder ``out``: (manifest, reject reasons)."""
    from .aggregate import ResonanceAccumulator
    from .report import write_reports

    settings = _aggregate_settings(config, pipeline)
    accumulator = ResonanceAccumulator(settings or None)
    with accumulator.spilling(out):  # rows beyond ~4 MB wait in an unnamed file there: flat memory
        if config.run.engine == "ray":
            extra, reasons = _run_ray(paths, out, config, ctx, stats, accumulator, pipeline, limit, progress)
        else:
            tally, reasons = _run_local(paths, out, config, pipeline, ctx, stats, accumulator, limit, progress, clock, pool)
            extra = {"accepted": tally}
        manifest = _manifest(config, pipeline, stats, paths, ctx, started, {"outputs": {}, **extra})
        # The settings as used (confusion = "model" resolved to the matrices), so `report` and
        # `compare` rebuild the same numbers from the manifest alone.
        manifest.config["aggregate"] = settings
        show = progress_on(progress)
        release_free_memory()  # what the stream freed, before the end phase allocates on top of it
        # the workers stopped: the end phase's shares go to forked processes on their cores
        spread = pool.end_spread() if pool is not None and config.run.engine == "local" else None
        with clock("aggregate"):
            result = accumulator.result(progress=cell_bar(show), spread=spread)
        release_free_memory()
        with clock("report"), phase("writing reports", show):
            outputs = write_reports(result, out, manifest=manifest, comments_path=out / "comments.parquet",
                                    spread=spread) or {}
    manifest.outputs = {name: Path(path).relative_to(out).as_posix() for name, path in dict(outputs).items()}
    # varies run to run: the one manifest key determinism checks ignore
    manifest.timings = {**manifest.timings, **clock.timings(pipeline), "seconds": round(time.time() - started, 3)}
    return manifest, reasons


def _run_local(paths, out, config, pipeline, ctx, stats, accumulator, limit, progress,
               clock: "PhaseClock", pool: WorkerPool | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The local engine: one stream, written and aggregated batch by batch (annotated on
    ``pool``'s worker processes when there is one)."""
    tally = Tally()
    rejects = RejectsWriter(out / "rejects.jsonl")
    comments = CommentParquetWriter(out / "comments.parquet")
    ok = False
    loop_start = time.perf_counter()
    outputs = BatchOutputs(accumulator.config)
    upkeep = Upkeep(None, "run", trace_every=1, release_every=RELEASE_EVERY)
    try:
        for part in _annotated(paths, config, pipeline, ctx, stats, rejects, limit, progress and "analyzer run", pool,
                               outputs):
            with clock("write"):
                for table in part.tables():
                    comments.write_table(table)
            with clock("aggregate"):  # in input order: the same state as updating with each batch
                accumulator.merge(part.accumulator)
                tally.merge(part.tally)
            del part  # its rows are merged: nothing of it waits for the next batch
            upkeep.called()
        ok = True
        clock.end_loop(pipeline, time.perf_counter() - loop_start, pool)
        if pool is not None:
            pool.close()  # the workers' memory is free for aggregating
    finally:
        with clock("write"):
            comments.close(ok)
            rejects.close(ok)
    return tally.counts, dict(rejects.reasons)


def _run_ray(paths, out, config, ctx, stats, accumulator, pipeline, limit, progress) -> tuple[dict[str, Any], dict[str, int]]:
    from .engines.ray import run_ray

    if limit or config.run.limit:
        raise ConfigError("--limit is for trying a command on a sample: use it with --engine local.")
    done = run_ray(paths, out, config, ctx, stats, accumulator, pipeline, functools.partial(build_pipeline, config), Tally,
                   progress=bool(progress and sys.stderr.isatty()))
    return {"accepted": done.tally, "stage_summaries": done.stage_summaries, "engine": done.engine}, done.reject_reasons


def with_engine(config: Config, engine: str | None, address: str | None, num_workers: int | None,
                gpus_per_worker: float | None) -> Config:
    """The API/CLI engine options over ``[run]`` (None keeps the config's value)."""
    given = {key: value for key, value in (("engine", engine), ("address", address), ("num_workers", num_workers),
                                           ("gpus_per_worker", gpus_per_worker)) if value is not None}
    if not given:
        return config
    return dataclasses.replace(config, run=dataclasses.replace(config.run, **given)).validate()


def with_limit(config: Config, limit: int | None) -> Config:
    """``limit`` (``--limit``) as ``[run] limit``, so the manifest records it and repeats the run;
    None or 0 keeps the config's value."""
    return dataclasses.replace(config, run=dataclasses.replace(config.run, limit=limit)) if limit else config


def _aggregate_settings(config: Config, pipeline: Pipeline) -> dict[str, Any]:
    """``[aggregate] confusion = "model"`` takes the sentiment model's held-out
    per-language confusion matrices (from its model card data) for share correction."""
    settings = dict(config.aggregate)
    if settings.get("confusion") == "model":
        stage = next((s for s in pipeline.stages if s.name == "sentiment"), None)
        scores = stage.dev_scores() if stage is not None and hasattr(stage, "dev_scores") else None
        if not scores or not scores.get("confusion_per_language"):
            raise ConfigError("aggregate.confusion = \"model\" needs a sentiment model that ships dev_scores.json; "
                              "give the matrices as a table instead.")
        # Languages whose dev data lack a class (binary sources) cannot correct 3-way shares.
        settings["confusion"] = {lang: m for lang, m in scores["confusion_per_language"].items()
                                 if all(sum(row) > 0 for row in m)}
    return settings


def _annotated(paths: list[str], config: Config, pipeline: Pipeline, ctx: ReadContext, stats: ReadStats,
               rejects: RejectsWriter, limit: int | None, progress: str | bool,
               pool: WorkerPool | None = None, then: Any = None) -> Iterator[Any]:
    """Read -> (rejects to the sink) -> annotated batches (or ``then`` of each, see
    ``Pipeline.batches``): the loop both jobs share."""
    items = _limited(read_comments(paths, ctx, stats), limit or config.run.limit)
    if progress and progress_on(True):
        total = estimate_records(paths)
        limit = limit or config.run.limit
        items = _progress(items, True, str(progress), min(total, limit) if total is not None and limit else total)
    sink = rejects if config.input.on_error == "collect" else None
    return pipeline.batches(_accepted(items, config.input.on_error, sink), pool, then)


COUNT_LINES_UP_TO = 64 << 20  # bytes of input below which ``_records`` counts the records


def _records(paths: list[str], config: Config, limit: int | None) -> int | None:
    """About how many records the job reads (None: not known), for ``[run] workers = "auto"``."""
    limit = limit or config.run.limit
    if config.run.workers != "auto" or config.run.engine != "local":
        return None  # not needed
    if sum(os.path.getsize(p) for p in paths if os.path.isfile(p)) > COUNT_LINES_UP_TO:
        return limit or None  # large: not worth a pass over the files to count
    total = estimate_records(paths)
    if total is None:
        return limit or None
    return min(total, limit) if limit else total


def _limited(items: Iterator, limit: int | None) -> Iterator:
    return itertools.islice(items, limit) if limit else items


ANNOTATION_TYPES = {
    "region": pa.string(), "region_source": pa.string(),  # the market `run` counts the comment under
    "lang": pa.string(), "lang_confidence": pa.float64(), "sentiment": pa.string(),
    "sentiment_scores": SENTIMENT_SCORES_TYPE,  # the same labelled struct as comments.parquet
    "themes": pa.list_(pa.string()), "theme_polarity": pa.map_(pa.string(), pa.string()),
    "intents": pa.list_(pa.string()), "noise": pa.bool_(),
}


def annotation_row(comment: Comment) -> dict[str, Any]:
    """The public annotate contract: every input field, the comment's id, text, created_at, drama, platform,
    reply_to and title where no input field has that name or value, then the annotations.
    An input field named like an annotation is kept as ``source_<name>``."""
    annotations = {
        "region": comment.region, "region_source": comment.region_source,
        "lang": comment.lang, "lang_confidence": comment.lang_confidence,
        "sentiment": comment.sentiment,
        "sentiment_scores": labelled_scores(comment.sentiment_scores),
        "themes": list(comment.themes), "theme_polarity": dict(comment.theme_polarity),
        "intents": list(comment.intents), "noise": bool(comment.noise),
    }
    row = {(f"source_{k}" if k in annotations else k): v for k, v in comment.extra.items()}
    given = list(row.values())
    for name, value in _comment_fields(comment):  # a platform dump's cid/text/time_parsed are not in extra
        if value is not None and name not in row and value not in given:  # not a `body` column's text again
            row[name] = value
    if comment.author is not None:  # the input's author fields are replaced by the pseudonym
        row["author"] = comment.author
    row.update(annotations)
    return row


def _comment_fields(comment: Comment) -> tuple[tuple[str, str | None], ...]:
    """The comment's own fields, as text, for an annotate row whose input fields lack them."""
    created = comment.created_at.isoformat() if comment.created_at is not None else None
    return (("id", comment.id), ("text", comment.text), ("created_at", created), ("drama", comment.drama),
            ("platform", comment.platform), ("reply_to", comment.reply_to), ("title", comment.title))


def _annotate_into(output, rejects_path: Path, paths: list[str], config: Config, pipeline: Pipeline, ctx: ReadContext,
                   stats: ReadStats, limit: int | None, progress: bool, clock: PhaseClock,
                   pool: WorkerPool | None) -> RejectsWriter:
    """The loop of ``annotate``: OUTPUT and its rejects written together, all or nothing."""
    writer = RowWriter(output, typed=ANNOTATION_TYPES, csv_guard=config.run.csv_guard)
    rejects = RejectsWriter(rejects_path)
    ok = False
    loop_start = time.perf_counter()
    try:
        for batch in _annotated(paths, config, pipeline, ctx, stats, rejects, limit, progress and "analyzer annotate", pool):
            with clock("write"):
                writer.write([annotation_row(c) for c in batch])
        ok = True
        clock.end_loop(pipeline, time.perf_counter() - loop_start, pool)
    finally:
        with clock("write"):
            writer.close(ok)
            rejects.close(ok)
    return rejects


def annotate(input: str, output: str | os.PathLike, *, config: Config | dict | str | None = None,
             limit: int | None = None, progress: bool = False) -> RunSummary:
    """Per-comment annotations only: writes OUTPUT (.jsonl/.csv/.parquet) and, when any
    record is rejected, OUTPUT.rejects.jsonl beside it."""
    config = resolve_config(config)
    check_limit(limit)
    if RowWriter.kind_of(str(output)) is None:
        raise InputError(f"Cannot write {output}: the output must end in .jsonl, .csv or .parquet.")
    started = time.time()
    clock = PhaseClock()
    paths = expand_inputs(input)
    check_output_file(paths, output)
    with worker_pool(config, _records(paths, config, limit)) or contextlib.nullcontext() as pool:
        with clock("load"):
            pipeline = build_pipeline(config)
        ctx, stats = _context(config), ReadStats()
        rejects_path = Path(str(output) + ".rejects.jsonl")
        rejects = _annotate_into(output, rejects_path, paths, config, pipeline, ctx, stats, limit, progress, clock, pool)
    if rejects.count == 0:
        rejects_path.unlink(missing_ok=True)
    outputs = {"annotations": str(output)} | ({"rejects": str(rejects_path)} if rejects.count else {})
    return RunSummary(None, _counts(stats), [f.to_dict() for f in stats.files], outputs,
                      round(time.time() - started, 3), reject_reasons=dict(rejects.reasons),
                      timings=clock.timings(pipeline), unread=dict(ctx.unread))
