"""The optional compiled kernels of ``text_features`` (``analyzer/backends/_hashed.c``, built by
setup.py) give exactly the arrays of the numpy code they replace: the hashed n-grams (rows and
columns in the same order) and the per-row head sums (bit for bit). Examples written by us and
random strings glued from pieces of many scripts."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.backends import text_features
from analyzer.backends.text_features import Features, HashedHeads, HashingFeaturizer

from .test_theme_fast_paths import TEXTS, _dense_scores

pytestmark = pytest.mark.skipif(text_features._hashed is None,
                                reason="the compiled kernels are not built (no C compiler when installed)")

PIECES = ["the ", "OST", " but", "!!!", "...", "剧情", "，", "演技", "연기는", " 좋지만", "นักแสดง", "ตอน", "演技は",
          "、", "😭", "🔥", "👍🏻", "\u200b", "\ufe0f", "#", "+1", "Ｆｕｌｌ", "ﬁ", "é", "e\u0301", "\t", "\n", "  ",
          "don't", "ep3", "x", "ä", "𠀋", "\U0001f600", "ǅ", "@user", "url", "🇨🇳", "ア", "ｱ"]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(PIECES, size=int(rng.integers(0, 25)))) for _ in range(n)]


FEATURIZERS = [HashingFeaturizer(n_features=1 << 12), HashingFeaturizer(n_features=1 << 20),
               HashingFeaturizer(n_features=1 << 10, char_orders=(4, 2), word_orders=(2,)),
               HashingFeaturizer(n_features=1 << 10, char_orders=(1,), word_orders=()),
               HashingFeaturizer(n_features=1 << 10, char_orders=(), word_orders=(1, 3))]


@pytest.mark.parametrize("featurizer", FEATURIZERS)
@pytest.mark.parametrize("texts", [TEXTS, [""], ["a"], [" "], ["", ""], _random_texts(0, 300), _random_texts(1, 7)])
def test_compiled_ngrams_equal_the_numpy_ngrams(featurizer, texts):
    cp = np.frombuffer(featurizer.normalize_joined(texts).encode("utf-32-le"), dtype=np.uint32)
    rows, cols = featurizer.ngrams(cp, compiled=True)
    ref_rows, ref_cols = featurizer.ngrams(cp, compiled=False)
    assert rows.dtype == ref_rows.dtype == np.intp and cols.dtype == ref_cols.dtype == np.intp
    assert np.array_equal(rows, ref_rows) and np.array_equal(cols, ref_cols)


def test_compiled_ngrams_of_raw_code_points():
    """Code points no normalization leaves (NUL runs, space runs, the end of the table) hash alike."""
    featurizer = HashingFeaturizer(n_features=1 << 16)
    cp = np.array([0, 0, 32, 97, 0x20000, 0x1FFFF, 0, 32, 32, 0x21, 0x21, 98, 0x10FFFF, 0], dtype=np.uint32)
    for part in (cp, cp[:0], cp[:1], cp[2:], cp[3:6]):
        got, ref = featurizer.ngrams(part, compiled=True), featurizer.ngrams(part, compiled=False)
        assert all(np.array_equal(a, b) for a, b in zip(got, ref))


def _random_heads(n_features: int, n_heads: int, seed: int) -> HashedHeads:
    rng = np.random.default_rng(seed)
    cols = rng.choice(n_features, n_features // 3, replace=False)
    weights = (rng.normal(size=(n_heads, len(cols))) * 10.0 ** rng.integers(-6, 3, size=(n_heads, len(cols))))
    return HashedHeads.from_columns(n_features, cols, weights.astype(np.float32))


@pytest.mark.parametrize("n_heads", [1, 3, 5, 21])
def test_compiled_head_sums_equal_the_numpy_sums(n_heads):
    featurizer = HashingFeaturizer(n_features=1 << 12)
    heads = _random_heads(featurizer.n_features, n_heads, n_heads)
    features = featurizer.transform(TEXTS + _random_texts(2, 200))
    fast, plain = heads.scores(features, compiled=True), heads.scores(features, compiled=False)
    assert fast.dtype == np.float32 and fast.shape == (features.n_rows, n_heads)
    assert np.array_equal(fast, plain) and np.any(fast != 0)
    dense = np.zeros((n_heads, featurizer.n_features), dtype=np.float32)
    used = np.flatnonzero(heads.index >= 0)
    dense[:, used] = heads.weights[heads.index[used]].T
    assert np.array_equal(fast, _dense_scores(dense, features))


def test_compiled_head_sums_add_in_order():
    """2**60 + 1 - 2**60: 0 left to right, 1 in another order (as in test_theme_fast_paths)."""
    big = np.float32(2.0 ** 60)
    heads = HashedHeads.from_columns(8, np.arange(4), np.array([[big, 1.0, -big, 0.5]], dtype=np.float32))
    rows = np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.intp)
    cols = np.array([0, 1, 2, 1, 0, 2, 3], dtype=np.intp)
    got = heads.scores(Features(rows, cols, np.ones(3, dtype=np.float32), 3), compiled=True)
    assert got[:, 0].tolist() == [0.0, 0.0, 0.5]


def test_compiled_head_sums_refuse_bad_indices():
    heads = HashedHeads.from_columns(8, np.arange(4), np.ones((2, 4), dtype=np.float32))
    one = np.ones(1, dtype=np.float32)
    with pytest.raises(ValueError):
        heads.scores(Features(np.array([0], dtype=np.intp), np.array([8], dtype=np.intp), one, 1), compiled=True)
    with pytest.raises(ValueError):
        heads.scores(Features(np.array([1], dtype=np.intp), np.array([0], dtype=np.intp), one, 1), compiled=True)


@pytest.mark.parametrize("n_heads", [1, 3])
def test_compiled_dense_sums_equal_the_bincount_sums(n_heads):
    """sentiment.linear.v1's per-head sums over dense weights: one C pass, bit for bit the bincounts."""
    featurizer = HashingFeaturizer(n_features=1 << 12)
    rng = np.random.default_rng(n_heads)
    weights = (rng.normal(size=(featurizer.n_features, n_heads))
               * 10.0 ** rng.integers(-6, 3, size=(featurizer.n_features, n_heads))).astype(np.float32)
    features = featurizer.transform(TEXTS + _random_texts(3, 200))
    fast = text_features.dense_sums(weights, features, compiled=True)
    plain = text_features.dense_sums(weights, features, compiled=False)
    assert fast.dtype == plain.dtype == np.float32 and fast.shape == (features.n_rows, n_heads)
    assert np.array_equal(fast, plain) and np.any(fast != 0)


