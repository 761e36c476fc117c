"""The fast fit of sentiment.linear.v1 (fast_fit.py) and the CV tool's row handling (cv_fast.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
from scipy import sparse

from training.sentiment_linear.cv_fast import capped, fold_of
from training.sentiment_linear.dataset import DRAMA_PREFIX, Row
from training.sentiment_linear.fast_fit import Features, fit


def _problem(n: int = 300, d: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = sparse.random(n, d, density=0.2, random_state=seed, format="csr", dtype=np.float32)
    y = np.asarray(x @ rng.normal(size=(d, 3))).argmax(1)
    w = rng.uniform(0.5, 2.0, size=n)
    return x, y, w


def test_fast_fit_reaches_scikit_learns_optimum():
    from sklearn.linear_model import LogisticRegression

    x, y, w = _problem()
    ref = LogisticRegression(C=3.0, tol=1e-8, max_iter=2000).fit(x.astype(np.float64), y, sample_weight=w)
    ours = fit(x, y, w, 3.0, tol=1e-8, max_iter=2000)
    assert np.abs(ours.coef_ - ref.coef_).max() < 1e-3
    assert np.abs(ours.intercept_ - ref.intercept_).max() < 1e-3
    assert (ours.predict(x) == ref.predict(x)).mean() > 0.99


def test_warm_start_at_the_optimum_stays_there():
    x, y, w = _problem(seed=1)
    first = fit(x, y, w, 1.0, tol=1e-8, max_iter=2000)
    again = fit(x, y, w, 1.0, start=first, tol=1e-6)
    assert int(again.n_iter_[0]) <= 2
    assert np.abs(again.coef_ - first.coef_).max() < 1e-4


def test_zero_weight_rows_do_not_count():
    x, y, w = _problem(seed=2)
    w[:100] = 0.0
    dropped = fit(x[100:], y[100:], w[100:], 3.0, tol=1e-8, max_iter=2000)
    zeroed = fit(x, y, w, 3.0, tol=1e-8, max_iter=2000)
    assert np.abs(dropped.coef_ - zeroed.coef_).max() < 1e-4


def test_features_round_trip_without_texts(tmp_path):
    x, _, _ = _problem(n=4)
    rows = [Row(f"text {i}", "positive", "en", "xlmt_umsab_tweets", 0.5) for i in range(4)]
    Features(x, rows).save(tmp_path)
    back = Features.load(tmp_path)
    assert (back.x != x).nnz == 0
    assert [(r.label, r.lang, r.source, r.weight) for r in back.rows] == [(r.label, r.lang, r.source, r.weight) for r in rows]
    assert all(r.text == "" for r in back.rows)


def test_capped_groups_keep_their_mass():
    rows = [Row("", "positive", "ko", "nsmc_raw_ko") for _ in range(50)] + [Row("", "negative", "en", "x") for _ in range(5)]
    w = np.linspace(0.5, 1.5, len(rows))
    out = capped(rows, w, cap=10)
    assert (out[:50] > 0).sum() == 10
    assert out[:50].sum() == pytest.approx(w[:50].sum())
    assert np.array_equal(out[50:], w[50:])


def test_folds_hold_each_drama_source_out_once_and_never_a_cue():
    sources = ["douban_knockout_drama_zh", "douban_cdrama_comments_unlabelled_zh", "kdrama_reviews_ko", "nsmc_raw_ko"]
    rows = [Row("", "neutral", "zh", DRAMA_PREFIX + s) for s in sources] + [Row("", "positive", "en", "drama_cues")] * 3
    folds = fold_of(rows)
    assert sorted(folds[:4]) == [0, 0, 1, 1]
    assert (folds[4:] == -1).all()


def test_neutral_band_goes_into_the_language_table(tmp_path):
    import json

    from analyzer.backends.sentiment_linear import LinearSentimentBackend
    from analyzer.backends.text_features import HashingFeaturizer
    from training.sentiment_linear.train import neutral_band, write_artifact

    featurizer = HashingFeaturizer(n_features=1 << 10)
    model = fit(*_problem(n=60, d=1 << 10, seed=3), 1.0)
    write_artifact(tmp_path, featurizer, model, {})
    backend = LinearSentimentBackend(path=tmp_path)
    before = backend.predict_proba(["so so", "so so"], ["zh", "en"])
    neutral_band(tmp_path, {"zh": 1.0}, "test")
    after = LinearSentimentBackend(path=tmp_path).predict_proba(["so so", "so so"], ["zh", "en"])
    assert after[0][1] > before[0][1]
    assert np.allclose(after[1], before[1])
    assert json.loads((tmp_path / "meta.json").read_text())["lang_bias"]["langs"] == ["zh"]


def test_train_refuses_a_cache_of_other_rows(tmp_path):
    from training.sentiment_linear.train import cached_features

    x, _, _ = _problem(n=3)
    rows = [Row("", "positive", "en", "s") for _ in range(3)]
    Features(x, rows).save(tmp_path)
    assert (cached_features(tmp_path, rows) != x).nnz == 0
    with pytest.raises(SystemExit, match="other rows"):
        cached_features(tmp_path, rows[:2] + [Row("", "negative", "en", "s")])


def test_cv_scores_counterfactual_rows_apart_from_the_shared_languages():
    from training.sentiment_linear.cv_fast import group_scores
    from training.sentiment_linear.dataset import COUNTERFACTUAL_SOURCE

    drama = DRAMA_PREFIX + "nsmc_raw_ko"
    source = np.array([drama] * 2 + ["xlmt_umsab_tweets"] * 100 + [COUNTERFACTUAL_SOURCE] * 100)
    gold = np.r_[[0, 2], np.tile([0, 2], 50), np.tile([0, 2], 50)]
    right = np.eye(3)[gold]
    logits = np.r_[right[:102], right[102:, ::-1]]  # every counterfactual row wrong, every other row right
    part = {"oof m": logits, "gold": gold, "source": source, "lang": np.array(["en"] * 202),
            "other_gold": np.array([0, 2]), "other_group": np.array(["c:youtube"] * 2), "other m": np.eye(3)[[0, 2]]}
    scores = group_scores(part, "m", {})
    assert scores["lang:en"] == 1.0 and scores["counterfactual (info)"] == 0.0
    assert scores["real_mean"] == 1.0 and scores["lang_mean"] == 1.0
