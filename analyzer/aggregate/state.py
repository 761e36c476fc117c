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
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

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
    """Rows from per-comment feature vectors (``features.comment_vector``)."""
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


class AuthorDays:
    """The rows of one cell, reduced lazily (see the module docstring)."""

    __slots__ = ("_reduced", "_pending", "_pending_rows")

    def __init__(self) -> None:
        self._reduced: Rows | None = None
        self._pending: list[Rows] = []
        self._pending_rows = 0

    def add(self, rows: Rows) -> None:
        self._pending.append(rows)
        self._pending_rows += len(rows)
        if self._pending_rows >= max(MIN_COMPACT, len(self._reduced) if self._reduced is not None else 0):
            self.compact()
        elif len(self._pending) >= MAX_PENDING_PARTS:
            # A batch gives each cell a few rows in five small arrays (~600 bytes of
            # object overhead); joined in order, the same rows cost their data only.
            self._pending = [concat(self._pending)]

    def merge(self, other: "AuthorDays") -> None:
        for part in ([other._reduced] if other._reduced is not None else []) + other._pending:
            self.add(part)  # columns are never changed in place, so sharing them is safe

    def compact(self) -> Rows:
        """Sort and sum everything into one block; returns it."""
        if self._pending:
            parts = ([self._reduced] if self._reduced is not None else []) + self._pending
            self._reduced = reduce_rows(sort_rows(concat(parts)))
            self._pending, self._pending_rows = [], 0
        if self._reduced is None:
            self._reduced = concat([rows_of([], [], np.zeros((0, F.WIDTH), dtype=np.int64))])
        return self._reduced

    def days(self) -> np.ndarray:
        """The known days of this cell (for its first day)."""
        rows = self.compact()
        return rows.days[rows.days != NO_DAY]

    def parts(self) -> list[Rows]:
        """The blocks held: the reduced one first (if any), then the pending ones."""
        return ([self._reduced] if self._reduced is not None else []) + self._pending

    @classmethod
    def of_parts(cls, parts: list[Rows], reduced: bool) -> "AuthorDays":
        """The state ``parts()`` came from (``reduced``: whether its first block is the reduced one)."""
        new = cls()
        new._reduced = parts[0] if reduced else None
        new._pending = parts[1:] if reduced else list(parts)
        new._pending_rows = sum(len(p) for p in new._pending)
        return new

    def nbytes(self) -> int:
        return sum(col.nbytes for part in self.parts() for col in part)


def pack_cells(cells: dict) -> tuple | None:
    """Every cell's blocks joined into one ``Rows`` (for pickling: 5 arrays instead of 5 per
    block of every cell, ~20x cheaper to send), with what ``unpack_cells`` needs to cut them
    back into the same blocks; None when the blocks' dtypes differ (then they travel as they are)."""
    keys, layout, blocks = [], [], []
    for key, cell in cells.items():
        parts = cell.parts()
        keys.append(key)
        layout.append((cell._reduced is not None, [len(p) for p in parts]))
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
