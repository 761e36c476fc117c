"""The streaming local engine: stages checked when built, batches streamed through."""

from __future__ import annotations

import ctypes
import gc
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .errors import PipelineError
from .schema import Comment
from .stages.base import HandedOff, Stage, add_summaries, prepared_head, stateless_tail, summaries

# Fields a reader fills (or leaves empty) before any stage runs.
READER_FIELDS = frozenset({
    "id", "text", "source", "drama", "platform", "region", "author", "created_at",
    "likes", "reply_to", "title", "video_time", "extra",
})


def run_stages(batch: list[Comment], stages: Sequence[Stage], seconds: dict[str, float]) -> list[Comment]:
    """``batch`` through ``stages`` in order; each stage's seconds are added into ``seconds``."""
    clock = time.perf_counter
    for stage in stages:
        start = clock()
        batch = stage(batch)
        seconds[stage.name] = seconds.get(stage.name, 0.0) + clock() - start
    return batch


def annotate_stages(batch: list[Comment], stages: Sequence[Stage], predictions: Sequence[Any],
                    seconds: dict[str, float]) -> list[Comment]:
    """``batch`` annotated by each of ``stages`` with its predictions made elsewhere (a worker's
    ``prepare``, the main process's ``decide_batch``); seconds added into ``seconds``."""
    clock = time.perf_counter
    for stage, predicted in zip(stages, predictions):
        start = clock()
        batch = stage.annotate(batch, predicted)
        seconds[stage.name] = seconds.get(stage.name, 0.0) + clock() - start
    return batch


def release_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the OS (glibc's ``malloc_trim``,
    where there is one), so that freed models lower this process's resident memory."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError, TypeError):  # not glibc
        pass


