"""``themes.hybrid.v1``: the cue lexicon plus per-label linear classifiers.

One lexicon pass (``themes.lexicon.v1`` at a 0.4 threshold, so single weak cues count)
gives noise, evidence clauses and per-label cue scores. Each label (13 themes without
``intent``, plus the 8 intent flags) has a logistic-regression head over hashed char/word
n-grams (``text_features.HashingFeaturizer``) and the lexicon's per-label scores; it was
trained with scikit-learn by ``training/themes_hybrid/train.py`` and runs here in numpy.
A theme fires when its head's probability reaches the head's threshold, or (``union``)
when the lexicon alone fires it at its own 0.5 threshold. ``intent`` fires iff an
intent flag fires; ``where_to_watch`` implies ``access``. The model is data:
``weights.npz`` (no pickle) + ``meta.json`` in ``analyzer/_models/themes-hybrid/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, check_param
from ..registry import register
from ..schema import INTENTS, THEMES
from .artifacts import read_artifact
from .base import ThemeMatch, theme_inputs
from .text_features import HashedHeads, HashingFeaturizer
from .themes_lexicon import LexiconThemeBackend, theme_evidence

NAME = "themes.hybrid.v1"
HEADS = tuple(t for t in THEMES if t != "intent") + tuple(INTENTS)
LEXICON_THRESHOLD = 0.4  # the weak-cue weight: every cue shows up as a feature
LEXICON_FIRES = 0.5  # the lexicon's own decision threshold
NOISE = ThemeMatch({}, (), True, {})


def default_model_dir() -> Path:
    """The artifact shipped inside the package."""
    return Path(str(resources.files("analyzer") / "_models" / "themes-hybrid"))


_COLUMN = {head: col for col, head in enumerate(HEADS)}
_INTENT_HEADS = frozenset(INTENTS)


def lexicon_features(matches: Sequence[ThemeMatch]) -> np.ndarray:
    """(n, len(HEADS)) lexicon scores: theme cue scores, 1.0 for a matched intent.
    Only the few non-zero cells are written."""
    out = np.zeros((len(matches), len(HEADS)), dtype=np.float32)
    for row, m in enumerate(matches):
        for head, score in m.themes.items():
            if head in _COLUMN and head not in _INTENT_HEADS:
                out[row, _COLUMN[head]] = score
        for head in m.intents:
            if head in _COLUMN:
                out[row, _COLUMN[head]] = 1.0
    return out


class HybridModel:
    """Loaded heads: hashed n-gram weights, lexicon-feature weights, bias, thresholds."""

    def __init__(self, featurizer: HashingFeaturizer, weights: HashedHeads, lex_weights: np.ndarray,
                 bias: np.ndarray, meta: dict[str, Any]) -> None:
        self.featurizer = featurizer
        self.weights = weights  # len(HEADS) heads over the hashed n-grams
        self.lex_weights = lex_weights  # (len(HEADS), len(HEADS)) float32, already scaled
        self.bias = bias  # (len(HEADS),) float32
        self.thresholds = np.asarray([meta["thresholds"][h] for h in HEADS], dtype=np.float32)
        self.union = bool(meta.get("union", True))
        self.meta = meta

    @classmethod
    def load(cls, path: str | Path) -> "HybridModel":
        folder = Path(path)
        meta, data = read_artifact(folder, NAME, "training/themes_hybrid/train.py")
        try:
            featurizer = HashingFeaturizer.from_dict(meta["features"])
            weights = HashedHeads.from_columns(featurizer.n_features, data["cols"].astype(np.intp),
                                               data["hash_weights"])
            lex_weights = data["lex_weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        except (OSError, KeyError, ValueError, IndexError) as exc:
            raise ModelError(f"Cannot load the {NAME} model in {folder}: {exc}; retrain or reinstall it.") from exc
        if (tuple(meta.get("heads", ())) != HEADS or lex_weights.shape != (len(HEADS), len(HEADS))
                or weights.weights.shape[1] != len(HEADS)):
            raise ModelError(f"The model in {folder} does not match heads {HEADS}; retrain it.")
        return cls(featurizer, weights, lex_weights, bias, meta)

    def probabilities(self, texts: Sequence[str], lex: np.ndarray, rows: Sequence[int] | None = None) -> np.ndarray:
        """(n, len(HEADS)) head probabilities for texts and their lexicon features; with ``rows``,
        for ``texts[i] for i in rows`` only, ``lex`` one row each (all texts are featurized: the
        sentiment stage's n-grams of the whole batch are ``text_features._Recent``'s)."""
        logits = self.weights.scores(self.featurizer.transform(texts))
        if rows is not None and len(rows) != len(texts):
            logits = logits[np.asarray(rows, dtype=np.intp)]
        logits += lex @ self.lex_weights.T + self.bias
        with np.errstate(over="ignore"):  # a very negative logit: exp -> inf, probability 0.0, no warning on stderr
            return 1.0 / (1.0 + np.exp(-logits))


@register(NAME)
class HybridThemeBackend:
    """Lexicon + supervised heads (see the module docstring); ``predict`` -> ThemeMatch."""

    name = NAME
    summary = "lexicon cues + hashed n-grams, per-label LR, numpy only"
    version = "1"

    def __init__(self, *, path: str | Path | None = None, batch_size: int = 4096) -> None:
        check_param("HybridThemeBackend", "batch_size", batch_size,
                    isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0,
                    "a positive int")
        self.path = path
        self.batch_size = batch_size
        self.lexicon = LexiconThemeBackend(threshold=LEXICON_THRESHOLD)
        self._model: HybridModel | None = None

    @property
    def model(self) -> HybridModel:
        if self._model is None:
            self._model = HybridModel.load(self.path if self.path is not None else default_model_dir())
        return self._model

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[ThemeMatch]:
        """One ThemeMatch per text, in order."""
        texts, langs = theme_inputs(texts, langs)
        out: list[ThemeMatch] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(self._predict_batch(texts[start:start + self.batch_size], langs[start:start + self.batch_size]))
        return out

    def _predict_batch(self, texts: list[str], langs: list[str | None]) -> list[ThemeMatch]:
        found = self.lexicon.match_batch(texts, langs)
        keep = [i for i, (m, _) in enumerate(found) if not m.noise]
        out = [NOISE] * len(texts)
        if not keep:
            return out
        lex = lexicon_features([found[i][0] for i in keep])
        probs = self.model.probabilities(texts, lex, keep)
        fired = self._fired(probs, lex)
        for i in keep:
            out[i] = ThemeMatch({}, (), False, {})  # no head fires (most comments)
        rows, cols = np.nonzero(fired)  # row by row, columns in order
        if not len(rows):
            return out
        scores, rows, cols = fired[rows, cols].tolist(), rows.tolist(), cols.tolist()
        edges = np.flatnonzero(np.diff(rows)).tolist()  # the last head of each row but the last
        for lo, hi in zip([0, *(e + 1 for e in edges)], [*(e + 1 for e in edges), len(rows)]):
            i = keep[rows[lo]]
            heads = [(HEADS[k], score) for k, score in zip(cols[lo:hi], scores[lo:hi])]
            out[i] = self._combine(texts[i], langs[i], found[i], heads)
        return out

    def _fired(self, probs: np.ndarray, lex: np.ndarray) -> np.ndarray:
        """(n, len(HEADS)) score of each head that fires, else 0: its probability when it
        reaches its threshold; with ``union``, at least the lexicon's own score for a
        theme the lexicon fires alone."""
        model = self.model
        scores = np.where(probs >= model.thresholds, probs, np.float32(0.0))
        if model.union:
            theme_cols = np.asarray([h not in _INTENT_HEADS for h in HEADS])
            lexicon_fires = (lex >= LEXICON_FIRES) & theme_cols
            scores = np.where(lexicon_fires, np.maximum(scores, lex), scores)
        return scores

    def _combine(self, text: str, lang: str | None, found: tuple[ThemeMatch, dict],
                 fired: list[tuple[str, float]]) -> ThemeMatch:
        """The match of a comment whose heads ``fired`` (at least one)."""
        scores = dict(fired)
        intents = tuple(i for i in INTENTS if i in scores)
        if intents:
            scores["intent"] = max(scores[i] for i in intents)
        if "where_to_watch" in scores:
            scores["access"] = max(scores.get("access", 0.0), scores["where_to_watch"])
        themes = {t: round(scores[t], 4) for t in THEMES if t in scores}
        match, where = found
        # the lexicon's clauses of the themes that fired (clauses are split only for those)
        clauses = theme_evidence(text, lang, [t for t in themes if t in match.themes], where)
        whole = (text.strip(),)
        evidence = {t: clauses.get(t) or whole for t in themes}
        return ThemeMatch(themes, intents, False, evidence)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "version": self.version, "path": str(self.path or default_model_dir()),
                "batch_size": self.batch_size}

    def __repr__(self) -> str:
        return f"HybridThemeBackend(path={self.path!r}, batch_size={self.batch_size})"
