"""Compact, mergeable state of one drama x region cell: one row per author x day.

A row holds what the metrics need of that author's comments that day, in columns:
``counts`` (the summed comment-level counts, ``COUNT_COLS`` of the feature vector; uint8
while every count of the block fits, else uint16, else int32), ``flags`` (one bit per "any"
column: theme mentions, intents, where-to-watch, unmet access) and ``likes`` (int64). Authors are 64-bit BLAKE2b keys of the pseudonym,
so no string is held per author; two authors of one cell share a key with probability
about n^2 / 2^65 (under 3e-8 for a million authors in one cell), the only
approximation. New rows are appended in blocks and, once the unreduced rows outnumber
the reduced ones, sorted by (author, day) and summed, so memory is about 100 bytes per
distinct author x day (not the ~1 KB of a dict of vectors) and merging is concatenation:
exact and independent of order.

An accumulator given a ``Spill`` (the main process of a run, the Ray driver) writes its
rows out to an unnamed temporary file whenever more than ``SPILL_ROWS`` are held, and
reads one cell's back at a time when asked for them: its memory is then the same for a
million comments as for a hundred thousand, and the cell's rows (reduced again from all
its blocks) are the same as if they had stayed in memory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Any, NamedTuple

import numpy as np

from ..schema import INTENTS, THEMES
from . import features as F

_T = len(THEMES)
COUNT_COLS = np.array([F.N, F.POS, F.NEU, F.NEG, F.STRONG, F.LANG_KNOWN, F.LANG_LOCAL]
                      + list(range(F.THEME_POS, F.THEME_POS + _T)) + list(range(F.THEME_NEG, F.THEME_NEG + _T)))
FLAG_COLS = np.array(list(range(F.THEME_MENTION, F.THEME_MENTION + _T))
                     + list(range(F.INTENT, F.INTENT + len(INTENTS))) + [F.WHERE_TO_WATCH, F.ACCESS_NEG])
FLAG_DTYPE = np.uint32 if len(FLAG_COLS) <= 32 else np.uint64
BITS = (np.ones(len(FLAG_COLS), dtype=np.uint64) << np.arange(len(FLAG_COLS), dtype=np.uint64)).astype(FLAG_DTYPE)
COUNT = {col: i for i, col in enumerate(COUNT_COLS.tolist())}  # feature column -> counts column
FLAG = {col: i for i, col in enumerate(FLAG_COLS.tolist())}  # feature column -> flag bit
NO_DAY = 0  # comments without a time (day ordinals start at 1)
MIN_COMPACT = 4096
MAX_PENDING_PARTS = 32  # pending parts joined into one beyond this (same rows, same order)
SPILL_ROWS = 1 << 16  # rows an accumulator with a spill holds in memory before writing them out (~4 MB)
_INT32_MAX = np.iinfo(np.int32).max
_UINT16_MAX = np.iinfo(np.uint16).max
_UINT8_MAX = np.iinfo(np.uint8).max


def author_key(author: str) -> int:
    """A stable 64-bit key of an author (the same in every process, unlike ``hash``)."""
    digest = hashlib.blake2b(author.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Rows(NamedTuple):
    """Rows of a cell (or of one window): parallel columns."""

    authors: np.ndarray  # uint64
    days: np.ndarray  # int32 (NO_DAY when unknown)
    counts: np.ndarray  # uint8, uint16 or int32 (the narrowest that holds the block), rows x len(COUNT_COLS)
    flags: np.ndarray  # FLAG_DTYPE bitmask
    likes: np.ndarray  # int64

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.authors.shape[0])

    def take(self, index: np.ndarray) -> "Rows":
        return Rows(*(col[index] for col in self))


def rows_of(authors: list[int], days: list[int | None], vectors: np.ndarray) -> Rows:
    """Rows from per-comment feature vectors (``features.counts_matrix``)."""
    return Rows(np.array(authors, dtype=np.uint64), np.array([d or NO_DAY for d in days], dtype=np.int32),
                narrow(vectors[:, COUNT_COLS]), pack_flags(vectors[:, FLAG_COLS] > 0),
                vectors[:, F.LIKES].astype(np.int64))


def narrow(counts: np.ndarray, top: int | None = None) -> np.ndarray:
    """Non-negative counts in the narrowest of uint8, uint16, int32 that holds ``top`` (their
    maximum): a row of one comment's counts is then 35 bytes, not 70 (the same values)."""
    if top is None:
        top = int(counts.max()) if counts.size else 0
    return counts.astype(np.uint8 if top <= _UINT8_MAX else np.uint16 if top <= _UINT16_MAX else np.int32)


