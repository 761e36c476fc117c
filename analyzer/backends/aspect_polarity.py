"""``polarity.clause.v1``: each theme's polarity from the words that carry it.

"the CGI is cheap but the romance makes up for it": production <- "the CGI is cheap"
(negative), romance <- "but the romance makes up for it" (positive). One multinomial
logistic regression (negative / neutral / positive) over

- hashed char and word n-grams of the theme's clause (``text_features.HashingFeaturizer``),
- the clause's sentiment probabilities and the whole comment's (from the sentiment backend),
- per-language cues of the clause (``analyzer.text.cues``): a negation, the clause opens with
  a contrast conjunction ("but ..."), a contrast clause follows it (it is conceded), the
  clause is the whole comment,
- the theme id, alone and crossed with all of the above except the n-grams.

Then one contrast rule (``contrast_rule``): in an explicit contrast ("the CGI is cheap | but
...") a clause whose own sentiment is at least ``min_clause_prob`` sure keeps that sentiment,
because the comment's stance, which the model leans on, covers both sides of a contrast. The
trainer chooses ``min_clause_prob`` (or no rule) by the same cross-validation as the model and
stores it in ``meta.json``.

Trained with scikit-learn by ``training/aspect_polarity/train.py``; runs here in numpy. The
model is data: ``weights.npz`` (no pickle) + ``meta.json`` in ``analyzer/_models/aspect-polarity/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import ModelError
from ..registry import register
from ..schema import SENTIMENT_LABELS, THEMES
from ..text.cues import contrast_flags, has_negation
from .artifacts import read_artifact
from .text_features import HashedHeads, HashingFeaturizer

NAME = "polarity.clause.v1"
BASE = ("clause_neg", "clause_neu", "clause_pos", "comment_neg", "comment_neu", "comment_pos",
        "negation", "opens_contrast", "conceded", "whole_comment",
        "negation_x_neg", "negation_x_neu", "negation_x_pos")
DENSE = BASE + tuple(f"theme={t}" for t in THEMES) + tuple(f"theme={t}&{b}" for t in THEMES for b in BASE)


class AspectItem(NamedTuple):
    """One (comment, theme) pair to score."""

    theme: str
    clause: str  # the evidence clause(s) of the theme, joined by a space
    text: str  # the whole comment
    lang: str | None
    clause_probs: Sequence[float]  # sentiment (negative, neutral, positive) of the clause
    comment_probs: Sequence[float]  # sentiment of the whole comment


def default_model_dir() -> Path:
    return Path(str(resources.files("analyzer") / "_models" / "aspect-polarity"))


def cue_flags(item: AspectItem, cues: dict | None = None) -> tuple[bool, bool, bool, bool]:
    """(negation, opens with a contrast, conceded, whole comment) of the item's clause (``cues``:
    a memo shared within a batch, where a comment's themes often share its clause)."""
    key = (item.clause, item.text, item.lang)
    found = cues.get(key) if cues is not None else None
    if found is None:
        whole = item.clause.strip() == item.text.strip()
        found = (has_negation(item.clause, item.lang),
                 *((False, False) if whole else contrast_flags(item.clause, item.text, item.lang)), whole)
        if cues is not None:
            cues[key] = found
    return found


def base_features(item: AspectItem, cues: dict | None = None) -> list[float]:
    """The BASE features of one item (``dense_features`` computes the same for a batch at once)."""
    negated, opens, conceded, whole = (float(f) for f in cue_flags(item, cues))
    clause = [float(p) for p in item.clause_probs]
    return [*clause, *(float(p) for p in item.comment_probs), negated, float(opens), float(conceded), float(whole),
            *(negated * p for p in clause)]


def _base_matrix(items: Sequence[AspectItem]) -> np.ndarray:
    """(n, len(BASE)) float32: ``base_features`` of every item, the arithmetic done in float64 as
    there, in whole columns."""
    cues: dict = {}
    flags = np.asarray([cue_flags(item, cues) for item in items], dtype=np.float64)
    clause = np.asarray([item.clause_probs for item in items], dtype=np.float64).reshape(len(items), 3)
    comment = np.asarray([item.comment_probs for item in items], dtype=np.float64).reshape(len(items), 3)
    return np.hstack([clause, comment, flags, flags[:, :1] * clause]).astype(np.float32)


_THEME_INDEX = {t: k for k, t in enumerate(THEMES)}
_CONTRAST_COLS = [BASE.index("opens_contrast"), BASE.index("conceded")]


def dense_features(items: Sequence[AspectItem]) -> np.ndarray:
    """(n, len(DENSE)): BASE, the theme one-hot, and the theme crossed with BASE."""
    n, nb, nt = len(items), len(BASE), len(THEMES)
    out = np.zeros((n, len(DENSE)), dtype=np.float32)
    if not n:
        return out
    base = _base_matrix(items)
    out[:, :nb] = base
    rows = np.array([i for i, item in enumerate(items) if item.theme in _THEME_INDEX], dtype=np.intp)
    themes = np.array([_THEME_INDEX[items[i].theme] for i in rows], dtype=np.intp)
    out[rows, nb + themes] = 1.0
    out[rows[:, None], nb + nt + themes[:, None] * nb + np.arange(nb)] = base[rows]  # theme x BASE
    return out