def test_compiled_dense_sums_add_in_order_and_refuse_bad_indices():
    big = np.float32(2.0 ** 60)
    weights = np.array([[big, 1.0, -big, 0.5]], dtype=np.float32).T
    rows = np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.intp)
    cols = np.array([0, 1, 2, 1, 0, 2, 3], dtype=np.intp)
    got = text_features.dense_sums(weights, Features(rows, cols, np.ones(3, dtype=np.float32), 3))
    assert got[:, 0].tolist() == [0.0, 0.0, 0.5]
    one = np.ones(1, dtype=np.float32)
    for bad_rows, bad_cols in (([0], [4]), ([1], [0]), ([0], [-1])):
        with pytest.raises(ValueError):
            text_features.dense_sums(weights, Features(np.array(bad_rows, dtype=np.intp),
                                                       np.array(bad_cols, dtype=np.intp), one, 1))


def test_recent_batch_is_what_a_fresh_featurizer_makes():
    """``_Recent``: a featurizer with a smaller table takes the last batch's n-grams (their columns'
    low bits), read-only; other orders, other texts or a larger table make their own."""
    from analyzer.backends import text_features as TF

    texts = ["Loved the OST 😭😭", "ＦＵＬＬ，width！", "", "so good http://x.co @bob", "好看 好看"]
    big, small, other = (TF.HashingFeaturizer(1 << 20), TF.HashingFeaturizer(1 << 12),
                         TF.HashingFeaturizer(1 << 12, char_orders=(1, 2)))

    def fresh(featurizer, batch):
        TF._Recent.normalized = TF._Recent.hashed = None
        return featurizer.transform(batch)

    for first, second in ((big, small), (big, other), (small, big), (small, small)):
        fresh(first, texts)
        got, want = second.transform(list(texts)), fresh(second, texts)
        assert got.n_rows == want.n_rows and all(np.array_equal(a, b) for a, b in zip(got[:3], want[:3]))
    fresh(big, texts)
    assert small.transform(texts).rows is TF._Recent.hashed[3].rows  # taken, not made again
    assert not any(array.flags.writeable for array in TF._Recent.hashed[3][:3])
    assert small.normalize_joined(texts) is TF._Recent.normalized[2] == small._normalized(texts)  # the same string again
    got = small.transform(texts[:2])  # other texts: made again
    want = fresh(small, texts[:2])
    assert got.n_rows == 2 and all(np.array_equal(a, b) for a, b in zip(got[:3], want[:3]))


def test_a_build_missing_a_kernel_is_not_used(monkeypatch):
    """A module built before one of the kernels was added is not loaded at all (every caller then
    runs its reference code), rather than failing on the missing kernel during a run."""
    from analyzer.backends import kernels

    assert kernels._load() is kernels.hashed is text_features._hashed
    monkeypatch.setattr(kernels, "NAMES", kernels.NAMES + ("a_kernel_added_later",))
    assert kernels._load() is None
