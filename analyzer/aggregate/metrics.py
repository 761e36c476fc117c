"""Components of resonance from per-author count vectors.

One function, ``components``, turns column sums into every component; it is used
both for the point estimate (each author weight 1) and for bootstrap resamples
(each author weighted by how often it was drawn), so both agree by construction.

Comment-level shares weight each author's comments by ``min(n, cap) / n`` (an author
counts for at most ``cap`` comments); author-level shares count each author once.
"""

from __future__ import annotations

import numpy as np

from ..schema import THEMES
from . import features as F

# Comment-level (weighted) columns.
C_COLS = ["n", "pos", "neu", "neg", "strong", "lang_known", "lang_local"] + \
    [f"pos:{t}" for t in THEMES] + [f"neg:{t}" for t in THEMES]
# Author-level indicator columns.
A_COLS = ["author", "pos_intent", "dropped", "themed", "content", "cast_only", "story", "unmet"] + \
    [f"theme:{t}" for t in THEMES]
CI = {c: i for i, c in enumerate(C_COLS)}
AI = {c: i for i, c in enumerate(A_COLS)}

_T = len(THEMES)


def author_tables(rows, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-author rows (``state.Rows``, one per author) -> (comment-level C, author-level A) tables.

    ``rows.counts`` holds the C columns in C_COLS order (``state.COUNT_COLS``); the author
    indicators come from the flag bits and the counts."""
    from .state import FLAG, unpack_flags

    counts = np.asarray(rows.counts, dtype=np.float64)
    n = counts[:, CI["n"]]
    w = np.where(n > 0, np.minimum(n, cap) / np.maximum(n, 1), 0.0)
    c = counts * w[:, None]
    flags = unpack_flags(rows.flags)
    mentions = flags[:, [FLAG[F.THEME_MENTION + i] for i in range(_T)]]

    def any_of(cols: list[int]) -> np.ndarray:
        return flags[:, [FLAG[col] for col in cols]].any(axis=1)

    content = any_of([F.THEME_MENTION + F.THEME_INDEX[t] for t in F.CONTENT_THEMES])
    cast = any_of([F.THEME_MENTION + F.THEME_INDEX[t] for t in F.CAST_THEMES])
    story = any_of([F.THEME_MENTION + F.THEME_INDEX[t] for t in F.STORY_THEMES])
    a = np.column_stack([
        n > 0,
        any_of([F.INTENT + F.INTENT_INDEX[t] for t in F.POSITIVE_INTENTS]),
        any_of([F.INTENT + F.INTENT_INDEX["dropped"]]),
        mentions.any(axis=1),
        content,
        cast & ~story,
        story,
        any_of([F.WHERE_TO_WATCH, F.ACCESS_NEG]),
        mentions,
    ]).astype(np.float64)
    return c, a


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, np.true_divide(num, den), np.nan)


def components(cs: np.ndarray, as_: np.ndarray) -> dict[str, np.ndarray]:
    """Column sums of C and A (shape (cols,) or (draws, cols)) -> every component (nan = undefined)."""
    cs = np.atleast_2d(cs)
    as_ = np.atleast_2d(as_)
    col = lambda name: cs[:, CI[name]]  # noqa: E731
    acol = lambda name: as_[:, AI[name]]  # noqa: E731
    total, pos, neg, authors = col("n"), col("pos"), col("neg"), acol("author")
    out = {
        "reach": authors,
        "positive": _ratio(pos, total),
        "neutral": _ratio(col("neu"), total),
        "negative": _ratio(neg, total),
        "valence": _ratio(pos - neg, pos + neg),
        "intensity": _ratio(col("strong"), total),
        "net_intent": _ratio(acol("pos_intent") - acol("dropped"), authors),
        "depth": _ratio(acol("content"), acol("themed")),
        "localness": _ratio(col("lang_local"), col("lang_known")),
        "star_pull": _ratio(acol("cast_only"), acol("cast_only") + acol("story")),
        "unmet_access": _ratio(acol("unmet"), authors),
    }
    a0, p0, n0 = AI[f"theme:{THEMES[0]}"], CI[f"pos:{THEMES[0]}"], CI[f"neg:{THEMES[0]}"]
    salience = _ratio(as_[:, a0:a0 + _T], authors[:, None])
    p, n = cs[:, p0:p0 + _T], cs[:, n0:n0 + _T]
    valence = _ratio(p - n, p + n)
    for i, t in enumerate(THEMES):
        out[f"salience:{t}"] = salience[:, i]
        out[f"theme_valence:{t}"] = valence[:, i]
    return out
