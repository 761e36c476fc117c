"""Document vectors for clustering.

- ``"tfidf"`` (the offline default, no torch): TF-IDF over the segmented content words
  (sublinear tf), reduced with TruncatedSVD (latent semantic analysis) to at most
  ``dims`` dimensions with a fixed ``random_state``, rows L2-normalized. The same
  words then name the topics, so clusters and their words agree.
- ``"e5"``: multilingual-e5-small sentence embeddings (``E5Encoder.embed``), which
  can relate comments across languages and scripts without shared words. Needs the
  ``e5`` extra (the encoder is resolved as for the sentiment model).
- ``"auto"``: tfidf for now (see ``EmbedderChoice``).
- any object with ``embed(texts) -> (n, dim) array`` (e.g. a backend already loaded
  by the run, to share its embeddings).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..errors import MissingDependency
from ..text.segment import NO_SPACE

INSTALL_HINT = "pip install 'resonance-analyzer[topics]'"


def require_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(f"scikit-learn is needed for topic discovery: {INSTALL_HINT}") from exc


def e5_ready() -> bool:
    """True when e5 can run offline right now without building anything."""
    if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")):
        return False
    from ..backends.embedding.resolve import encoder_cache_dir, is_model_dir

    return is_model_dir(encoder_cache_dir())


class EmbedderChoice:
    """Resolves ``embedder`` once and loads e5 only when a cell first needs it.

    ``"auto"`` is tfidf: on real comments e5 recovered topics no better than tfidf
    (benchmarks/topics_quality.py, topics_speed.py) at 20-100x the CPU time, and the
    run does not store its embeddings yet. When it does, ``"auto"`` should use them.
    """

    def __init__(self, embedder: Any, device: str = "cpu") -> None:
        self.embedder = embedder
        self.device = device
        self._e5 = None

    @property
    def requested(self) -> str:
        return self.embedder if isinstance(self.embedder, str) else type(self.embedder).__name__

    def for_cell(self, langs: list[str | None]) -> tuple[str, Any]:
        """``(name, model)`` for a cell; ``model`` None means the built-in tfidf."""
        if not isinstance(self.embedder, str):
            return self.requested, self.embedder
        if self.embedder != "e5":
            return "tfidf", None
        if self._e5 is None:
            if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")):
                raise MissingDependency("embedder='e5' needs torch and transformers: pip install 'resonance-analyzer[e5]'")
            from ..backends.embedding import E5Encoder

            self._e5 = E5Encoder(threads=1, device=self.device)
        return "e5", self._e5


def tfidf_vectors(docs: list[list[str]], *, seed: int, dims: int = 100) -> np.ndarray:
    """LSA vectors (n, <=dims) of pre-segmented documents, rows L2-normalized."""
    require_sklearn()
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, lowercase=False).fit_transform(docs)
    n_components = min(dims, tfidf.shape[0] - 1, tfidf.shape[1] - 1)
    if n_components < 2:
        return normalize(tfidf).toarray()
    svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=7, random_state=seed)
    return normalize(svd.fit_transform(tfidf))


def cluster_features(words: list[str]) -> list[str]:
    """Words, plus the characters of multi-character Han/kana/Thai words: sub-word
    overlap (服装/古装, 手机/机身) helps short comments meet; names stay words."""
    chars = [ch for w in words if len(w) > 1 and NO_SPACE.match(w) for ch in w]
    return words + chars


def model_vectors(model: Any, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(model.embed(texts), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _identity(tokens: list[str]) -> list[str]:
    return tokens
