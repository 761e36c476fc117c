"""Statistics: interval formulas, shrinkage, confusion correction, bootstrap coverage."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.aggregate import ResonanceAccumulator
from analyzer.aggregate.stats import (
    bootstrap_weights,
    correct_shares,
    eb_prior,
    net_wilson,
    percentile_intervals,
    poisson_interval,
    shrink,
    wilson,
)
from analyzer.schema import Comment


def test_wilson_known_values():
    lo, hi = wilson(8, 10, 0.95)
    assert (lo, hi) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson(0, 0) == (None, None)
    assert net_wilson(8, 2) == pytest.approx((2 * 0.4902 - 1, 2 * 0.9433 - 1), abs=2e-4)


def test_poisson_interval_brackets_the_count():
    lo, hi = poisson_interval(10, 0.95)
    assert lo == pytest.approx(4.795, abs=0.02) and hi == pytest.approx(18.39, abs=0.05)  # exact Garwood
    assert poisson_interval(0)[0] == 0.0


def test_shrinkage_and_eb_prior():
    assert shrink(1.0, 4, 0.5, 4) == pytest.approx(0.75)
    mu, m = eb_prior([0.2, 0.8], [10, 10], fixed=5)
    assert (mu, m) == pytest.approx((0.5, 5))
    mu, m = eb_prior([0.5, 0.5, 0.5], [100, 100, 100])  # no spread beyond noise: shrink fully
    assert mu == pytest.approx(0.5) and m == 1000.0
    _, m_spread = eb_prior([0.1, 0.5, 0.9], [100, 100, 100])
    assert 1.0 <= m_spread < 10  # real spread between titles: shrink little


def test_confusion_correction_inverts_known_error():
    confusion = np.array([[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.2, 0.8]])
    true = np.array([0.2, 0.3, 0.5])
    observed = confusion.T @ true
    assert correct_shares(observed, confusion) == pytest.approx(true)


def test_percentile_intervals_need_enough_defined_draws():
    draws = {"x": np.arange(100, dtype=float), "y": np.full(100, np.nan)}
    out = percentile_intervals(draws)
    assert out["x"][0.90] == pytest.approx((4.95, 94.05))
    assert out["y"][0.95] == (None, None)


def _sample_cell(rng: random.Random, n: int, probs: tuple[float, float, float]) -> list[Comment]:
    labels = rng.choices(["positive", "neutral", "negative"], weights=probs, k=n)
    return [Comment(id=str(i), text="x", drama="D", region="VN", author=f"a{i}", sentiment=s)
            for i, s in enumerate(labels)]


def test_bootstrap_90_interval_covers_true_value_85_to_95_percent():
    """Simulation: 200 samples of 80 authors; the 90% interval of net sentiment covers the truth."""
    rng = random.Random(7)
    probs = (0.5, 0.3, 0.2)
    truth = (0.5 - 0.2) / (0.5 + 0.2)
    covered = 0
    draws = 200
    for k in range(draws):
        cfg = {"bootstrap": 400, "seed": k, "shrinkage": False}
        cell = ResonanceAccumulator(cfg).update(_sample_cell(rng, 80, probs)).result().cell("D", "VN")
        covered += cell["net_sentiment_ci90_low"] <= truth <= cell["net_sentiment_ci90_high"]
    print(f"coverage of the 90% interval: {covered / draws:.3f}")
    assert 0.85 <= covered / draws <= 0.95


def test_bootstrap_runs_blas_on_one_thread_and_restores_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from analyzer.aggregate.stats import one_blas_thread

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    assert before, "numpy's BLAS is not visible to threadpoolctl"
    with one_blas_thread():
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


def test_bootstrap_weights_are_counted_in_pieces_without_changing_a_draw(monkeypatch):
    import analyzer.aggregate.stats as S

    def whole(n, draws, seed):  # every chunk counted with one bincount, int64 picks (the earlier code)
        rng = np.random.default_rng(seed)
        chunk, done = max(1, S._MAX_CELLS_PER_CHUNK // n), 0
        while done < draws:
            size = min(chunk, draws - done)
            totals = rng.poisson(n, size=size)
            picks = rng.integers(0, n, size=int(totals.sum())) + np.repeat(np.arange(size) * n, totals)
            yield np.bincount(picks, minlength=size * n).reshape(size, n).astype(np.float32)
            done += size

    monkeypatch.setattr(S, "_MAX_CELLS_PER_CHUNK", 5_000)
    monkeypatch.setattr(S, "_COUNT_ENTRIES", 300)
    for n, draws in ((1, 50), (2, 200), (7, 31), (299, 100), (301, 40), (6_000, 3)):
        ours, theirs = list(bootstrap_weights(n, draws, n)), list(whole(n, draws, n))
        assert len(ours) == len(theirs) and all(a.dtype == np.float32 for a in ours)
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))
        assert sum(len(a) for a in ours) == draws


def test_bootstrap_sums_are_each_chunk_of_weights_times_the_tables(monkeypatch):
    import analyzer.aggregate.stats as S

    monkeypatch.setattr(S, "_MAX_CELLS_PER_CHUNK", 2_000)  # several chunks
    rng = np.random.default_rng(5)
    c, a = rng.random((300, 4)).astype(np.float32), rng.random((300, 3)).astype(np.float32)
    sums = list(S.bootstrap_sums(c, a, 25, 11))
    weights = list(bootstrap_weights(300, 25, 11))
    assert len(sums) == len(weights) > 1
    for (wc, wa), w in zip(sums, weights):
        assert np.array_equal(wc, w @ c) and np.array_equal(wa, w @ a)
