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


def _any_theme(v: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return v[:, [F.THEME_MENTION + F.THEME_INDEX[t] for t in names]].sum(axis=1) > 0


def _any_intent(v: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return v[:, [F.INTENT + F.INTENT_INDEX[t] for t in names]].sum(axis=1) > 0


def author_tables(vectors: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-author count vectors (authors x WIDTH) -> (comment-level C, author-level A) tables."""
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, F.WIDTH)
    n = v[:, F.N]
    w = np.where(n > 0, np.minimum(n, cap) / np.maximum(n, 1), 0.0)
    c = np.concatenate([
        v[:, [F.N, F.POS, F.NEU, F.NEG, F.STRONG, F.LANG_KNOWN, F.LANG_LOCAL]],
        v[:, F.THEME_POS:F.THEME_POS + _T],
        v[:, F.THEME_NEG:F.THEME_NEG + _T],
    ], axis=1) * w[:, None]
    mentions = v[:, F.THEME_MENTION:F.THEME_MENTION + _T] > 0
    content = _any_theme(v, F.CONTENT_THEMES)
    cast = _any_theme(v, F.CAST_THEMES)
    story = _any_theme(v, F.STORY_THEMES)
    a = np.column_stack([
        n > 0,
        _any_intent(v, F.POSITIVE_INTENTS),
        _any_intent(v, ("dropped",)),
        mentions.any(axis=1),
        content,
        cast & ~story,
        story,
        (v[:, F.WHERE_TO_WATCH] > 0) | (v[:, F.ACCESS_NEG] > 0),
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
