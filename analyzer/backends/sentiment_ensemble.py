"""``sentiment.ensemble.v1``: a weighted average of other sentiment backends.

Each member returns (n, 3) probabilities over ``SENTIMENT_LABELS``; the ensemble
returns ``sum_i w_i * p_i`` (weights normalized to sum 1) or, with
``log_space=True``, the normalized weighted geometric mean
``softmax(sum_i w_i * log p_i)``. Rows always sum to 1.

Defaults: members ``("sentiment.linear.v1", "sentiment.e5.v1")``; with
``weights=None`` and ``log_space=None`` the ensemble reads the choice stored in
``analyzer/_models/sentiment-ensemble/ensemble.json`` for those default members
(chosen on held-out TRAINING rows by ``training/sentiment_ensemble/choose_weights.py``,
never on dev rows); other members get equal weights and a plain mean. A member's e5 encoder
is told to keep fp32 (``keep_fp32``): the int8-then-fp32 cascade's gate is the member's
margin, not the blend's.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, RecordError, check_param
from ..registry import register, select_backend
from ..schema import SENTIMENT_LABELS
from .artifacts import read_dev_scores

NAME = "sentiment.ensemble.v1"
DEFAULT_MEMBERS = ("sentiment.linear.v1", "sentiment.e5.v1")
CHOICE_FILE = Path(__file__).resolve().parent.parent / "_models" / "sentiment-ensemble" / "ensemble.json"
OWNER = "EnsembleSentimentBackend"
EPS = 1e-7


def _valid_weights(weights: Any, n_members: int) -> bool:
    if weights is None:
        return True
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or len(weights) != n_members:
        return False
    ok = all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w >= 0 for w in weights)
    return ok and sum(weights) > 0


def read_choice(path: str | Path = CHOICE_FILE) -> dict[str, Any]:
    """The stored default choice: ``{"members": [...], "weights": [...], "log_space": bool}``."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"No ensemble choice at {path}: run training/sentiment_ensemble/choose_weights.py or pass weights=.")
    return json.loads(path.read_text(encoding="utf-8"))


def combine(probs: Sequence[np.ndarray], weights: Sequence[float], log_space: bool = False) -> np.ndarray:
    """Weighted mean of probability rows (arithmetic, or geometric when ``log_space``)."""
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    stack = np.stack([np.asarray(p, dtype=np.float64) for p in probs])  # (members, n, 3)
    if not log_space:
        out = np.tensordot(w, stack, axes=1)
        return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)
    logits = np.tensordot(w, np.log(np.clip(stack, EPS, 1.0)), axes=1)
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def build_member(spec: Any, device: str, embedders: Any = None) -> Any:
    """A member backend from an instance or a registered name; ``device`` goes to those
    that take one (members without it run on CPU), ``embedders`` (the run's shared
    embedders) to those that embed."""
    shared = {"embedders": embedders} if embedders is not None else {}
    member = select_backend(spec, "sentiment", **shared)
    if device != "cpu" and isinstance(spec, str) and "device" in inspect.signature(type(member)).parameters:
        member = select_backend(spec, "sentiment", device=device, **shared)
    return member


def keep_fp32(member: Any) -> None:
    """Tell a member's encoder that could run the int8-then-fp32 cascade to keep fp32: its gate is
    the member's own margin, not the blend's, and the blend's labels agreed only 0.985 with fp32's
    under it (benchmarks/e5_cascade_readers.py, docs/accurate-tier.md, fourteenth session)."""
    keep = getattr(getattr(member, "encoder", None), "keep_fp32", None)
    if callable(keep):
        keep(NAME)


