"""Embeddings of training/dev texts cached on disk (``.cache/``, gitignored), keyed by
the sha1 of the text, so train.py and evaluate.py embed every text only once."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.embedding.e5 import E5Encoder, normalize_key

CACHE = Path(__file__).resolve().parent / ".cache" / "embeddings.npz"


def text_key(text: str) -> str:
    return hashlib.sha1(normalize_key(text).encode("utf-8")).hexdigest()


class CachedEncoder:
    """``embed(texts)`` served from the cache; missing texts are encoded and saved."""

    def __init__(self, encoder: E5Encoder, path: Path = CACHE, save_every: int = 1024) -> None:
        self.encoder, self.path, self.save_every = encoder, path, save_every
        self.adapter_sha1 = getattr(encoder, "adapter_sha1", None)
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32)))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors), dtype="U40")
        vectors = np.stack(list(self.vectors.values())).astype(np.float16) if self.vectors else np.zeros((0, 384), np.float16)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        tmp.replace(self.path)

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing = list({k: t for k, t in zip(keys, texts) if k not in self.vectors}.items())
        start = time.time()
        for i in range(0, len(missing), self.save_every):
            part = missing[i : i + self.save_every]
            vecs = self.encoder.embed([t for _, t in part])
            self.vectors.update({k: v for (k, _), v in zip(part, vecs)})
            self.save()
            done = i + len(part)
            print(f"embedded {done}/{len(missing)} new texts ({done / (time.time() - start):.1f}/s)", flush=True)
        out = np.stack([self.vectors[k] for k in keys]).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
