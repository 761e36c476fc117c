"""JSON within limits: ``loads`` for one line, ``JsonScanner`` for a document streamed
value by value (a top-level array, or the array under a known key), so memory is
bounded by the largest record, not by the document."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from .limits import FileLimitError, Limits, RecordLimitError, check_depth, may_hold_surrogates, replace_surrogates

try:
    import orjson
except ImportError:  # pragma: no cover - a core dependency; json alone gives the same values
    orjson = None

_DECODER = json.JSONDecoder()
_LONG_DIGITS = re.compile(r"[0-9][0-9]{18}")  # 19 digits; starts with a class: the engine skips to digits
_WS = re.compile(r"[ \t\n\r]*")
READ = 1 << 16


def loads(text: str, limits: Limits) -> Any:
    """``json.loads`` within the limits: RecordLimitError when nested too deeply; lone
    surrogates (broken emoji) replaced by U+FFFD; ValueError for invalid JSON.

    orjson parses first (3x faster) where it gives json's values: what it refuses (NaN,
    Infinity, 1e400, lone surrogates, invalid JSON, deep nesting) and records where it may
    have turned an integer beyond 64 bits into a float go to ``json``, errors and all."""
    if orjson is not None:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        else:
            nested = _nested(value)
            if not nested:  # a flat object or a scalar: no integer can have become a float
                return value
            if _LONG_DIGITS.search(text) is None:
                return _deep_checked(value, text, limits)
    try:
        value = json.loads(text)
    except RecursionError:
        raise RecordLimitError(_too_deep(limits)) from None
    return checked(value, text, limits)


def _nested(value: Any) -> bool:
    """Whether ``value`` (as orjson parsed it) may hold an integer beyond 64 bits read as a
    float (one with 19 or more digits), or nest deeper than one level: True for a float, a
    list, or an object holding a float, an object or a list."""
    if type(value) is dict:
        return not _FLAT.issuperset(map(type, value.values()))  # one C loop
    return type(value) is float or type(value) is list


_FLAT = frozenset({str, int, bool, type(None)})


def flat_object(raw: bytes) -> dict | None:
    """The object a raw (undecoded) JSON text holds when orjson reads it as one whose values
    are strings, integers, booleans and nulls (not ``_nested``): then what ``loads`` gives for
    the decoded text, as orjson refuses what strict UTF-8 decoding refuses. Else None."""
    if orjson is None:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if type(value) is dict and _FLAT.issuperset(map(type, value.values())) else None


def _deep_checked(value: Any, text: str, limits: Limits) -> Any:
    """``checked`` for a value orjson parsed (it refuses lone surrogates: none to replace)."""
    if text.count("[") + text.count("{") > limits.max_depth:
        check_depth(value, limits.max_depth)
    return value


def checked(value: Any, text: str, limits: Limits) -> Any:
    if text.count("[") + text.count("{") > limits.max_depth:
        check_depth(value, limits.max_depth)
    return replace_surrogates(value) if may_hold_surrogates(text) else value


def _too_deep(limits: Limits) -> str:
    return f"nested deeper than {limits.max_depth} levels (raise input.max_depth if genuine)"


class JsonScanner:
    """Reads one JSON value at a time from a byte stream (UTF-8, BOM allowed)."""

    def __init__(self, stream: BinaryIO, limits: Limits, prefix: bytes = b"") -> None:
        self.stream, self.limits = stream, limits
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf, self.pos, self.eof = "", 0, False
        if prefix:
            self.buf = self._decode(prefix, False)

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            return self.decoder.decode(data, final)
        except UnicodeDecodeError:
            raise FileLimitError("not valid UTF-8; re-encode the file as UTF-8") from None

    def _more(self, size: int = READ) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(size)
        self.eof = not chunk
        self.buf = self.buf[self.pos:] + self._decode(chunk, self.eof)
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise FileLimitError(f"invalid JSON: expected {char!r}, found {found[:1]!r}")
        self.pos += 1

    def value(self) -> Any:
        """The next value. RecordLimitError (value skipped) when it nests too deeply;
        FileLimitError when it cannot be parsed (the stream cannot be resynchronised)."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise FileLimitError(_too_deep(self.limits)) from None
            except json.JSONDecodeError as exc:
                if self._incomplete(exc) and self._grow():
                    continue
                raise FileLimitError(f"invalid JSON ({exc.msg})") from None
            except ValueError as exc:  # e.g. an integer over 4,300 digits
                raise FileLimitError(f"invalid JSON ({exc})") from None
            if end >= len(self.buf) and not self.eof and self.buf[self.pos] not in '{["' and self._grow():
                continue  # a number or literal may go on in the next chunk
            text, self.pos = self.buf[self.pos:end], end
            return checked(value, text, self.limits)

    def _incomplete(self, exc: json.JSONDecodeError) -> bool:
        return not self.eof and (exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string"))

    def _grow(self) -> bool:
        pending = len(self.buf) - self.pos
        if pending > self.limits.max_record_bytes:
            raise FileLimitError(f"a JSON record larger than input.max_record_bytes ({self.limits.max_record_bytes} bytes)")
        return self._more(max(READ, pending))

    def elements(self) -> Iterator[tuple[str, Any]]:
        """("#index", value or RecordLimitError) for the array starting here."""
        self.expect("[")
        index = 0
        while True:
            found = self.peek()
            if found == "]":
                self.pos += 1
                return
            if index:
                self.expect(",")
            try:
                yield f"#{index}", self.value()
            except RecordLimitError as exc:
                yield f"#{index}", exc
            index += 1

    def document(self, list_keys: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
        """The records of a document: the elements of a top-level array, of the first array
        under one of ``list_keys``, or the document itself as "#0"."""
        first = self.peek()
        if first == "[":
            yield from self.elements()
        elif first == "{" and list_keys:
            yield from self._object(list_keys)
        else:
            try:
                yield "#0", self.value()
            except RecordLimitError as exc:
                yield "#0", exc
        if self.peek():
            raise FileLimitError("extra data after the JSON document (JSON Lines? name the file .jsonl)")

    def _object(self, list_keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        self.expect("{")
        members, streamed = {}, False
        while self.peek() != "}":
            if members or streamed:
                self.expect(",")
            key = self.value()
            if not isinstance(key, str):
                raise FileLimitError("invalid JSON: an object key must be a string")
            self.expect(":")
            if not streamed and key in list_keys and self.peek() == "[":
                streamed = True
                yield from self.elements()
            else:
                members[key] = self.value()
        self.pos += 1
        if not streamed:
            yield "#0", members
