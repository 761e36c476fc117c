"""``sentiment.linear.v1``: the fast stance tier. Hashed char/word n-grams and a
multinomial logistic regression, numpy only. The model is data (``weights.npz``,
no pickle) plus the preprocessing it was trained with (``meta.json``). An optional
per-language bias (``lang_bias`` in weights.npz, its languages in meta.json) is added to
the logits of texts whose language is given and listed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, RecordError, check_param
from ..registry import register
from ..schema import SENTIMENT_LABELS
from .artifacts import read_dev_scores
from .text_features import HashingFeaturizer, dense_sums

NAME = "sentiment.linear.v1"


def default_model_dir() -> Path:
    """The artifact shipped inside the package."""
    return Path(str(resources.files("analyzer") / "_models" / "sentiment-linear"))


class LinearModel:
    """Loaded weights + featurizer; ``logits(texts)`` for unique texts."""

    def __init__(self, featurizer: HashingFeaturizer, weights: np.ndarray, bias: np.ndarray,
                 meta: dict[str, Any], lang_bias: dict[str, np.ndarray] | None = None) -> None:
        self.featurizer = featurizer
        # (n_features, 3) float32: a column's three weights side by side, one cache line per n-gram
        # for ``dense_sums`` (the table is larger than the cache and read at random)
        self.by_column = np.ascontiguousarray(np.asarray(weights, dtype=np.float32).T)
        self.bias = bias  # (3,) float32
        self.meta = meta
        self.lang_bias = lang_bias or {}  # lang -> (3,) float32 added to that language's logits

    @property
    def weights(self) -> np.ndarray:
        """(3, n_features) float32, rows in SENTIMENT_LABELS order (a view of ``by_column``)."""
        return self.by_column.T

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        folder = Path(path)
        meta_file, weights_file = folder / "meta.json", folder / "weights.npz"
        if not meta_file.is_file() or not weights_file.is_file():
            raise ModelError(
                f"No sentiment.linear.v1 model in {folder} (need meta.json and weights.npz); "
                "pass path= a folder written by training/sentiment_linear/train.py.")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            featurizer = HashingFeaturizer.from_dict(meta["features"])
            with np.load(weights_file, allow_pickle=False) as data:
                weights = np.ascontiguousarray(data["weights"], dtype=np.float32)
                bias = np.asarray(data["bias"], dtype=np.float32)
                lang_bias = _lang_bias(meta, data)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"Cannot load the sentiment model in {folder}: {exc}; retrain or reinstall it.") from exc
        if tuple(meta.get("labels", ())) != SENTIMENT_LABELS or weights.shape != (3, featurizer.n_features):
            raise ModelError(f"The sentiment model in {folder} does not match labels {SENTIMENT_LABELS}; retrain it.")
        return cls(featurizer, weights, bias, meta, lang_bias)

    def add_lang_bias(self, logits: np.ndarray, langs: Sequence[str | None]) -> np.ndarray:
        """``logits`` (one row per lang) plus each listed language's bias, in place."""
        index = {lang: i for i, lang in enumerate(self.lang_bias)}
        rows = np.fromiter((index.get(lang, -1) for lang in langs), dtype=np.intp, count=len(langs))
        table = np.stack(list(self.lang_bias.values()))
        listed = rows >= 0
        logits[listed] += table[rows[listed]]
        return logits

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        joined = self.featurizer.normalize_joined(texts)
        segments = joined.split("\x00")
        unique = list(dict.fromkeys(segments))  # identical normalized texts scored once
        feats = self.featurizer.transform_joined(joined if len(unique) == len(segments) else "\x00".join(unique),
                                                 len(unique))
        out = dense_sums(self.by_column, feats)
        out *= feats.scale[:, None]
        out += self.bias
        if len(unique) == len(segments):
            return out
        position = {seg: i for i, seg in enumerate(unique)}
        return out[[position[seg] for seg in segments]]


def _lang_bias(meta: dict[str, Any], data: Any) -> dict[str, np.ndarray]:
    """``lang -> (3,)`` from weights.npz ``lang_bias`` (rows in meta ``lang_bias.langs`` order); {} when absent."""
    langs = (meta.get("lang_bias") or {}).get("langs") or []
    if not langs:
        return {}
    table = np.asarray(data["lang_bias"], dtype=np.float32)
    if table.shape != (len(langs), 3):
        raise ValueError(f"lang_bias has shape {table.shape}, meta.json lists {len(langs)} languages")
    return {lang: table[i] for i, lang in enumerate(langs)}


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


@register(NAME)
class LinearSentimentBackend:
    """Fast stance model. ``predict_proba(texts)`` -> (n, 3) (negative, neutral, positive).

    The n-gram weights are language-agnostic; ``langs`` (one code per text, e.g. the langid
    stage's) only selects the per-language bias terms the model was trained with, if any.
    """

    name = NAME
    summary = "fast tier: hashed n-grams + multinomial LR, numpy only"

    def __init__(self, *, path: str | Path | None = None, batch_size: int = 8192) -> None:
        check_param("LinearSentimentBackend", "batch_size", batch_size,
                    isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0,
                    "a positive int")
        self.path = path
        self.batch_size = batch_size
        self._model: LinearModel | None = None

    @property
    def model(self) -> LinearModel:
        if self._model is None:
            self._model = LinearModel.load(self.path if self.path is not None else default_model_dir())
        return self._model

    def predict_proba(self, texts: Sequence[str] | str,
                      langs: Sequence[str | None] | None = None) -> np.ndarray:
        if isinstance(texts, str):
            return self.predict_proba([texts], None if langs is None else [langs])[0]  # type: ignore[list-item]
        texts = list(texts)
        if langs is not None and len(langs) != len(texts):
            raise RecordError(f"predict_proba got {len(texts)} texts but {len(langs)} langs; pass one lang per text.")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise RecordError(f"predict_proba needs str texts; item {i} is {type(text).__name__}.")
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        unique = list(dict.fromkeys(texts))  # identical texts scored once
        logits = np.concatenate([self.model.logits(unique[i:i + self.batch_size])
                                 for i in range(0, len(unique), self.batch_size)])
        if len(unique) != len(texts):
            position = {text: i for i, text in enumerate(unique)}
            logits = logits[[position[t] for t in texts]]
        if langs is not None and self.model.lang_bias:
            logits = self.model.add_lang_bias(logits, langs)
        return softmax(logits)

    def dev_scores(self) -> dict[str, Any] | None:
        """Held-out per-language macro-F1 and confusion matrices written by the model's
        evaluate.py beside the weights (numbers only), or None when absent."""
        return read_dev_scores(self.path or default_model_dir())

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "path": str(self.path or default_model_dir()),
                "batch_size": self.batch_size}

    def __repr__(self) -> str:
        return f"LinearSentimentBackend(path={self.path!r}, batch_size={self.batch_size})"