def pack_flags(bools: np.ndarray) -> np.ndarray:
    return np.bitwise_or.reduce(np.where(bools, BITS, 0).astype(FLAG_DTYPE), axis=1) if len(bools) else \
        np.zeros(0, dtype=FLAG_DTYPE)


def unpack_flags(flags: np.ndarray) -> np.ndarray:
    """rows -> rows x len(FLAG_COLS) booleans."""
    return (flags[:, None] & BITS[None, :]) != 0


def concat(parts: list[Rows]) -> Rows:
    return Rows(*(np.concatenate(cols) for cols in zip(*parts)))


def reduce_rows(rows: Rows, by_day: bool = True) -> Rows:
    """One row per author (x day when ``by_day``): counts and likes summed, flags or-ed.

    Rows must already be sorted by (author, day)."""
    if len(rows) == 0:
        return rows
    change = rows.authors[1:] != rows.authors[:-1]
    if by_day:
        change |= rows.days[1:] != rows.days[:-1]
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    if len(starts) == len(rows):
        return rows
    counts = np.add.reduceat(rows.counts, starts, axis=0, dtype=np.int64)
    top = int(counts.max()) if counts.size else 0
    if top > _INT32_MAX:
        raise OverflowError("More than 2^31 comments of one author on one day in one cell; cannot count them.")
    return Rows(rows.authors[starts], rows.days[starts] if by_day else np.full(len(starts), NO_DAY, np.int32),
                narrow(counts, top), np.bitwise_or.reduceat(rows.flags, starts),
                np.add.reduceat(rows.likes, starts))


def sort_rows(rows: Rows) -> Rows:
    return rows.take(np.lexsort((rows.days, rows.authors)))


def by_content(rows: Rows) -> Rows:
    """Rows in an order set by their values alone (not by author key), so the bootstrap,
    seeded from the cell key, gives the same intervals whatever the pseudonym key or the
    order shards were merged in."""
    if len(rows) < 2:
        return rows
    keys = [rows.likes, rows.flags] + [rows.counts[:, j] for j in range(rows.counts.shape[1] - 1, -1, -1)]
    return rows.take(np.lexsort(keys))


