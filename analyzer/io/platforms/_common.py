"""Helpers shared by the platform readers: building Comments from hand-picked
fields, reading JSON that is either one document or JSON Lines, and sniffing."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from ...schema import Comment
from ..base import Reject
from ..formats import parse_line, read_lines, reject, why
from ..jsonstream import JsonScanner, loads
from ..limits import FileLimitError, RecordLimitError
from ..records import ReadContext, record_to_comment

Where = int | str


def make_comment(path: str, where: Where, ctx: ReadContext, raw: Any, extra: dict[str, Any],
                 **fields: Any) -> Comment | Reject:
    """A Comment from explicit ``fields`` (Comment field names) plus ``extra``.

    Only ``extra`` is copied into ``Comment.extra`` (and searched for the user's
    ``--map`` fields), so readers decide exactly which input fields are kept: author
    names, ids and avatars are never in it. ``raw`` goes to the rejects file on failure.
    """
    try:
        extra = {k: v for k, v in extra.items() if v is not None and v != ""}
        return record_to_comment(extra, f"{path}:{where}", ctx, trusted=True, **fields)
    except Exception as exc:  # noqa: BLE001 - one bad record never stops the run
        return reject(why(exc), path, where, raw, ctx.policy)


def isolated(build: Callable[..., Any], record: Any, path: str, where: Where, ctx: ReadContext, *args: Any
             ) -> Iterator[Comment | Reject]:
    """``build(record, path, where, ctx, *args)`` (one Comment/Reject, or an iterator of
    them); any exception becomes a Reject of that record and reading goes on."""
    try:
        result = build(record, path, where, ctx, *args)
        if isinstance(result, (Comment, Reject)):
            yield result
            return
        items = list(result)
    except Exception as exc:  # noqa: BLE001 - one bad record never stops the run
        yield reject(why(exc), path, where, record, ctx.policy)
        return
    yield from items


def dump_raw(raw: Any) -> Any:
    """The raw record for a reject (``reject`` redacts it by the allow-list)."""
    return raw


def iter_json(stream: BinaryIO, path: str, ctx: ReadContext) -> Iterator[tuple[Where, Any]]:
    """(where, value or Reject) for a JSON Lines stream, or for a file holding one
    (possibly pretty-printed) JSON document: its array elements one by one ("#i"), or
    the whole document (line of its start). Each value within the limits."""
    lines = read_lines(stream, path, ctx.limits, ctx.policy)
    number, first = 0, None
    for number, first in lines:
        if isinstance(first, Reject) or first.strip():
            break
    else:
        return
    if isinstance(first, Reject):
        yield number, first
    else:
        try:
            yield number, loads(first, ctx.limits)
        except RecordLimitError as exc:
            yield number, reject(why(exc), path, number, first, ctx.policy)
        except ValueError:
            if _starts_document(first):
                yield from _whole_document(first.encode("utf-8"), stream, path, number, ctx)
                return
            yield number, parse_line(first, number, path, ctx.limits, ctx.policy)  # its reject, as JSON Lines
    for number, line in lines:
        if isinstance(line, Reject):
            yield number, line
        elif line.strip():
            yield number, parse_line(line, number, path, ctx.limits, ctx.policy)


def _starts_document(line: str) -> bool:
    """Whether an unparseable first line opens a pretty-printed document (``{``, ``[`` or
    a first member ending in ``,``) rather than being a broken JSON Lines record, after
    which reading goes on line by line."""
    line = line.strip()
    return line[:1] in ("{", "[") and line[-1:] in ("{", "[", ",")


def _whole_document(first: bytes, stream: BinaryIO, path: str, number: int, ctx: ReadContext
                    ) -> Iterator[tuple[Where, Any]]:
    scanner, records = JsonScanner(stream, ctx.limits, prefix=first), 0
    try:
        for where, value in scanner.document():
            where, records = number if where == "#0" else where, records + 1
            yield where, (reject(why(value), path, where) if isinstance(value, RecordLimitError) else value)
    except FileLimitError as exc:  # a whole-file failure: located after the records read, as readers do
        where = f"after record {records}"
        yield where, reject(f"not valid JSON or JSON Lines ({exc}); the rest of the file is skipped", path, where)


def records_in(value: Any, keys: tuple[str, ...]) -> list[Any] | None:
    """The list of records in a document: the value itself or the first list under ``keys``."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in keys:
            found = value.get(key)
            if isinstance(found, list):
                return found
            if isinstance(found, dict):
                nested = records_in(found, keys)
                if nested is not None:
                    return nested
    return None


def has_keys(head: bytes, *keys: str) -> bool:
    """Whether every ``"key":`` appears in the first bytes of a JSON file."""
    return all(re.search(rb'"' + re.escape(k.encode()) + rb'"\s*:', head) for k in keys)


def has_any_key(head: bytes, *keys: str) -> bool:
    return any(has_keys(head, k) for k in keys)


def looks_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def get(record: Any, *path: str, default: Any = None) -> Any:
    """``record[path[0]][path[1]]...`` or ``default`` when any step is missing."""
    for key in path:
        if not isinstance(record, dict):
            return default
        record = record.get(key)
    return default if record is None else record


def number(value: Any) -> float | None:
    """A finite float from a number or numeric string; None when empty or not numeric."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None
