"""``sentiment.joint-e5.v1`` and ``themes.joint-e5.v1``: one fine-tuned e5-small, four heads.

One multilingual-e5-small encoder, fine-tuned with LoRA for all four signals at once
(``training/joint_e5/train.py``), feeds four linear heads over the same embedding
(``query: `` prefix, mean pool, L2 norm, as ``E5Encoder.embed``):

- stance: softmax over ``SENTIMENT_LABELS``;
- themes and intents: one sigmoid per label of ``HEADS`` (13 themes + 8 intent flags), each
  firing at the theme or intent threshold chosen on held-out training rows; ``intent``
  fires iff an intent flag does, ``where_to_watch`` adds ``access``;
- aspect polarity: one 3-way softmax per theme (``POLARITY_THEMES``), read for the themes
  that fired and returned in ``ThemeMatch.polarity``.

Noise comments and the evidence clauses come from the lexicon (as for the other theme
tiers). Both backends share ONE encoder pass: ``ThemeStage`` calls
``share_embeddings(sentiment)``, which puts one ``EmbeddingCache`` in front of the
sentiment backend's encoder when it carries the same adapter.

Artifact (``analyzer/_models/joint-e5/``, never pickle): ``adapter.npz`` + ``adapter.json``
(the LoRA adapter, merged into the encoder at load by ``lora.merge_adapter``),
``weights.npz`` (``stance_W`` dim x 3, ``stance_b``, ``labels_W`` dim x len(HEADS),
``labels_b``, ``polarity_W`` dim x 3·len(POLARITY_THEMES), ``polarity_b``; optionally
``labels_L`` len(HEADS) x len(HEADS): the theme/intent heads then also read the lexicon's cue
scores, ``themes_hybrid.lexicon_features`` at ``meta["lexicon_threshold"]``) + ``meta.json``
(heads, thresholds, recipe). A folder without weights raises a one-line ModelError.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, check_param
from ..registry import register
from ..schema import INTENTS, SENTIMENT_LABELS, THEMES
from .artifacts import read_artifact
from .base import ThemeMatch, theme_inputs
from .embedding import E5_NAME, Embedders, adapter_digest, embedder_for, has_adapter, share_encoder_with_adapter
from .themes_hybrid import HEADS, lexicon_features
from .themes_lexicon import LexiconThemeBackend

SENTIMENT_NAME = "sentiment.joint-e5.v1"
THEMES_NAME = "themes.joint-e5.v1"
TRAINER = "training/joint_e5/train.py"
POLARITY_THEMES = THEMES
NOISE = ThemeMatch({}, (), True, {})
INTENT_COLS = [HEADS.index(i) for i in INTENTS]


def default_model_dir() -> Path:
    return Path(str(resources.files("analyzer") / "_models" / "joint-e5"))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class JointHeads:
    """The four heads over one embedding, plus the label thresholds."""

    SHAPES = {"stance_W": (None, 3), "stance_b": (3,), "labels_W": (None, len(HEADS)), "labels_b": (len(HEADS),),
              "polarity_W": (None, 3 * len(POLARITY_THEMES)), "polarity_b": (3 * len(POLARITY_THEMES),)}

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.arrays = {k: np.asarray(arrays[k], dtype=np.float32) for k in self.SHAPES}
        self.lex_W = np.asarray(arrays["labels_L"], dtype=np.float32) if "labels_L" in arrays else None
        self.lexicon_threshold = float(meta.get("lexicon_threshold", 0.5))
        self.meta = meta
        self.thresholds = np.asarray([meta["thresholds"][h] for h in HEADS], dtype=np.float32)
        self.dim = int(meta["dim"])

    @classmethod
    def load(cls, folder: str | Path) -> JointHeads:
        meta, arrays = read_artifact(folder, THEMES_NAME, TRAINER)
        try:
            heads = cls(arrays, meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"Cannot load the joint-e5 heads in {folder}: {exc!s}; retrain with {TRAINER}.") from exc
        bad = [k for k, shape in cls.SHAPES.items()
               if heads.arrays[k].shape != tuple(heads.dim if s is None else s for s in shape)]
        if heads.lex_W is not None and heads.lex_W.shape != (len(HEADS), len(HEADS)):
            bad.append("labels_L")
        if bad or tuple(meta.get("heads", ())) != HEADS or tuple(meta.get("polarity_themes", ())) != POLARITY_THEMES:
            raise ModelError(f"The joint-e5 heads in {folder} do not match heads {HEADS} and dim {heads.dim} "
                             f"(e.g. {bad[:1]}); retrain with {TRAINER}.")
        return heads

    def check_dim(self, emb: np.ndarray) -> np.ndarray:
        emb = np.asarray(emb, dtype=np.float32).reshape(len(emb), -1)
        if emb.shape[1] != self.dim:
            raise ModelError(f"The embedder gives {emb.shape[1]}-dim vectors but joint-e5 needs {self.dim} "
                             "(multilingual-e5-small with the joint adapter).")
        return emb

    def stance(self, emb: np.ndarray) -> np.ndarray:
        a = self.arrays
        return _softmax(self.check_dim(emb) @ a["stance_W"] + a["stance_b"]).astype(np.float32)

    def labels(self, emb: np.ndarray, lex: np.ndarray | None = None) -> np.ndarray:
        """(n, len(HEADS)) probabilities; ``lex``: the rows' lexicon cue scores (read only when
        the heads were trained with them)."""
        a = self.arrays
        logits = self.check_dim(emb) @ a["labels_W"] + a["labels_b"]
        if self.lex_W is not None:
            logits = logits + lex @ self.lex_W
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def polarity(self, emb: np.ndarray) -> np.ndarray:
        """(n, len(POLARITY_THEMES), 3) probabilities."""
        a = self.arrays
        logits = self.check_dim(emb) @ a["polarity_W"] + a["polarity_b"]
        return _softmax(logits.reshape(len(logits), len(POLARITY_THEMES), 3)).astype(np.float32)


def _encoder(folder: Path, embedders: Embedders | None = None, **kwargs: Any) -> Any:
    """The shared ``embedding.e5.v1`` with the joint model's adapter merged."""
    if not has_adapter(folder):
        raise ModelError(f"No joint-e5 adapter in {folder} (adapter.npz); retrain with {TRAINER} or pass path=.")
    return embedder_for(E5_NAME, embedders, adapter=folder, **kwargs)


