"""The stage protocol: an object with ``pipe(batches)``; the loop is written once.

Subclasses write a pure ``predict(batch) -> predictions`` and
``annotate(batch, predictions) -> batch``. They declare the Comment fields they
``requires`` and ``assigns`` so the pipeline can check the order when it is built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from ..errors import PipelineError
from ..schema import Comment

Batch = list[Comment]


class Stage:
    name: ClassVar[str] = "stage"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()
    # True when a comment's annotations depend on that comment (and its batch) alone: no state
    # carried from one batch to the next, beyond counts in ``summary()`` that add up. The local
    # engine runs the stateless stages at the end of the pipeline on worker processes
    # (``[run] workers``); the others (dedup, link) stay in the main process, in input order.
    stateless: ClassVar[bool] = False
    # True when ``predict`` splits into a pure ``prepare`` (per comment, on any process) and an
    # in-order ``decide_batch`` (dedup's keys then decisions, link's own evidence then parents):
    # the local engine's workers then prepare and annotate the batches this process decides on.
    preparable: ClassVar[bool] = False

    def predict(self, batch: Sequence[Comment]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def annotate(self, batch: Sequence[Comment], predictions: Any) -> Batch:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, batch: Sequence[Comment]) -> Batch:
        if not batch:
            return []
        return self.annotate(batch, self.predict(batch))

    def prepare(self, batch: Sequence[Comment]) -> Any:
        """The part of ``predict`` that reads each comment alone (no state), so it may run on
        another process: a stateless stage's ``predict``."""
        return self.predict(batch)

    def decide_batch(self, batch: Sequence[Comment], prepared: Any) -> Any:
        """``predict(batch)`` from what ``prepare`` made of it (in input order, for a stage with
        state): ``annotate(batch, decide_batch(batch, prepare(batch)))`` is ``self(batch)``."""
        return prepared

    def pipe(self, batches: Iterable[Sequence[Comment]]) -> Iterator[Batch]:
        for batch in batches:
            yield self(batch)

    def describe(self) -> dict[str, Any]:
        """Name and settings, recorded in the run manifest."""
        return {"stage": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HandedOff(Stage):
    """A stage whose work moved to worker processes, as the main process keeps it: the
    description and summary counts the manifest reads, without its models (the workers
    forked with them). Annotating with it is an error: build a new ``Pipeline``."""

    stateless = True

    def __init__(self, stage: Stage) -> None:
        self.name, self.requires, self.assigns = stage.name, stage.requires, stage.assigns
        self._described = stage.describe()
        if hasattr(stage, "summary"):  # the same ``summary()`` the stage answered, frozen
            counts = dict(stage.summary())
            self.summary = lambda: dict(counts)
        release = getattr(stage, "release", None)
        if release is not None:
            release()

    def __call__(self, batch: Sequence[Comment]) -> Batch:
        raise PipelineError(f"Stage '{self.name}' of this pipeline ran on worker processes and its models are gone; "
                            "build a new Pipeline to annotate again.")

    def describe(self) -> dict[str, Any]:
        return dict(self._described)

    def __repr__(self) -> str:
        return f"HandedOff({self.name!r})"


def stateless_tail(stages: Sequence[Any]) -> int:
    """Where the stateless stages that end a pipeline begin (stage instances or classes):
    ``len(stages)`` when the last stage keeps state. The local engine runs ``stages[i:]`` on
    worker processes and ``stages[:i]`` in the main process."""
    i = len(stages)
    while i > 0 and stages[i - 1].stateless:
        i -= 1
    return i


def prepared_head(stages: Sequence[Any]) -> int:
    """How many of the leading ``stages`` a worker can prepare for the in-order ones: stateless
    stages without summary counts (run there, then annotated again here from their predictions)
    and ``preparable`` ones (only prepared there), as long as no stage reads what a preparable
    stage before it assigns (a worker never has those fields)."""
    unknown: set[str] = set()
    for i, stage in enumerate(stages):
        pure = stage.stateless and not hasattr(stage, "summary")
        if not (pure or stage.preparable) or unknown.intersection(stage.requires):
            return i
        if not pure:
            unknown.update(stage.assigns)
    return len(stages)


def summaries(stages: Sequence[Any]) -> dict[str, dict]:
    """``summary()`` counts of every stage that has one, by stage name."""
    return {s.name: dict(s.summary()) for s in stages if hasattr(s, "summary")}


def summary_delta(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    """The counts ``after`` added to ``before`` (summary counts only grow)."""
    return {name: dict(Counter(after[name]) - Counter(before.get(name, {}))) for name in after}


def add_summaries(total: dict[str, Counter], delta: dict[str, dict]) -> None:
    """Add a ``summary_delta`` (a block's, a worker's) into ``total``."""
    for name, counts in delta.items():
        total.setdefault(name, Counter()).update(counts)
