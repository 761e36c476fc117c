"""Input formats. Each ``Format`` can ``sniff`` a file from its name and first bytes
and ``read`` a decompressed stream into Comments and Rejects. Platform-specific
formats register before the generic ones, so the most specific reader wins."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import BinaryIO, ClassVar

from ..errors import RecordError
from ..schema import Comment
from .base import Reject
from .jsonstream import JsonScanner, flat_object, loads
from .limits import FileLimitError, Limits, RecordLimitError, clean_text
from .privacy import FieldPolicy, norm
from .records import FIELD_ALIASES, ReadContext, record_to_comment
from .sources import STDIN
from .tables import detect_delimiter, detect_encoding, open_table
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


DEFAULT_POLICY = FieldPolicy()


class Redacted(str):
    """Raw record text a reader has already redacted (kept as it is in the reject)."""


def redact_authors(text: str, policy: FieldPolicy | None = None) -> str:
    """A raw record (JSON-ish text, possibly cut or broken) with every value that is not
    allow-listed replaced by ``"<redacted>"``: rejects.jsonl never carries an author."""
    return (policy or DEFAULT_POLICY).redact_text(text)


def reject(reason: str, path: str, where, raw=None, policy: FieldPolicy | None = None,
           redacted: bool = False) -> Reject:
    """A Reject of one record. ``raw`` (a parsed record or its text) is redacted by the
    allow-list unless the reader already did (``redacted``)."""
    policy = policy or DEFAULT_POLICY
    if raw is None:
        text = None
    elif isinstance(raw, Redacted) or (redacted and isinstance(raw, str)):
        text = str(raw)
    elif isinstance(raw, str):
        text = policy.redact_text(raw[:4 * MAX_RAW])
    elif isinstance(raw, bytes):
        text = policy.redact_text(raw[:4 * MAX_RAW].decode("utf-8", "replace"))
    else:
        text = json.dumps(policy.redact(raw), ensure_ascii=False, default=str)
    text = clean_text(text[:MAX_RAW]) if text is not None else None
    return Reject(reason=clean_text(str(reason))[:MAX_RAW], location=f"{path}:{where}", raw=text, file=path)


def why(exc: BaseException) -> str:
    """The reason a record failed, for its reject."""
    if isinstance(exc, RecordError):
        return exc.reason
    if isinstance(exc, (RecordLimitError, FileLimitError)):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply to read (raise input.max_depth only if genuine)"
    return f"could not read this record ({type(exc).__name__}: {str(exc)[:200]})"


def safe_comment(record, path: str, where, ctx: ReadContext, **overrides) -> Comment | Reject:
    """The record as a Comment, or its Reject: no exception leaves one record."""
    try:
        return record_to_comment(record, f"{path}:{where}", ctx, **overrides)
    except Exception as exc:  # noqa: BLE001 - one bad record never stops the run
        return reject(why(exc), path, where, record, ctx.policy)


def read_lines(stream: BinaryIO, path: str, limits: Limits, policy: FieldPolicy | None = None
               ) -> Iterator[tuple[int, str | Reject]]:
    """(1-based line number, decoded line or its Reject) for every line; a line longer than
    ``max_record_bytes`` is skipped without being held in memory."""
    number = 0
    while raw := stream.readline(limits.max_record_bytes + 1):
        number += 1
        yield number, checked_line(raw, number, stream, path, limits, policy)


def checked_line(raw: bytes, number: int, stream: BinaryIO, path: str, limits: Limits,
                 policy: FieldPolicy | None) -> str | Reject:
    """Line ``number`` as read (at most ``max_record_bytes + 1`` bytes) decoded, or its Reject;
    the rest of a longer line is read from ``stream`` and dropped."""
    if len(raw) > limits.max_record_bytes and not raw.endswith(b"\n"):
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        return reject(f"line longer than input.max_record_bytes ({limits.max_record_bytes} bytes)",
                      path, number, raw[:MAX_RAW], policy)
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return reject("line is not valid UTF-8; re-encode the file as UTF-8", path, number, None)


def parse_json_lines(stream: BinaryIO, path: str, limits: Limits | None = None, policy: FieldPolicy | None = None
                     ) -> Iterator[tuple[int, object | Reject]]:
    """(line, parsed JSON value or Reject) for every non-blank line of a JSON Lines stream.

    A line that orjson reads, undecoded, as an object of strings, integers, booleans and nulls
    (``flat_object``) is that object: what decoding it and ``loads`` give (orjson refuses what
    strict UTF-8 decoding refuses, a BOM included, and such an object cannot hold an integer
    turned float). Every other line goes the plain way (``read_lines``' checks, then
    ``parse_line``)."""
    limits = limits or Limits()
    most, readline, number = limits.max_record_bytes, stream.readline, 0
    while raw := readline(most + 1):
        number += 1
        if len(raw) <= most or raw.endswith(b"\n"):  # not cut by the limit
            value = flat_object(raw)
            if value is not None:
                yield number, value
                continue
        line = checked_line(raw, number, stream, path, limits, policy)
        if isinstance(line, Reject):
            yield number, line
        elif line and not line.isspace():  # not a blank line (== line.strip(), without a copy)
            yield number, parse_line(line, number, path, limits, policy)


def parse_line(line: str, number: int, path: str, limits: Limits, policy: FieldPolicy | None) -> object:
    """The JSON value of one decoded line, or its Reject."""
    try:
        return loads(line, limits)
    except json.JSONDecodeError as exc:
        cut = line.rstrip("\r\n")
        if exc.msg.startswith("Invalid control character") and exc.pos >= len(cut):  # the line ends in a string
            return parse_line(cut, number, path, limits, policy)  # json then says "Unterminated string"
        where = exc.msg.removesuffix(" at")  # json's "Invalid control character at" names no place itself
        return reject(f"invalid JSON ({where} at column {exc.colno})", path, number, line, policy)
    except (ValueError, RecordLimitError) as exc:
        return reject(why(exc) if isinstance(exc, RecordLimitError) else f"invalid JSON ({exc})",
                      path, number, line, policy)


class JsonLines(Format):
    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def sniff(self, name: str, head: bytes) -> bool:
        return super().sniff(name, head) or (head.lstrip()[:1] == b"{" and b"\n{" in head)

    def read(self, stream, path, ctx):
        for number, value in parse_json_lines(stream, path, ctx.limits, ctx.policy):
            yield value if isinstance(value, Reject) else safe_comment(value, path, number, ctx)


class JsonDocument(Format):
    """A JSON array of records, or an object holding one under a common key; streamed,
    so memory does not grow with the document (each record within max_record_bytes)."""

    name = "json"
    suffixes = (".json",)
    LIST_KEYS = ("comments", "data", "items", "records", "reviews")

    def read(self, stream, path, ctx):
        scanner, records = JsonScanner(stream, ctx.limits), 0
        try:
            for where, value in scanner.document(self.LIST_KEYS):
                records += 1
                if isinstance(value, RecordLimitError):
                    yield reject(why(value), path, where, None)
                else:
                    yield safe_comment(value, path, where, ctx)
        except FileLimitError as exc:  # a whole-file failure: located after the records read, as readers do
            yield reject(f"not a valid JSON document ({exc}); the rest of the file is skipped "
                         "(use JSON Lines for one record per line)", path, f"after record {records}")


_TEXT_NAMES = frozenset(norm(name) for name in FIELD_ALIASES["text"])


def names_text_column(head: bytes) -> bool:
    """Whether the first line of ``head`` is a delimited header with a text column (text,
    body, Comment Text, ...): how CSV on stdin, which has no name to tell it by, is told."""
    lines = head.decode(detect_encoding(head), "replace").lstrip("\ufeff").splitlines()[:1]
    if not lines:
        return False
    cells = next(csv.reader(lines, delimiter=detect_delimiter(lines[0], STDIN)), [])
    return any(norm(cell) in _TEXT_NAMES for cell in cells)


class Delimited(Format):
    """CSV/TSV: the delimiter (comma, semicolon, tab, pipe) and the encoding (UTF-8, UTF-8
    with BOM, UTF-16 as Excel's "Unicode text", else Windows-1252) are detected."""

    name = "csv"
    suffixes = (".csv", ".tsv", ".tab")

    def sniff(self, name: str, head: bytes) -> bool:
        return super().sniff(name, head) or (name.lower().endswith(".txt") and (
            head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\t" in head)) or (
            name == STDIN and names_text_column(head))

    def read(self, stream, path, ctx):
        table = open_table(stream, path, ctx.limits)
        if table.header is None:
            yield reject("no header row (the file holds only blank lines)", path, 1)
            return
        header = table.header
        for number, row in table.rows():
            if isinstance(row, Exception):
                yield reject(why(row) if not isinstance(row, csv.Error) else f"unreadable CSV row ({row})",
                             path, number, None)
            elif not any(cell.strip() for cell in row):
                continue
            elif len(row) != len(header) or swallowed(row, header, table.delimiter, ctx):
                # As a record keyed by the header, so it is redacted like any record.
                found = f"found {len(row)}" if len(row) != len(header) else "a quoted cell holds whole rows (unclosed quote?)"
                yield reject(f"expected {len(header)} columns, {found} "
                             f"(delimiter detected: {table.delimiter!r})", path, number,
                             ctx.policy.cells(header, row), ctx.policy)
            else:
                yield safe_comment(dict(zip(header, row)), path, number, ctx)


def swallowed(row: list[str], header: list[str], delimiter: str, ctx: ReadContext) -> bool:
    """Whether a multi-line cell holds what looks like whole rows (an unclosed quote ate
    them, authors included), in a table with an author column: such a row is rejected."""
    if len(header) < 2 or not any(ctx.policy.author(h) for h in header):
        return False
    return any(line.count(delimiter) >= len(header) - 1 for cell in row if "\n" in cell for line in cell.splitlines())


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
        try:
            for batch in parquet.iter_batches(batch_size=4096):
                for record in batch.to_pylist():
                    row += 1
                    yield safe_comment(record, path, f"row {row}", ctx)
        except Exception as exc:  # noqa: BLE001 - a corrupt page: keep the rows before it
            yield reject(f"Parquet file unreadable after row {row} ({exc}); the rest is skipped", path, f"row {row + 1}")


for _fmt in (JsonLines(), JsonDocument(), Delimited(), Parquet()):
    register_format(_fmt, first=False)
