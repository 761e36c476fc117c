"""Delimited text tables as spreadsheets export them: the encoding (UTF-8, UTF-8 with
BOM, UTF-16 with BOM as Excel's "Unicode text", else Windows-1252) and the delimiter
(comma, semicolon, tab or pipe: the most frequent in the header line) are detected;
lines are read within ``max_record_bytes``."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .limits import Limits, RecordLimitError

DELIMITERS = (",", ";", "\t", "|")
_QUOTED = re.compile(r'"[^"]*"')
_SEP_LINE = re.compile(r"sep=([,;\t|])")


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return "utf-16-be"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the peek
            return "cp1252"
    return "utf-8"


def detect_delimiter(header: str, path: str) -> str:
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    unquoted = _QUOTED.sub("", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier (comma first)
    return best if counts[best] else ","


class _Lines:
    """Text lines for csv.reader; a line over the limit raises RecordLimitError once and
    is skipped, and the iterator goes on (a generator could not)."""

    def __init__(self, text: io.TextIOBase, first: str, limit: int) -> None:
        self.text, self.first, self.limit = text, first, limit
        self.quotes, self.ended = 0, False  # quote marks since Table.rows reset them; the file ran out

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.first is not None:
            line, self.first = self.first, None
            return line
        line = self.text.readline(self.limit + 1)
        if not line:
            self.ended = True
            raise StopIteration
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            while (rest := self.text.readline(1 << 20)) and not rest.endswith(("\n", "\r")):
                pass
            raise RecordLimitError(f"line longer than input.max_record_bytes ({self.limit})")
        self.quotes += line.count('"')
        return line


@dataclass
class Table:
    reader: "csv._reader"
    header: list[str] | None
    delimiter: str
    encoding: str
    skipped: int = 0  # blank lines before the header
    lines: _Lines | None = None

    def rows(self) -> Iterator[tuple[int, list[str] | Exception]]:
        """(first line number of the row, its cells or the error that row raised)."""
        start, lines = self.reader.line_num + self.skipped, self.lines
        while True:
            if lines is not None:
                lines.quotes = 0
            try:
                row = next(self.reader)
            except StopIteration:
                return
            except (csv.Error, RecordLimitError) as exc:
                yield start + 1, exc
                start = self.reader.line_num + self.skipped
                continue
            if lines is not None and lines.ended and lines.quotes % 2:  # the file ended inside this row
                row = self._closed(row, start)
            yield start + 1, row
            start = self.reader.line_num + self.skipped

    def _closed(self, row: list[str], start: int) -> list[str] | csv.Error:
        """The last row, or an error when it spans lines because of a quote the file never
        closed (its quote marks do not pair up): those lines were rows of their own."""
        spanned = self.reader.line_num + self.skipped - start
        return unclosed_quote(spanned) if spanned > 1 else row


def unclosed_quote(spanned: int) -> csv.Error:
    return csv.Error(f"unclosed quote: a quoted cell opened here runs to the end of the file and holds the "
                     f"{spanned - 1} line(s) after it; close the quote (or double it) and read the file again")


def open_table(stream: BinaryIO, path: str, limits: Limits) -> Table:
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    encoding = detect_encoding(head)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    first, skipped = text.readline(limits.max_record_bytes + 1), 0
    while first and not first.strip():
        first, skipped = text.readline(limits.max_record_bytes + 1), skipped + 1
    if len(first) > limits.max_record_bytes:
        raise RecordLimitError(f"header line longer than input.max_record_bytes ({limits.max_record_bytes})")
    named = _SEP_LINE.fullmatch(first.lstrip("\ufeff").rstrip("\r\n"))  # Excel's "sep=;" line before the header
    if named:
        first, skipped = text.readline(limits.max_record_bytes + 1), skipped + 1
    delimiter = named.group(1) if named else detect_delimiter(first, path)
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_record_bytes))
    lines = _Lines(text, first, limits.max_record_bytes)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)] if first else None
    except StopIteration:
        header = None
    return Table(reader, header, delimiter, encoding, skipped, lines)
