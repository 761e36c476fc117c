"""sentiment.transformers.v1 on a tiny random model built here (offline, no hub)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from analyzer.backends.base import SentimentBackend
from analyzer.backends.sentiment_transformers import (
    TransformersSentimentBackend,
    infer_label_map,
)
from analyzer.errors import ConfigError, MissingDependency, ModelError
from analyzer.registry import select_backend

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf

LABELS3 = {0: "negative", 1: "neutral", 2: "positive"}
TEXTS = ["the finale was wonderful", "the plot drags", "where can I watch it", "the finale was wonderful"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_hf.build_classifier(tmp_path_factory.mktemp("cls3"), LABELS3)


@pytest.fixture(scope="module")
def backend(model_dir):
    return TransformersSentimentBackend(path=str(model_dir), batch_size=2)


def test_probabilities_have_the_contract_shape(backend):
    probs = backend.predict_proba(TEXTS)
    assert isinstance(backend, SentimentBackend)
    assert probs.shape == (4, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert backend.predict_proba([]).shape == (0, 3)


def test_identical_texts_scored_once_and_order_kept(backend, monkeypatch):
    seen = []
    original = backend._score_unique
    monkeypatch.setattr(backend, "_score_unique", lambda texts: seen.append(list(texts)) or original(texts))
    probs = backend.predict_proba(TEXTS + ["  the plot   drags "])
    assert seen == [TEXTS[:3]]
    np.testing.assert_array_equal(probs[0], probs[3])
    np.testing.assert_array_equal(probs[1], probs[4])


def test_batching_and_sorting_do_not_change_scores(backend):
    together = backend.predict_proba(TEXTS[:3])
    alone = np.stack([backend.predict_proba([t])[0] for t in TEXTS[:3]])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert not np.allclose(together[0], together[1])  # the random model does tell texts apart


def test_long_text_is_split_into_windows_and_averaged(model_dir):
    short = TransformersSentimentBackend(path=str(model_dir), max_tokens=12).load()
    text = " ".join(["the acting is bad but the music is good"] * 6)
    windows, owners = short._windows([text])
    assert len(windows) > 2 and all(len(w) <= 12 for w in windows) and set(owners) == {0}
    with torch.inference_mode():
        per_window = [torch.softmax(short._model(input_ids=torch.tensor([w])).logits, -1)[0].numpy() for w in windows]
    expected = np.average(per_window, axis=0, weights=[len(w) for w in windows])
    np.testing.assert_allclose(short.predict_proba([text])[0], expected, atol=1e-5)


def test_select_backend_by_versioned_name_and_path(model_dir):
    chosen = select_backend(f"sentiment.transformers.v1:{model_dir}", "sentiment")
    assert isinstance(chosen, TransformersSentimentBackend) and chosen.path == str(model_dir)
    assert chosen.predict_proba(["ok"]).shape == (1, 3)


def test_two_label_model_with_explicit_mapping_never_says_neutral(tmp_path):
    path = tiny_hf.build_classifier(tmp_path, {0: "bad", 1: "great"})
    with pytest.raises(ConfigError):
        TransformersSentimentBackend(path=str(path)).predict_proba(["x"])
    model = TransformersSentimentBackend(path=str(path), labels={"bad": "negative", "great": "positive"})
    probs = model.predict_proba(["the plot drags", "wonderful"])
    assert np.all(probs[:, 1] == 0) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_label_names_are_inferred():
    assert infer_label_map({0: "NEG", 1: "NEU", 2: "POS"}) == {"NEG": "negative", "NEU": "neutral", "POS": "positive"}
    assert infer_label_map({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})["LABEL_2"] == "positive"
    stars = infer_label_map({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)})
    assert [stars[f"{i} star{'s' if i > 1 else ''}"] for i in range(1, 6)] == [
        "negative", "negative", "neutral", "positive", "positive"]
    with pytest.raises(ConfigError, match="labels="):
        infer_label_map({0: "joy", 1: "anger"})


def test_offline_hub_id_fails_cleanly_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = TransformersSentimentBackend(path="nobody/no-such-sentiment-model")
    with pytest.raises(ModelError, match="local model directory"):
        model.predict_proba(["hello"])


def test_bad_parameters_use_the_one_template():
    with pytest.raises(ConfigError, match="'batch_size' parameter of TransformersSentimentBackend"):
        TransformersSentimentBackend(path="x", batch_size=0)
    with pytest.raises(ConfigError, match="'labels'"):
        TransformersSentimentBackend(path="x", labels={"a": "happy"})


def test_missing_torch_names_the_extra(monkeypatch, model_dir):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependency, match=r"resonance-analyzer\[e5\]"):
        TransformersSentimentBackend(path=str(model_dir)).predict_proba(["x"])
