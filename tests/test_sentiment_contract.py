"""One contract suite for every stance backend: the fast tier, the accurate tier (on a tiny
random encoder built here), any transformers classifier (tiny, built here) and the ensemble.
Offline: nothing is downloaded."""

import json

import numpy as np
import pytest

from analyzer.backends import SentimentBackend

from . import tiny_hf

pytest.importorskip("torch")
pytest.importorskip("transformers")

TEXTS = ["the finale was wonderful 😭", "the plot drags", "where can I watch it?", "phim này hay quá",
         "这部剧很好看", "the finale was wonderful 😭", "드라마 너무 재밌어요", "x" * 3000]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("contract_e5"))


@pytest.fixture(scope="module")
def e5_head(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract_head")
    rng = np.random.default_rng(0)
    np.savez(folder / "head.npz", W=rng.normal(size=(32, 3)).astype(np.float32), b=np.zeros(3, np.float32))
    (folder / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    return folder


def make(kind, tiny_encoder, e5_head, tmp_path_factory):
    from analyzer.backends.embedding.lora import save_adapter
    from analyzer.backends.sentiment_e5 import E5SentimentBackend
    from analyzer.backends.sentiment_ensemble import EnsembleSentimentBackend
    from analyzer.backends.sentiment_linear import LinearSentimentBackend
    from analyzer.backends.sentiment_transformers import TransformersSentimentBackend

    if kind == "linear":
        return LinearSentimentBackend()
    e5 = E5SentimentBackend(path=str(e5_head), encoder=str(tiny_encoder), precision="fp32", batch_size=3)
    if kind == "e5":
        return e5
    if kind == "e5-adapter":  # a fine-tuned head folder: adapter.npz merged into the encoder
        folder = tmp_path_factory.mktemp("contract_adapter")
        save_adapter(folder, tiny_hf.random_adapter(), {"rank": 2})
        for name in ("head.npz", "head.json"):
            (folder / name).write_bytes((e5_head / name).read_bytes())
        return E5SentimentBackend(path=str(folder), encoder=str(tiny_encoder), precision="fp32", batch_size=3)
    if kind == "transformers":
        folder = tiny_hf.build_classifier(tmp_path_factory.mktemp("contract_cls"),
                                          {0: "negative", 1: "neutral", 2: "positive"})
        return TransformersSentimentBackend(path=str(folder), batch_size=3)
    return EnsembleSentimentBackend(members=(LinearSentimentBackend(), e5), weights=(0.5, 0.5))


@pytest.fixture(scope="module", params=["linear", "e5", "e5-adapter", "transformers", "ensemble"])
def backend(request, tiny_encoder, e5_head, tmp_path_factory):
    return make(request.param, tiny_encoder, e5_head, tmp_path_factory)


def test_protocol_and_name(backend):
    assert isinstance(backend, SentimentBackend)
    assert isinstance(backend.name, str) and backend.name.startswith("sentiment.")


def test_probabilities_shape_and_sum(backend):
    probs = np.asarray(backend.predict_proba(TEXTS, ["en"] * len(TEXTS)))
    assert probs.shape == (len(TEXTS), 3)
    assert np.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_empty_input(backend):
    assert np.asarray(backend.predict_proba([], [])).shape == (0, 3)


def test_deterministic_order_kept_and_batch_independent(backend):
    full = np.asarray(backend.predict_proba(TEXTS))
    np.testing.assert_allclose(full, np.asarray(backend.predict_proba(TEXTS)), atol=1e-6)
    np.testing.assert_allclose(full[0], full[5], atol=1e-5)  # identical texts, identical scores
    reversed_ = np.asarray(backend.predict_proba(TEXTS[::-1]))[::-1]
    np.testing.assert_allclose(full, reversed_, atol=1e-4)
    single = np.asarray(backend.predict_proba([TEXTS[3]]))
    np.testing.assert_allclose(full[3], single[0], atol=1e-4)
