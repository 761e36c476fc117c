"""Per-language bias terms of sentiment.linear.v1: loading, applying, choosing (tiny, offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.backends.text_features import HashingFeaturizer
from analyzer.errors import ModelError
from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear import lang_bias


def write_model(folder, offsets: dict[str, list[float]] | None, shape=None):
    featurizer = HashingFeaturizer(n_features=1 << 10)
    rng = np.random.default_rng(0)
    langs = sorted(offsets or {})
    table = np.array([offsets[k] for k in langs], dtype=np.float32).reshape(len(langs), 3)
    np.savez(folder / "weights.npz", weights=rng.normal(size=(3, 1 << 10)).astype(np.float16),
             bias=np.zeros(3, np.float32), lang_bias=table if shape is None else np.zeros(shape, np.float32))
    meta = {"labels": list(SENTIMENT_LABELS), "features": featurizer.to_dict(), "lang_bias": {"langs": langs}}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return LinearSentimentBackend(path=folder)


def test_bias_moves_only_the_listed_language(tmp_path):
    plain = write_model(tmp_path, None).predict_proba(["nice show", "nice show", "nice show"], ["it", "en", None])
    (tmp_path / "b").mkdir()
    biased = write_model(tmp_path / "b", {"it": [0.0, 2.0, 0.0]})
    probs = biased.predict_proba(["nice show", "nice show", "nice show"], ["it", "en", None])
    assert probs[0, 1] > plain[0, 1]  # neutral raised for Italian
    assert np.allclose(probs[1:], plain[1:])  # other or missing languages untouched
    assert np.allclose(biased.predict_proba(["nice show"])[0], plain[1])  # no langs: no bias
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_a_bias_table_that_does_not_match_meta_is_refused(tmp_path):
    backend = write_model(tmp_path, {"it": [0.0, 1.0, 0.0]}, shape=(2, 3))
    with pytest.raises(ModelError, match="lang_bias"):
        backend.predict_proba(["x"], ["it"])


def test_chooser_raises_an_under_predicted_class_and_skips_small_languages():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 3, 600)
    logits = rng.normal(size=(600, 3))
    logits[np.arange(600), gold] += 1.5
    logits[:, 1] -= 2.0  # neutral almost never predicted
    langs = np.array(["vi"] * 550 + ["ms"] * 50)
    offsets = lang_bias.choose(logits, gold, langs)
    assert set(offsets) == {"vi"} and offsets["vi"][1] > 0.5 and offsets["vi"][2] == 0.0
    check = lang_bias.two_fold_check(logits, gold, langs)
    assert check["vi"]["with"] > check["vi"]["without"]


def test_binary_language_never_gets_a_neutral_offset():
    rng = np.random.default_rng(2)
    gold = rng.choice([0, 2], 300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), gold] += 1.0
    assert lang_bias.choose_one(logits, gold)[1] == 0.0
