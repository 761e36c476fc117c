"""``--engine ray``: the run on Ray Data, with the results of the local loop.

One streamed Ray Data pipeline; no step waits for the whole input and no process holds
all of it:

1. read     an actor pool, one call per input file: our readers, the stages before dedup,
            ``DedupStage.keys`` and ``DramaLinkStage.link_own``, a chunk (``CHUNK``
            records) at a time. The chunk's comment rows are kept on disk (an Arrow file
            under the run's temporary folder); only the small key columns, rejects (with
            ``file:line``) and file trailers go on, in input order;
2. replay   one actor (never restarted: it holds the run's dedup windows) feeds the key
            blocks, in input order, to the one ``DedupStage.decide`` /
            ``DramaLinkStage.resolve``: exactly the decisions of the local stream (global
            dedup, same windows). Each block leaves with its decisions that differ from
            the default, its rejects and finished files;
3. annotate an actor pool (the driver's stages, from the object store): reads the block's kept rows back,
            applies the decisions, runs the other stages, writes a Parquet part
            (``comments.parquet/input=N/part-SEQ.parquet``) and ``update``s an accumulator;
4. merge    the driver, as blocks arrive in input order: writes the rejects, ``merge``s
            the block accumulators and deletes the kept rows a finished block read.

The steps overlap, so the run goes as fast as the slowest of N readers, the one replay and
N annotators, not as their sum. The comments dataset is written under a temporary prefix
and renamed into place only when the run succeeds. See docs/ray.md.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..config import Config
from ..defaults import GC_THRESHOLDS
from ..errors import AnalyzerError, ConfigError, InputError, PipelineError
from ..io import ReadContext, ReadStats, Reject
from ..io.sources import STDIN
from ..io.writers import RejectsWriter
from ..pipeline import Pipeline
from ..stages.base import add_summaries, summaries, summary_delta
from . import require_ray
from .memory import MEMTRACE, Upkeep, bound_heap, release_free_memory
from .profiling import profiled
from .rows import RESTARTED, ReplayStep, Stages, annotate_block, read_file, store_prepared

CRASH_ONCE = "ANALYZER_RAY_CRASH_ONCE"
CRASH_REPLAY = "ANALYZER_RAY_CRASH_REPLAY"
# Ray Data gathers a step's output into blocks of up to this many bytes (128 MiB by
# default), so a step would hold many chunks before emitting them and memory per worker
# would grow with file size. A chunk's key columns are well under 2 MiB, so each leaves
# its read actor as soon as it is prepared, whatever the input's size.
BLOCK_BYTES = 2 * 2**20
# A read and an annotation actor share one worker's CPU: N workers are N CPUs.
ACTOR_CPUS = 0.5
# Reading a comment costs about a third of annotating it (read 22-27 vs annotation 66-74 CPU s
# per 200k real comments, docs/ray.md), so one read actor keeps up with two annotation actors:
# the read pool grows to half the workers, not to all of them (each actor is a fresh Ray worker
# process that pays ~2-3 CPU s to start before it reads a line).
WORKERS_PER_READER = 2
# Ray's metrics (every process exports them every few seconds to a Prometheus endpoint no one
# reads here) are off when the run starts Ray itself; a cluster keeps its own settings.
SYSTEM_CONFIG = {"enable_metrics_collection": False}
# The read and replay actors and the driver's merge hand their freed memory back every this
# many chunks / blocks (``memory.release_free_memory``): without it the replay grows for as
# long as the run lasts.
RELEASE_EVERY = 4


@dataclass
class RayResult:
    tally: dict[str, int]
    stage_summaries: dict[str, dict]
    engine: dict[str, Any]
    reject_reasons: dict[str, int]


def _settle() -> None:
    """An actor's process set up as the local run's workers are: one glibc arena, the run's
    garbage-collector thresholds, and what the actor has built so far (its models) frozen out of
    the collector's passes. Ray starts each actor in a fresh process with Python's defaults."""
    bound_heap()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


class ReadActor:
    """Reads whole input files (the driver's stages up to link, catalog included), keeping the
    comment rows under ``kept`` and handing on the key columns."""

    def __init__(self, build: Callable[[], Pipeline], ctx: ReadContext, kept: str, memtrace: str | None = None) -> None:
        self.stages, self.ctx, self.kept = Stages(build()), ctx, kept
        _settle()
        self.upkeep = Upkeep(memtrace, "ReadActor", trace_every=16, release_every=RELEASE_EVERY)  # per chunk

    def __call__(self, batch: dict[str, np.ndarray]):
        for index, path in zip(batch["file"], batch["path"]):
            for table in read_file(int(index), str(path), self.ctx, self.stages):
                yield store_prepared(self.kept, table)
                self.upkeep.called()


@profiled  # benchmark-only CPU probe, off unless ANALYZER_RAY_PROFILE is set (engines/profiling.py)
class ReplayActor:
    """The run's one in-order replay (see ``rows.ReplayStep``). Ray restarts a dead actor
    (its constructor runs again) and retries the call: a restarted replay has lost the
    run's dedup windows, so it refuses to go on."""

    def __init__(self, build: Callable[[], Pipeline], crash_once: str | None = None,
                 memtrace: str | None = None) -> None:
        import ray

        self.step, self.crash_once, self.calls = ReplayStep(Stages(build())), crash_once, 0
        self.restarted = ray.get_runtime_context().was_current_actor_reconstructed
        _settle()
        self.upkeep = Upkeep(memtrace, "ReplayActor", trace_every=4, release_every=RELEASE_EVERY)  # per block

    def __call__(self, table: pa.Table) -> dict[str, np.ndarray]:
        if self.restarted:
            raise PipelineError(RESTARTED)
        self.calls += 1
        _maybe_crash(self.crash_once, self.calls)
        out = {"replayed": np.array([self.step(table)], dtype=object)}
        self.upkeep.called()
        return out


@profiled  # benchmark-only CPU probe, off unless ANALYZER_RAY_PROFILE is set (engines/profiling.py)
class AnnotateActor:
    """Annotates replayed blocks, writes them as Parquet parts and returns one accumulator per block."""

    def __init__(self, build: Callable[[], Pipeline], new_accumulator: Callable, new_tally: Callable, kept: str,
                 parts: str, crash_once: str | None = None) -> None:
        self.stages = Stages(build())
        self.new_accumulator, self.new_tally = new_accumulator, new_tally
        self.kept, self.parts, self.crash_once = kept, parts, crash_once
        self.calls = 0
        _settle()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.calls += 1
        _maybe_crash(self.crash_once, self.calls)
        states = []
        for replayed in batch["replayed"]:
            accumulator, tally = self.new_accumulator(), self.new_tally()
            before = summaries(self.stages.rest)
            used = annotate_block(replayed, self.kept, self.parts, self.stages, accumulator, tally)
            replayed.decisions = {}  # done with; the driver needs the rest
            states.append((replayed, accumulator, dict(tally.counts), summary_delta(before, summaries(self.stages.rest)),
                           used))
        column = np.empty(len(states), dtype=object)
        column[:] = states
        return {"state": column}


def _maybe_crash(marker: str | None, calls: int) -> None:
    """Fault injection for the tests: the first actor to reach its second call with
    ``marker`` set creates that file and kills its process (once per run)."""
    if marker and calls == 2 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)


