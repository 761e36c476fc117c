"""The local engine on every core: worker processes run the stateless stages that end the
pipeline (langid, region, sentiment, mentions, themes by default) while the main process
reads, runs the in-order stages (normalize, dedup, link), writes and aggregates.

The processes start when the first batch is ready, after the main process built its pipeline.
Where the OS forks (Linux), each worker takes the main process's own stage objects as they were
at the fork, models included, at no cost and sharing their memory pages; elsewhere (spawn), or
when torch is loaded (a forked child must not reuse its thread pools), each worker builds its
stages once from the run's Config in the pool's initializer. No model object is ever pickled;
only batches of Comments travel. Batches go out in input order, ``GROUP`` consecutive ones per
call (each still annotated as a batch of its own; ``then`` makes one item of them: fewer, larger
accumulators and tables to pickle and merge), and come back in input order, at most
``IN_FLIGHT`` calls per worker at a time, so memory stays flat. A worker's seconds per stage and summary counts are added into the main
process's ``Pipeline`` (``add_remote``), so the manifest reads as with one process. Outputs are
the same as with ``workers = 1``: the batches are cut the same way before they leave.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..config import Config, PipelineConfig
from ..defaults import AUTO_WORKERS_MIN_RECORDS, GC_THRESHOLDS, MAX_AUTO_WORKERS
from ..errors import AnalyzerError, PipelineError
from ..pipeline import Pipeline, annotate_stages, run_stages
from ..schema import ByColumns, Comment
from .forked import forked_map
from .memory import Upkeep
from ..stages.base import Stage, stateless_tail, summaries, summary_delta

RELEASE_EVERY = 64  # batches a worker annotates between two hand-backs of freed memory
IN_FLIGHT = 2  # calls per worker sent and not yet back: one being annotated, one queued
# Consecutive batches per call: ``then`` (``runner.BatchOutputs``) makes one Arrow table, one
# accumulator and one tally of them, so the per-batch costs of building, pickling, unpickling
# and merging those (per cell, per column, per call) are paid once per GROUP batches: replayed in
# one process on 20k real comments, 4 took the workers' CPU outside the stages to 0.93x and the main
# process's transport and merging to 0.81x (benchmarks/worker_transport.py; docs/speed.md "Between
# processes"). Up to IN_FLIGHT * workers * GROUP batches (8,192 comments on 2 workers) in flight.
GROUP = 4
# From this many workers, each with a CPU of its own, they also prepare the batches of the
# in-order stages (normalize, dedup keys, link's own evidence; ``Pipeline._pooled``), leaving
# the main process only the decisions. With fewer, the main process is not the bottleneck: on
# 2 CPUs and 2 workers the extra pickling made 200k comments 5% more CPU-seconds and 0.7x as
# fast (docs/speed.md).
PREPARE_MIN_WORKERS = 3


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_workers(config: Config, records: int | None = None) -> int:
    """``[run] workers`` as a number: "auto" is one per available CPU, at most MAX_AUTO_WORKERS;
    1 when the models run on a GPU (one device, not shared between processes) or when the input
    is known to hold fewer than AUTO_WORKERS_MIN_RECORDS ``records`` (None: not known)."""
    workers = config.run.workers
    if workers != "auto":
        return int(workers)
    if config.models.device != "cpu" or (records is not None and records < AUTO_WORKERS_MIN_RECORDS):
        return 1
    return max(1, min(available_cpus(), MAX_AUTO_WORKERS))


def remote_stages(config: Config) -> list[str]:
    """The names of the stages a worker runs: the stateless ones that end ``[pipeline] stages``."""
    from ..stages.build import stage_classes

    names = list(config.pipeline.stages)
    classes = stage_classes()
    return names[stateless_tail([classes[n] for n in names]):]


def worker_pool(config: Config, records: int | None = None) -> "WorkerPool | None":
    """A pool for this config and about ``records`` input records (started by its first batch),
    or None when the job runs in one process (see ``resolve_workers``; also for the Ray engine,
    or when no stateless stage ends the pipeline)."""
    workers = resolve_workers(config, records)
    names = remote_stages(config)
    if workers <= 1 or not names or config.run.engine != "local":
        return None
    return WorkerPool(config, names, workers)


def uses_torch() -> bool:
    """Whether torch is loaded here: its models use every core already, and a forked child must
    not reuse its thread pools."""
    return "torch" in sys.modules


def warm_arrow() -> None:
    """pyarrow's first conversion in a process imports pandas where it is installed (~0.4 CPU-s;
    a run's main process pays it anyway, when it writes): made before the fork, the workers, whose
    ``then`` builds Arrow tables, inherit it instead of paying it once each."""
    import pyarrow as pa

    pa.array([], type=pa.int64())


# --- in each worker process ---------------------------------------------------------------
_STAGES: list[Stage] = []
_HEAD: list[Stage] = []  # the main process's leading stages a worker prepares batches for
_INHERITED: list[Stage] = []  # set in the main process just before it forks the workers
_INHERITED_HEAD: list[Stage] = []
_FAILED: list[BaseException] = []  # an error building the stages, raised by the first batch
_THEN: list[Callable[..., Any]] = []  # what a worker returns of its annotated batches
_UPKEEP: list[Upkeep] = []  # freed memory handed back every RELEASE_EVERY batches


def _start_worker(config: Config, names: list[str], then: Callable[..., Any] | None = None,
                  head: tuple[str, ...] = ()) -> None:
    """The pool's initializer: Ctrl-C is the main process's to handle; take the forked stages,
    or build them once from the config (``head``: the stages it prepares batches for)."""
    from ..stages.build import build_stages

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*GC_THRESHOLDS)  # as the run's main process (a spawned worker starts with the defaults)
    _THEN[:] = [then] if then is not None else []
    # counted per call (GROUP batches each): freed memory goes back every RELEASE_EVERY batches as before
    _UPKEEP[:] = [Upkeep(None, "worker", trace_every=1, release_every=max(1, RELEASE_EVERY // GROUP))]
    if _INHERITED:
        _STAGES[:], _HEAD[:] = _INHERITED, _INHERITED_HEAD
        return
    try:
        _STAGES[:] = build_stages(dataclasses.replace(config, pipeline=PipelineConfig(list(names))))
        _HEAD[:] = build_stages(dataclasses.replace(config, pipeline=PipelineConfig(list(head)))) if head else []
    except AnalyzerError as exc:  # reported once, as one line, by the main process
        _FAILED.append(exc)


def _ready() -> int:
    if _FAILED:
        raise _FAILED[0]
    return os.getpid()


def _annotate(batches: list[list[Comment]], decided: list[list[Any]] | None = None
              ) -> tuple[Any, dict[str, float], dict[str, dict[str, int]]]:
    """(the annotated batches, or what the pool's ``then`` makes of them, one item; seconds per
    stage; summary counts they added per stage). Each batch goes through the stages on its own,
    as in one process. ``decided``: per batch, the ``_HEAD`` stages' predictions, made by the
    main process in input order, to annotate it with first."""
    if _FAILED:
        raise _FAILED[0]
    before = summaries(_STAGES)
    seconds: dict[str, float] = {}
    done = []
    for batch, predictions in zip(batches, decided or [()] * len(batches)):
        batch = annotate_stages(batch, _HEAD, predictions, seconds)
        done.append(run_stages(batch, _STAGES, seconds))
    counts = {name: delta for name, delta in summary_delta(before, summaries(_STAGES)).items() if delta}
    if _UPKEEP:
        _UPKEEP[0].called()
    return (_THEN[0](*done) if _THEN else done), seconds, counts


def _prepare(batch: list[Comment]) -> tuple[list[Any], dict[str, float]]:
    """(what each of the ``_HEAD`` stages ``prepare``s of the batch, seconds per stage): a
    stateless stage also annotates the batch here, for the stages after it."""
    if _FAILED:
        raise _FAILED[0]
    clock, seconds, prepared = time.perf_counter, {}, []
    for stage in _HEAD:
        start = clock()
        made = stage.prepare(batch)
        if stage.stateless:
            batch = stage.annotate(batch, made)
        prepared.append(made)
        seconds[stage.name] = clock() - start
    return prepared, seconds


# --- in the main process --------------------------------------------------------------------
class WorkerPool:
    """Up to ``workers`` processes running the stages ``names``; ``start`` forks them. Use as a
    context manager (``close`` stops them)."""

    def __init__(self, config: Config, names: list[str], workers: int) -> None:
        self.config, self.names, self.workers = config, names, workers
        self.wait_seconds = 0.0  # main process time spent waiting for a batch to come back
        # whether the workers prepare the in-order stages' batches (see PREPARE_MIN_WORKERS)
        self.prepares = min(workers, available_cpus()) >= PREPARE_MIN_WORKERS
        self.executor: ProcessPoolExecutor | None = None
        self.then: Callable[..., Any] | None = None  # see ``start``
        self.forked = False  # whether ``start`` forked the workers (see ``end_spread``)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self, pipeline: Pipeline, then: Callable[[list[Comment]], Any] | None = None, head: int = 0) -> bool:
        """Start the workers for ``pipeline`` (built by this process from the same config); False
        (and one process) when ``workers = "auto"`` and the models are torch's. With ``then``
        (picklable), a worker returns ``then(batch)`` instead of each annotated batch: work
        on the batch that need not wait for the batches before it (``runner.BatchOutputs``);
        ``then(*batches)`` of up to ``GROUP`` consecutive batches makes one item of them."""
        if self.config.run.workers == "auto" and uses_torch():
            self.workers = 1
            return False
        self.then = then
        fork = "fork" in multiprocessing.get_all_start_methods() and not uses_torch()
        context = multiprocessing.get_context("fork" if fork else "spawn")
        self.executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                            initargs=(self.config, self.names, then, tuple(pipeline.names[:head])))
        self.forked = fork
        if fork:
            if then is not None:
                warm_arrow()
            _INHERITED[:] = [s for s in pipeline.stages if s.name in self.names]
            _INHERITED_HEAD[:] = pipeline.stages[:head]
            gc.freeze()  # the children's garbage collector then leaves the shared pages alone
        try:
            for _ in range(self.workers):  # a fork context starts every worker on the first submit
                self.executor.submit(_ready)
        finally:
            _INHERITED.clear()
            _INHERITED_HEAD.clear()
            gc.unfreeze()
        return True

    def end_spread(self) -> tuple[int, Callable[..., list[Any]]] | None:
        """Once the workers stopped, the end phase's ``spread`` over as many processes (forked,
        as the workers were: ``engines.forked``), or None: one process (the workers were
        spawned, or not started)."""
        shares = min(self.workers, available_cpus())
        return (shares, forked_map) if self.forked and shares > 1 else None

    def close(self) -> None:
        """Stop the workers; batches not yet started are dropped (after an error or Ctrl-C)."""
        if self.executor is None:
            return
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except RuntimeError:  # Ctrl-C landed after the workers forked but before the pool's thread started:
            for child in multiprocessing.active_children():  # nothing else would stop them
                child.terminate()
                child.join()

    def prepare(self, batches: Iterator[list[Comment]], pipeline: Pipeline) -> Iterator[tuple[list[Comment], list[Any]]]:
        """(batch, what the workers ``prepare``d of it for the head stages), in input order,
        up to ``IN_FLIGHT`` per worker ahead; their seconds go to ``pipeline.add_remote``."""
        pending: deque[tuple[list[Comment], Future]] = deque()
        for batch in batches:
            pending.append((batch, self.executor.submit(_prepare, batch)))
            if len(pending) >= IN_FLIGHT * self.workers:
                yield self._prepared(*pending.popleft(), pipeline)
        while pending:
            yield self._prepared(*pending.popleft(), pipeline)

    def _prepared(self, batch: list[Comment], future: Future, pipeline: Pipeline) -> tuple[list[Comment], list[Any]]:
        start = time.perf_counter()
        try:
            prepared, seconds = future.result()
        finally:
            self.wait_seconds += time.perf_counter() - start
        pipeline.add_remote(seconds, {})
        return batch, prepared

    def annotate(self, batches: Iterator[Any], pipeline: Pipeline, decided: bool = False) -> Iterator[Any]:
        """``batches`` (already through the main process's stages) through the workers' stages,
        in order, ``GROUP`` per call: each batch, or with ``then`` (see ``start``) one item per
        call; seconds and summary counts go to ``pipeline.add_remote``. ``decided``: each item
        is (batch, the head stages' predictions), and the workers annotate the batch with those first."""
        pending: deque[Future] = deque()
        batches = iter(batches)
        try:
            while group := list(itertools.islice(batches, GROUP)):
                calls = [list(column) for column in zip(*group)] if decided else [group]
                calls[0] = [ByColumns(batch) for batch in calls[0]]  # pickled a field at a time
                pending.append(self.executor.submit(_annotate, *calls))
                if len(pending) >= IN_FLIGHT * self.workers:
                    yield from self._finish(pending.popleft(), pipeline)
            while pending:
                yield from self._finish(pending.popleft(), pipeline)
        except BrokenProcessPool:  # from a result, or from a submit after the pool broke
            raise PipelineError("A worker process stopped abruptly (killed or out of memory); nothing was written. "
                                "Run again with fewer --workers (or --workers 1).") from None

    def _finish(self, future: Future, pipeline: Pipeline) -> Iterator[Any]:
        start = time.perf_counter()
        try:
            made, seconds, counts = future.result()
        finally:
            self.wait_seconds += time.perf_counter() - start
        pipeline.add_remote(seconds, counts)
        if self.then is None:
            yield from made  # the batches themselves
        else:
            yield made
