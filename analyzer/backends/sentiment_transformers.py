"""``sentiment.transformers.v1``: any Hugging Face sequence-classification model.

``path`` is a local model directory or a hub id (e.g. a multilingual tweet
sentiment model). The model's labels are mapped onto (negative, neutral,
positive): by name when they are recognisable ("negative", "NEG", "LABEL_0".."2"
for a 3-label model, "1 star".."5 stars"), otherwise through ``labels``, e.g.
``{"bad": "negative", "ok": "neutral", "good": "positive"}``. Several model
labels may map to one stance (their probabilities add up); a stance no label
maps to gets probability 0.

Offline-safe: ``local_files_only`` is used for local directories, when
HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set, or when the hub cannot be reached.
``trust_remote_code`` is never enabled. Long texts are split into windows of the
model's maximum length (no overlap) and their probabilities are averaged,
weighted by token count; identical texts are scored once; batches are
length-sorted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, ModelError, check_param
from ..registry import register
from ..schema import SENTIMENT_LABELS
from .base import softmax
from .embedding import hub_reachable, quiet_loading, require
from .embedding import text_key as normalize_key

_NAMES = {
    "negative": "negative", "neg": "negative", "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive", "bad": "negative", "good": "positive",
}


def infer_label_map(id2label: Mapping[int, str]) -> dict[str, str]:
    """Model label -> stance, from the label names alone (ConfigError when unsure)."""
    names = [str(id2label[i]) for i in sorted(id2label)]
    mapping = {n: _NAMES[n.strip().lower()] for n in names if n.strip().lower() in _NAMES}
    if len(mapping) == len(names):
        return mapping
    stars = {n: re.match(r"^\s*([1-5])\s*stars?\s*$", n.lower()) for n in names}
    if all(stars.values()):
        return {n: ("negative", "negative", "neutral", "positive", "positive")[int(m.group(1)) - 1] for n, m in stars.items()}
    if len(names) == 3 and all(re.fullmatch(r"LABEL_\d", n) for n in names):
        return dict(zip(names, SENTIMENT_LABELS))
    raise ConfigError(
        f"Cannot map model labels {names} to stance; pass labels={{'<model label>': 'negative'|'neutral'|'positive', ...}} "
        "or name them negative/neutral/positive in the model folder's config.json id2label."
    )


@register("sentiment.transformers.v1")
class TransformersSentimentBackend:
    """Stance from a sequence-classification model (see module doc)."""

    name = "sentiment.transformers.v1"
    summary = "any Hugging Face sequence-classification model id or directory (sentiment.transformers.v1:<id>)"

    def __init__(self, *, path: str | None = None, labels: Mapping[str, str] | None = None, device: str = "cpu",
                 batch_size: int = 32, max_tokens: int | None = None, local_files_only: bool | None = None) -> None:
        owner = "TransformersSentimentBackend"
        check_param(owner, "path", path, isinstance(path, (str, Path)) and str(path) != "", "a model directory or hub id")
        check_param(owner, "device", device, device in {"cpu", "cuda"} or str(device).startswith("cuda:"), '"cpu" or "cuda"')
        check_param(owner, "batch_size", batch_size, isinstance(batch_size, int) and batch_size > 0, "a positive int")
        check_param(owner, "max_tokens", max_tokens, max_tokens is None or (isinstance(max_tokens, int) and max_tokens >= 8),
                    "None or an int >= 8")
        check_param(owner, "labels", labels, labels is None or (isinstance(labels, Mapping)
                    and set(map(str, labels.values())) <= set(SENTIMENT_LABELS)), "None or a mapping to negative/neutral/positive")
        self.path, self.labels, self.device = str(path), dict(labels) if labels else None, device
        self.batch_size, self.max_tokens, self.local_files_only = batch_size, max_tokens, local_files_only
        self._model = self._tokenizer = self._columns = None

    def _offline(self) -> bool:
        if self.local_files_only is not None:
            return self.local_files_only
        return Path(self.path).expanduser().exists() or not hub_reachable()

    def load(self) -> TransformersSentimentBackend:
        if self._model is not None:
            return self
        torch, transformers = require("torch", "transformers")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError("device='cuda' was asked for but no CUDA GPU is visible; use device='cpu'.")
        ref, offline = str(Path(self.path).expanduser()) if Path(self.path).expanduser().exists() else self.path, self._offline()
        try:
            tok = transformers.AutoTokenizer.from_pretrained(ref, local_files_only=offline, trust_remote_code=False)
            with quiet_loading():
                model = transformers.AutoModelForSequenceClassification.from_pretrained(
                    ref, local_files_only=offline, trust_remote_code=False)
        except OSError as exc:
            raise ModelError(f"Cannot load sentiment model {self.path!r} ({'offline' if offline else 'online'}): "
                             "pass a local model directory or go online once to cache it.") from exc
        self._tokenizer, self._model = tok, model.eval().to(self.device)
        self._columns = self._label_columns(model.config.id2label)
        return self

    def _label_columns(self, id2label: Mapping[int, str]) -> np.ndarray:
        """(n_model_labels, 3) 0/1 matrix that sums model probabilities into stances."""
        mapping = self.labels or infer_label_map(id2label)
        matrix = np.zeros((len(id2label), len(SENTIMENT_LABELS)), dtype=np.float32)
        for i in sorted(id2label):
            name = str(id2label[i])
            if name not in mapping:
                raise ConfigError(f"labels has no entry for model label {name!r}; known labels: {list(id2label.values())}.")
            matrix[i, SENTIMENT_LABELS.index(mapping[name])] = 1.0
        return matrix

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Token windows (specials included) and the text each belongs to."""
        tok = self._tokenizer
        limit = self.max_tokens or min(int(tok.model_max_length), int(getattr(self._model.config, "max_position_embeddings", 512)), 512)
        enc = tok(texts, truncation=True, max_length=limit, return_overflowing_tokens=True, stride=0)
        owners = enc.get("overflow_to_sample_mapping", list(range(len(texts))))
        return [list(ids) for ids in enc["input_ids"]], list(owners)

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, len(SENTIMENT_LABELS)), dtype=np.float32)
        self.load()
        keys = [normalize_key(t) for t in items]
        unique = list(dict.fromkeys(keys))
        scores = self._score_unique(unique)
        index = {k: i for i, k in enumerate(unique)}
        return scores[[index[k] for k in keys]]

    def _score_unique(self, texts: list[str]) -> np.ndarray:
        (torch,) = require("torch")
        windows, owners = self._windows(texts)
        sums = np.zeros((len(texts), self._columns.shape[0]), dtype=np.float64)
        weight = np.zeros(len(texts))
        order = sorted(range(len(windows)), key=lambda j: len(windows[j]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            padded = self._tokenizer.pad({"input_ids": [windows[j] for j in batch]}, return_tensors="pt")
            with torch.inference_mode():
                logits = self._model(**{k: v.to(self.device) for k, v in padded.items()}).logits.float().cpu().numpy()
            for j, p in zip(batch, softmax(logits)):
                sums[owners[j]] += p * len(windows[j])
                weight[owners[j]] += len(windows[j])
        probs = (sums / weight[:, None]) @ self._columns
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path, "device": self.device, "batch_size": self.batch_size}
