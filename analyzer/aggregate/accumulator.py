"""The mergeable resonance accumulator: ``update(batch)``, ``merge(other)``, ``result()``.

State is, per drama x region, compact columnar rows of integer counts per author x
day (``state.AuthorDays``: ~100 bytes per distinct author x day, 64-bit author keys),
a noise counter, and a bounded top-k of quote candidates per drama x region x theme x
polarity. All of it combines by addition / re-selection, so shards merge exactly and
in any order. ``spilling(folder)`` bounds the rows held in memory (``state.Spill``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..schema import Comment
from ..text.normalize import mask_handles
from . import features as F
from ..config import resolve_aggregate
from . import state as cell_state
from .state import AuthorDays, Rows, Spill, author_key, by_content, pack_cells, reduce_rows, rows_of, unpack_cells

UNLINKED = "(unlinked)"
UNKNOWN_REGION = "(unknown)"
OVERALL = "*"  # the quote slot for a cell as a whole (any theme)
_POLAR = ("positive", "negative")  # the polarities quoted


def cell_of(c: Comment) -> tuple[str, str]:
    return (c.drama or UNLINKED, c.region or UNKNOWN_REGION)


def author_of(c: Comment) -> str:
    """The pseudonym, or the comment itself when it has no author (each its own person)."""
    return c.author if c.author else f"~{c.id}"


class ResonanceAccumulator:
    """Aggregates annotated ``Comment``s into resonance cells; knows no models."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = resolve_aggregate(config)
        self._cell_map: dict[tuple[str, str], AuthorDays] | None = {}
        self._packed: tuple | None = None  # the cells as they came from another process, until used
        self._noise: dict[tuple[str, str], int] = {}
        self._quotes: dict[tuple[str, str, str, str], dict[str, tuple]] = {}
        self._worst: dict[tuple[str, str, str, str], tuple] = {}  # a full slot's worst candidate (a cache)
        self._dups: dict[tuple[str, str], int] = {}
        # Only with a ``confusion`` config: (drama, region) -> day -> lang -> (neg, neu, pos) counts.
        self._by_lang: dict[tuple[str, str], dict[int | None, dict[str, np.ndarray]]] = {}
        self._local: dict[str | None, tuple[str, ...]] = {}
        self._spill: Spill | None = None
        self._held = 0  # rows added since the last spill (an upper bound of the rows in memory)

    # --- spilling --------------------------------------------------------------------
    @contextmanager
    def spilling(self, folder: str | None = None) -> Iterator["ResonanceAccumulator"]:
        """Within the block, rows beyond ``state.SPILL_ROWS`` go to an unnamed temporary file in
        ``folder`` (the system's temporary folder when None), read back one cell at a time by
        ``result``: memory stays flat as the input grows; the numbers are the same."""
        self._spill = Spill(folder)
        try:
            yield self
        finally:
            self._spill.close()
            self._spill = None

    def _added(self, rows: int) -> None:
        self._held += rows
        if self._spill is not None and self._held >= cell_state.SPILL_ROWS:
            for cell in self._cells.values():
                cell.spill(self._spill)
            self._held = 0

    # --- pickling (shards, worker processes) ----------------------------------------
    @property
    def _cells(self) -> dict[tuple[str, str], AuthorDays]:
        """drama x region -> its rows (cut out of the packed block that came from another
        process the first time they are needed: ``merge`` reads that block directly)."""
        if self._packed is not None:
            self._cell_map, self._packed = unpack_cells(self._packed), None
        return self._cell_map  # type: ignore[return-value]

    def __getstate__(self) -> dict[str, Any]:
        """The state without its caches, the cells' rows packed into one block of columns
        (``state.pack_cells``): a batch's accumulator travels from a worker process ~3x faster."""
        packed = self._packed if self._packed is not None else pack_cells(self._cell_map)
        cells = _Packed(packed) if packed is not None else self._cell_map
        caches = {"_worst": {}, "_local": {}, "_spill": None, "_held": 0}
        return {("_cells" if k == "_cell_map" else k): (cells if k == "_cell_map" else caches.get(k, v))
                for k, v in self.__dict__.items() if k != "_packed"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Packed cells stay packed until asked for (``_cells``) or merged (``merge``)."""
        cells = state["_cells"]
        packed = cells.packed if isinstance(cells, _Packed) else None
        fields: dict[str, Any] = {}
        for key, value in state.items():  # in the same order (so it pickles again to the same bytes)
            if key == "_cells":
                fields.update({"_cell_map": None if packed is not None else value, "_packed": packed})
            else:
                fields[key] = value
        self.__dict__.update({**fields, "_spill": None, "_held": 0})

    # --- streaming -------------------------------------------------------------------
    def update(self, batch: Iterable[Comment]) -> "ResonanceAccumulator":
        """Add a batch of annotated comments (noise is counted, not scored)."""
        kept: list[Comment] = []
        fresh: dict[tuple[str, str], tuple[list, list, list]] = {}  # cell -> authors, days, rows in ``kept``
        noise, dups, confusion, day_of = self._noise, self._dups, self.config["confusion"] is not None, F.day_of
        for c in batch:
            cell = cell_of(c)
            if c.noise:
                noise[cell] = noise.get(cell, 0) + 1
                continue
            if c.duplicate_of is not None:  # a later copy: the first copy is counted
                dups[cell] = dups.get(cell, 0) + 1
                continue
            day = day_of(c.created_at)
            if confusion:
                self._count_lang(cell, day, c)
            found = fresh.get(cell)
            if found is None:
                found = fresh[cell] = ([], [], [])
            found[0].append(author_key(author_of(c)))
            found[1].append(day)
            found[2].append(len(kept))
            kept.append(c)
            self._offer_quotes(cell, c)
        vectors = F.counts_matrix(kept, [self._local_langs(c.region) for c in kept], self.config["strong_positive"])
        for cell, (authors, days, index) in fresh.items():
            self._cells.setdefault(cell, AuthorDays()).add(rows_of(authors, days, vectors[index]))
            self._added(len(authors))
        return self

    def merge(self, other: "ResonanceAccumulator") -> "ResonanceAccumulator":
        """Fold ``other`` (same config) into this accumulator; returns self."""
        if other.config != self.config:
            raise ConfigError("Cannot merge ResonanceAccumulators with different configs; build both from the same config.")
        if other._packed is not None:
            self._merge_packed(other._packed)
        else:
            for cell, rows in other._cells.items():
                self._added(self._cells.setdefault(cell, AuthorDays()).merge(rows))
        for mine, theirs in ((self._noise, other._noise), (self._dups, other._dups)):
            for cell, n in theirs.items():
                mine[cell] = mine.get(cell, 0) + n
        for cell, days in other._by_lang.items():
            for day, langs in days.items():
                for lang, counts in langs.items():
                    slot = self._by_lang.setdefault(cell, {}).setdefault(day, {})
                    slot[lang] = slot[lang] + counts if lang in slot else counts.copy()
        self._merge_quotes(other._quotes)
        return self

    def _merge_packed(self, packed: tuple) -> None:
        """``merge`` of cells packed by ``state.pack_cells``, block by block, without cutting them
        into ``AuthorDays`` first: the same blocks added in the same order as merging the
        ``unpack_cells`` of them (``parts()`` of an unpacked cell are its blocks, in order)."""
        keys, layout, joined = packed
        cells, start = self._cells, 0
        for key, (_reduced, lengths) in zip(keys, layout):
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = AuthorDays()
            for n in lengths:
                cell.add(Rows(*(col[start:start + n] for col in joined)))
                start += n
            self._added(sum(lengths))

    def _merge_quotes(self, theirs: dict[tuple[str, str, str, str], dict[str, tuple]]) -> None:
        """``_offer`` of every candidate of ``theirs``, slot by slot, in order. A slot new here
        takes a copy of theirs (offered one by one into an empty slot, a set of at most
        ``quote_candidates`` distinct authors is kept whole, in the same order); a candidate
        that ``_offer`` would turn away at once is skipped without the call (most of them,
        once the slots are full: ~2x less CPU in the main process's merge)."""
        limit, quotes = self.config["quote_candidates"], self._quotes
        for slot, cands in theirs.items():
            mine = quotes.get(slot)
            if mine is None:
                quotes[slot] = dict(cands)
                continue
            worst = None  # the rank of the worst kept here, looked up once until an _offer changes the slot
            for cand in cands.values():
                kept = mine.get(cand[2])
                if kept is not None:
                    if kept[:2] <= cand[:2]:
                        continue
                elif len(mine) >= limit:
                    worst = worst or _rank(self._worst_of(slot, mine))
                    if cand[:2] > worst:
                        continue
                self._offer_into(slot, mine, cand)
                worst = None

    def result(self, progress=None, spread=None):
        """Compute every cell, interval and the Resonance Index (see ``result.build_result``).
        ``progress``, when given, wraps the list of cells being bootstrapped (a bar); ``spread``
        (shares, map function) maps shares of the cells by that function (the same result)."""
        from .result import build_result

        return build_result(Windows(self), {"noise": self._noise, "duplicates": self._dups},
                            self.quote_candidates(), self.config, self._lang_windows(), progress, spread)

    # --- windows ---------------------------------------------------------------------
    def _count_lang(self, cell: tuple[str, str], day: int | None, c: Comment) -> None:
        if c.sentiment not in ("negative", "neutral", "positive"):
            return
        langs = self._by_lang.setdefault(cell, {}).setdefault(day, {})
        lang = F.base_lang(c.lang) or "und"
        counts = langs.setdefault(lang, np.zeros(3, dtype=np.int64))
        counts[("negative", "neutral", "positive").index(c.sentiment)] += 1

    def _lang_windows(self) -> dict[tuple[str, str, str], dict[str, np.ndarray]]:
        """(drama, region, window) -> lang -> (neg, neu, pos) comment counts."""
        out: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
        for (drama, region), days in self._by_lang.items():
            known = self._days(drama, region)
            first = min(known) if known else None
            for day, langs in days.items():
                for window in window_labels(day, first):
                    slot = out.setdefault((drama, region, window), {})
                    for lang, counts in langs.items():
                        slot[lang] = slot[lang] + counts if lang in slot else counts.copy()
        return out

    def _days(self, drama: str, region: str) -> list[int]:
        cell = self._cells.get((drama, region))
        return cell.days().tolist() if cell is not None else []

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self._cells)

    def cell_windows(self, drama: str, region: str) -> dict[tuple[str, str, str], Rows]:
        """(drama, region, window) -> one row per author (ordered by content) for one pair."""
        rows = self._cells[(drama, region)].compact()
        dated = rows.days != 0
        out = {(drama, region, "all"): rows}
        if dated.any():
            offset = rows.days.astype(np.int64) - int(rows.days[dated].min())
            out[(drama, region, "first_7d")] = rows.take(np.flatnonzero(dated & (offset < 7)))
            out[(drama, region, "first_28d")] = rows.take(np.flatnonzero(dated & (offset < 28)))
            days, inverse = np.unique(rows.days, return_inverse=True)
            weeks = np.array([iso_week(int(d)) if d else "" for d in days])[inverse.ravel()]
            for week in sorted(set(weeks.tolist()) - {""}):
                out[(drama, region, week)] = rows.take(np.flatnonzero(weeks == week))
        return {key: by_content(reduce_rows(part, by_day=False)) for key, part in out.items()}

    def _local_langs(self, region: str | None) -> tuple[str, ...]:
        if region not in self._local:
            self._local[region] = F.region_languages(region, self.config["region_languages"])
        return self._local[region]

    # --- quotes ----------------------------------------------------------------------
    def _offer_quotes(self, cell: tuple[str, str], c: Comment) -> None:
        """``_offer`` of the comment to each slot it is quoted in: its cell's stance slot and
        each of its themes' polarity slot (``features.polarity_of``), positive or negative ones
        only. A slot new here takes the candidate as it is, without the call (most offers of a
        batch's accumulator go to a slot of their own: ~0.7x the CPU of offering each)."""
        # Quotes keep the original text but not other users' handles (@name -> @user).
        text = mask_handles((c.text or "").strip())
        if not text:
            return
        slots = [(*cell, OVERALL, c.sentiment)] if c.sentiment in _POLAR else []
        for theme in set(c.themes):
            pol = F.polarity_of(c, theme)
            if pol in _POLAR:
                slots.append((*cell, theme, pol))
        if not slots:
            return
        author = author_of(c)
        cand = (-max(int(c.likes or 0), 0), c.id, author, c.author, c.lang, text[: self.config["quote_chars"]],
                c.platform)
        quotes = self._quotes
        for slot in slots:
            cands = quotes.get(slot)
            if cands is None:  # what _offer makes of an empty slot (quote_candidates is at least 1)
                quotes[slot] = {author: cand}
            else:
                self._offer_into(slot, cands, cand)

    def _offer(self, slot: tuple[str, str, str, str], cand: tuple) -> None:
        """Keep the best candidate per author, and the best ``quote_candidates`` authors."""
        cands = self._quotes.get(slot)
        if cands is None:
            cands = self._quotes[slot] = {}
        self._offer_into(slot, cands, cand)

    def _offer_into(self, slot: tuple[str, str, str, str], cands: dict[str, tuple], cand: tuple) -> None:
        """``_offer`` to ``slot``, whose candidates are ``cands``."""
        author, limit = cand[2], self.config["quote_candidates"]
        kept = cands.get(author)
        if kept is not None:
            if kept[:2] <= cand[:2]:
                return
        elif len(cands) >= limit and cand[:2] > self._worst_of(slot, cands)[:2]:
            return  # worse than every kept one: it would be dropped at once
        self._worst.pop(slot, None)
        cands[author] = cand
        if len(cands) > limit:
            worst = max(cands.values(), key=_rank)
            del cands[worst[2]]

    def _worst_of(self, slot: tuple[str, str, str, str], cands: dict[str, tuple]) -> tuple:
        worst = self._worst.get(slot)
        if worst is None:
            worst = self._worst[slot] = max(cands.values(), key=_rank)
        return worst

    def quote_candidates(self) -> dict[tuple[str, str, str, str], list[dict[str, Any]]]:
        """slot -> candidates, most liked first (ties by id)."""
        keys = ("likes", "id", "_author_key", "author", "lang", "text", "platform")
        out = {}
        for slot, cands in self._quotes.items():
            rows = [dict(zip(keys, c)) for c in sorted(cands.values(), key=lambda x: x[:2])]
            for r in rows:
                r["likes"] = -r["likes"]
                del r["_author_key"]
            out[slot] = rows
        return out


class _Packed:
    """Cells packed by ``state.pack_cells`` (a type of its own, so a dict of cells is never
    mistaken for one)."""

    __slots__ = ("packed",)

    def __init__(self, packed: tuple) -> None:
        self.packed = packed

    def __reduce__(self):
        return _Packed, (self.packed,)


# (-likes, id) of a quote candidate: smaller is a better quote. ``cand[:2]`` as a C getter, so
# ``max(cands.values(), key=_rank)`` makes no Python call per candidate.
_rank = operator.itemgetter(0, 1)


class Windows:
    """The per-window author rows of an accumulator, computed one drama x region at a time
    (never all at once), as often as asked: what ``build_result`` and ``compare`` read."""

    def __init__(self, acc: ResonanceAccumulator) -> None:
        self._acc = acc
        self._last: tuple[tuple[str, str], dict] | None = None

    def __iter__(self) -> Iterator[dict[tuple[str, str, str], Rows]]:
        for pair in self._acc.pairs():
            yield self.pair(*pair)

    def pairs(self) -> list[tuple[str, str]]:
        return self._acc.pairs()

    def size(self, pair: tuple[str, str]) -> int:
        """The author x day rows held for ``pair`` (what computing its windows costs about)."""
        return self._acc._cells[pair].rows_held()

    def pair(self, drama: str, region: str) -> dict[tuple[str, str, str], Rows]:
        if self._last is None or self._last[0] != (drama, region):
            self._last = ((drama, region), self._acc.cell_windows(drama, region))
        return self._last[1]


def window_labels(day: int | None, first: int | None) -> list[str]:
    """The windows a comment on ``day`` belongs to, given the first day of its drama x region."""
    labels = ["all"]
    if day is None or first is None:
        return labels
    offset = day - first
    if offset < 7:
        labels.append("first_7d")
    if offset < 28:
        labels.append("first_28d")
    labels.append(iso_week(day))
    return labels


def iso_week(day: int) -> str:
    year, week, _ = date.fromordinal(day).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """Monday of an ISO week label such as ``2024-W23``."""
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def window_order(window: str) -> tuple[int, str]:
    fixed = {"all": 0, "first_7d": 1, "first_28d": 2}
    return (fixed.get(window, 3), window)


__all__ = ["ResonanceAccumulator", "Windows", "window_labels", "iso_week", "week_start"]
