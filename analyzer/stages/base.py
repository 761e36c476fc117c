"""The stage protocol: an object with ``pipe(batches)``; the loop is written once.

Subclasses write a pure ``predict(batch) -> predictions`` and
``annotate(batch, predictions) -> batch``. They declare the Comment fields they
``requires`` and ``assigns`` so the pipeline can check the order when it is built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

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

    def predict(self, batch: Sequence[Comment]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def annotate(self, batch: Sequence[Comment], predictions: Any) -> Batch:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, batch: Sequence[Comment]) -> Batch:
        if not batch:
            return []
        return self.annotate(batch, self.predict(batch))

    def pipe(self, batches: Iterable[Sequence[Comment]]) -> Iterator[Batch]:
        for batch in batches:
            yield self(batch)

    def describe(self) -> dict[str, Any]:
        """Name and settings, recorded in the run manifest."""
        return {"stage": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def stateless_tail(stages: Sequence[Any]) -> int:
    """Where the stateless stages that end a pipeline begin (stage instances or classes):
    ``len(stages)`` when the last stage keeps state. The local engine runs ``stages[i:]`` on
    worker processes and ``stages[:i]`` in the main process."""
    i = len(stages)
    while i > 0 and stages[i - 1].stateless:
        i -= 1
    return i


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
