"""``read_comments``: every input record comes out as a Comment or a Reject.

A failure inside one record is that record's reject (each reader isolates its
records); a failure of the whole file (unknown format, cut-off or corrupt
compression, a decompression bomb, an unreadable file) is one per-file reject after
the records read before it, which are kept. Either way the run goes on and
``read == accepted + rejected`` holds per file and in total.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import AnalyzerError, InputError
from ..schema import Comment
from .base import Reject
from .formats import FORMATS, Format
from .limits import clean_text
from .records import ReadContext
from .sources import STDIN, display_path, expand_inputs, logical_name, open_input, peek


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
    if path == STDIN:
        raise InputError("cannot tell the format of <stdin>; pipe JSON Lines, JSON, a platform dump or a CSV whose "
                         "header names the text column (text, body, comment, ...), or save it as .csv/.parquet")
    if name.lower().endswith(SPREADSHEETS):
        raise InputError(f"{display_path(path)} is a spreadsheet, which is not read; save the sheet as CSV "
                         "(UTF-8) and give the .csv")
    raise InputError(
        f"cannot tell the format of {display_path(path)}; use one of "
        f"{', '.join(f.name for f in FORMATS)} (e.g. name it .jsonl/.csv/.parquet)"
    )


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def read_comments(
    inputs: Iterable[str] | str,
    ctx: ReadContext | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Comment | Reject]:
    """Stream Comments and Rejects from files, folders, globs or ``-`` (stdin)."""
    ctx = ctx or ReadContext()
    stats = stats if stats is not None else ReadStats()
    for path in expand_inputs(list(inputs) if not isinstance(inputs, str) else inputs):
        counts = FileCounts(display_path(path), "unknown")
        stats.files.append(counts)
        yield from counted(read_file_items(path, ctx, counts), counts)


def counted(items: Iterable[Comment | Reject], counts: FileCounts) -> Iterator[Comment | Reject]:
    """``items`` unchanged, each counted in ``counts`` (read = accepted + rejected)."""
    for item in items:
        counts.read += 1
        if isinstance(item, Reject):
            counts.rejected += 1
        else:
            counts.accepted += 1
        yield item


def read_file_items(path: str, ctx: ReadContext, counts: FileCounts) -> Iterator[Comment | Reject]:
    """One file's Comments and Rejects: a whole-file failure (empty, unknown format, cut or
    corrupt compression, a bomb) ends it with one reject after the records read before it.
    Sets ``counts.format``; the caller counts the items (every engine reads files this way)."""
    shown = counts.path
    try:
        with open_input(path, ctx.limits) as stream:
            head = peek(stream)
            if not head:
                yield file_reject("file is empty (0 bytes after decompression); nothing to read", shown, 0)
                return
            fmt = detect_format(path, head)
            counts.format = fmt.name
            yield from fmt.read(stream, shown, ctx)
    except Exception as exc:  # noqa: BLE001 - whatever breaks a file must not break the run
        why = str(exc) if isinstance(exc, AnalyzerError) else f"{type(exc).__name__}: {exc}"
        kept = f"; the {counts.read} record(s) before it are kept" if counts.read else ""
        yield file_reject(f"file not read to the end: {why}{kept}", shown, counts.read)


def file_reject(reason: str, shown: str, records_before: int) -> Reject:
    """One reject for a whole file; its location names the records read before the failure."""
    return Reject(reason=clean_text(reason)[:1000], location=f"{shown}:after record {records_before}", raw=None,
                  file=shown)
