"""Weights of the training dramas' real comments in the sentiment.linear.v1 recipe (train.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from training.sentiment_linear.dataset import DRAMA_PREFIX, Row
from training.sentiment_linear.train import sample_weights


def _rows() -> list[Row]:
    shared = [Row(f"t{i}", "positive" if i % 3 else "negative", "en", "xlmt_umsab_tweets") for i in range(30)]
    drama = [Row(f"d{i}", label, "zh", DRAMA_PREFIX + "douban_knockout_drama_zh")
             for i, label in enumerate(["positive"] * 6 + ["neutral"] * 3 + ["negative"] * 3)]
    return shared + drama


def test_drama_rows_weigh_their_weight_with_classes_balanced_inside():
    rows = _rows()
    w = sample_weights(rows, drama_weight=10.0)
    drama = np.array([r.source.startswith(DRAMA_PREFIX) for r in rows])
    labels = np.array([r.label for r in rows])
    mass = {label: w[drama & (labels == label)].sum() for label in ("positive", "neutral", "negative")}
    assert mass["positive"] == pytest.approx(mass["neutral"]) == pytest.approx(mass["negative"])
    assert w[drama].sum() == pytest.approx(10.0 * drama.sum())
    assert w[~drama].mean() == pytest.approx(1.0)


def test_zero_drama_weight_leaves_the_other_weights_unchanged():
    rows = _rows()
    shared_only = [r for r in rows if not r.source.startswith(DRAMA_PREFIX)]
    w = sample_weights(rows, drama_weight=0.0)
    assert np.allclose(w[:len(shared_only)], sample_weights(shared_only))
    assert not w[len(shared_only):].any()


def test_shift_neutral_moves_only_the_neutral_intercept(tmp_path):
    import json

    from training.sentiment_linear.train import shift_neutral

    weights = np.arange(6, dtype=np.float16).reshape(3, 2)
    np.savez_compressed(tmp_path / "weights.npz", weights=weights, bias=np.zeros(3, np.float32),
                        lang_bias=np.zeros((0, 3), np.float32))
    (tmp_path / "meta.json").write_text(json.dumps({"training": {"neutral_offset": 0.0}}))
    shift_neutral(tmp_path, 0.25)
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as data:
        assert data["bias"].tolist() == [0.0, 0.25, 0.0]
        assert np.array_equal(data["weights"], weights) and data["weights"].dtype == np.float16
    assert json.loads((tmp_path / "meta.json").read_text())["training"]["neutral_offset"] == 0.25
    assert json.loads((tmp_path / "backend.json").read_text()) == {"factory": "sentiment.linear.v1"}
