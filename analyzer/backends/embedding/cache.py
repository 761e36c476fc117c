"""Embed once per comment: a bounded memo in front of any embedder.

``EmbeddingCache(inner)`` has the embedder's ``embed(texts)`` and remembers the
vectors of the last ``capacity`` distinct texts (key: whitespace runs collapsed,
ends stripped, as the e5 encoder does), so a second stage asking for the same
comments gets them without re-encoding. Other attributes are read from ``inner``,
so the cache can stand in for an ``E5Encoder`` (``E5SentimentBackend.encoder``).

``share_encoder(backend)`` puts one cache in front of an e5 sentiment backend's
encoder (once; later calls return the same cache) and returns it: the sentiment
stage then fills the cache and the theme stage reads from it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...errors import check_param

DEFAULT_CAPACITY = 8192  # 8192 x 384 float32 = 12 MB


def text_key(text: str) -> str:
    return " ".join(str(text).split())


class EmbeddingCache:
    """``embed(texts)`` through an LRU memo of ``capacity`` texts; ``hits``/``misses`` count texts."""

    def __init__(self, inner: Any, *, capacity: int = DEFAULT_CAPACITY) -> None:
        check_param("EmbeddingCache", "capacity", capacity,
                    isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0, "a positive int")
        check_param("EmbeddingCache", "inner", inner, callable(getattr(inner, "embed", None)),
                    "an object with an embed(texts) method")
        self.inner = inner
        self.capacity = capacity
        self.hits = self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __getattr__(self, name: str) -> Any:  # only called for attributes not found here
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, texts: str | Sequence[str]) -> np.ndarray:
        """Vectors in input order; a str gives one vector (as the inner embedder does)."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        keys = [text_key(t) for t in items]
        missing = [k for k in dict.fromkeys(keys) if k not in self._vectors]
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        fresh = dict(zip(missing, np.asarray(self.inner.embed(missing), dtype=np.float32))) if missing else {}
        rows = []
        for key in keys:
            vec = fresh.get(key)
            if vec is None:
                vec = self._vectors[key]
                self._vectors.move_to_end(key)
            rows.append(vec)
        self._remember(fresh)
        if not rows:
            return np.asarray(self.inner.embed([]), dtype=np.float32)
        return rows[0] if single else np.stack(rows)

    def _remember(self, fresh: dict[str, np.ndarray]) -> None:
        for key, vec in fresh.items():
            self._vectors[key] = vec
        while len(self._vectors) > self.capacity:
            self._vectors.popitem(last=False)

    def clear(self) -> None:
        self._vectors.clear()

    def __repr__(self) -> str:
        return f"EmbeddingCache({self.inner!r}, capacity={self.capacity})"


def encoder_owner(backend: Any) -> Any:
    """The backend whose ``encoder`` embeds: ``backend`` itself, or for an ensemble the
    first member (``backend.backends``) that has one; None when there is none."""
    encoder = getattr(backend, "encoder", None)
    if encoder is not None and callable(getattr(encoder, "embed", None)):
        return backend
    members = getattr(backend, "backends", None)
    for member in members if isinstance(members, (list, tuple)) else ():
        owner = encoder_owner(member)
        if owner is not None:
            return owner
    return None


def share_encoder(backend: Any, *, capacity: int = DEFAULT_CAPACITY) -> EmbeddingCache | None:
    """Put (once) an EmbeddingCache in front of the encoder of ``backend`` (or of its e5
    member, for ``sentiment.ensemble.v1``) and return it; None when there is no encoder
    with ``embed`` (e.g. ``sentiment.linear.v1``)."""
    owner = encoder_owner(backend)
    if owner is None:
        return None
    if isinstance(owner.encoder, EmbeddingCache):
        return owner.encoder
    cache = EmbeddingCache(owner.encoder, capacity=capacity)
    owner.encoder = cache
    return cache


def share_encoder_with_adapter(backend: Any, adapter_sha1: Callable[[], str | None]) -> EmbeddingCache | None:
    """``share_encoder(backend)`` only when its encoder carries the adapter whose digest
    ``adapter_sha1()`` gives (a head may reuse embeddings only from the encoder it was trained
    on; called only when ``backend`` has an encoder, so a head's files load no earlier); else None."""
    owner = encoder_owner(backend)
    if owner is None or getattr(owner.encoder, "adapter_sha1", None) != adapter_sha1():
        return None
    return share_encoder(backend)
