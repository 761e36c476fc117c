"""Shared by train.py, evaluate.py and benchmarks: the hybrid training module, and e5
embeddings of training texts cached on disk (``.cache/``, gitignored; keyed by the sha1
of the whitespace-normalized text, never the text itself)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.embedding.cache import text_key

CACHE = Path(__file__).resolve().parent / ".cache" / "embeddings.npz"


def hybrid_train_module():
    """``training.themes_hybrid.train`` (its data loading and head fitting)."""
    from training.themes_hybrid import train

    return train


def resolve_adapter(choice: str) -> Path | None:
    """``auto``: the adapter shipped with sentiment.e5.v1 (if any); ``none``; or a folder."""
    from analyzer.backends.embedding.lora import has_adapter
    from analyzer.backends.sentiment_e5 import HEAD_DIR

    if choice == "none":
        return None
    folder = HEAD_DIR if choice == "auto" else Path(choice)
    return folder if has_adapter(folder) else None


def cache_path(adapter: Path | None) -> Path:
    """One embedding cache per encoder variant (plain, or each adapter by its sha1)."""
    from analyzer.backends.embedding.lora import adapter_digest

    return CACHE if adapter is None else CACHE.with_name(f"embeddings-adapter-{adapter_digest(adapter)[:10]}.npz")


def sha1_key(text: str) -> str:
    return hashlib.sha1(text_key(text).encode("utf-8")).hexdigest()


def embed_cached(texts: list[str], encoder, path: Path = CACHE, chunk: int = 256) -> np.ndarray:
    """(n, dim) e5 vectors; texts not in the cache are encoded with ``encoder.embed`` and saved."""
    vectors: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            vectors = dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32)))
    keys = [sha1_key(t) for t in texts]
    missing = list({k: t for k, t in zip(keys, texts) if k not in vectors}.items())
    for start in range(0, len(missing), chunk):
        part = missing[start:start + chunk]
        vectors.update(zip([k for k, _ in part], np.asarray(encoder.embed([t for _, t in part]), dtype=np.float32)))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(vectors), dtype="U40"), vectors=np.stack(list(vectors.values())))
        print(f"embedded {start + len(part)}/{len(missing)} new texts", flush=True)
    return np.stack([vectors[k] for k in keys]).astype(np.float32)
