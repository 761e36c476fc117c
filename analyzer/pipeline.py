"""The streaming local engine: stages checked when built, batches streamed through."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .errors import PipelineError
from .schema import Comment
from .stages.base import Stage, stateless_tail

# Fields a reader fills (or leaves empty) before any stage runs.
READER_FIELDS = frozenset({
    "id", "text", "source", "drama", "platform", "region", "author", "created_at",
    "likes", "reply_to", "title", "video_time", "extra",
})


class Pipeline:
    """An ordered list of stages whose ``requires``/``assigns`` are checked up front."""

    def __init__(self, stages: Sequence[Stage], batch_size: int = 512) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise PipelineError(f"The 'batch_size' parameter of Pipeline must be a positive int. Got {batch_size!r} instead.")
        self.stages = list(stages)
        self.batch_size = batch_size
        self.timings: dict[str, float] = {s.name: 0.0 for s in self.stages}  # seconds per stage
        self.remote: dict[str, dict[str, int]] = {}  # stage -> summary counts, for stages run on workers
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

    def batches(self, comments: Iterable[Comment], pool: Any = None) -> Iterator[list[Comment]]:
        """Annotated batches, in input order. Seconds spent in each stage add up in ``timings``.
        With ``pool`` (``engines.workers.WorkerPool``), the stateless stages that end the
        pipeline run on its worker processes while this one reads and runs the others."""
        if pool is None or not pool.start(self):
            return self._run(comments, self.stages)
        head = self.stages[:stateless_tail(self.stages)]
        for stage in self.stages[len(head):]:
            self.remote.setdefault(stage.name, {})
        return pool.annotate(self._run(comments, head), self)

    def _run(self, comments: Iterable[Comment], stages: Sequence[Stage]) -> Iterator[list[Comment]]:
        iterator = iter(comments)
        clock = time.perf_counter
        while batch := list(itertools.islice(iterator, self.batch_size)):
            for stage in stages:
                start = clock()
                batch = stage(batch)
                self.timings[stage.name] += clock() - start
            yield batch

    def add_remote(self, seconds: dict[str, float], counts: dict[str, dict[str, int]]) -> None:
        """Add a worker's seconds per stage and summary counts for one batch."""
        for name, sec in seconds.items():
            self.timings[name] += sec
        for name, delta in counts.items():
            total = self.remote.setdefault(name, {})
            for key, n in delta.items():
                total[key] = total.get(key, 0) + n

    def summaries(self) -> dict[str, dict]:
        """``summary()`` of every stage that has one; for stages run on workers, their counts added up."""
        return {s.name: dict(self.remote[s.name]) if s.name in self.remote else s.summary()
                for s in self.stages if hasattr(s, "summary")}

    def local_seconds(self) -> float:
        """Seconds spent in stages run in this process."""
        return sum(sec for name, sec in self.timings.items() if name not in self.remote)

    def pipe(self, comments: Iterable[Comment]) -> Iterator[Comment]:
        for batch in self.batches(comments):
            yield from batch

    def describe(self) -> list[dict]:
        return [stage.describe() for stage in self.stages]
