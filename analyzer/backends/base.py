"""Backend protocols. Stages talk to models only through these; stages never import
torch. Concrete backends register a versioned name with ``analyzer.registry.register``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from ..errors import RecordError


class LangPrediction(NamedTuple):
    lang: str  # ISO 639-1, or "und"
    confidence: float
    mixed: tuple[str, ...] = ()  # e.g. ("tl", "en") for code-mixed text
    script: str | None = None  # ISO 15924: Latn, Hans, Hant, Hang, Jpan, Thai, Arab, Deva, Cyrl


@runtime_checkable
class LanguageIdBackend(Protocol):
    name: str

    def predict(
        self, texts: Sequence[str], hints: Sequence[str | None] | None = None
    ) -> list[LangPrediction]: ...


@runtime_checkable
class SentimentBackend(Protocol):
    """Stance toward the drama. ``predict_proba`` returns an (n, 3) float array whose
    columns are ``SENTIMENT_LABELS`` = (negative, neutral, positive), rows sum to 1."""

    name: str

    def predict_proba(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> np.ndarray: ...


class ThemeMatch(NamedTuple):
    themes: dict[str, float]  # theme id -> score in [0, 1] (only themes that fired)
    intents: tuple[str, ...]
    noise: bool
    evidence: dict[str, tuple[str, ...]]  # theme id -> the clauses that carry it
    polarity: dict[str, str] | None = None  # theme id -> stance label, when the backend scores aspects itself


@runtime_checkable
class ThemeBackend(Protocol):
    name: str

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[ThemeMatch]: ...


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (n, k) logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def theme_inputs(texts: Sequence[str | None], langs: Sequence[str | None] | None) -> tuple[list[str], list[str | None]]:
    """A theme backend's ``predict`` arguments as two equal-length lists (empty text for None,
    no language for every text when ``langs`` is None); a length mismatch is a RecordError."""
    texts = [t or "" for t in texts]
    langs = list(langs) if langs is not None else [None] * len(texts)
    if len(langs) != len(texts):
        raise RecordError(f"predict got {len(texts)} texts but {len(langs)} langs; pass one lang per text.")
    return texts, langs
