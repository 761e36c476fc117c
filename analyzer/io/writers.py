"""Writers. Every file is written to a temporary name beside its target and moved
into place only when complete, so a failed run never leaves a half-written output."""

from __future__ import annotations

import csv
import glob
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import ARROW_SCHEMA, Comment, to_arrow
from .base import Reject


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def clean_stale_temps(target: Path) -> None:
    """Remove ``.NAME.PID.*.tmp`` files beside ``target`` left by killed processes."""
    prefix = f".{target.name}."
    for entry in target.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = entry.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            entry.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8", newline="" if "b" not in mode else None) as handle:
            yield handle


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_open(path) as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2, default=str)
        handle.write("\n")


class CommentParquetWriter:
    """Streams batches of Comments into one Parquet file (atomically).

    Batches are held until ``row_group_rows`` rows and written as one row group: a
    pipeline batch (512) per row group made the file's metadata, kept in memory until
    ``close``, grow with every batch, and wrote slower. Memory is bounded by one row group."""

    ROW_GROUP_ROWS = 16_384

    def __init__(self, path: str | os.PathLike, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self._ctx = atomic_path(path)
        self._tmp = self._ctx.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, ARROW_SCHEMA)
        self.row_group_rows = row_group_rows
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.rows = 0

    def write(self, batch: list[Comment]) -> None:
        if batch:
            self.write_table(to_arrow(batch))

    def write_table(self, table: pa.Table) -> None:
        """Rows already converted (``schema.to_arrow``, e.g. on a worker process)."""
        if table.num_rows:
            self._pending.append(table)
            self._pending_rows += table.num_rows
            self.rows += table.num_rows
            if self._pending_rows >= self.row_group_rows:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=max(self._pending_rows, 1))
            self._pending, self._pending_rows = [], 0

    def close(self, ok: bool = True) -> None:
        if ok:
            self._flush()
        self._pending = []
        self._writer.close()
        if ok:
            self._ctx.__exit__(None, None, None)
        else:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


class RejectsWriter:
    """The rejects sink: one JSON object per rejected record, with reason and location.

    ``reasons`` counts the rejects by the general part of their reason (for the run's
    one-line verdict); at most ``MAX_REASONS`` distinct reasons are kept, so it stays small."""

    MAX_REASONS = 200

    def __init__(self, path: str | os.PathLike) -> None:
        self._ctx = atomic_open(path)
        self._handle = self._ctx.__enter__()
        self.count = 0
        self.reasons: Counter[str] = Counter()

    def write(self, item: Reject) -> None:
        self._handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
        self.count += 1
        reason = reason_kind(item.reason)
        if reason in self.reasons or len(self.reasons) < self.MAX_REASONS:
            self.reasons[reason] += 1

    def close(self, ok: bool = True) -> None:
        """Move the file into place (``ok``) or drop it, so a failed run never replaces an older one."""
        self._handle.close()
        self._ctx.__exit__(None if ok else RuntimeError, None, None)


def reason_kind(reason: str) -> str:
    """``"invalid JSON (Expecting ',' ...)"`` -> ``"invalid JSON"``: the reason without its details."""
    return re.split(r"\s*[:(]", reason, maxsplit=1)[0].strip() or reason


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_safe(value: Any) -> Any:
    """OWASP's CSV-injection rule for a text cell: one that begins with ``= + - @``, a tab or
    a carriage return gets a leading single quote, so a spreadsheet shows it as text instead
    of running it as a formula. Numbers (and text that is just a plain number, such as
    ``-3`` or ``+1.5e3``) are left as they are: they cannot be formulas."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


class RowWriter:
    """Writes plain rows (dicts) as JSONL, CSV or Parquet, chosen by the file extension.

    Rows may differ in their keys (inputs from several formats). JSONL is written as it
    comes; for CSV and Parquet the rows are spooled to a temporary JSONL file while the
    union of keys is collected, then converted in chunks, so memory stays flat and no
    field is dropped. In CSV/Parquet, nested values are JSON text and input fields are
    text; ``typed`` names the columns whose own type is kept.
    """

    CHUNK = 4096

    def __init__(self, path: str | os.PathLike, typed: dict[str, pa.DataType] | None = None,
                 csv_guard: bool = True) -> None:
        self.path = str(path)
        self.csv_guard = csv_guard
        self.kind = self.kind_of(self.path)
        self.typed = dict(typed or {})
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._spool = self._tmp if self.kind == "jsonl" else self._tmp + ".spool"
        self._handle = open(self._spool, "w", encoding="utf-8")
        self._keys: dict[str, None] = {}
        self.rows = 0

    @staticmethod
    def kind_of(path: str) -> str | None:
        for kind, suffixes in (("jsonl", (".jsonl", ".ndjson")), ("csv", (".csv",)), ("parquet", (".parquet",))):
            if path.lower().endswith(suffixes):
                return kind
        return None

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._keys.update(dict.fromkeys(row))
            self._handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self.rows += len(rows)

    def _spooled(self) -> Iterator[list[dict[str, Any]]]:
        with open(self._spool, encoding="utf-8") as handle:
            while chunk := [json.loads(line) for _, line in zip(range(self.CHUNK), handle)]:
                yield [{k: self._flat(k, row.get(k)) for k in self._keys} for row in chunk]

    def _flat(self, key: str, value: Any) -> Any:
        if value is None or (key in self.typed and self.kind == "parquet"):
            return value
        if isinstance(value, (list, tuple, dict)):
            return _cell(value)
        return value if key in self.typed else str(value)

    def _convert(self) -> None:
        if self.kind == "csv":
            with open(self._tmp, "w", encoding="utf-8", newline="") as out:
                writer = csv.DictWriter(out, fieldnames=list(self._keys))
                writer.writeheader()
                for chunk in self._spooled():
                    writer.writerows([{k: csv_safe(v) for k, v in row.items()} for row in chunk] if self.csv_guard
                                     else chunk)
            return
        schema = pa.schema([(k, self.typed.get(k, pa.string())) for k in self._keys])
        with pq.ParquetWriter(self._tmp, schema) as writer:
            for chunk in self._spooled():
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))

    def close(self, ok: bool = True) -> None:
        self._handle.close()
        try:
            if ok and self.kind != "jsonl":
                self._convert()
        finally:
            if self._spool != self._tmp and os.path.exists(self._spool):
                os.unlink(self._spool)
        self._ctx.__exit__(None if ok else RuntimeError, None, None)