class Spill:
    """An unnamed temporary file holding blocks of rows written out of memory: ``write``
    appends a block and returns where it lies, ``read`` brings it back. Plain reads, not a
    memory map, so only the blocks being read count in the process's memory."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder, prefix=".analyzer-spill-")
        self._end = 0

    def write(self, rows: Rows) -> tuple:
        self._file.seek(self._end)
        layout = []
        for col in rows:
            data = np.ascontiguousarray(col)
            self._file.write(data.data)
            layout.append((data.dtype.str, data.shape))
        ref = (self._end, tuple(layout))
        self._end = self._file.tell()
        return ref

    def read(self, ref: tuple) -> Rows:
        """Positioned reads (``os.pread``): they leave the file's offset alone, which a forked
        process shares (``engines.forked``), so parent and child can read beside each other."""
        at, layout = ref
        self._file.flush()
        cols = []
        for dtype, shape in layout:
            col = np.empty(shape, dtype=dtype)
            if _read_at(self._file, memoryview(col).cast("B"), at) != col.nbytes:
                raise OSError("The accumulator's spill file was cut short; run again.")
            at += col.nbytes
            cols.append(col)
        return Rows(*cols)

    def close(self) -> None:
        self._file.close()


def _read_at(file: Any, view: memoryview, at: int) -> int:
    """Bytes read into ``view`` from offset ``at`` of ``file`` (``os.preadv`` where there is one)."""
    if not hasattr(os, "preadv"):  # no fork there either: the shared offset is this process's own
        file.seek(at)
        return file.readinto(view)
    got = 0
    while got < len(view):
        n = os.preadv(file.fileno(), [view[got:]], at + got)
        if n <= 0:
            break
        got += n
    return got


class AuthorDays:
    """The rows of one cell, reduced lazily (see the module docstring); some of them in a
    ``Spill`` once ``spill`` was called."""

    __slots__ = ("_reduced", "_pending", "_pending_rows", "_spill", "_spilled")

    def __init__(self) -> None:
        self._reduced: Rows | None = None
        self._pending: list[Rows] = []
        self._pending_rows = 0
        self._spill: Spill | None = None
        self._spilled: list[tuple] = []  # where the written-out blocks lie in ``_spill``

    def add(self, rows: Rows) -> None:
        self._pending.append(rows)
        self._pending_rows += len(rows)
        if self._pending_rows >= max(MIN_COMPACT, len(self._reduced) if self._reduced is not None else 0):
            self._compact_memory()
        elif len(self._pending) >= MAX_PENDING_PARTS:
            # A batch gives each cell a few rows in five small arrays (~600 bytes of
            # object overhead); joined in order, the same rows cost their data only.
            self._pending = [concat(self._pending)]

    def merge(self, other: "AuthorDays") -> int:
        """Add ``other``'s rows; returns how many."""
        parts = other.parts()
        for part in parts:
            self.add(part)  # columns are never changed in place, so sharing them is safe
        return sum(len(p) for p in parts)

    def spill(self, spill: Spill) -> None:
        """Write the rows held in memory out to ``spill`` (reduced first) and drop them."""
        rows = self._compact_memory() if self._memory_parts() else None
        if rows is not None and len(rows):
            self._spill = spill
            self._spilled.append(spill.write(rows))
        self._reduced = None

    def _memory_parts(self) -> list[Rows]:
        return ([self._reduced] if self._reduced is not None else []) + self._pending

    def _compact_memory(self) -> Rows:
        """Sort and sum the rows held in memory into one block; returns it."""
        if self._pending:
            self._reduced = reduce_rows(sort_rows(concat(self._memory_parts())))
            self._pending, self._pending_rows = [], 0
        if self._reduced is None:
            self._reduced = concat([rows_of([], [], np.zeros((0, F.WIDTH), dtype=np.int64))])
        return self._reduced

    def compact(self) -> Rows:
        """Every row of the cell, sorted and summed into one block. With spilled blocks the
        block is built from them and the memory's rows each time, and not kept."""
        if not self._spilled:
            return self._compact_memory()
        blocks = [self._spill.read(ref) for ref in self._spilled] + self._memory_parts()
        return reduce_rows(sort_rows(concat(blocks)))

    def days(self) -> np.ndarray:
        """The known days of this cell (for its first day)."""
        rows = self.compact()
        return rows.days[rows.days != NO_DAY]

    def parts(self) -> list[Rows]:
        """The blocks held: the reduced one first (if any), then the pending ones (all of
        them reduced into one block when some were spilled)."""
        return [self.compact()] if self._spilled else self._memory_parts()

    def first_reduced(self) -> bool:
        """Whether ``parts()`` starts with a reduced block."""
        return self._reduced is not None or bool(self._spilled)

    @classmethod
    def of_parts(cls, parts: list[Rows], reduced: bool) -> "AuthorDays":
        """The state ``parts()`` came from (``reduced``: whether its first block is the reduced one)."""
        new = cls()
        new._reduced = parts[0] if reduced else None
        new._pending = parts[1:] if reduced else list(parts)
        new._pending_rows = sum(len(p) for p in new._pending)
        return new

    def __reduce__(self):
        # Pickled as its blocks (spilled ones read back): a spill file stays in its process.
        return AuthorDays.of_parts, (self.parts(), self.first_reduced())

    def rows_held(self) -> int:
        """Rows held, in memory and spilled (those pending not yet summed). A named method, not
        ``__len__``: a cell with no rows yet is still a cell (callers test ``is None``)."""
        return sum(len(p) for p in self._memory_parts()) + sum(layout[0][1][0] for _, layout in self._spilled)

    def nbytes(self) -> int:
        """Bytes of the rows held in memory (not those spilled)."""
        return sum(col.nbytes for part in self._memory_parts() for col in part)


def pack_cells(cells: dict) -> tuple | None:
    """Every cell's blocks joined into one ``Rows`` (for pickling: 5 arrays instead of 5 per
    block of every cell, ~20x cheaper to send), with what ``unpack_cells`` needs to cut them
    back into the same blocks; None when the blocks' dtypes differ (then they travel as they are)."""
    keys, layout, blocks = [], [], []
    for key, cell in cells.items():
        parts = cell.parts()
        keys.append(key)
        layout.append((cell.first_reduced(), [len(p) for p in parts]))
        blocks.extend(parts)
    if not blocks or any(len({col.dtype for col in cols}) > 1 for cols in zip(*blocks)):
        return None
    return keys, layout, concat(blocks)


def unpack_cells(packed: tuple) -> dict:
    """``pack_cells``'s inverse: the same cells, blocks and rows (as views of the joined columns,
    which are never changed in place)."""
    keys, layout, joined = packed
    cells, start = {}, 0
    for key, (reduced, lengths) in zip(keys, layout):
        parts = []
        for n in lengths:
            parts.append(Rows(*(col[start:start + n] for col in joined)))
            start += n
        cells[key] = AuthorDays.of_parts(parts, reduced)
    return cells
