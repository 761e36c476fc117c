"""What one annotated comment contributes: a fixed vector of integer counts.

Per author and day the accumulator only keeps the sum of these vectors, so state
is integers (merge is exact addition) and memory is bounded by authors x days.
"""

from __future__ import annotations

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


def comment_vector(c: Comment, local_langs: tuple[str, ...], strong: float) -> np.ndarray:
    """The count vector of one (non-noise) comment."""
    return np.array(comment_counts(c, local_langs, strong), dtype=np.int64)


def comment_counts(c: Comment, local_langs: tuple[str, ...], strong: float) -> list[int]:
    """``comment_vector`` as a list (a batch becomes one array in one step)."""
    v = [0] * WIDTH
    v[N] = 1
    if c.sentiment == "positive":
        v[POS] = 1
        if len(c.sentiment_scores) == 3 and c.sentiment_scores[2] >= strong:
            v[STRONG] = 1
    elif c.sentiment == "neutral":
        v[NEU] = 1
    elif c.sentiment == "negative":
        v[NEG] = 1
    lang = base_lang(c.lang)
    # A region inferred from the language is local by construction: no evidence either way.
    if lang is not None and local_langs and c.region_source != "language":
        v[LANG_KNOWN] = 1
        v[LANG_LOCAL] = int(lang in local_langs)
    v[LIKES] = max(int(c.likes or 0), 0)
    for t in set(c.themes):
        i = THEME_INDEX.get(t)
        if i is None:
            continue
        v[THEME_MENTION + i] = 1
        pol = polarity_of(c, t)
        if pol == "positive":
            v[THEME_POS + i] = 1
        elif pol == "negative":
            v[THEME_NEG + i] = 1
            if t in ("access", "subtitles"):
                v[ACCESS_NEG] = 1
    for intent in set(c.intents):
        i = INTENT_INDEX.get(intent)
        if i is not None:
            v[INTENT + i] = 1
    v[WHERE_TO_WATCH] = v[INTENT + INTENT_INDEX["where_to_watch"]]
    return v


def day_of(created_at: datetime | None) -> int | None:
    """The UTC calendar day (proleptic ordinal) of a timestamp; naive times are taken as UTC."""
    if created_at is None:
        return None
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(timezone.utc)
    return created_at.date().toordinal()
