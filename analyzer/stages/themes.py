"""Themes, intents, noise and per-theme polarity (aspect sentiment).

A ThemeBackend finds the themes, the intent flags and the clauses that carry each
theme ("love the OST but the ending ruined it": music <- "love the OST", story <-
"but the ending ruined it"). A SentimentBackend then scores those clauses, so each
theme gets its own polarity (music: positive, story: negative). Without a sentiment
backend a theme whose evidence is the whole comment takes the comment's sentiment
(when a sentiment stage ran before); other themes get no polarity. With both a sentiment
backend and a ``polarity`` backend (default ``polarity.clause.v1``), the polarity backend
decides each theme's polarity from its clause, the clause's and the comment's sentiment and
the clause's negation/contrast cues; ``polarity=None`` keeps the clause-sentiment argmax.
When a MentionStage ran before, a named actor adds ``acting`` and a named character
``characters``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..backends.aspect_polarity import make_item
from ..backends.base import ThemeMatch
from ..backends.text_features import forget_recent
from ..defaults import MODELS
from ..registry import select_backend
from ..schema import SENTIMENT_LABELS, THEMES, Comment
from .base import Batch, Stage


class ThemePrediction(NamedTuple):
    match: ThemeMatch
    polarity: dict[str, str]


class ThemeStage(Stage):
    name = "themes"
    requires = ("clean_text", "lang")
    assigns = ("themes", "theme_scores", "theme_polarity", "intents", "noise")
    stateless = True

    def __init__(self, *, backend: Any = MODELS["themes"], sentiment: Any = None,
                 polarity: Any = MODELS["polarity"], embedders: Any = None) -> None:
        self.backend_spec = backend
        self.sentiment_spec = sentiment
        self.polarity_spec = polarity
        shared = {"embedders": embedders} if embedders is not None else {}  # one e5 encoder for every head
        self.backend = select_backend(backend, "themes", **shared)
        self.sentiment = select_backend(sentiment, "sentiment", **shared) if sentiment is not None else None
        use_polarity = polarity is not None and self.sentiment is not None
        self.polarity = select_backend(polarity, "polarity") if use_polarity else None
        share = getattr(self.backend, "share_embeddings", None)
        if self.sentiment is not None and callable(share):
            share(self.sentiment)  # embed once per comment (e.g. themes.e5.v1 + sentiment.e5.v1)

    def predict(self, batch: Sequence[Comment]) -> list[ThemePrediction]:
        texts = [c.model_text for c in batch]
        langs = [c.lang for c in batch]
        matches = [_with_mentions(c, m) for c, m in zip(batch, self.backend.predict(texts, langs))]
        probs = self._clause_probabilities(batch, matches)
        if self.polarity is not None:
            made = self._predict_polarity(batch, matches, probs)
        else:
            made = [ThemePrediction(m, _polarity(c, m, probs)) for c, m in zip(batch, matches)]
        forget_recent()  # the sentiment stage's n-grams of this batch, reused by the theme heads
        return made

    def annotate(self, batch: Sequence[Comment], predictions: list[ThemePrediction]) -> Batch:
        out = []
        for c, (m, polarity) in zip(batch, predictions):
            noise = c.noise or m.noise
            if (noise or not (m.themes or m.intents or polarity)) and _unannotated(c):
                out.append(c if c.noise == noise else c.with_(noise=noise))  # nothing else to write (most comments)
            elif noise:
                out.append(c.with_(themes=(), theme_scores={}, theme_polarity={}, intents=(), noise=True))
            else:
                out.append(c.with_(themes=tuple(m.themes), theme_scores=dict(m.themes), theme_polarity=polarity,
                                   intents=tuple(m.intents), noise=False))
        return out

    def _clause_probabilities(self, batch, matches) -> dict[tuple[str, str | None], np.ndarray]:
        """Sentiment of every distinct evidence clause in the batch, in one backend call."""
        if self.sentiment is None:
            return {}
        known: dict[tuple[str, str | None], np.ndarray] = {}
        wanted: dict[tuple[str, str | None], None] = {}
        for c, m in zip(batch, matches):
            if c.noise or m.noise:
                continue
            for theme, clauses in m.evidence.items():
                if m.polarity and theme in m.polarity:
                    continue  # the backend scored this aspect itself: no clause call
                for clause in clauses:
                    key = (clause, c.lang)
                    if clause == c.model_text and len(c.sentiment_scores) == 3:
                        known[key] = np.asarray(c.sentiment_scores, dtype=float)  # reuse, no second call
                    else:
                        wanted[key] = None
            if self.polarity is not None and len(c.sentiment_scores) != 3:
                wanted[(c.model_text, c.lang)] = None  # the comment's own stance is a polarity feature
        keys = [k for k in wanted if k not in known]
        if keys:  # the polarity model's clause features may come from another backend (sentiment.e5.v1's clause_backend)
            scorer = getattr(self.sentiment, "clause_backend", self.sentiment) if self.polarity is not None else self.sentiment
            scores = scorer.predict_proba([k[0] for k in keys], [k[1] for k in keys])
            known.update(zip(keys, np.asarray(scores, dtype=float)))
        return known

    def _predict_polarity(self, batch, matches, probs) -> list[ThemePrediction]:
        """Every (comment, theme) pair of the batch scored by the polarity backend in one call."""
        items, where = [], []
        for row, (c, m) in enumerate(zip(batch, matches)):
            if c.noise or m.noise:
                continue
            comment = c.sentiment_scores if len(c.sentiment_scores) == 3 else probs[(c.model_text, c.lang)]
            for theme in m.themes:
                if m.polarity and theme in m.polarity:  # the theme backend's own head decided it
                    continue
                clauses = m.evidence.get(theme) or (c.model_text,)
                rows = [probs[(cl, c.lang)] for cl in clauses if (cl, c.lang) in probs]
                items.append(make_item(theme, clauses, c.model_text, c.lang, rows, comment))
                where.append((row, theme))
        polarity: list[dict[str, str]] = [dict(m.polarity or {}) if not (c.noise or m.noise) else {}
                                          for c, m in zip(batch, matches)]
        for (row, theme), label in zip(where, self.polarity.predict(items) if items else []):
            polarity[row][theme] = label
        return [ThemePrediction(m, p) for m, p in zip(matches, polarity)]

    def describe(self) -> dict:
        sentiment = getattr(self.sentiment, "name", None) if self.sentiment is not None else None
        out = {"stage": self.name, "backend": getattr(self.backend, "name", str(self.backend_spec)),
               "version": getattr(self.backend, "version", None), "polarity_from": sentiment}
        if self.polarity is not None:
            out["polarity_backend"] = getattr(self.polarity, "name", str(self.polarity_spec))
        if hasattr(self.backend, "shared_with"):  # embedding backends: one encoder pass per comment?
            out["embeddings_shared_with"] = self.backend.shared_with
        return out

    def __repr__(self) -> str:
        return (f"ThemeStage(backend={self.backend_spec!r}, sentiment={self.sentiment_spec!r}, "
                f"polarity={self.polarity_spec!r})")


def _unannotated(c: Comment) -> bool:
    """No themes, scores, polarity or intents yet (what ``annotate`` writes for a comment without any)."""
    return not (c.themes or c.theme_scores or c.theme_polarity or c.intents)


MENTION_THEMES = {"cast": ("acting", 0.8), "character": ("characters", 0.8)}


def _with_mentions(c: Comment, m: ThemeMatch) -> ThemeMatch:
    """Named actors -> ``acting``, named characters -> ``characters`` (when a MentionStage ran
    earlier); the evidence is the whole comment."""
    if m.noise or not c.mentions:
        return m
    themes, evidence = dict(m.themes), dict(m.evidence)
    for mention in c.mentions:
        theme, score = MENTION_THEMES.get(mention.partition(":")[0], (None, 0.0))
        if theme is not None and theme not in themes:
            themes[theme] = score
            evidence[theme] = (c.model_text.strip(),)
    order = {t: i for i, t in enumerate(THEMES)}
    return m._replace(themes=dict(sorted(themes.items(), key=lambda kv: order[kv[0]])), evidence=evidence)


def _polarity(c: Comment, m: ThemeMatch, probs: dict) -> dict[str, str]:
    out = {}
    for theme in m.themes:
        if m.polarity and theme in m.polarity:  # the backend's own aspect head (themes.joint-e5.v1)
            out[theme] = m.polarity[theme]
            continue
        clauses = m.evidence.get(theme, ())
        rows = [probs[(cl, c.lang)] for cl in clauses if (cl, c.lang) in probs]
        if rows:
            out[theme] = SENTIMENT_LABELS[int(np.mean(rows, axis=0).argmax())]
        elif c.sentiment in SENTIMENT_LABELS and clauses and all(cl == c.model_text.strip() for cl in clauses):
            out[theme] = c.sentiment
    return out
