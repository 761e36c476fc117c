"""Helpers shared by the platform readers: building Comments from hand-picked
fields, reading JSON that is either one document or JSON Lines, and sniffing."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from ...errors import RecordError
from ...schema import Comment
from ..base import Reject
from ..formats import MAX_RAW, reject
from ..records import ReadContext, record_to_comment

Where = int | str


def make_comment(path: str, where: Where, ctx: ReadContext, raw: Any, extra: dict[str, Any],
                 **fields: Any) -> Comment | Reject:
    """A Comment from explicit ``fields`` (Comment field names) plus ``extra``.

    Only ``extra`` is copied into ``Comment.extra`` (and searched for the user's
    ``--map`` fields), so readers decide exactly which input fields are kept: author
    names, ids and avatars are never in it. ``raw`` goes to the rejects file on failure.
    """
    extra = {k: v for k, v in extra.items() if v is not None and v != ""}
    try:
        return record_to_comment(extra, f"{path}:{where}", ctx, **fields)
    except RecordError as exc:
        return reject(exc.reason, path, where, dump_raw(raw))


def dump_raw(raw: Any) -> str:
    if isinstance(raw, str):
        return raw[:MAX_RAW]
    return json.dumps(raw, ensure_ascii=False, default=str)[:MAX_RAW]


def iter_json(stream: BinaryIO, path: str) -> Iterator[tuple[Where, Any]]:
    """(where, value or Reject) for a JSON Lines stream, or one (1, document) for a
    file holding a single (possibly pretty-printed) JSON document."""
    number, first = _first_line(stream)
    if first is None:
        return
    try:
        value = json.loads(first.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        yield from _whole_document(first + stream.read(), path, number)
        return
    yield number, value
    for number, raw in enumerate(stream, number + 1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, reject("line is not valid UTF-8; re-encode the file as UTF-8", path, number, repr(raw[:MAX_RAW]))
        except ValueError as exc:
            yield number, reject(f"invalid JSON ({exc})", path, number, raw.decode("utf-8", "replace"))


def _first_line(stream: BinaryIO) -> tuple[int, bytes | None]:
    for number, raw in enumerate(stream, 1):
        if raw.strip():
            return number, raw
    return 0, None


def _whole_document(data: bytes, path: str, number: int) -> Iterator[tuple[Where, Any]]:
    try:
        yield number, json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        yield number, reject("file is not valid UTF-8; re-encode it as UTF-8", path, number)
    except ValueError as exc:
        yield number, reject(f"not valid JSON or JSON Lines ({exc})", path, number,
                             data[:MAX_RAW].decode("utf-8", "replace"))


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
