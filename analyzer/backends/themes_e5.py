"""``themes.e5.v1``: ``themes.hybrid.v1`` stacked with multilingual-e5-small embeddings.

Per comment: one lexicon pass (noise, evidence clauses, cue scores; as in the hybrid),
the hybrid's 21 head probabilities, and the e5 embedding (``query: `` prefix, mean
pool, L2: what ``E5SentimentBackend.embed`` returns). Each label (13 themes without
``intent`` + 8 intent flags) has a logistic head over
``[emb_scale * embedding, hybrid_scale * hybrid probabilities, lex_scale * cue scores]``,
trained by ``training/themes_e5/train.py`` (hybrid probabilities out-of-fold) and run
here in numpy. A label fires at its threshold (``union``: a theme — or, when ``union``
lists heads, each listed label — also fires when the lexicon alone fires it); ``intent`` iff an intent flag; ``where_to_watch`` adds
``access``; noise comments are never embedded. Artifact: ``weights.npz`` (no pickle)
+ ``meta.json`` in ``analyzer/_models/themes-e5/``.

Embed once per comment: ``share_embeddings(sentiment_backend)`` (called by
``ThemeStage`` when it is given a sentiment backend) puts an ``EmbeddingCache`` in
front of an e5 sentiment backend's encoder and uses it, so comments the sentiment
stage already embedded are not encoded again.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, check_param
from ..registry import register
from ..schema import INTENTS, THEMES
from .artifacts import read_artifact
from .base import ThemeMatch, theme_inputs
from .embedding import E5_NAME, SHIPPED_ADAPTER, Embedders, adapter_digest, embedder_for, share_encoder_with_adapter
from .themes_hybrid import HEADS, LEXICON_FIRES, HybridThemeBackend, lexicon_features
from .themes_hybrid import default_model_dir as hybrid_model_dir

NAME = "themes.e5.v1"
NOISE = ThemeMatch({}, (), True, {})
INTENT_COLS = [HEADS.index(i) for i in INTENTS]
THEME_COLS = [k for k in range(len(HEADS)) if k not in INTENT_COLS]


def default_model_dir() -> Path:
    """The artifact shipped inside the package."""
    return Path(str(resources.files("analyzer") / "_models" / "themes-e5"))


def hybrid_fingerprint(path: str | Path) -> str:
    """sha1 of the hybrid's weights.npz: the stacked heads were trained on its outputs."""
    return hashlib.sha1((Path(path) / "weights.npz").read_bytes()).hexdigest()


def stack_features(emb: np.ndarray, hybrid_probs: np.ndarray, lex: np.ndarray, scales: dict[str, float]) -> np.ndarray:
    """(n, dim + 2 * len(HEADS)) head input: scaled embedding, hybrid probabilities, cue scores."""
    return np.hstack([emb * scales["emb"], hybrid_probs * scales["hybrid"], lex * scales["lex"]]).astype(np.float32)


def union_columns(union: bool | Sequence[str]) -> list[int]:
    """Heads the lexicon may also fire: every theme (True), none (False), or the named heads
    (training picks the labels too rare to learn, e.g. ``where_to_watch``)."""
    if union is True:
        return THEME_COLS
    if not union:
        return []
    unknown = [h for h in union if h not in HEADS]
    if unknown:
        raise ModelError(f"{NAME} meta.json union names unknown heads {unknown}; retrain it.")
    return [HEADS.index(h) for h in union]


def decide(probs: np.ndarray, lex: np.ndarray, thresholds: np.ndarray, union: bool | Sequence[str]) -> np.ndarray:
    """(n, len(HEADS)) bool decisions (no ``intent`` column: it follows the flags)."""
    pred = probs >= thresholds
    cols = union_columns(union)
    if cols:
        pred[:, cols] |= lex[:, cols] >= LEXICON_FIRES
    pred[:, HEADS.index("access")] |= pred[:, HEADS.index("where_to_watch")]
    return pred


