"""The embedding backend kind (``embedding.e5.v1``) and the shared-instance rule: the pipeline
builder hands every e5 head the same embedder, and a batch encodes each distinct text once.
Offline: a tiny random BERT (tests/tiny_hf.py) stands in for multilingual-e5-small."""

from __future__ import annotations

import os

import numpy as np
import pytest

from analyzer import registry
from analyzer.backends.embedding import E5_NAME, EmbeddingCache, Embedders, embedder_for
from analyzer.config import Config
from analyzer.schema import Comment
from analyzer.stages import default_stages
from analyzer.stages.sentiment import SentimentStage
from analyzer.stages.themes import ThemeStage

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf  # noqa: E402
from .test_joint_e5 import write_model  # noqa: E402

TEXTS = ["the finale was wonderful and I cried", "the pacing is slow and the plot drags", "phim này hay quá"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("tiny_embedding"))


def test_embedding_is_a_registered_kind(tiny):
    assert E5_NAME in registry.registered("embedding.")
    assert registry.summary(E5_NAME)
    embedder = registry.select_backend(E5_NAME, "embedding", path=str(tiny), precision="fp32")
    assert isinstance(embedder, EmbeddingCache)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    embedder.embed(TEXTS[:1])
    assert embedder.misses == 3 and embedder.hits == 1  # the memo served the repeat


def test_the_pool_builds_each_embedder_once():
    pool = Embedders(device="cpu")
    first = pool.get(E5_NAME, adapter=None, batch_size=8)
    assert pool.get(E5_NAME, batch_size=8, threads=None) is first  # None options are left out
    assert pool.get(E5_NAME, batch_size=16) is not first and len(pool) == 2
    assert first.device == "cpu"  # the pool's defaults fill what a head leaves open
    own = object()
    assert embedder_for(own, pool) is own  # an instance is used as given


def test_the_builder_gives_the_accurate_tiers_heads_one_embedder():
    config = Config()
    config.models.sentiment, config.models.themes = "sentiment.e5.v1", "themes.e5.v1"
    stages = {s.name: s for s in default_stages(config)}  # builds, loads no encoder
    sentiment, themes = stages["sentiment"].backend, stages["themes"].backend
    assert themes.embedder is sentiment.encoder
    assert isinstance(sentiment.encoder, EmbeddingCache)


def test_the_ensembles_e5_member_gets_the_shared_embedder():
    config = Config()
    config.models.sentiment, config.models.themes = "sentiment.ensemble.v1", "themes.e5.v1"
    stages = {s.name: s for s in default_stages(config)}
    member = stages["sentiment"].backend.backends[1]
    assert stages["themes"].backend.embedder is member.encoder


def test_a_batch_encodes_each_distinct_text_once(tiny, tmp_path, monkeypatch):
    folder = write_model(tmp_path)
    pool = Embedders(path=str(tiny), precision="fp32")
    sentiment = SentimentStage(backend=f"sentiment.joint-e5.v1:{folder}", embedders=pool)
    themes = ThemeStage(backend=f"themes.joint-e5.v1:{folder}", sentiment=sentiment.backend, embedders=pool)
    assert themes.backend.embedder is sentiment.backend.encoder and len(pool) == 1
    encoder = sentiment.backend.encoder.inner
    seen: list[str] = []
    original = encoder._embed_unique
    monkeypatch.setattr(encoder, "_embed_unique", lambda texts: seen.extend(texts) or original(texts))
    texts = [*TEXTS, TEXTS[0], "  the pacing is slow   and the plot drags "]
    batch = [Comment(id=str(i), text=t, clean_text=t, lang="en") for i, t in enumerate(texts)]
    out = themes(sentiment(batch))
    assert len(out) == len(batch) and all(c.sentiment for c in out)
    assert sorted(seen) == sorted(set(" ".join(t.split()) for t in texts))  # each distinct text once


def test_auto_runtime_loads_a_current_onnx_export_without_transformers(tiny, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from analyzer.backends.embedding import e5
    from analyzer.backends.embedding.e5_onnx import ensure_onnx

    monkeypatch.setattr(e5, "cpu_has_bf16", lambda torch=None: False)
    reference = e5.E5Encoder(path=str(tiny), precision="fp32").embed(TEXTS)
    before = e5.E5Encoder(path=str(tiny), cache_dir=str(tmp_path)).load()
    assert before.runtime_used == "torch"  # no export yet: torch, and nothing is written
    ensure_onnx(str(tiny), str(tmp_path), int8=False)  # what `analyzer models build` does
    encoder = e5.E5Encoder(path=str(tiny), cache_dir=str(tmp_path)).load()
    assert encoder.runtime_used == "onnx" and encoder._tokenizer is None  # tokenizers + onnxruntime only
    np.testing.assert_allclose(encoder.embed(TEXTS), reference, atol=1e-4)
    assert e5.E5Encoder(path=str(tiny), cache_dir=str(tmp_path), precision="fp32").load().runtime_used == "torch"


def test_the_encoder_is_verified_once_per_build(tiny, monkeypatch):
    from analyzer.backends.embedding import build

    calls = []
    monkeypatch.setattr(build, "verify_encoder", lambda target: calls.append(target) or 0.9995)
    assert build.verified_cosine(tiny) == 0.9995 and build.verified_cosine(tiny) == 0.9995
    assert len(calls) == 1  # the stamp answers the second time
    os.utime(tiny / "model.safetensors", ns=(1, 1))  # other weights (a new mtime): checked again
    build.verified_cosine(tiny)
    assert len(calls) == 2
