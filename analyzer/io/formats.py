"""Input formats. Each ``Format`` can ``sniff`` a file from its name and first bytes
and ``read`` a decompressed stream into Comments and Rejects. Platform-specific
formats register before the generic ones, so the most specific reader wins."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from typing import BinaryIO, ClassVar

from ..errors import RecordError
from ..schema import Comment
from .base import Reject
from .records import AUTHOR_FIELDS, ReadContext, record_to_comment

csv.field_size_limit(1 << 30)  # long reviews: the default 128 KiB limit would crash the reader
MAX_RAW = 500  # characters of an offending record kept in rejects.jsonl


class Format:
    name: ClassVar[str] = "format"
    suffixes: ClassVar[tuple[str, ...]] = ()

    def sniff(self, name: str, head: bytes) -> bool:
        return name.lower().endswith(self.suffixes)

    def read(self, stream: BinaryIO, path: str, ctx: ReadContext) -> Iterator[Comment | Reject]:
        raise NotImplementedError  # pragma: no cover


FORMATS: list[Format] = []


def register_format(fmt: Format, first: bool = True) -> Format:
    """Add a format; platform formats go first so they are tried before generic ones."""
    FORMATS.insert(0, fmt) if first else FORMATS.append(fmt)
    return fmt


_AUTHOR_VALUE = re.compile(
    r'("(?:' + "|".join(map(re.escape, sorted(AUTHOR_FIELDS))) + r'|author[A-Za-z_]*|user[A-Za-z_]*)"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*"?|\{[^{}]*\}?|[^,}\]\s]+)'
)


def redact_authors(text: str) -> str:
    """Author names and ids in a JSON-ish raw record replaced by ``"<redacted>"``, so
    rejects.jsonl never carries them (records cut off mid-value are covered too)."""
    return _AUTHOR_VALUE.sub(r'\1"<redacted>"', text)


def reject(reason: str, path: str, where, raw=None) -> Reject:
    text = None if raw is None else redact_authors(raw if isinstance(raw, str) else repr(raw))
    return Reject(reason=reason, location=f"{path}:{where}", raw=text[:MAX_RAW] if text else text, file=path)


def safe_comment(record, path: str, where, ctx: ReadContext, **overrides) -> Comment | Reject:
    try:
        return record_to_comment(record, f"{path}:{where}", ctx, **overrides)
    except RecordError as exc:
        return reject(exc.reason, path, where, json.dumps(record, ensure_ascii=False, default=str))


def iter_lines(stream: BinaryIO, path: str) -> Iterator[tuple[int, str | None, bytes]]:
    """(1-based line number, decoded line or None when it is not UTF-8, raw bytes)."""
    for number, raw in enumerate(stream, 1):
        try:
            yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8"), raw
        except UnicodeDecodeError:
            yield number, None, raw


def parse_json_lines(stream: BinaryIO, path: str) -> Iterator[tuple[int, object | Reject]]:
    """(line, parsed JSON value or Reject) for every non-blank line of a JSON Lines stream."""
    for number, line, raw in iter_lines(stream, path):
        if line is None:
            yield number, reject("line is not valid UTF-8; re-encode the file as UTF-8", path, number, repr(raw[:MAX_RAW]))
            continue
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, reject(f"invalid JSON ({exc.msg} at column {exc.colno})", path, number, line)


class JsonLines(Format):
    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def sniff(self, name: str, head: bytes) -> bool:
        return super().sniff(name, head) or (head.lstrip()[:1] == b"{" and b"\n{" in head)

    def read(self, stream, path, ctx):
        for number, value in parse_json_lines(stream, path):
            yield value if isinstance(value, Reject) else safe_comment(value, path, number, ctx)


class JsonDocument(Format):
    """A JSON array of records, or an object holding one under a common key."""

    name = "json"
    suffixes = (".json",)
    LIST_KEYS = ("comments", "data", "items", "records", "reviews")

    def read(self, stream, path, ctx):
        try:
            doc = json.load(codecs.getreader("utf-8-sig")(stream))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield reject(f"not a valid JSON document ({exc}); use JSON Lines for one record per line", path, 1)
            return
        records = doc if isinstance(doc, list) else next(
            (doc[k] for k in self.LIST_KEYS if isinstance(doc, dict) and isinstance(doc.get(k), list)), [doc])
        for index, record in enumerate(records):
            yield safe_comment(record, path, f"#{index}", ctx)


class Delimited(Format):
    name = "csv"
    suffixes = (".csv", ".tsv", ".tab")

    def read(self, stream, path, ctx):
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        head = text.readline()
        if not head:
            return
        delimiter = "\t" if path.lower().endswith((".tsv", ".tab")) or head.count("\t") > head.count(",") else ","
        reader = csv.reader(_chain(head, text), delimiter=delimiter)
        header = [h.strip() for h in next(reader)]
        start = reader.line_num
        for row in reader:
            number = start + 1
            start = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                # As JSON keyed by the header, so author columns are redacted like any record.
                cells = dict(zip(header, row)) | {f"_column_{i + 1}": v for i, v in enumerate(row) if i >= len(header)}
                yield reject(f"expected {len(header)} columns, found {len(row)}", path, number,
                             json.dumps(cells, ensure_ascii=False))
                continue
            yield safe_comment(dict(zip(header, row)), path, number, ctx)


def _chain(first: str, rest) -> Iterator[str]:
    yield first
    yield from rest


class Parquet(Format):
    name = "parquet"
    suffixes = (".parquet", ".pq")

    def sniff(self, name: str, head: bytes) -> bool:
        return head[:4] == b"PAR1" or super().sniff(name, head)

    def read(self, stream, path, ctx):
        import pyarrow.parquet as pq

        source = stream if stream.seekable() else io.BytesIO(stream.read())
        try:
            parquet = pq.ParquetFile(source)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            yield reject(f"not a readable Parquet file ({exc})", path, "row 0")
            return
        row = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                yield safe_comment(record, path, f"row {row}", ctx)


for _fmt in (JsonLines(), JsonDocument(), Delimited(), Parquet()):
    register_format(_fmt, first=False)
