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

Trained with scikit-learn by ``models/aspect-polarity/train.py``; runs here in numpy. The
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
from .text_features import HashingFeaturizer

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


def base_features(item: AspectItem) -> np.ndarray:
    """The BASE features of one item (float32)."""
    clause = np.asarray(item.clause_probs, dtype=np.float32)
    comment = np.asarray(item.comment_probs, dtype=np.float32)
    negated = float(has_negation(item.clause, item.lang))
    whole = item.clause.strip() == item.text.strip()
    opens, conceded = (False, False) if whole else contrast_flags(item.clause, item.text, item.lang)
    flags = np.array([negated, opens, conceded, whole], dtype=np.float32)
    return np.concatenate([clause, comment, flags, negated * clause])


def dense_features(items: Sequence[AspectItem]) -> np.ndarray:
    """(n, len(DENSE)): BASE, the theme one-hot, and the theme crossed with BASE."""
    out = np.zeros((len(items), len(DENSE)), dtype=np.float32)
    nb, nt = len(BASE), len(THEMES)
    for row, item in enumerate(items):
        base = base_features(item)
        out[row, :nb] = base
        if item.theme in THEMES:
            k = THEMES.index(item.theme)
            out[row, nb + k] = 1.0
            start = nb + nt + k * nb
            out[row, start:start + nb] = base
    return out


class PolarityModel:
    """Loaded weights: (3, n_features) hashed n-gram weights, (3, len(DENSE)) dense weights, bias."""

    def __init__(self, featurizer: HashingFeaturizer, weights: np.ndarray, dense: np.ndarray,
                 bias: np.ndarray, meta: dict[str, Any]) -> None:
        self.featurizer, self.weights, self.dense, self.bias, self.meta = featurizer, weights, dense, bias, meta

    @classmethod
    def load(cls, path: str | Path) -> "PolarityModel":
        folder = Path(path)
        meta, data = read_artifact(folder, NAME, "models/aspect-polarity/train.py")
        try:
            featurizer = HashingFeaturizer.from_dict(meta["features"])
            weights = np.zeros((3, featurizer.n_features), dtype=np.float32)
            weights[:, data["cols"].astype(np.intp)] = data["hash_weights"].astype(np.float32)
            dense, bias = data["dense_weights"].astype(np.float32), data["bias"].astype(np.float32)
        except (OSError, KeyError, ValueError, IndexError) as exc:
            raise ModelError(f"Cannot load the {NAME} model in {folder}: {exc}; retrain or reinstall it.") from exc
        if tuple(meta.get("dense", ())) != DENSE or dense.shape != (3, len(DENSE)) or bias.shape != (3,):
            raise ModelError(f"The model in {folder} does not match this version's features; retrain it.")
        return cls(featurizer, weights, dense, bias, meta)

    def logits(self, items: Sequence[AspectItem]) -> np.ndarray:
        n = len(items)
        feats = self.featurizer.transform([it.clause for it in items])
        values = feats.scale[feats.rows]
        out = dense_features(items) @ self.dense.T + self.bias
        for k in range(3):
            out[:, k] += np.bincount(feats.rows, weights=self.weights[k][feats.cols] * values, minlength=n)[:n]
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
        z = self.model.logits(items)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

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
    mean = np.mean(np.asarray(clause_probs, dtype=np.float32), axis=0) if len(clause_probs) else comment_probs
    return AspectItem(theme, " ".join(c.strip() for c in clauses) or text.strip(), text, lang,
                      tuple(map(float, mean)), tuple(map(float, comment_probs)))