class PolarityModel:
    """Loaded weights: 3 heads over hashed n-grams, (3, len(DENSE)) dense weights, bias."""

    def __init__(self, featurizer: HashingFeaturizer, weights: HashedHeads, dense: np.ndarray,
                 bias: np.ndarray, meta: dict[str, Any]) -> None:
        self.featurizer, self.weights, self.dense, self.bias, self.meta = featurizer, weights, dense, bias, meta

    @classmethod
    def load(cls, path: str | Path) -> "PolarityModel":
        folder = Path(path)
        meta, data = read_artifact(folder, NAME, "training/aspect_polarity/train.py")
        try:
            featurizer = HashingFeaturizer.from_dict(meta["features"])
            weights = HashedHeads.from_columns(featurizer.n_features, data["cols"].astype(np.intp),
                                               data["hash_weights"])
            dense, bias = data["dense_weights"].astype(np.float32), data["bias"].astype(np.float32)
        except (OSError, KeyError, ValueError, IndexError) as exc:
            raise ModelError(f"Cannot load the {NAME} model in {folder}: {exc}; retrain or reinstall it.") from exc
        if (tuple(meta.get("dense", ())) != DENSE or dense.shape != (3, len(DENSE)) or bias.shape != (3,)
                or weights.weights.shape[1] != 3):
            raise ModelError(f"The model in {folder} does not match this version's features; retrain it.")
        return cls(featurizer, weights, dense, bias, meta)

    @property
    def min_clause_prob(self) -> float | None:
        return (self.meta.get("contrast_rule") or {}).get("min_clause_prob")

    def logits(self, items: Sequence[AspectItem], dense: np.ndarray | None = None) -> np.ndarray:
        unique: dict[str, int] = {}
        index = np.array([unique.setdefault(it.clause, len(unique)) for it in items], dtype=np.intp)
        # each distinct clause is hashed once
        hashed = self.weights.scores(self.featurizer.transform(list(unique)))
        dense = dense_features(items) if dense is None else dense
        return dense @ self.dense.T + self.bias + hashed[index]

    def proba(self, items: Sequence[AspectItem]) -> np.ndarray:
        dense = dense_features(items)
        z = self.logits(items, dense)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return contrast_rule(z / z.sum(axis=1, keepdims=True), dense, self.min_clause_prob)


def contrast_rule(probs: np.ndarray, dense: np.ndarray, min_clause_prob: float | None) -> np.ndarray:
    """``probs`` with each clause of an explicit contrast (it opens with "but", or a contrast
    follows it) whose own sentiment is at least ``min_clause_prob`` sure and disagrees with the
    model replaced by that sentiment (``dense``: ``dense_features`` of the same items; ``None``: no rule)."""
    if min_clause_prob is None or not len(probs):
        return probs
    clause = dense[:, :3]
    in_contrast = dense[:, _CONTRAST_COLS].max(axis=1) > 0
    flip = in_contrast & (clause.max(axis=1) >= min_clause_prob) & (clause.argmax(axis=1) != probs.argmax(axis=1))
    out = probs.copy()
    out[flip] = clause[flip]
    return out


@register(NAME)
class ClausePolarityBackend:
    """Per-theme polarity from the theme's clause (see the module docstring)."""

    name = NAME
    summary = "theme clause n-grams + clause/comment sentiment + negation/contrast cues, multinomial LR"
    version = "1"

    def __init__(self, *, path: str | Path | None = None) -> None:
        self.path = path
        self._model: PolarityModel | None = None

    @property
    def model(self) -> PolarityModel:
        if self._model is None:
            self._model = PolarityModel.load(self.path if self.path is not None else default_model_dir())
        return self._model

    def predict_proba(self, items: Sequence[AspectItem]) -> np.ndarray:
        """(n, 3) probabilities over SENTIMENT_LABELS, one row per item."""
        if not items:
            return np.zeros((0, 3), dtype=np.float32)
        return self.model.proba(items)

    def predict(self, items: Sequence[AspectItem]) -> list[str]:
        return [SENTIMENT_LABELS[int(k)] for k in self.predict_proba(items).argmax(axis=1)]

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "version": self.version, "path": str(self.path or default_model_dir())}

    def __repr__(self) -> str:
        return f"ClausePolarityBackend(path={self.path!r})"


def make_item(theme: str, clauses: Sequence[str], text: str, lang: str | None,
              clause_probs: Sequence[Sequence[float]], comment_probs: Sequence[float]) -> AspectItem:
    """The item of a theme whose evidence is ``clauses`` (scored ``clause_probs``, one row each):
    the clauses joined, their mean sentiment. The trainer builds its rows with this too."""
    if len(clause_probs) == 1:
        mean = clause_probs[0]
    else:
        mean = np.mean(np.asarray(clause_probs, dtype=np.float32), axis=0) if len(clause_probs) else comment_probs
    clause = clauses[0].strip() if len(clauses) == 1 else " ".join(c.strip() for c in clauses)
    return AspectItem(theme, clause or text.strip(), text, lang, mean, comment_probs)