def run_ray(paths: list[str], out: Path, config: Config, ctx: ReadContext, stats: ReadStats, accumulator,
            pipeline: Pipeline, build: Callable[[], Pipeline], new_tally: Callable, *,
            progress: bool = False) -> RayResult:
    """Write ``out/comments.parquet`` (a dataset) and ``out/rejects.jsonl``; merge the
    block accumulators into ``accumulator`` and the file counts into ``stats``.

    Fault injection for the tests: with ``ANALYZER_RAY_CRASH_ONCE=PATH`` set, the first
    annotation actor to reach its second batch creates PATH and kills its process (Ray
    retries it); ``ANALYZER_RAY_CRASH_REPLAY=PATH`` does the same to the replay actor (the
    run fails)."""
    crash_once = os.environ.get(CRASH_ONCE) or None
    crash_replay = os.environ.get(CRASH_REPLAY) or None
    if STDIN in paths:
        raise InputError("--engine ray reads files, not stdin: save the input to a file first.")
    Stages(pipeline)  # a stage order the engine cannot run fails here, before Ray starts
    ray = require_ray()
    started_here = _start(ray, config)
    parts, kept = out / ".comments.parquet.ray-tmp", out / ".prepared.ray-tmp"
    for folder in (parts, kept):
        shutil.rmtree(folder, ignore_errors=True)
    try:
        return _run(ray, paths, out, parts, kept, config, ctx, stats, accumulator, pipeline, build, new_tally,
                    (crash_once, crash_replay), progress)
    except Exception as exc:
        found = _user_error(exc)
        if found is not exc:
            raise found from None
        if _worker_died(ray, exc):
            raise PipelineError("A Ray worker process died and could not be replaced (the replay holds the run's "
                                "dedup state); nothing was written: run again.") from None
        raise
    finally:
        for folder in (parts, kept):
            shutil.rmtree(folder, ignore_errors=True)
        if started_here:
            ray.shutdown()
        release_free_memory()  # the stream's and Ray's freed memory, before the driver aggregates