@register(SENTIMENT_NAME)
class JointSentimentBackend:
    """Stance from the joint model's stance head (see module doc)."""

    name = SENTIMENT_NAME
    summary = "multilingual-e5-small fine-tuned for stance, themes, intents and aspect polarity at once ([e5] extra)"

    def __init__(self, *, path: str | Path | None = None, encoder: str | None = None, cache_dir: str | None = None,
                 device: str | None = None, batch_size: int | None = None, threads: int | None = None,
                 precision: str | None = None, embedders: Embedders | None = None) -> None:
        self.path = Path(path) if path else default_model_dir()
        self.encoder = _encoder(self.path, embedders, path=encoder, cache_dir=cache_dir, device=device,
                                batch_size=batch_size, threads=threads, precision=precision)
        self._heads: JointHeads | None = None

    @property
    def heads(self) -> JointHeads:
        if self._heads is None:
            self._heads = JointHeads.load(self.path)
        return self._heads

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed(list(texts))

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, len(SENTIMENT_LABELS)), dtype=np.float32)
        return self.heads.stance(self.embed(items))

    def describe(self) -> dict[str, Any]:
        e = self.encoder
        return {"backend": self.name, "path": str(self.path), "device": getattr(e, "device", None),
                "adapter": getattr(e, "adapter", None)}


