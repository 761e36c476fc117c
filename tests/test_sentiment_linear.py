"""sentiment.linear.v1: protocol, shapes, determinism, dedup and a few clear examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.backends import SentimentBackend
from analyzer.backends.sentiment_linear import LinearSentimentBackend, default_model_dir
from analyzer.backends.text_features import HashingFeaturizer
from analyzer.errors import ConfigError, ModelError, RecordError
from analyzer.registry import registered, select_backend

MIXED = ["What a beautiful ending, I loved it", "这部剧真的很无聊", "배우들 연기 최고예요",
         "ok", "", "🔥🔥", "where do I find episode 3?"]


@pytest.fixture(scope="module")
def backend() -> LinearSentimentBackend:
    return LinearSentimentBackend()


def test_registered_and_conforms_to_protocol(backend):
    assert "sentiment.linear.v1" in registered("sentiment.")
    assert isinstance(backend, SentimentBackend)
    chosen = select_backend("sentiment.linear.v1", "sentiment")
    assert isinstance(chosen, LinearSentimentBackend) and chosen.name == "sentiment.linear.v1"


def test_model_folder_resolves_through_backend_json():
    chosen = select_backend(str(default_model_dir()), "sentiment")
    assert isinstance(chosen, LinearSentimentBackend)
    assert chosen.predict_proba(["fine"]).shape == (1, 3)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_shapes_and_probabilities(backend, n):
    probs = backend.predict_proba(MIXED[:n])
    assert probs.shape == (n, 3)
    assert np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_single_string_gives_one_row_of_scores(backend):
    one = backend.predict_proba("I loved it")
    assert one.shape == (3,)
    assert np.allclose(one, backend.predict_proba(["I loved it"])[0])


def test_deterministic_and_independent_of_batch(backend):
    together = backend.predict_proba(MIXED)
    alone = np.vstack([backend.predict_proba([t]) for t in MIXED])
    other = LinearSentimentBackend(batch_size=2).predict_proba(MIXED)
    assert np.allclose(together, alone, atol=1e-6)
    assert np.allclose(together, other, atol=1e-6)


def test_identical_texts_get_identical_rows(backend):
    texts = ["so good!!", "meh", "so good!!", "meh", "So  good!!"]
    probs = backend.predict_proba(texts)
    assert np.array_equal(probs[0], probs[2]) and np.array_equal(probs[1], probs[3])
    assert np.allclose(probs[0], probs[4])  # same text after normalization
    assert np.allclose(probs[0], backend.predict_proba(["so good!!"])[0])


CLEAR = [  # (lang, text, label) written for this test; not in the training cues
    ("en", "Absolutely loved this show, the acting is brilliant", "positive"),
    ("en", "Terrible plot and awful acting, total garbage", "negative"),
    ("zh", "太好看了，演员演技超棒", "positive"),
    ("zh", "太难看了，剧情很烂", "negative"),
    ("ko", "정말 재밌고 감동적이에요 최고", "positive"),
    ("ko", "진짜 재미없고 최악이에요", "negative"),
    ("ja", "本当に素晴らしい作品で大好きです", "positive"),
    ("ja", "本当につまらない、最悪です", "negative"),
    ("vi", "phim rất hay, diễn viên đẹp quá", "positive"),
    ("vi", "phim dở tệ, chán lắm", "negative"),
    ("th", "สนุกมาก ชอบมากๆ เลย", "positive"),
    ("th", "แย่มาก ไม่ชอบเลย", "negative"),
    ("id", "dramanya bagus banget, suka sekali", "positive"),
    ("id", "jelek banget, kecewa sekali", "negative"),
    ("es", "me encantó, una serie preciosa", "positive"),
    ("es", "horrible, una serie malísima", "negative"),
]


@pytest.mark.parametrize("lang,text,label", CLEAR)
def test_clear_examples(backend, lang, text, label):
    neg, _, pos = backend.predict_proba([text], [lang])[0]
    assert (pos > neg) == (label == "positive")


def test_parameter_and_input_errors(tmp_path):
    with pytest.raises(ConfigError, match="batch_size"):
        LinearSentimentBackend(batch_size=0)
    with pytest.raises(ModelError, match="meta.json"):
        LinearSentimentBackend(path=tmp_path).predict_proba(["x"])
    backend = LinearSentimentBackend()
    with pytest.raises(RecordError, match="langs"):
        backend.predict_proba(["a", "b"], ["en"])
    with pytest.raises(RecordError, match="item 1"):
        backend.predict_proba(["a", None])  # type: ignore[list-item]


def test_hash_is_stable_across_processes():
    # A fixed text must always map to the same columns (no salted hash()).
    feats = HashingFeaturizer().transform(["can't wait 😭"])
    assert int(np.sort(feats.cols)[:3].sum()) == STABLE_COLUMN_SUM
    assert len(feats.cols) == STABLE_COUNT


STABLE_COLUMN_SUM = 96904  # recorded once; a change means retraining the model
STABLE_COUNT = 42


def test_normalization_examples():
    f = HashingFeaturizer()
    assert f.normalize("  SOOOOO   Good!!!!!  ") == "sooo good!!!"
    assert f.normalize("see https://x.example/a and @someone") == "see url and @user"
    assert f.normalize("😭😢") == f.normalize("😢😭")  # same emoji class
    assert f.normalize("ｆｕｌｌ\u3000ｗｉｄｔｈ") == "full width"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalize_is_idempotent(text):
    f = HashingFeaturizer()
    once = f.normalize(text)
    assert f.normalize(once) == once


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=5))
def test_features_never_crash_and_stay_in_range(texts):
    f = HashingFeaturizer(n_features=1 << 10)
    feats = f.transform(texts)
    assert feats.n_rows == len(texts) and len(feats.scale) == len(texts)
    assert np.all((feats.cols >= 0) & (feats.cols < 1 << 10))
    assert np.all((feats.rows >= 0) & (feats.rows < max(len(texts), 1)))


def test_rounded_rows_is_round_of_every_value():
    from analyzer.stages.sentiment import rounded_rows

    rng = np.random.default_rng(0)
    halves = (np.arange(2000) + 0.5) / 10_000  # exact and near ties: round() decides these
    values = np.concatenate([rng.random(3000), rng.random(3000).astype(np.float32), halves,
                             np.arange(2001) / 2000, [0.0, 1.0, 5e-5, 0.99995]]).reshape(-1, 1)
    values = np.hstack([values, values[::-1], 1 - values])
    got = rounded_rows(values, 4)
    assert got == [tuple(round(v, 4) for v in row) for row in values.tolist()]
    assert all(type(v) is float for row in got for v in row)
