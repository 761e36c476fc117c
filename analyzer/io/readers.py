"""``read_comments``: every input record comes out as a Comment or a Reject."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import InputError
from ..schema import Comment
from .base import Reject
from .formats import FORMATS, Format
from .records import ReadContext
from .sources import display_path, expand_inputs, logical_name, open_input, peek


@dataclass
class FileCounts:
    path: str
    format: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "read": self.read,
                "accepted": self.accepted, "rejected": self.rejected}


@dataclass
class ReadStats:
    """Per-file counts; ``read == accepted + rejected`` holds for each file and in total."""

    files: list[FileCounts] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(f, k) for f in self.files) for k in ("read", "accepted", "rejected")}


def detect_format(path: str, head: bytes) -> Format:
    name = logical_name(path)
    for fmt in FORMATS:
        if fmt.sniff(name, head):
            return fmt
    raise InputError(
        f"Cannot tell the format of {display_path(path)}; use one of "
        f"{', '.join(f.name for f in FORMATS)} (e.g. name it .jsonl/.csv/.parquet)."
    )


def read_comments(
    inputs: Iterable[str] | str,
    ctx: ReadContext | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Comment | Reject]:
    """Stream Comments and Rejects from files, folders, globs or ``-`` (stdin)."""
    ctx = ctx or ReadContext()
    stats = stats if stats is not None else ReadStats()
    for path in expand_inputs(list(inputs) if not isinstance(inputs, str) else inputs):
        with open_input(path) as stream:
            fmt = detect_format(path, peek(stream))
            counts = FileCounts(display_path(path), fmt.name)
            stats.files.append(counts)
            for item in fmt.read(stream, display_path(path), ctx):
                counts.read += 1
                if isinstance(item, Reject):
                    counts.rejected += 1
                else:
                    counts.accepted += 1
                yield item
