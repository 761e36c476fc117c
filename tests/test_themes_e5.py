"""themes.e5.v1 and the shared-embedding cache. Offline and fast: a fake embedder gives
deterministic pseudo-random unit vectors, so no encoder is loaded (except in the slow
test). Every example is written by us."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from analyzer.backends.base import ThemeMatch
from analyzer.backends.embedding.cache import EmbeddingCache, share_encoder
from analyzer.backends.themes_e5 import E5ThemeBackend, decide, default_model_dir
from analyzer.backends.themes_hybrid import HEADS
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.errors import ConfigError, ModelError, RecordError
from analyzer.schema import Comment
from analyzer.stages.sentiment import SentimentStage
from analyzer.stages.themes import ThemeStage

from .theme_examples import TEXTS

DIM = 384
WORDS = [t for t, _ in TEXTS]
LANGS = [lang for _, lang in TEXTS]


def shipped_adapter_sha1():
    """The encoder adapter the shipped heads were trained with (None: the plain encoder)."""
    return json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8")).get("adapter_sha1")


class FakeEmbedder:
    """Deterministic unit vectors from the text's hash; records every text it embeds.
    It stands for an encoder with the adapter the shipped heads expect."""

    def __init__(self, dim: int = DIM) -> None:
        self.dim, self.calls, self.seen = dim, 0, []
        self.adapter_sha1 = shipped_adapter_sha1()

    def embed(self, texts):
        items = [texts] if isinstance(texts, str) else list(texts)
        self.calls += 1
        self.seen.extend(items)
        rows = []
        for t in items:
            seed = int(hashlib.sha1(" ".join(t.split()).encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(self.dim)
            rows.append(v / np.linalg.norm(v))
        out = np.asarray(rows, dtype=np.float32).reshape(len(items), self.dim)
        return out[0] if isinstance(texts, str) else out


class FakeE5Sentiment:
    """Shaped like E5SentimentBackend: predict_proba goes through self.encoder.embed."""

    name = "sentiment.fake-e5"

    def __init__(self) -> None:
        self.encoder = FakeEmbedder()

    def predict_proba(self, texts, langs=None):
        emb = self.encoder.embed(list(texts)).reshape(len(texts), -1)
        logits = emb[:, :3] * 10
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def backend():
    return E5ThemeBackend(embedder=FakeEmbedder())


@pytest.fixture(scope="module")
def matches(backend):
    return backend.predict(WORDS, LANGS)


def fixed_model(tmp_path, fire=("where_to_watch",), **meta_changes):
    """A copy of the shipped artifact whose heads ignore inputs: only ``fire`` heads fire."""
    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta.update({"union": False, **meta_changes})
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    bias = np.array([8.0 if h in fire else -8.0 for h in HEADS], dtype=np.float32)
    np.savez(folder / "weights.npz", weights=np.zeros((len(HEADS), meta["dim"] + 2 * len(HEADS)), np.float32), bias=bias)
    return folder






def test_noise_comes_from_the_lexicon_and_is_never_embedded(matches):
    lexicon = LexiconThemeBackend().predict(WORDS, LANGS)
    assert [m.noise for m in matches] == [m.noise for m in lexicon]
    assert matches[11].noise and matches[12].noise and not matches[13].noise
    assert matches[11] == ThemeMatch({}, (), True, {})
    embedder = FakeEmbedder()
    E5ThemeBackend(embedder=embedder).predict(WORDS, LANGS)
    assert "12:34" not in embedder.seen and "" not in embedder.seen
    assert E5ThemeBackend(embedder=FakeEmbedder()).predict(["12:34", ""], ["en", None])[0].noise


def test_deterministic_and_batch_independent(backend, matches):
    assert backend.predict(WORDS, LANGS) == matches
    single = [backend.predict([t], [lang])[0] for t, lang in TEXTS]
    assert single == matches
    assert backend.predict([]) == []


def test_forced_heads_keep_the_invariants(tmp_path):
    only_wtw = E5ThemeBackend(path=fixed_model(tmp_path), embedder=FakeEmbedder())
    for m in only_wtw.predict(WORDS, LANGS):
        if not m.noise:
            assert m.intents == ("where_to_watch",)
            assert set(m.themes) == {"access", "intent"}
            assert m.evidence["intent"] == (m.evidence["intent"][0],)


def test_decide_rule():
    probs = np.zeros((2, len(HEADS)))
    lex = np.zeros((2, len(HEADS)))
    probs[0, HEADS.index("where_to_watch")] = 0.9
    lex[1, HEADS.index("music")] = 0.8
    thr = np.full(len(HEADS), 0.5)
    plain, union = decide(probs, lex, thr, False), decide(probs, lex, thr, True)
    assert plain[0, HEADS.index("access")] and not plain[1].any()
    assert union[1, HEADS.index("music")] and union[1].sum() == 1
    lex[1, HEADS.index("where_to_watch")] = 1.0  # an intent the lexicon caught
    rare = decide(probs, lex, thr, ["where_to_watch"])  # union for the named (rare) labels only
    assert rare[1, HEADS.index("where_to_watch")] and rare[1, HEADS.index("access")]
    assert not rare[1, HEADS.index("music")]
    assert not decide(probs, lex, thr, True)[1, HEADS.index("where_to_watch")]  # True: themes only
    with pytest.raises(ModelError, match="unknown heads"):
        decide(probs, lex, thr, ["plot"])


def test_embedding_cache_memoizes_by_normalized_text():
    inner = FakeEmbedder()
    cache = EmbeddingCache(inner, capacity=2)
    a = cache.embed(["a  b", "c"])
    assert inner.seen == ["a b", "c"] and cache.misses == 2
    b = cache.embed(["a b", " c "])
    np.testing.assert_array_equal(a, b)
    assert inner.calls == 1 and cache.hits == 2
    assert cache.embed("c").shape == (DIM,)
    cache.embed(["d"])  # capacity 2: evicts the least recently used ("a b")
    assert len(cache) == 2
    cache.embed(["a b"])
    assert inner.seen[-1] == "a b" and cache.dim == DIM  # attributes come from the inner embedder
    with pytest.raises(ConfigError):
        EmbeddingCache(inner, capacity=0)
    with pytest.raises(ConfigError):
        EmbeddingCache(object())


def test_share_encoder_installs_one_cache():
    sentiment = FakeE5Sentiment()
    first = share_encoder(sentiment)
    assert isinstance(first, EmbeddingCache) and sentiment.encoder is first
    assert share_encoder(sentiment) is first
    assert share_encoder(object()) is None


def test_stages_embed_each_comment_once():
    sentiment = FakeE5Sentiment()
    inner = sentiment.encoder
    themes = E5ThemeBackend()
    theme_stage = ThemeStage(backend=themes, sentiment=sentiment)
    assert themes.shared_with == "sentiment.fake-e5" and themes.describe()["embeddings_shared_with"]
    batch = [Comment(id=str(i), text=t, clean_text=t, lang=lang) for i, (t, lang) in enumerate(TEXTS)]
    out = theme_stage(SentimentStage(backend=sentiment)(batch))
    assert len(out) == len(batch)
    whole = [c.model_text for c in batch]
    assert sorted(set(inner.seen) & set(whole)) == sorted(set(whole))
    counts = {t: inner.seen.count(t) for t in set(inner.seen)}
    assert max(counts.values()) == 1  # comments and evidence clauses: each encoded once
    for c in out:
        assert ("intent" in c.themes) == bool(c.intents)
        assert set(c.theme_polarity) <= set(c.themes)


def test_the_ensembles_e5_member_shares_its_encoder():
    from analyzer.backends.sentiment_ensemble import EnsembleSentimentBackend
    from analyzer.backends.sentiment_linear import LinearSentimentBackend

    member = FakeE5Sentiment()
    inner = member.encoder
    ensemble = EnsembleSentimentBackend(members=[LinearSentimentBackend(), member], weights=[0.5, 0.5])
    themes = E5ThemeBackend()
    ThemeStage(backend=themes, sentiment=ensemble)
    assert themes.shared_with == "sentiment.ensemble.v1" and isinstance(member.encoder, EmbeddingCache)
    assert ThemeStage(backend=themes).describe()["embeddings_shared_with"] == "sentiment.ensemble.v1"
    batch = [Comment(id=str(i), text=t, clean_text=t, lang=lang) for i, (t, lang) in enumerate(TEXTS)]
    ThemeStage(backend=themes, sentiment=ensemble)(SentimentStage(backend=ensemble)(batch))
    assert max(inner.seen.count(t) for t in set(inner.seen)) == 1  # one encoder pass per text


def test_sharing_is_off_without_an_e5_sentiment_backend():
    own = FakeEmbedder()
    themes = E5ThemeBackend(embedder=own)
    ThemeStage(backend=themes, sentiment=FakeE5Sentiment())
    assert themes.embedder is own and themes.shared_with is None  # an explicit embedder is kept
    plain = E5ThemeBackend()
    ThemeStage(backend=plain, sentiment="sentiment.linear.v1")
    assert plain.shared_with is None and not plain.share_embeddings(object())


def test_sharing_needs_the_adapter_the_heads_were_trained_on(tmp_path):
    folder = fixed_model(tmp_path, adapter_sha1="f" * 40)
    sentiment = FakeE5Sentiment()
    sentiment.encoder.adapter_sha1 = None  # a plain encoder: other embeddings than the heads'
    themes = E5ThemeBackend(path=folder)
    assert not themes.share_embeddings(sentiment) and themes.shared_with is None
    sentiment.encoder.adapter_sha1 = "f" * 40
    assert themes.share_embeddings(sentiment)
    with pytest.raises(ModelError, match="adapter that is not the one"):
        E5ThemeBackend(path=folder).adapter()  # no shipped adapter has that sha1
    assert E5ThemeBackend(path=fixed_model(tmp_path / "b", adapter_sha1=None)).adapter() is None


def test_bad_arguments_and_artifacts(backend, tmp_path):
    with pytest.raises(ConfigError):
        E5ThemeBackend(batch_size=0)
    with pytest.raises(ConfigError):
        E5ThemeBackend(embedder=object())
    with pytest.raises(RecordError):
        backend.predict(["a", "b"], ["en"])
    with pytest.raises(ModelError, match="train.py"):
        E5ThemeBackend(path=tmp_path, embedder=FakeEmbedder()).predict(["the plot"], ["en"])
    with pytest.raises(ModelError, match="e5-small"):
        E5ThemeBackend(embedder=FakeEmbedder(dim=8)).predict(["the plot"], ["en"])
    bad = fixed_model(tmp_path, heads=list(HEADS[::-1]))
    with pytest.raises(ModelError, match="retrain"):
        E5ThemeBackend(path=bad, embedder=FakeEmbedder()).predict(["the plot"], ["en"])


def test_stale_hybrid_is_reported(tmp_path):
    folder = fixed_model(tmp_path / "a", hybrid_sha1="0" * 40)
    with pytest.warns(UserWarning, match="retrain|rerun"):
        E5ThemeBackend(path=folder, embedder=FakeEmbedder()).predict(["the plot"], ["en"])


def test_heads_that_never_read_the_hybrid_pin_none(tmp_path):
    """A model trained with hybrid scale 0 records no hybrid_sha1: any hybrid is fine, no warning."""
    import warnings

    folder = fixed_model(tmp_path / "a", hybrid_sha1=None, scales={"emb": 4.0, "hybrid": 0.0, "lex": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        match = E5ThemeBackend(path=folder, embedder=FakeEmbedder()).predict(["the plot"], ["en"])[0]
    assert "where_to_watch" in match.intents


def test_artifact_is_plain_data():
    with np.load(default_model_dir() / "weights.npz", allow_pickle=False) as data:
        assert set(data.files) == {"weights", "bias"}
    meta = json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8"))
    assert meta["heads"] == list(HEADS) and set(meta["thresholds"]) == set(HEADS) and meta["dim"] == DIM
    assert set(meta["scales"]) == {"emb", "hybrid", "lex"}


@pytest.mark.slow
def test_real_encoder_finds_clear_themes():
    from analyzer.backends.sentiment_e5 import E5SentimentBackend

    sentiment = E5SentimentBackend()
    themes = E5ThemeBackend()
    assert themes.share_embeddings(sentiment)
    sentiment.predict_proba(WORDS, LANGS)
    hits = sentiment.encoder.hits
    found = themes.predict(WORDS, LANGS)
    assert sentiment.encoder.hits > hits  # the theme stage read the sentiment stage's vectors
    assert "subtitles" in found[1].themes
    assert "waiting" in found[2].intents
    assert "access" in found[3].themes
