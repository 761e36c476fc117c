"""``--engine ray``: the run on Ray Data, with the results of the local loop.

1. read     one Ray Data actor call per input file runs our readers, the stages before
            dedup, ``DedupStage.keys`` and ``DramaLinkStage.link_own`` (parallel); every
            record becomes a row: comment, reject (with ``file:line``) or file trailer;
2. replay   the driver streams the small key columns in input order through one
            ``DedupStage.decide`` / ``DramaLinkStage.resolve``: exactly the decisions of
            the local stream (global dedup, same windows); rejects go to rejects.jsonl;
            decisions that differ from the default go to the object store per chunk;
3. annotate ``map_batches`` with an actor pool (models load once per actor): apply the
            decisions, run the other stages, write the rows as a Parquet part
            (``comments.parquet/input=N/part-SEQ.parquet``), ``update`` an accumulator;
4. merge    the driver ``merge``s the block accumulators in input order.

The comments dataset is written under a temporary prefix and renamed into place only
when the run succeeds. See README "Scale-out on Ray".
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..config import Config
from ..errors import AnalyzerError, ConfigError, InputError
from ..io import ReadContext, ReadStats, Reject
from ..io.sources import STDIN
from ..io.writers import RejectsWriter
from ..pipeline import Pipeline
from . import require_ray
from .rows import (CHUNK, REPLAY_COLUMNS, Replay, Stages, add_summaries, annotate_part, by_file,
                   comments_only, read_file, summaries, summary_delta, write_part)

CRASH_ONCE = "ANALYZER_RAY_CRASH_ONCE"
# Ray Data gathers a step's output into blocks of up to this many bytes (128 MiB by
# default), so a read actor would hold a whole file's prepared rows before emitting them
# and memory per worker would grow with file size. A prepared chunk (CHUNK records) is
# about 3 MiB of generated comments: with 2 MiB each chunk leaves the actor as soon as it
# is prepared (Ray slices a block over 1.5x this size), whatever the input's size.
BLOCK_BYTES = 2 * 2**20


@dataclass
class RayResult:
    tally: dict[str, int]
    stage_summaries: dict[str, dict]
    engine: dict[str, Any]
    reject_reasons: dict[str, int]


class ReadActor:
    """Reads whole input files (models and catalog loaded once per actor)."""

    def __init__(self, build: Callable[[], Pipeline], ctx: ReadContext) -> None:
        self.stages, self.ctx = Stages(build()), ctx

    def __call__(self, batch: dict[str, np.ndarray]):
        for index, path in zip(batch["file"], batch["path"]):
            yield from read_file(int(index), str(path), self.ctx, self.stages)


class AnnotateActor:
    """Annotates prepared blocks, writes them as Parquet parts and returns one accumulator per block."""

    def __init__(self, build: Callable[[], Pipeline], new_accumulator: Callable, new_tally: Callable,
                 decisions: dict[tuple[int, int], Any], parts: str, crash_once: str | None = None) -> None:
        self.stages = Stages(build())
        self.new_accumulator, self.new_tally = new_accumulator, new_tally
        self.refs, self.parts, self.crash_once = decisions, parts, crash_once
        self._cache: dict[tuple[int, int], dict] = {}
        self.calls = 0

    def decision(self, index: int, seq: int):
        key = (index, seq // CHUNK)
        if key not in self.refs:
            return None
        if key not in self._cache:
            import ray

            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = ray.get(self.refs[key])
        return self._cache[key].get(seq)

    def __call__(self, table: pa.Table) -> dict[str, np.ndarray]:
        self._maybe_crash()
        accumulator, tally = self.new_accumulator(), self.new_tally()
        before = summaries(self.stages.rest)
        first = (-1, -1)
        for index, part in by_file(comments_only(table)):
            seq = part["_seq"][0].as_py()
            first = (index, seq) if first == (-1, -1) else first  # rows come in input order
            annotated = annotate_part(part, self.stages, self.decision)
            write_part(self.parts, index, seq, annotated)
            accumulator.update(annotated)
            tally.update(annotated)
        state = (accumulator, dict(tally.counts), summary_delta(before, summaries(self.stages.rest)))
        return {"file": np.array([first[0]]), "seq": np.array([first[1]]), "state": np.array([state], dtype=object)}

    def _maybe_crash(self) -> None:
        """Fault injection for the tests: the process dies once, on its second batch."""
        self.calls += 1
        if self.crash_once and self.calls == 2 and not os.path.exists(self.crash_once):
            Path(self.crash_once).touch()
            os._exit(1)


def run_ray(paths: list[str], out: Path, config: Config, ctx: ReadContext, stats: ReadStats, accumulator,
            pipeline: Pipeline, build: Callable[[], Pipeline], new_tally: Callable, *,
            progress: bool = False) -> RayResult:
    """Write ``out/comments.parquet`` (a dataset) and ``out/rejects.jsonl``; merge the
    block accumulators into ``accumulator`` and the file counts into ``stats``.

    Fault injection for the tests: with ``ANALYZER_RAY_CRASH_ONCE=PATH`` set, the first
    annotation actor to reach its second batch creates PATH and kills its process."""
    crash_once = os.environ.get(CRASH_ONCE) or None
    if STDIN in paths:
        raise InputError("--engine ray reads files, not stdin: save the input to a file first.")
    ray = require_ray()
    started_here = _start(ray, config)
    parts = out / ".comments.parquet.ray-tmp"
    shutil.rmtree(parts, ignore_errors=True)
    try:
        return _run(ray, paths, out, parts, config, ctx, stats, accumulator, pipeline, build, new_tally, crash_once,
                    progress)
    except Exception as exc:
        found = _user_error(exc)
        if found is exc:
            raise
        raise found from None
    finally:
        shutil.rmtree(parts, ignore_errors=True)
        if started_here:
            ray.shutdown()


def _run(ray, paths, out, parts, config, ctx, stats, accumulator, pipeline, build, new_tally, crash_once,
         progress) -> RayResult:
    import ray.data

    data_ctx = ray.data.DataContext.get_current()
    data_ctx.execution_options.preserve_order = True  # the replay needs input order
    data_ctx.enable_progress_bars = progress
    data_ctx.target_max_block_size = BLOCK_BYTES  # memory per worker stays flat as the input grows
    # Errors reach the user as our one-line message; Ray Data's own log of them is noise here.
    logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.CRITICAL)
    workers = config.run.num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    files = ray.data.from_items([{"file": i, "path": p} for i, p in enumerate(paths)], override_num_blocks=len(paths))
    # Actor pools: Ray Data restarts a dead actor and retries its batch (max_restarts=-1).
    clock = [time.perf_counter()]
    readers = ray.data.ActorPoolStrategy(min_size=1, max_size=min(workers, len(paths)))
    prepared = files.map_batches(ReadActor, fn_constructor_args=(build, ctx), batch_size=1, batch_format="numpy",
                                 compute=readers).materialize()
    clock.append(time.perf_counter())
    stages = Stages(pipeline)
    cpu = time.process_time()
    decisions, reasons = _replay(ray, prepared, stages, out, config, stats)
    cpu = time.process_time() - cpu  # the serial part: its CPU time bounds a cluster's rate
    clock.append(time.perf_counter())
    new_accumulator = _AccumulatorFactory(accumulator.config)
    blocks = prepared.map_batches(
        AnnotateActor, fn_constructor_args=(build, new_accumulator, new_tally, decisions, str(parts), crash_once),
        batch_size=CHUNK, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=workers),
        num_gpus=config.run.gpus_per_worker or None)
    tally, totals = new_tally(), {}
    for row in blocks.iter_rows():  # streamed, in input order (merging does not depend on it)
        block_accumulator, block_tally, delta = row["state"]
        accumulator.merge(block_accumulator)
        tally.merge(block_tally)
        add_summaries(totals, delta)
    _commit(parts, out / "comments.parquet")
    clock.append(time.perf_counter())
    phases = dict(zip(("read", "replay", "annotate"), (round(b - a, 3) for a, b in zip(clock, clock[1:]))))
    merged = {**summaries([stages.dedup, stages.link]), **{k: dict(v) for k, v in totals.items()}}
    ordered = {s.name: merged.get(s.name, {}) for s in pipeline.stages if hasattr(s, "summary")}
    return RayResult(tally.counts, ordered,
                     {"name": "ray", "ray_version": ray.__version__, "workers": workers,
                      "gpus_per_worker": config.run.gpus_per_worker, "address": config.run.address or "local",
                      "phase_seconds": phases, "replay_cpu_seconds": round(cpu, 3),
                      "prepared_blocks": prepared.num_blocks()}, reasons)


def _replay(ray, prepared, stages: Stages, out: Path, config: Config, stats: ReadStats) -> tuple[dict, dict[str, int]]:
    on_error = config.input.on_error
    rejects = RejectsWriter(out / "rejects.jsonl")
    refs: dict[tuple[int, int], Any] = {}

    def on_reject(item: Reject) -> None:
        if on_error == "raise":
            from ..errors import RecordError

            raise RecordError(item.reason, item.location)
        if on_error == "collect":
            rejects.write(item)

    def publish(chunk: tuple[int, int], decided: dict) -> None:
        refs[chunk] = ray.put(decided)

    replay = Replay(stages, on_reject, publish)
    try:
        for batch in prepared.iter_batches(batch_size=CHUNK, batch_format="pyarrow"):
            replay.feed_table(batch.select(REPLAY_COLUMNS))
        replay.close()
    finally:
        rejects.close()
    stats.files.extend(replay.files)
    return refs, dict(rejects.reasons)


class _AccumulatorFactory:
    """A fresh accumulator with the run's settings (picklable, for the actors)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def __call__(self):
        from ..aggregate import ResonanceAccumulator

        return ResonanceAccumulator(self.settings)


