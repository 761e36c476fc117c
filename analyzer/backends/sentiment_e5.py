"""``sentiment.e5.v1``: multilingual-e5-small embeddings plus a logistic head.

The embeddings come from the shared embedder ``embedding.e5.v1`` (see
``analyzer.backends.embedding``: recipe, chunking, batching, precision), with the LoRA
adapter shipped beside the head merged in. Built by the pipeline, the head gets the
embedder from the run's ``Embedders`` pool, so every e5 head of a run shares one
instance and one encoder pass per batch. With the encoder's ``precision="int8-cascade"``
the head registers a gate on it (``cascade_gate``): comments whose int8 top-two probability
margin is under ``cascade_margin`` (default: ``cascade.json`` beside the head, chosen on tuning
rows by ``python -m training.sentiment_e5.cascade_margin``) are encoded again in fp32. The theme stage's evidence clauses, whose sentiment
feeds the per-theme polarity model, are scored by ``clause_backend`` (``sentiment.linear.v1``,
the model that polarity model was trained with), not encoded again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, check_param
from ..registry import register
from ..schema import SENTIMENT_LABELS
from .artifacts import read_dev_scores
from .base import softmax
from .embedding import E5_NAME, SHIPPED_ADAPTER, Embedders, adapter_digest, embedder_for, has_adapter

HEAD_DIR = SHIPPED_ADAPTER  # the head and the encoder adapter it was trained with ship together
# The backend that scores the theme stage's evidence clauses for per-theme polarity: the one
# polarity.clause.v1 took its clause features from in training (training/aspect_polarity/train.py).
CLAUSE_BACKEND = "sentiment.linear.v1"


def load_head(path: str | Path) -> dict[str, Any]:
    """``head.npz`` plus ``head.json`` (labels, prefix). The npz holds either a logistic
    head (``W``: dim x 3, ``b``) or a one-hidden-layer ReLU head (``W1``, ``b1``, ``W2``, ``b2``)."""
    path = Path(path)
    if not (path / "head.npz").is_file():
        raise ModelError(f"No sentiment head at {path}/head.npz: run training/sentiment_e5/train.py or pass path=.")
    meta = json.loads((path / "head.json").read_text(encoding="utf-8"))
    with np.load(path / "head.npz", allow_pickle=False) as arrays:
        head = {k: arrays[k].astype(np.float32) for k in arrays.files}
    if tuple(meta["labels"]) != SENTIMENT_LABELS:
        raise ModelError(f"{path}/head.json labels {meta['labels']} must be {list(SENTIMENT_LABELS)}.")
    if not ({"W", "b"} <= set(head) or {"W1", "b1", "W2", "b2"} <= set(head)):
        raise ModelError(f"{path}/head.npz must hold W, b (logistic) or W1, b1, W2, b2 (ReLU layer); retrain it.")
    return {**head, "meta": meta}


def read_cascade_margin(path: str | Path) -> float | None:
    """The cascade margin shipped beside a head (``cascade.json``), or None when there is none."""
    file = Path(path) / "cascade.json"
    if not file.is_file():
        return None
    try:
        return float(json.loads(file.read_text(encoding="utf-8"))["margin"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"Cannot read {file}: {exc}; rerun python -m training.sentiment_e5.cascade_margin.") from exc


def cascade_gate(head: dict[str, Any], margin: float):
    """``gate(vectors) -> bool mask``: rows whose top-two probability margin is under ``margin``."""
    def gate(vectors: np.ndarray) -> np.ndarray:
        top2 = np.sort(softmax(head_logits(head, vectors)), axis=1)[:, -2:]
        return (top2[:, 1] - top2[:, 0]) < margin

    return gate


def head_logits(head: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Logits of a logistic or one-hidden-layer ReLU head."""
    if "W1" in head:
        x = np.maximum(x @ head["W1"] + head["b1"], 0.0)
        return x @ head["W2"] + head["b2"]
    return x @ head["W"] + head["b"]