class Pipeline:
    """An ordered list of stages whose ``requires``/``assigns`` are checked up front."""

    def __init__(self, stages: Sequence[Stage], batch_size: int = 512) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise PipelineError(f"The 'batch_size' parameter of Pipeline must be a positive int. Got {batch_size!r} instead.")
        self.stages = list(stages)
        self.batch_size = batch_size
        self.timings: dict[str, float] = {s.name: 0.0 for s in self.stages}  # seconds per stage
        self.remote: dict[str, dict[str, int]] = {}  # stage -> summary counts added by worker processes
        self.remote_seconds = 0.0  # of the stage seconds, those spent on worker processes
        self.check()

    def check(self) -> None:
        available = set(READER_FIELDS)
        for position, stage in enumerate(self.stages):
            missing = [f for f in stage.requires if f not in available]
            if missing:
                raise PipelineError(
                    f"Stage {position} '{stage.name}' requires {', '.join(missing)}, which no earlier stage assigns; "
                    f"put a stage that assigns it before '{stage.name}'."
                )
            available.update(stage.assigns)

    @classmethod
    def from_config(cls, config: Any = None) -> "Pipeline":
        """The pipeline a config describes: ``[pipeline] stages`` in order, each built from its
        ``[stages.<name>]`` keywords and the shared ``[models.<kind>]`` backends (docs/config.md)."""
        from .config import Config
        from .stages.build import build_stages

        config = config if config is not None else Config()
        return cls(build_stages(config), batch_size=config.run.batch_size)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def batches(self, comments: Iterable[Comment], pool: Any = None,
                then: Callable[[list[Comment]], Any] | None = None) -> Iterator[Any]:
        """Annotated batches, in input order. Seconds spent in each stage add up in ``timings``.
        With ``pool`` (``engines.workers.WorkerPool``), the stateless stages that end the
        pipeline run on its worker processes while this one reads and runs the others.
        With ``then`` (a picklable callable), ``then(batch)`` of each batch instead, made
        where the batch was annotated (on a worker when there is one)."""
        if pool is None:
            batches = self._run(comments, self.stages)
            return batches if then is None else map(then, batches)
        return self._pooled(comments, pool, then)

    def _run(self, comments: Iterable[Comment], stages: Sequence[Stage]) -> Iterator[list[Comment]]:
        iterator = iter(comments)
        while batch := list(itertools.islice(iterator, self.batch_size)):
            yield self._through(batch, stages)

    def _through(self, batch: list[Comment], stages: Sequence[Stage]) -> list[Comment]:
        return run_stages(batch, stages, self.timings)

    def _pooled(self, comments: Iterable[Comment], pool: Any, then: Callable | None) -> Iterator[Any]:
        """The first batch runs every stage here, so that what the stages build on first use
        (compiled patterns, caches) is built once, before the workers are forked; then the rest.
        With enough workers (``WorkerPool.prepares``) they also prepare each batch for the stages
        that keep state here (``prepared_head``: normalize, dedup keys, link's own evidence) and
        annotate it with the decisions this process makes, in order. Once the workers run, the
        tail stages here become ``HandedOff`` (their models freed: ~130 MB less in this process,
        which also reads, writes and aggregates)."""
        split = stateless_tail(self.stages)
        head, tail = self.stages[:split], self.stages[split:]
        iterator = iter(comments)
        first = list(itertools.islice(iterator, self.batch_size))
        if not first:
            return
        first = self._through(first, self.stages)
        ready = prepared_head(head) if pool.prepares else 0
        started = pool.start(self, then, ready)  # False: one process after all (see WorkerPool.start)
        if started:  # the workers have (or build) the tail's models: this process lets them go
            self.stages[split:] = [HandedOff(stage) for stage in tail]
            del tail
            release_memory()
        here = (lambda batch: batch) if then is None else then
        yield here(first)
        if not started:
            yield from (here(self._through(batch, tail)) for batch in self._run(iterator, head))
            return
        if not ready:
            yield from pool.annotate(self._run(iterator, head), self)
            return
        raw = iter(lambda: list(itertools.islice(iterator, self.batch_size)), [])
        prepared = pool.prepare(raw, self)
        if ready == len(head):  # only the decisions here; the workers annotate with them
            decided = ((batch, self._decide(batch, made, head)) for batch, made in prepared)
            yield from pool.annotate(decided, self, decided=True)
        else:
            yield from pool.annotate((self._resume(batch, made, head[:ready], head[ready:])
                                      for batch, made in prepared), self)

    def _decide(self, batch: list[Comment], prepared: list[Any], stages: Sequence[Stage]) -> list[Any]:
        """Each stage's predictions for ``batch`` from what a worker prepared (``Stage.decide_batch``,
        in input order: here the stages keep their state)."""
        clock, decided = time.perf_counter, []
        for stage, made in zip(stages, prepared):
            start = clock()
            decided.append(stage.decide_batch(batch, made))
            self.timings[stage.name] += clock() - start
        return decided

    def _resume(self, batch: list[Comment], prepared: list[Any], done: Sequence[Stage],
                rest: Sequence[Stage]) -> list[Comment]:
        """A batch through the stages a worker prepared, annotated here, then the others here."""
        batch = annotate_stages(batch, done, self._decide(batch, prepared, done), self.timings)
        return self._through(batch, rest)

    def add_remote(self, seconds: dict[str, float], counts: dict[str, dict[str, int]]) -> None:
        """Add a worker's seconds per stage and summary counts for one batch."""
        for name, sec in seconds.items():
            self.timings[name] += sec
            self.remote_seconds += sec
        add_summaries(self.remote, counts)

    def summaries(self) -> dict[str, dict]:
        """``summary()`` of every stage that has one, with the counts of worker processes added."""
        out = {name: Counter(counts) for name, counts in summaries(self.stages).items()}
        add_summaries(out, self.remote)
        return {name: dict(counts) for name, counts in out.items()}

    def local_seconds(self) -> float:
        """Seconds spent in stages run in this process (all but what workers added)."""
        return sum(self.timings.values()) - self.remote_seconds

    def pipe(self, comments: Iterable[Comment]) -> Iterator[Comment]:
        for batch in self.batches(comments):
            yield from batch

    def describe(self) -> list[dict]:
        return [stage.describe() for stage in self.stages]
