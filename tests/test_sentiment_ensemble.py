"""sentiment.ensemble.v1 with fake members (numpy only, no torch, no model files)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.sentiment_ensemble import (
    DEFAULT_MEMBERS,
    EnsembleSentimentBackend,
    combine,
)
from analyzer.errors import ConfigError, ModelError, RecordError
from analyzer.registry import registered, select_backend


class FakeBackend:
    """Returns fixed probabilities per text; counts calls."""

    def __init__(self, name: str, table: dict[str, list[float]]) -> None:
        self.name, self.table, self.calls = name, table, 0

    def predict_proba(self, texts, langs=None):
        self.calls += 1
        return np.array([self.table[t] for t in texts], dtype=np.float32)


A = FakeBackend("a", {"great finale": [0.1, 0.2, 0.7], "boring": [0.6, 0.3, 0.1], "where to watch": [0.2, 0.7, 0.1]})
B = FakeBackend("b", {"great finale": [0.3, 0.3, 0.4], "boring": [0.8, 0.1, 0.1], "where to watch": [0.1, 0.5, 0.4]})
TEXTS = ["great finale", "boring", "where to watch"]


def test_registered_and_selectable():
    assert "sentiment.ensemble.v1" in registered("sentiment.")
    backend = select_backend("sentiment.ensemble.v1", "sentiment")
    assert isinstance(backend, EnsembleSentimentBackend) and backend.members == DEFAULT_MEMBERS


def test_weighted_mean_matches_hand_computation():
    out = EnsembleSentimentBackend(members=[A, B], weights=[3, 1], log_space=False).predict_proba(TEXTS)
    expected = 0.75 * A.predict_proba(TEXTS) + 0.25 * B.predict_proba(TEXTS)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)


def test_equal_weights_by_default_for_custom_members():
    out = EnsembleSentimentBackend(members=[A, B]).predict_proba(TEXTS)
    np.testing.assert_allclose(out, (A.predict_proba(TEXTS) + B.predict_proba(TEXTS)) / 2, atol=1e-6)


def test_log_space_is_a_normalized_geometric_mean():
    out = EnsembleSentimentBackend(members=[A, B], weights=[1, 1], log_space=True).predict_proba(TEXTS)
    geo = np.sqrt(A.predict_proba(TEXTS).astype(np.float64) * B.predict_proba(TEXTS))
    np.testing.assert_allclose(out, geo / geo.sum(axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)


def test_log_space_survives_zero_probabilities():
    zero = FakeBackend("z", {"x": [0.0, 0.0, 1.0]})
    out = EnsembleSentimentBackend(members=[zero, zero], log_space=True).predict_proba(["x"])
    assert np.all(np.isfinite(out)) and out[0].argmax() == 2
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)


def test_a_zero_weight_member_is_ignored():
    out = EnsembleSentimentBackend(members=[A, B], weights=[0.0, 2.0]).predict_proba(TEXTS)
    np.testing.assert_allclose(out, B.predict_proba(TEXTS), atol=1e-6)


def test_single_text_empty_input_and_langs():
    ens = EnsembleSentimentBackend(members=[A, B], weights=[1, 1])
    one = ens.predict_proba("boring")
    assert one.shape == (3,) and one.argmax() == 0
    assert ens.predict_proba([]).shape == (0, 3)
    with pytest.raises(RecordError, match="one lang per text"):
        ens.predict_proba(TEXTS, ["en"])


@pytest.mark.parametrize("weights", [[1.0], [1.0, -1.0], [0.0, 0.0], [1.0, float("nan")], "11", [True, 1.0]])
def test_bad_weights_use_the_single_message_template(weights):
    with pytest.raises(ConfigError, match=r"The 'weights' parameter of EnsembleSentimentBackend must be .* Got .* instead"):
        EnsembleSentimentBackend(members=[A, B], weights=weights)


@pytest.mark.parametrize("kwargs", [{"members": []}, {"members": "sentiment.linear.v1"}, {"log_space": "yes"},
                                    {"device": "tpu"}])
def test_other_bad_parameters(kwargs):
    with pytest.raises(ConfigError, match="parameter of EnsembleSentimentBackend"):
        EnsembleSentimentBackend(**kwargs)


def test_member_with_wrong_shape_is_reported():
    good, bad = FakeBackend("good", {"x": [0.2, 0.3, 0.5]}), FakeBackend("bad", {"x": [0.5, 0.5]})
    with pytest.raises(ModelError, match="returned shape"):
        EnsembleSentimentBackend(members=[good, bad]).predict_proba(["x"])


def test_stored_choice_is_read_from_a_model_folder(tmp_path):
    (tmp_path / "ensemble.json").write_text(json.dumps({"weights": [1.0, 3.0], "log_space": False}))
    ens = EnsembleSentimentBackend(members=[A, B], path=str(tmp_path))
    assert ens.choice() == ([0.25, 0.75], False)
    np.testing.assert_allclose(ens.predict_proba(TEXTS), 0.25 * A.predict_proba(TEXTS) + 0.75 * B.predict_proba(TEXTS),
                               atol=1e-6)
    assert ens.describe()["weights"] == [0.25, 0.75]


def test_shipped_choice_is_valid():
    ens = EnsembleSentimentBackend()
    weights, log_space = ens.choice()
    assert len(weights) == 2 and abs(sum(weights) - 1) < 1e-9 and isinstance(log_space, bool)


def test_dev_scores_only_for_the_shipped_combination(tmp_path):
    scores = {"mean_macro_f1": 0.7, "confusion_per_language": {"en": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}
    (tmp_path / "ensemble.json").write_text(json.dumps({"weights": [1.0, 1.0], "log_space": False}))
    (tmp_path / "dev_scores.json").write_text(json.dumps(scores))
    assert EnsembleSentimentBackend(path=str(tmp_path)).dev_scores() == scores
    assert EnsembleSentimentBackend(path=str(tmp_path), weights=[1, 2]).dev_scores() is None  # other weights
    assert EnsembleSentimentBackend(members=[A, B], path=str(tmp_path)).dev_scores() is None  # other members
    shipped = EnsembleSentimentBackend().dev_scores()
    assert shipped is not None and set(shipped["confusion_per_language"]) == set(shipped["macro_f1_per_language"])


def test_a_member_encoder_that_could_run_the_cascade_is_told_to_keep_fp32():
    class Encoder:
        def __init__(self) -> None:
            self.readers: list[str] = []

        def keep_fp32(self, reader):
            self.readers.append(reader)

    a, b = FakeBackend("a", A.table), FakeBackend("b", B.table)
    a.encoder = Encoder()  # b has no encoder: nothing to tell
    ensemble = EnsembleSentimentBackend(members=[a, b])
    np.testing.assert_allclose(ensemble.predict_proba(TEXTS), combine([a.predict_proba(TEXTS), b.predict_proba(TEXTS)], [1, 1]))
    assert a.encoder.readers == ["sentiment.ensemble.v1"]


def test_members_are_called_once_per_batch():
    a, b = FakeBackend("a", A.table), FakeBackend("b", B.table)
    EnsembleSentimentBackend(members=[a, b]).predict_proba(TEXTS * 50)
    assert a.calls == 1 and b.calls == 1


def test_combine_is_order_invariant_in_members():
    p, q = A.predict_proba(TEXTS), B.predict_proba(TEXTS)
    for log_space in (False, True):
        np.testing.assert_allclose(combine([p, q], [0.3, 0.7], log_space), combine([q, p], [0.7, 0.3], log_space),
                                   atol=1e-6)


def test_device_goes_only_to_members_that_take_one():
    ens = EnsembleSentimentBackend(device="cuda")
    linear, e5 = ens.backends  # constructors only store parameters: nothing is loaded here
    assert e5.encoder.device == "cuda"
    assert not hasattr(linear, "device")