@register("sentiment.e5.v1")
class E5SentimentBackend:
    """Stance from frozen e5-small embeddings and a logistic head (see module doc)."""

    name = "sentiment.e5.v1"
    summary = "multilingual-e5-small fine-tuned with LoRA + logistic head ([e5] extra, `analyzer models build`)"

    def __init__(self, *, path: str | None = None, encoder: str | None = None, cache_dir: str | None = None,
                 device: str | None = None, batch_size: int | None = None, quantize: bool | None = None,
                 threads: int | None = None, precision: str | None = None, runtime: str | None = None,
                 embedder: Any = E5_NAME, embedders: Embedders | None = None, encoder_obj: Any = None,
                 clauses: str | None = CLAUSE_BACKEND, cascade_margin: float | None = None) -> None:
        check_param("E5SentimentBackend", "cascade_margin", cascade_margin,
                    cascade_margin is None or (isinstance(cascade_margin, (int, float)) and not isinstance(cascade_margin, bool)
                                               and 0 <= cascade_margin <= 1), "a number in [0, 1] or None (cascade.json's)")
        self.path = path
        self.cascade_margin = cascade_margin
        self.clauses = clauses
        self._clause_backend: Any = None
        folder = Path(path) if path else HEAD_DIR
        adapter = folder if has_adapter(folder) else None
        options = {"path": encoder, "cache_dir": cache_dir, "device": device, "batch_size": batch_size,
                   "quantize": quantize, "threads": threads, "precision": precision, "runtime": runtime,
                   "adapter": adapter}
        # the run's shared embedder (see analyzer.backends.embedding); encoder_obj: an explicit one
        self.encoder = encoder_obj if encoder_obj is not None else embedder_for(embedder, embedders, **options)
        self._head: dict[str, Any] | None = None

    @property
    def head(self) -> dict[str, Any]:
        if self._head is None:
            self._head = load_head(self.path or HEAD_DIR)
            self._check_encoder()
            self._add_gate()
        return self._head

    def _add_gate(self) -> None:
        """Register this head's gate on an encoder that can run the int8 cascade. With precision
        "int8-cascade" asked for and no margin known, a one-line error; with "auto", no gate (so
        the cascade keeps fp32)."""
        add = getattr(self.encoder, "add_gate", None)
        if add is None:
            return
        folder = self.path or HEAD_DIR
        margin = self.cascade_margin if self.cascade_margin is not None else read_cascade_margin(folder)
        if margin is None:
            if getattr(self.encoder, "precision", None) == "int8-cascade":
                raise ModelError(f"No cascade.json beside the head in {folder}: pass cascade_margin= or run "
                                 "python -m training.sentiment_e5.cascade_margin.")
            return
        add(f"{self.name}:{Path(folder).resolve()}:{margin}", cascade_gate(self._head, float(margin)))

    def _check_encoder(self) -> None:
        """A head trained with an adapter needs an encoder with that adapter merged."""
        expected = adapter_digest(self.path or HEAD_DIR)
        actual = getattr(self.encoder, "adapter_sha1", expected)  # unknown embedders are trusted
        if actual != expected:
            raise ModelError(f"The head in {self.path or HEAD_DIR} was trained with "
                             f"{'its adapter' if expected else 'the plain encoder'} but the encoder given has "
                             f"{'another adapter' if actual else 'none'}; build E5Encoder(adapter=...) to match.")

    def embed(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encoder.embed(texts)

    @property
    def clause_backend(self) -> Any:
        """What scores the evidence clauses whose sentiment feeds the per-theme polarity model
        (``ThemeStage``): ``clauses`` (default ``sentiment.linear.v1``, the model polarity.clause.v1
        was trained with; it costs almost nothing, while encoding the clauses with e5 added 14%
        to the encoder's tokens), or this head itself with ``clauses=None`` or its own name."""
        if self.clauses in (None, self.name):
            return self
        if self._clause_backend is None:
            from ..registry import select_backend

            self._clause_backend = select_backend(self.clauses, "sentiment")
        return self._clause_backend

    def dev_scores(self) -> dict[str, Any] | None:
        """Held-out per-language macro-F1 and confusion matrices shipped beside the head."""
        return read_dev_scores(self.path or HEAD_DIR)

    def _cascade_info(self) -> dict[str, Any]:
        if getattr(self.encoder, "arithmetic", None) != "int8-cascade":
            return {}
        margin = self.cascade_margin if self.cascade_margin is not None else read_cascade_margin(self.path or HEAD_DIR)
        return {"cascade_margin": margin, "cascade_counts": dict(self.encoder.cascade_counts)}

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, len(SENTIMENT_LABELS)), dtype=np.float32)
        head = self.head
        return softmax(head_logits(head, self.embed(items))).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        e = self.encoder
        return {"backend": self.name, "head": str(self.path or HEAD_DIR), "encoder": getattr(e, "path", None) or "auto",
                "device": getattr(e, "device", None), "batch_size": getattr(e, "batch_size", None),
                "quantize": getattr(e, "quantize", None),
                "precision": getattr(e, "precision", "auto"), "runtime": getattr(e, "runtime", "torch"),
                "runtime_used": getattr(e, "runtime_used", None),
                "arithmetic": getattr(e, "arithmetic", None), "adapter": getattr(e, "adapter", None),
                **self._cascade_info(),
                "theme_clauses_scored_by": self.clauses or self.name}