@register(THEMES_NAME)
class JointThemeBackend:
    """Themes, intents and per-theme polarity from the joint model (see module doc)."""

    name = THEMES_NAME
    summary = "one fine-tuned e5-small: themes, intents and aspect polarity heads ([e5] extra)"
    version = "1"

    def __init__(self, *, path: str | Path | None = None, encoder: str | None = None, cache_dir: str | None = None,
                 device: str | None = None, batch_size: int | None = None, threads: int | None = None,
                 embedder: Any = None, embedders: Embedders | None = None) -> None:
        check_param("JointThemeBackend", "embedder", embedder, embedder is None or callable(getattr(embedder, "embed", None)),
                    "None or an object with an embed(texts) method")
        self.path = Path(path) if path else default_model_dir()
        self.encoder_args = {"path": encoder, "cache_dir": cache_dir, "device": device, "batch_size": batch_size,
                             "threads": threads}
        self.embedder_obj = embedder
        self.embedders = embedders
        self._embedder = embedder
        self._lexicon: LexiconThemeBackend | None = None
        self.shared_with: str | None = None
        self._heads: JointHeads | None = None

    @property
    def heads(self) -> JointHeads:
        if self._heads is None:
            self._heads = JointHeads.load(self.path)
        return self._heads

    @property
    def lexicon(self) -> LexiconThemeBackend:
        """Noise, evidence and (when the heads read them) cue scores, at the heads' lexicon threshold."""
        if self._lexicon is None:
            self._lexicon = LexiconThemeBackend(threshold=self.heads.lexicon_threshold)
        return self._lexicon

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            self._embedder = _encoder(self.path, self.embedders, **self.encoder_args)
        return self._embedder

    def share_embeddings(self, sentiment: Any) -> bool:
        """Use the sentiment backend's encoder (behind one EmbeddingCache) when it carries this
        model's adapter, so each comment is encoded once for both signals."""
        if self.embedder_obj is not None:
            return False
        cache = share_encoder_with_adapter(sentiment, lambda: adapter_digest(self.path))
        if cache is None:
            return False
        self._embedder = cache
        self.shared_with = getattr(sentiment, "name", type(sentiment).__name__)
        return True

    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[ThemeMatch]:
        texts, langs = theme_inputs(texts, langs)
        matches = self.lexicon.predict(texts, langs)
        keep = [i for i, m in enumerate(matches) if not m.noise]
        out = [NOISE] * len(texts)
        if not keep:
            return out
        emb = np.asarray(self.embedder.embed([texts[i] for i in keep]), dtype=np.float32)
        lex = lexicon_features([matches[i] for i in keep])
        probs, polarity = self.heads.labels(emb, lex), self.heads.polarity(emb)
        fired = decide(probs, self.heads.thresholds)
        for row, i in enumerate(keep):
            out[i] = make_match(texts[i], matches[i], probs[row], fired[row], polarity[row])
        return out

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "version": self.version, "path": str(self.path),
                "embeddings_shared_with": self.shared_with, "device": self.encoder_args["device"]}

    def __repr__(self) -> str:
        return f"JointThemeBackend(path={str(self.path)!r})"


def decide(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(n, len(HEADS)) bool: each label at its threshold; ``where_to_watch`` adds ``access``."""
    fired = probs >= thresholds
    fired[:, HEADS.index("access")] |= fired[:, HEADS.index("where_to_watch")]
    return fired


def make_match(text: str, lexical: ThemeMatch, probs: np.ndarray, fired: np.ndarray, polarity: np.ndarray) -> ThemeMatch:
    """One comment's ThemeMatch: fired themes and intents with their scores, ``intent`` iff an
    intent flag, evidence from the lexicon (else the whole comment), polarity per theme."""
    scores = {head: float(probs[k]) for k, head in enumerate(HEADS) if fired[k]}
    intents = tuple(i for i in INTENTS if i in scores)
    if intents:
        scores["intent"] = max(scores[i] for i in intents)
    themes = {t: round(min(1.0, scores[t]), 4) for t in THEMES if t in scores}
    whole = (text.strip(),)
    evidence = {t: lexical.evidence.get(t) or whole for t in themes}
    stance = {t: SENTIMENT_LABELS[int(polarity[POLARITY_THEMES.index(t)].argmax())] for t in themes}
    return ThemeMatch(themes, intents, False, evidence, stance)