def _run(ray, paths, out, parts, kept, config, ctx, stats, accumulator, pipeline, build, new_tally, crashes,
         progress) -> RayResult:
    import ray.data

    data_ctx = ray.data.DataContext.get_current()
    data_ctx.execution_options.preserve_order = True  # the replay needs input order
    data_ctx.enable_progress_bars = progress
    data_ctx.target_max_block_size = BLOCK_BYTES  # memory per worker stays flat as the input grows
    # Ray Data's per-call memory probe (a thread reading the actor's /proc smaps every second, for
    # its own stats) costs CPU in every actor for figures this run never reads.
    data_ctx.memory_usage_poll_interval_s = None
    # Errors reach the user as our one-line message; Ray Data's own log of them is noise here.
    logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.CRITICAL)
    workers = config.run.num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    files = ray.data.from_items([{"file": i, "path": p} for i, p in enumerate(paths)], override_num_blocks=len(paths))
    clock = time.perf_counter()
    # Actor pools: Ray Data restarts a dead read or annotation actor and retries its batch
    # (its default); a restarted replay actor refuses to go on (its windows would be lost).
    # The actors get the stages the driver has built (put once in Ray's object store, models
    # included) rather than building them again; reading and the replay use the stages up to link.
    shared = _shared(ray, config, pipeline)
    head = _shared(ray, config, _head(pipeline)) or _head_builder(config, pipeline)
    build = shared or build
    memtrace = os.environ.get(MEMTRACE) or None  # benchmark-only (engines/memory.py)
    keys = files.map_batches(ReadActor, fn_constructor_args=(head, ctx, str(kept), memtrace), batch_size=1,
                             batch_format="numpy", num_cpus=ACTOR_CPUS,
                             compute=ray.data.ActorPoolStrategy(min_size=1, max_size=_readers(workers, len(paths))))
    replayed = _replay_step(ray, keys, head, crashes[1], memtrace)
    blocks = replayed.map_batches(
        AnnotateActor, fn_constructor_args=(build, _AccumulatorFactory(accumulator.config), new_tally, str(kept),
                                            str(parts), crashes[0]),
        batch_size=1, batch_format="numpy", num_cpus=ACTOR_CPUS, compute=ray.data.ActorPoolStrategy(size=workers),
        num_gpus=config.run.gpus_per_worker or None)
    merged = _merge(blocks, out, config, stats, accumulator, new_tally, Upkeep(memtrace, "driver", trace_every=16,
                                                                               release_every=RELEASE_EVERY))
    _commit(parts, out / "comments.parquet")
    for key, target in merged.unread.items():  # the actors read with copies of ctx
        ctx.unread.setdefault(key, target)
    seconds = round(time.perf_counter() - clock, 3)
    ordered = {s.name: merged.summaries.get(s.name, {}) for s in pipeline.stages if hasattr(s, "summary")}
    return RayResult(merged.tally.counts, ordered,
                     {"name": "ray", "ray_version": ray.__version__, "workers": workers,
                      "gpus_per_worker": config.run.gpus_per_worker, "address": config.run.address or "local",
                      "phase_seconds": {"streamed": seconds}, "replay_cpu_seconds": round(merged.replay_cpu, 3),
                      "driver_stream_cpu_seconds": round(merged.driver_cpu, 3),
                      "blocks": merged.blocks, "prepared_chunks": merged.chunks,
                      "shared_stages": shared is not None}, merged.reasons)