class E5ThemeModel:
    """Loaded heads: weights (len(HEADS), n_inputs), bias, thresholds, feature scales."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, meta: dict[str, Any]) -> None:
        self.weights, self.bias, self.meta = weights, bias, meta
        self.thresholds = np.asarray([meta["thresholds"][h] for h in HEADS], dtype=np.float32)
        self.scales = {k: float(v) for k, v in meta["scales"].items()}
        union = meta.get("union", False)
        self.union = union if isinstance(union, bool) else tuple(union)
        union_columns(self.union)  # unknown head names fail at load
        self.dim = int(meta["dim"])

    @classmethod
    def load(cls, path: str | Path) -> E5ThemeModel:
        folder = Path(path)
        meta, arrays = read_artifact(folder, NAME, "training/themes_e5/train.py")
        try:
            weights = arrays["weights"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
            model = cls(weights, bias, meta)
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"Cannot load the {NAME} model in {folder}: {exc}; retrain or reinstall it.") from exc
        if tuple(meta.get("heads", ())) != HEADS or weights.shape != (len(HEADS), model.dim + 2 * len(HEADS)) \
                or bias.shape != (len(HEADS),):
            raise ModelError(f"The model in {folder} does not match heads {HEADS} and dim {model.dim}; retrain it.")
        return model

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.weights.T + self.bias)))


@register(NAME)
class E5ThemeBackend:
    """Hybrid + e5 stacked heads (see the module docstring); ``predict`` -> ThemeMatch."""

    name = NAME
    summary = "lexicon cues + the shared e5 embedding, per-label LR ([e5] extra)"
    version = "1"

    def __init__(self, *, path: str | Path | None = None, hybrid: str | Path | None = None,
                 encoder: str | None = None, cache_dir: str | None = None, device: str | None = None,
                 batch_size: int | None = None, threads: int | None = None, embedder: Any = None,
                 embedders: Embedders | None = None) -> None:
        check_param("E5ThemeBackend", "batch_size", batch_size,
                    batch_size is None or (isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0),
                    "a positive int or None (the encoder's default)")
        check_param("E5ThemeBackend", "embedder", embedder,
                    embedder is None or isinstance(embedder, str) or callable(getattr(embedder, "embed", None)),
                    "None, a registered embedding name or an object with an embed(texts) method")
        self.path, self.hybrid_path, self.encoder, self.cache_dir = path, hybrid, encoder, cache_dir
        self.device, self.batch_size, self.threads = device, batch_size, threads
        self.embedder_obj = embedder if not isinstance(embedder, str) else None
        self.embedder_spec, self.embedders = embedder, embedders
        self.hybrid = HybridThemeBackend(path=hybrid)
        self.shared_with: str | None = None
        self._embedder = self.embedder_obj
        self._model: E5ThemeModel | None = None

    @property
    def model(self) -> E5ThemeModel:
        if self._model is None:
            self._model = E5ThemeModel.load(self.path if self.path is not None else default_model_dir())
            self._check_hybrid()
        return self._model

    def _check_hybrid(self) -> None:
        expected = self._model.meta.get("hybrid_sha1")
        folder = self.hybrid_path if self.hybrid_path is not None else hybrid_model_dir()
        if expected and (Path(folder) / "weights.npz").is_file() and hybrid_fingerprint(folder) != expected:
            warnings.warn(f"{NAME} was trained on another themes.hybrid.v1 model than the one in {folder}; "
                          "rerun training/themes_e5/train.py.", stacklevel=3)

    @property
    def embedder(self) -> Any:
        """The object whose ``embed(texts)`` gives e5 vectors: given, shared through the run's
        ``Embedders`` pool (``embedding.e5.v1`` with the adapter the heads were trained on), or
        our own."""
        if self._embedder is None:
            self.use_embedder(embedder_for(self.embedder_spec or E5_NAME, self.embedders, path=self.encoder,
                                           cache_dir=self.cache_dir, device=self.device, batch_size=self.batch_size,
                                           threads=self.threads, adapter=self.adapter()))
        return self._embedder

    def use_embedder(self, embedder: Any) -> None:
        """Read vectors from ``embedder``, in fp32: an encoder that could run the int8-then-fp32
        cascade is told to keep fp32 (``keep_fp32``), because the cascade's gate is the sentiment
        head's margin and int8 vectors change these heads' decisions (benchmarks/accurate_cli.py,
        docs/accurate-tier.md: theme sets agreed 0.89 with fp32's on held-out rows)."""
        keep = getattr(embedder, "keep_fp32", None)
        if callable(keep):
            keep(NAME)
        self._embedder = embedder

    def adapter(self) -> Path | None:
        """The encoder adapter the heads were trained with: none, or the one shipped with
        the e5 heads (``meta.json`` ``adapter_sha1``)."""
        expected = self.model.meta.get("adapter_sha1")
        if expected is None:
            return None
        if adapter_digest(SHIPPED_ADAPTER) != expected:
            raise ModelError(f"{NAME} was trained on embeddings from an encoder adapter that is not the one in "
                             f"{SHIPPED_ADAPTER}; rerun training/themes_e5/train.py or pass embedder=.")
        return SHIPPED_ADAPTER

    def share_embeddings(self, sentiment: Any) -> bool:
        """Reuse the sentiment backend's e5 encoder behind one EmbeddingCache (see module doc),
        when it gives the embeddings the heads were trained on (same adapter). Returns whether
        sharing is on; an explicit ``embedder=`` is never replaced."""
        if self.embedder_obj is not None:
            return False
        cache = share_encoder_with_adapter(sentiment, lambda: self.model.meta.get("adapter_sha1"))
        if cache is None:
            return False
        self.use_embedder(cache)
        self.shared_with = getattr(sentiment, "name", type(sentiment).__name__)
        return True

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[ThemeMatch]:
        """One ThemeMatch per text, in order."""
        texts, langs = theme_inputs(texts, langs)
        matches = self.hybrid.lexicon.predict(texts, langs)
        keep = [i for i, m in enumerate(matches) if not m.noise]
        out = [NOISE] * len(texts)
        if not keep:
            return out
        kept, kept_texts = [matches[i] for i in keep], [texts[i] for i in keep]
        lex = lexicon_features(kept)
        probs = self.probabilities(kept_texts, lex)
        fired = decide(probs, lex, self.model.thresholds, self.model.union)
        for row, i in enumerate(keep):
            out[i] = self._match(texts[i], kept[row], probs[row], lex[row], fired[row])
        return out

    def probabilities(self, texts: Sequence[str], lex: np.ndarray) -> np.ndarray:
        """(n, len(HEADS)) head probabilities for non-noise texts and their lexicon features."""
        model = self.model
        if model.scales["hybrid"]:
            hybrid_probs = self.hybrid.model.probabilities(list(texts), lex)
        else:  # trained without the hybrid's probabilities (chosen by CV): skip them
            hybrid_probs = np.zeros((len(texts), len(HEADS)), dtype=np.float32)
        emb = np.asarray(self.embedder.embed(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        if emb.shape[1] != model.dim:
            raise ModelError(f"The embedder gives {emb.shape[1]}-dim vectors but {NAME} needs {model.dim} "
                             "(multilingual-e5-small); pass an e5-small encoder.")
        return model.probabilities(stack_features(emb, hybrid_probs, lex, model.scales))

    def _match(self, text: str, match: ThemeMatch, probs: np.ndarray, lex: np.ndarray, fired: np.ndarray) -> ThemeMatch:
        scores: dict[str, float] = {}
        for k, head in enumerate(HEADS):
            if fired[k]:
                scores[head] = max(float(probs[k]), float(lex[k]) if head not in INTENTS else 0.0)
        if "where_to_watch" in scores:
            scores["access"] = max(scores.get("access", 0.0), scores["where_to_watch"])
        intents = tuple(i for i in INTENTS if i in scores)
        if intents:
            scores["intent"] = max(scores[i] for i in intents)
        themes = {t: round(min(1.0, scores[t]), 4) for t in THEMES if t in scores}
        whole = (text.strip(),)
        evidence = {t: match.evidence.get(t) or whole for t in themes}
        return ThemeMatch(themes, intents, False, evidence)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "version": self.version, "path": str(self.path or default_model_dir()),
                "hybrid": str(self.hybrid_path or hybrid_model_dir()), "embeddings_shared_with": self.shared_with,
                "device": self.device, "batch_size": self.batch_size}

    def __repr__(self) -> str:
        return f"E5ThemeBackend(path={self.path!r}, hybrid={self.hybrid_path!r}, device={self.device!r})"
