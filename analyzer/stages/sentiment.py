"""Stance toward the drama (negative / neutral / positive) from a SentimentBackend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import check_param
from ..defaults import DEVICE, MODELS
from ..registry import select_backend
from ..schema import SENTIMENT_LABELS, Comment, replacer
from .base import Batch, Stage

_WITH_SENTIMENT = replacer("sentiment", "sentiment_scores")  # c.with_(sentiment=..., ...), ~2 us cheaper


class SentimentStage(Stage):
    name = "sentiment"
    requires = ("clean_text", "lang")
    assigns = ("sentiment", "sentiment_scores")
    stateless = True

    def __init__(self, *, backend=MODELS["sentiment"], device: str = DEVICE, embedders=None) -> None:
        check_param("SentimentStage", "device", device, device in ("cpu", "cuda") or device.startswith("cuda:"), "'cpu' or 'cuda[:N]'")
        self.backend_spec = backend
        self.device = device
        kwargs = {"device": device} if device != "cpu" else {}
        if embedders is not None:  # the run's shared embedders (one e5 encoder for every head)
            kwargs["embedders"] = embedders
        self.backend = select_backend(backend, "sentiment", **kwargs)

    def predict(self, batch: Sequence[Comment]) -> np.ndarray:
        return self.backend.predict_proba([c.model_text for c in batch], [c.lang for c in batch])

    def annotate(self, batch: Sequence[Comment], predictions: np.ndarray) -> Batch:
        predictions = np.asarray(predictions)
        labels = [SENTIMENT_LABELS[i] for i in predictions.argmax(axis=1).tolist()]
        return [_WITH_SENTIMENT(c, label, scores) for c, label, scores in zip(batch, labels, rounded_rows(predictions, 4))]

    def dev_scores(self) -> dict | None:
        """The backend's held-out scores (per-language macro-F1, confusion), if it ships them."""
        scores = getattr(self.backend, "dev_scores", None)
        return scores() if callable(scores) else None

    def describe(self) -> dict:
        out = {"stage": self.name, "backend": getattr(self.backend, "name", str(self.backend_spec)),
               "version": getattr(self.backend, "version", None)}
        scores = self.dev_scores()
        if scores:
            out["dev_macro_f1_mean"] = scores.get("mean_macro_f1")
            out["accuracy_per_language"] = scores.get("macro_f1_per_language")  # macro-F1, held-out dev
        return out


def rounded_rows(values: np.ndarray, digits: int) -> list[tuple[float, ...]]:
    """``tuple(round(float(v), digits) for v in row)`` of every row, for the whole array at once:
    ``rint(v * 10**digits) / 10**digits`` is that same float (the division is correctly rounded,
    as ``round``'s decimal conversion is) unless ``v * 10**digits`` lies within rounding error
    of a half, where only ``round`` (exact decimal arithmetic) knows the side: those few values
    are rounded by ``round`` itself."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** digits
    scaled = x * scale
    rows = (np.rint(scaled) / scale).tolist()
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    near_half |= ~np.isfinite(scaled)
    for i, j in zip(*np.nonzero(near_half)):
        rows[i][j] = round(float(x[i, j]), digits)
    return list(map(tuple, rows))