def _start(ray, config: Config) -> bool:
    """Connect to ``run.address`` or start Ray on this machine; True when we started it."""
    if ray.is_initialized():
        return False
    # Started here, Ray gets a slot for each requested worker even past the CPU count.
    slots = None if config.run.address else max(os.cpu_count() or 1, config.run.num_workers)
    try:
        ray.init(address=config.run.address or None, num_cpus=slots, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"Cannot start or reach Ray at {config.run.address or 'this machine'} ({exc}); "
                          "check --address (e.g. auto or ray://HEAD:10001).") from None
    return True


def _commit(parts: Path, target: Path) -> None:
    """Move the finished dataset into place (replacing an earlier run's)."""
    parts.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    os.replace(parts, target)


def _user_error(exc: BaseException) -> BaseException:
    """The AnalyzerError a worker raised, as it was raised (Ray wraps it in a RayTaskError
    that is also an instance of it but carries a traceback in its message)."""
    seen, here, found = set(), exc, exc
    while here is not None and id(here) not in seen:
        if isinstance(here, AnalyzerError) and type(here).__module__ == AnalyzerError.__module__:
            here.args = (str(here).splitlines()[0],)  # Ray Data appends its retry advice
            return here
        seen.add(id(here))
        here = getattr(here, "cause", None) or here.__cause__ or here.__context__
    return found