@register(NAME)
class EnsembleSentimentBackend:
    """Average of member backends' probabilities (see module doc)."""

    name = NAME
    summary = "accurate tier: weighted mean of sentiment.linear.v1 and sentiment.e5.v1 (weights in ensemble.json)"

    def __init__(self, *, members: Sequence[Any] = DEFAULT_MEMBERS, weights: Sequence[float] | None = None,
                 log_space: bool | None = None, device: str = "cpu", path: str | None = None,
                 embedders: Any = None) -> None:
        check_param(OWNER, "members", members,
                    isinstance(members, Sequence) and not isinstance(members, (str, bytes)) and len(members) >= 1,
                    "a non-empty list of backends or registered names")
        check_param(OWNER, "weights", weights, _valid_weights(weights, len(members)),
                    f"None or {len(members)} non-negative finite numbers (one per member) with a positive sum")
        check_param(OWNER, "log_space", log_space, log_space is None or isinstance(log_space, bool), "None or a bool")
        check_param(OWNER, "device", device, isinstance(device, str) and (device == "cpu" or device.startswith("cuda")),
                    '"cpu" or "cuda"')
        self.members, self.weights, self.log_space = tuple(members), weights, log_space
        self.device, self.path, self.embedders = device, path, embedders
        self._backends: list[Any] | None = None
        self._choice: tuple[list[float], bool] | None = None

    @property
    def backends(self) -> list[Any]:
        if self._backends is None:
            self._backends = [build_member(m, self.device, self.embedders) for m in self.members]
            for member in self._backends:
                keep_fp32(member)
        return self._backends

    def choice(self) -> tuple[list[float], bool]:
        """The weights (normalized) and log_space actually used."""
        if self._choice is None:
            weights, log_space = self.weights, self.log_space
            if weights is None or log_space is None:
                stored = self._stored_choice()
                weights = weights if weights is not None else stored["weights"]
                log_space = log_space if log_space is not None else bool(stored["log_space"])
            total = float(sum(weights))
            self._choice = ([float(w) / total for w in weights], log_space)
        return self._choice

    def _stored_choice(self) -> dict[str, Any]:
        if tuple(self.members) != DEFAULT_MEMBERS and self.path is None:
            return {"weights": [1.0] * len(self.members), "log_space": False}
        stored = read_choice(Path(self.path) / "ensemble.json" if self.path else CHOICE_FILE)
        if len(stored["weights"]) != len(self.members):
            raise ModelError(f"ensemble.json has {len(stored['weights'])} weights for {len(self.members)} members; "
                             "pass weights= or rerun training/sentiment_ensemble/choose_weights.py.")
        return stored

    def dev_scores(self) -> dict[str, Any] | None:
        """Held-out scores of the shipped combination (default members, stored weights),
        written beside ensemble.json by training/sentiment_ensemble/evaluate.py; None for others."""
        if tuple(self.members) != DEFAULT_MEMBERS or self.weights is not None or self.log_space is not None:
            return None
        return read_dev_scores(Path(self.path) if self.path else CHOICE_FILE.parent)

    def member_probas(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[np.ndarray]:
        """Each member's (n, 3) probabilities, checked."""
        out = []
        for member in self.backends:
            probs = np.asarray(member.predict_proba(texts, langs), dtype=np.float32)
            if probs.shape != (len(texts), len(SENTIMENT_LABELS)):
                raise ModelError(f"Ensemble member {getattr(member, 'name', member)!r} returned shape {probs.shape}, "
                                 f"expected ({len(texts)}, {len(SENTIMENT_LABELS)}).")
            out.append(probs)
        return out

    def predict_proba(self, texts: Sequence[str] | str, langs: Sequence[str | None] | None = None) -> np.ndarray:
        if isinstance(texts, str):
            return self.predict_proba([texts], None if langs is None else [langs])[0]  # type: ignore[list-item]
        items = list(texts)
        if langs is not None and len(langs) != len(items):
            raise RecordError(f"predict_proba got {len(items)} texts but {len(langs)} langs; pass one lang per text.")
        if not items:
            return np.zeros((0, len(SENTIMENT_LABELS)), dtype=np.float32)
        weights, log_space = self.choice()
        return combine(self.member_probas(items, langs), weights, log_space)

    def describe(self) -> dict[str, Any]:
        weights, log_space = self.choice()
        return {"backend": self.name, "members": [getattr(m, "name", str(m)) for m in self.members],
                "weights": weights, "log_space": log_space, "device": self.device}

    def __repr__(self) -> str:
        return f"EnsembleSentimentBackend(members={self.members!r}, weights={self.weights!r}, log_space={self.log_space!r})"
