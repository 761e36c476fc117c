"""Distillation of the accurate stance tier into the fast one (training/sentiment_linear/distill.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")
from scipy import sparse

from training.sentiment_linear.cv_drama import fit_residual
from training.sentiment_linear.distill import LABELS, targets

DEVSETS = Path(__file__).resolve().parents[1] / "data" / "devsets"


def test_teacher_labels_name_no_dev_row_and_hold_no_text():
    if not LABELS.is_file():
        pytest.skip("no distillation labels written")
    dev = {json.loads(line)["sha1"] for path in DEVSETS.glob("*.labels.jsonl")
           for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert rows and not {r["sha1"] for r in rows} & dev
    assert all("text" not in r and abs(sum(r["ensemble"]) - 1) < 1e-2 for r in rows)


def test_soft_targets_are_normalized_and_hard_ones_one_hot():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    assert np.allclose(targets(probs, hard=False).sum(1), 1)
    assert (targets(probs, hard=True) == np.array([[0, 0, 1], [1, 0, 0]])).all()


def test_residual_moves_toward_the_soft_targets_and_l2_holds_it_back():
    x = sparse.random(200, 30, density=0.3, random_state=0, format="csr")
    offset = np.zeros((200, 3))
    target = np.tile([0.1, 0.1, 0.8], (200, 1))

    def mean_positive(lam: float, bias: bool) -> float:
        W, b = fit_residual(x, offset, target, lam, with_bias=bias)
        z = np.asarray(x @ W.T) + b
        p = np.exp(z - z.max(1, keepdims=True))
        return float((p / p.sum(1, keepdims=True))[:, 2].mean())

    assert abs(mean_positive(1e-6, bias=True) - 0.8) < 0.02  # the unpenalized intercept matches a constant target
    loose, tight = mean_positive(1e-6, bias=False), mean_positive(1.0, bias=False)
    assert loose > 0.7 and 1 / 3 <= tight < 0.45


def test_a_row_weight_counts_the_row_that_many_times():
    x = sparse.random(60, 12, density=0.4, random_state=1, format="csr")
    offset = np.random.default_rng(2).normal(size=(60, 3))
    target = np.eye(3)[np.random.default_rng(3).integers(0, 3, 60)]
    weights = np.r_[np.full(20, 3.0), np.ones(40)]
    copies = np.r_[np.repeat(np.arange(20), 3), np.arange(20, 60)]
    W, b = fit_residual(x, offset, target, 1e-3, with_bias=True, weights=weights)
    W3, b3 = fit_residual(x[copies], offset[copies], target[copies], 1e-3, with_bias=True)
    assert np.allclose(W, W3, atol=1e-4) and np.allclose(b, b3, atol=1e-4)
    W1, _ = fit_residual(x, offset, target, 1e-3, with_bias=True)
    assert not np.allclose(W, W1, atol=1e-3)
