"""The mergeable resonance accumulator: ``update(batch)``, ``merge(other)``, ``result()``.

State is integer count vectors per drama x region x author x day (see ``features``),
a noise counter, and a bounded top-k of quote candidates per drama x region x theme x
polarity. All of it combines by addition / re-selection, so shards merge exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..schema import Comment
from ..text.normalize import mask_mentions
from . import features as F
from .config import resolve_config

UNLINKED = "(unlinked)"
UNKNOWN_REGION = "(unknown)"
OVERALL = "*"  # the quote slot for a cell as a whole (any theme)


def cell_of(c: Comment) -> tuple[str, str]:
    return (c.drama or UNLINKED, c.region or UNKNOWN_REGION)


def author_of(c: Comment) -> str:
    """The pseudonym, or the comment itself when it has no author (each its own person)."""
    return c.author if c.author else f"~{c.id}"


class ResonanceAccumulator:
    """Aggregates annotated ``Comment``s into resonance cells; knows no models."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = resolve_config(config)
        self._authors: dict[tuple[str, str], dict[str, dict[int | None, np.ndarray]]] = {}
        self._noise: dict[tuple[str, str], int] = {}
        self._quotes: dict[tuple[str, str, str, str], dict[str, tuple]] = {}
        self._dups: dict[tuple[str, str], int] = {}
        # Only with a ``confusion`` config: (drama, region) -> day -> lang -> (neg, neu, pos) counts.
        self._by_lang: dict[tuple[str, str], dict[int | None, dict[str, np.ndarray]]] = {}
        self._local: dict[str | None, tuple[str, ...]] = {}

    # --- streaming -------------------------------------------------------------------
    def update(self, batch: Iterable[Comment]) -> "ResonanceAccumulator":
        """Add a batch of annotated comments (noise is counted, not scored)."""
        cap_strong = self.config["strong_positive"]
        for c in batch:
            cell = cell_of(c)
            if c.noise:
                self._noise[cell] = self._noise.get(cell, 0) + 1
                continue
            if c.duplicate_of is not None:  # a later copy: the first copy is counted
                self._dups[cell] = self._dups.get(cell, 0) + 1
                continue
            vec = F.comment_vector(c, self._local_langs(c.region), cap_strong)
            days = self._authors.setdefault(cell, {}).setdefault(author_of(c), {})
            day = F.day_of(c.created_at)
            if self.config["confusion"] is not None:
                self._count_lang(cell, day, c)
            if day in days:
                days[day] += vec
            else:
                days[day] = vec
            self._offer_quotes(cell, c)
        return self

    def merge(self, other: "ResonanceAccumulator") -> "ResonanceAccumulator":
        """Fold ``other`` (same config) into this accumulator; returns self."""
        if other.config != self.config:
            raise ConfigError("Cannot merge ResonanceAccumulators with different configs; build both from the same config.")
        for cell, authors in other._authors.items():
            mine = self._authors.setdefault(cell, {})
            for author, days in authors.items():
                target = mine.setdefault(author, {})
                for day, vec in days.items():
                    target[day] = target[day] + vec if day in target else vec.copy()
        for mine, theirs in ((self._noise, other._noise), (self._dups, other._dups)):
            for cell, n in theirs.items():
                mine[cell] = mine.get(cell, 0) + n
        for cell, days in other._by_lang.items():
            for day, langs in days.items():
                for lang, counts in langs.items():
                    slot = self._by_lang.setdefault(cell, {}).setdefault(day, {})
                    slot[lang] = slot[lang] + counts if lang in slot else counts.copy()
        for slot, cands in other._quotes.items():
            for cand in cands.values():
                self._offer(slot, cand)
        return self

    def result(self):
        """Compute every cell, interval and the Resonance Index (see ``result.build_result``)."""
        from .result import build_result

        return build_result(self._windows(), {"noise": self._noise, "duplicates": self._dups},
                            self.quote_candidates(), self.config, self._lang_windows())

    # --- windows ---------------------------------------------------------------------
    def _windows(self) -> Iterator[dict[tuple[str, str, str], np.ndarray]]:
        """Per drama x region, in turn: (drama, region, window) -> author vectors (rows sorted by content).

        One pair at a time, so the per-window copies never exist for the whole run at once.
        """
        for (drama, region), authors in sorted(self._authors.items()):
            known = self._days(drama, region)
            first = min(known) if known else None
            out: dict[str, dict[str, np.ndarray]] = {}
            for author, days in authors.items():
                for day, vec in days.items():
                    for window in window_labels(day, first):
                        slot = out.setdefault(window, {})
                        slot[author] = slot[author] + vec if author in slot else vec.copy()
            yield {(drama, region, w): by_content(np.stack(list(rows.values()))) for w, rows in out.items()}

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
        return [d for days in self._authors.get((drama, region), {}).values() for d in days if d is not None]

    def _local_langs(self, region: str | None) -> tuple[str, ...]:
        if region not in self._local:
            self._local[region] = F.region_languages(region, self.config["region_languages"])
        return self._local[region]

    # --- quotes ----------------------------------------------------------------------
    def _offer_quotes(self, cell: tuple[str, str], c: Comment) -> None:
        # Quotes keep the original text but not other users' handles (@name -> @user).
        text = mask_mentions((c.text or "").strip())
        if not text:
            return
        cand = (-max(int(c.likes or 0), 0), c.id, author_of(c), c.author, c.lang,
                text[: self.config["quote_chars"]], c.platform)
        if c.sentiment in ("positive", "negative"):
            self._offer((*cell, OVERALL, c.sentiment), cand)
        for theme in set(c.themes):
            pol = F.polarity_of(c, theme)
            if pol in ("positive", "negative"):
                self._offer((*cell, theme, pol), cand)

    def _offer(self, slot: tuple[str, str, str, str], cand: tuple) -> None:
        """Keep the best candidate per author, and the best ``quote_candidates`` authors."""
        cands = self._quotes.setdefault(slot, {})
        author = cand[2]
        if author in cands and cands[author][:2] <= cand[:2]:
            return
        cands[author] = cand
        if len(cands) > self.config["quote_candidates"]:
            worst = max(cands.values(), key=lambda x: x[:2])
            del cands[worst[2]]

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


def by_content(vectors: np.ndarray) -> np.ndarray:
    """Author rows in an order set by their counts alone (not by pseudonym), so the bootstrap,
    whose seed comes from the cell key, gives the same intervals whatever the pseudonym key
    or the order shards were merged in."""
    if len(vectors) < 2:
        return vectors
    return vectors[np.lexsort(vectors.T[::-1])]


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


__all__ = ["ResonanceAccumulator", "window_labels", "iso_week", "week_start"]