def _readers(workers: int, files: int) -> int:
    """How many read actors the pool may grow to: one per ``WORKERS_PER_READER`` workers, at
    least one, at most one per file (a file is read by one actor)."""
    return max(1, min(-(-workers // WORKERS_PER_READER), files))


def _head_end(pipeline: Pipeline) -> int:
    """How many of ``pipeline``'s stages the read and replay actors run: those up to ``link``."""
    return pipeline.names.index("link") + 1


def _head(pipeline: Pipeline) -> Pipeline:
    """``pipeline``'s stages up to ``link`` (the same objects)."""
    return Pipeline(pipeline.stages[:_head_end(pipeline)], pipeline.batch_size)


class _Shared:
    """Gives an actor the pipeline the driver put in Ray's object store: its numpy arrays (the
    models' weights) are read in place from the store's shared memory, the rest unpickled, instead
    of each actor loading and decompressing the model files again."""

    def __init__(self, ref) -> None:
        self.ref = ref

    def __call__(self) -> Pipeline:
        import ray

        return ray.get(self.ref)


def _shared(ray, config: Config, pipeline: Pipeline) -> _Shared | None:
    """``pipeline`` put in Ray's object store for the actors, or None where each actor builds
    its own: with GPUs (an actor's models belong on its own GPU) or a stage that does not pickle
    (an ONNX session, say). The driver holds the reference until the run ends, so a restarted
    actor finds it too."""
    if config.run.gpus_per_worker:
        return None
    try:
        return _Shared(ray.put(pipeline))
    except Exception:  # noqa: BLE001 - whatever Ray's pickling raises, the actors build their own
        return None


def _head_builder(config: Config, pipeline: Pipeline) -> Callable[[], Pipeline]:
    """Builds the run's stages up to ``link`` only (what the read and replay actors run)."""
    head = dataclasses.replace(config.pipeline, stages=pipeline.names[:_head_end(pipeline)])
    return functools.partial(Pipeline.from_config, dataclasses.replace(config, pipeline=head))


def _replay_step(ray, keys, build, crash_once: str | None, memtrace: str | None = None):
    """The one replay actor, with Ray Data's supported options only (its ``**ray_remote_args``
    such as ``max_restarts`` and ``allow_out_of_order_execution`` are deprecated in Ray 2.60,
    removed in 2.64):

    - in order: ``preserve_order`` submits the blocks in input order and
      ``max_tasks_in_flight_per_actor=1`` sends the one actor one block at a time, so there is
      never a second call queued that out-of-order execution could run first; the replay
      checks the order of every block and fails the run otherwise (``rows.Replay``);
    - never restarted silently: Ray Data restarts a dead actor and retries its block, but a
      fresh replay has empty dedup windows, so it refuses to go on (``ReplayActor``: Ray says
      the actor was reconstructed; ``rows.ReplayStep``: its first block is not the run's
      first) and the run fails with a one-line error, writing nothing."""
    return keys.map_batches(ReplayActor, fn_constructor_args=(build, crash_once, memtrace), batch_size=None,
                            batch_format="pyarrow", num_cpus=0,
                            compute=ray.data.ActorPoolStrategy(size=1, max_tasks_in_flight_per_actor=1))


@dataclass
class _Merged:
    tally: Any
    summaries: dict[str, dict]
    reasons: dict[str, int]
    replay_cpu: float
    blocks: int  # replayed blocks (each about 2 MiB of key columns, or a file's)
    chunks: int  # chunks of CHUNK rows read, kept and annotated
    driver_cpu: float  # the driver's CPU time while the blocks streamed (Ray's threads in it included)
    unread: dict[str, str]  # columns left unread (ReadContext.unread), from the read actors via the replay


def _merge(blocks, out: Path, config: Config, stats: ReadStats, accumulator, new_tally, upkeep: Upkeep) -> _Merged:
    """The driver's part, block by block in input order: rejects written (or raised), file
    counts, accumulators and summaries merged, kept rows of finished blocks deleted; each
    block dropped as soon as it is merged, ``upkeep`` counted per block."""
    on_error = config.input.on_error
    rejects = RejectsWriter(out / "rejects.jsonl")
    tally, totals, replay_summaries, replay_cpu, count, chunks, unread = new_tally(), {}, {}, 0.0, 0, 0, {}
    reading: set[str] = set()  # kept files the last block read (the next may read them too)
    ok, cpu = False, time.process_time()
    try:
        for row in blocks.iter_rows():
            replayed, block_accumulator, block_tally, delta, used = row["state"]
            for item in replayed.rejects:
                _reject(item, on_error, rejects)
            stats.files.extend(replayed.files)
            accumulator.merge(block_accumulator)
            tally.merge(block_tally)
            add_summaries(totals, delta)
            replay_summaries, replay_cpu, count = replayed.summaries, replayed.cpu_seconds, count + 1
            unread = replayed.unread
            for path in reading.difference(used):  # blocks arrive in order: no later one reads it
                Path(path).unlink(missing_ok=True)
            reading, chunks = set(used), chunks + len(used)
            del row, replayed, block_accumulator, block_tally, delta, used
            upkeep.called()
        ok = True
    finally:
        rejects.close(ok)
    merged = {**replay_summaries, **{k: dict(v) for k, v in totals.items()}}
    return _Merged(tally, merged, dict(rejects.reasons), replay_cpu, count, chunks, time.process_time() - cpu, unread)


def _reject(item: Reject, on_error: str, rejects: RejectsWriter) -> None:
    if on_error == "raise":
        from ..errors import RecordError

        raise RecordError(item.reason, item.location)
    if on_error == "collect":
        rejects.write(item)


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
                 logging_level="ERROR", configure_logging=False,
                 _system_config=None if config.run.address else SYSTEM_CONFIG)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"Cannot start or reach Ray at {config.run.address or 'this machine'} ({_why(exc)}); "
                          "check --address (e.g. auto or ray://HEAD:10001).") from None
    except Exception as exc:  # Ray's own start-up failure: its raylet gets 30 s to register, too few on an
        # overloaded machine (or it crashes there). Not tried again: what the failed start left running
        # is out of reach until this process exits.
        where = config.run.address or "this machine"
        raise ConfigError(f"Ray did not start on {where} ({str(exc).splitlines()[0]}); run again when it is "
                          "less busy, or use --engine local.") from None
    return True


def _commit(parts: Path, target: Path) -> None:
    """Move the finished dataset into place (replacing an earlier run's)."""
    parts.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    os.replace(parts, target)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what is behind it: Ray's ``cause`` (a RayTaskError's), else the exception's
    own cause or context, each once."""
    seen, here = set(), exc
    while here is not None and id(here) not in seen:
        yield here
        seen.add(id(here))
        here = getattr(here, "cause", None) or here.__cause__ or here.__context__


def _why(exc: BaseException) -> str:
    """Why Ray could not be started or reached, in one line. A cluster that refused this driver's
    token says so: ``ray start`` turns Ray's token authentication on (Ray 2.60), a driver sends
    its token only with RAY_AUTH_MODE=token, and Ray's own message then names only the address
    (the refusal is in a cause's traceback text)."""
    if any("InvalidAuthToken" in str(cause) for cause in _causes(exc)):
        return "the cluster refused this driver's token: set RAY_AUTH_MODE=token, with the cluster's token in " \
               "~/.ray/auth_token or RAY_AUTH_TOKEN"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _worker_died(ray, exc: BaseException) -> bool:
    """Whether a Ray worker's death (one Ray did not recover from) is behind ``exc``."""
    return any(isinstance(cause, ray.exceptions.RayActorError) for cause in _causes(exc))


def _user_error(exc: BaseException) -> BaseException:
    """The AnalyzerError a worker raised, as it was raised (Ray wraps it in a RayTaskError
    that is also an instance of it but carries a traceback in its message)."""
    for cause in _causes(exc):
        if isinstance(cause, AnalyzerError) and type(cause).__module__ == AnalyzerError.__module__:
            cause.args = (str(cause).splitlines()[0],)  # Ray Data appends its retry advice
            return cause
    return _error_in_text(str(exc)) or exc


def _error_in_text(text: str) -> AnalyzerError | None:
    """The AnalyzerError named in a Ray error's text: Ray Data wraps what an actor's call
    raised in a ``UserCodeException`` that keeps only its traceback as text."""
    from .. import errors

    found = re.search(r"^analyzer\.errors\.(\w+): (.+)$", text, re.MULTILINE)
    kind = getattr(errors, found.group(1), None) if found else None
    if isinstance(kind, type) and issubclass(kind, AnalyzerError):
        return kind(found.group(2))
    return None
