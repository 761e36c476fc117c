"""What one annotated comment contributes: a fixed vector of integer counts.

Per author and day the accumulator only keeps the sum of these vectors, so state
is integers (merge is exact addition) and memory is bounded by authors x days.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np

from ..lang import languages_of
from ..schema import INTENTS, THEMES, Comment

N, POS, NEU, NEG, STRONG, LANG_KNOWN, LANG_LOCAL, WHERE_TO_WATCH, ACCESS_NEG, LIKES = range(10)
THEME_MENTION = 10
THEME_POS = THEME_MENTION + len(THEMES)
THEME_NEG = THEME_POS + len(THEMES)
INTENT = THEME_NEG + len(THEMES)
WIDTH = INTENT + len(INTENTS)

THEME_INDEX = {t: i for i, t in enumerate(THEMES)}
INTENT_INDEX = {t: i for i, t in enumerate(INTENTS)}

CONTENT_THEMES = ("story", "characters", "romance", "production", "music", "culture", "pacing")
CAST_THEMES = ("acting", "fandom")
STORY_THEMES = ("story", "characters")
POSITIVE_INTENTS = ("watch", "binge", "completed", "rewatch", "recommend", "waiting")
UNKNOWN_LANGS = (None, "", "und")

def region_languages(region: str | None, overrides: dict | None = None) -> tuple[str, ...]:
    """The languages counted as local in ``region`` ("localness": the share of comments in the
    region's own language; comments whose region was inferred from their language are left
    out of it), from the market table (``analyzer/lang/markets.csv``: country codes, group
    markets and a few names, any case), or ``overrides``; empty when unknown."""
    if region is None:
        return ()
    if overrides and region in overrides:
        return tuple(overrides[region])
    return languages_of(region)


def base_lang(lang: str | None) -> str | None:
    """``zh-Hant`` -> ``zh``; ``und``/empty -> None."""
    if lang in UNKNOWN_LANGS:
        return None
    return lang.split("-")[0].split("_")[0].lower()


def polarity_of(comment: Comment, theme: str) -> str | None:
    """A theme's own polarity when the comment carries one, else the comment's stance."""
    return comment.theme_polarity.get(theme) or comment.sentiment


_STANCE_COLUMN = {"positive": POS, "neutral": NEU, "negative": NEG}
_FIELDS = operator.attrgetter("sentiment", "sentiment_scores", "lang", "region_source", "likes", "themes",
                              "intents", "theme_polarity")


def counts_matrix(comments: Sequence[Comment], local_langs: Sequence[tuple[str, ...]], strong: float) -> np.ndarray:
    """The count vectors of (non-noise) comments, one row each (``local_langs``: each one's
    region's languages), built as one array: the cells that are 1 are listed per comment and
    set at once, likes filled as a column (no list of ``WIDTH`` values per comment)."""
    out = np.zeros((len(comments), WIDTH), dtype=np.int64)
    out[:, N] = 1
    rows: list[int] = []
    cols: list[int] = []
    likes: list[int] = []
    langs: dict[tuple, tuple[int, ...]] = {}  # (lang, region_source, local languages) -> columns set
    for i, (stance, scores, lang, region_source, liked, themes, intents, polarity) in enumerate(map(_FIELDS, comments)):
        col = _STANCE_COLUMN.get(stance)
        if col is not None:
            rows.append(i)
            cols.append(col)
            if col == POS and len(scores) == 3 and scores[2] >= strong:
                rows.append(i)
                cols.append(STRONG)
        key = (lang, region_source, local_langs[i])
        lang_cols = langs.get(key)
        if lang_cols is None:
            lang_cols = langs[key] = _lang_columns(*key)
        for col in lang_cols:
            rows.append(i)
            cols.append(col)
        likes.append(max(int(liked or 0), 0))
        for t in themes:  # a theme listed twice sets the same cells
            j = THEME_INDEX.get(t)
            if j is None:
                continue
            rows.append(i)
            cols.append(THEME_MENTION + j)
            pol = polarity.get(t) or stance
            if pol == "positive":
                rows.append(i)
                cols.append(THEME_POS + j)
            elif pol == "negative":
                rows.append(i)
                cols.append(THEME_NEG + j)
                if t in ("access", "subtitles"):
                    rows.append(i)
                    cols.append(ACCESS_NEG)
        for intent in intents:
            j = INTENT_INDEX.get(intent)
            if j is not None:
                rows.append(i)
                cols.append(INTENT + j)
    out[rows, cols] = 1
    out[:, LIKES] = likes
    out[:, WHERE_TO_WATCH] = out[:, INTENT + INTENT_INDEX["where_to_watch"]]
    return out


def _lang_columns(lang: str | None, region_source: str | None, local_langs: tuple[str, ...]) -> tuple[int, ...]:
    """The language columns set for a comment in ``lang`` (``LANG_KNOWN``, ``LANG_LOCAL``)."""
    lang = base_lang(lang)
    # A region inferred from the language is local by construction: no evidence either way.
    if lang is None or not local_langs or region_source == "language":
        return ()
    return (LANG_KNOWN, LANG_LOCAL) if lang in local_langs else (LANG_KNOWN,)


def day_of(created_at: datetime | None) -> int | None:
    """The UTC calendar day (proleptic ordinal) of a timestamp; naive times are taken as UTC."""
    if created_at is None:
        return None
    zone = created_at.tzinfo
    if zone is not None and zone is not timezone.utc:  # in UTC already: the same day without the copy
        created_at = created_at.astimezone(timezone.utc)
    return created_at.toordinal()
