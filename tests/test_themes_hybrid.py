"""themes.hybrid.v1: the lexicon plus shipped linear heads. Offline: only the artifact
in analyzer/_models/themes-hybrid is read. Every example is written by us."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from analyzer.backends.base import ThemeMatch
from analyzer.backends.themes_hybrid import (
    HEADS,
    HybridThemeBackend,
    default_model_dir,
    lexicon_features,
)
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.errors import ConfigError, ModelError, RecordError
from analyzer.schema import THEMES, Comment
from analyzer.stages.themes import ThemeStage

from .theme_examples import TEXTS


@pytest.fixture(scope="module")
def backend():
    return HybridThemeBackend()


@pytest.fixture(scope="module")
def matches(backend):
    return backend.predict([t for t, _ in TEXTS], [lang for _, lang in TEXTS])








def test_a_long_repeated_text_scores_without_numpy_warnings(backend):
    # "The Untamed " * 5000 used to print "RuntimeWarning: overflow encountered in exp" and its source line on stderr
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [match] = backend.predict(["The Untamed " * 5000], ["en"])
    assert isinstance(match, ThemeMatch)


def test_noise_comes_from_the_lexicon(backend, matches):
    lexicon = LexiconThemeBackend().predict([t for t, _ in TEXTS], [lang for _, lang in TEXTS])
    assert [m.noise for m in matches] == [m.noise for m in lexicon]
    assert matches[11].noise and matches[12].noise  # bare timestamp, empty text
    assert not matches[13].noise  # emoji-only is a reaction, not noise


def test_clear_examples(matches):
    assert "story" in matches[0].themes
    assert "subtitles" in matches[1].themes
    assert "waiting" in matches[2].intents and "intent" in matches[2].themes
    assert "subtitles" in matches[6].themes
    assert "subtitles" in matches[9].themes


def test_deterministic_and_batch_independent(backend, matches):
    texts, langs = [t for t, _ in TEXTS], [lang for _, lang in TEXTS]
    assert backend.predict(texts, langs) == matches
    assert HybridThemeBackend(batch_size=3).predict(texts, langs) == matches
    single = [HybridThemeBackend().predict([t], [lang])[0] for t, lang in TEXTS]
    assert single == matches


def test_lexicon_features_columns():
    m = ThemeMatch({"music": 0.8, "intent": 0.8}, ("waiting",), False, {})
    row = lexicon_features([m])[0]
    assert row[HEADS.index("music")] == pytest.approx(0.8)
    assert row[HEADS.index("waiting")] == 1.0
    assert "intent" not in HEADS and row.sum() == pytest.approx(1.8)
    assert lexicon_features([]).shape == (0, len(HEADS))


def test_stage_runs_with_the_hybrid_backend():
    stage = ThemeStage(backend="themes.hybrid.v1")
    batch = [Comment(id=str(i), text=t, clean_text=t, lang=lang, sentiment="positive")
             for i, (t, lang) in enumerate(TEXTS)]
    out = stage(batch)
    assert len(out) == len(batch)
    for c in out:
        assert set(c.themes) <= set(THEMES) and set(c.theme_scores) == set(c.themes)
        assert ("intent" in c.themes) == bool(c.intents)
        assert set(c.theme_polarity) <= set(c.themes)
    assert out[11].noise and out[11].themes == ()
    assert stage([]) == []
    assert stage.describe()["backend"] == "themes.hybrid.v1"


def test_bad_arguments(backend, tmp_path):
    with pytest.raises(ConfigError):
        HybridThemeBackend(batch_size=0)
    with pytest.raises(RecordError):
        backend.predict(["a", "b"], ["en"])
    with pytest.raises(ModelError, match="train.py"):
        HybridThemeBackend(path=tmp_path).predict(["the plot"], ["en"])


def test_artifact_is_plain_data(tmp_path):
    with np.load(default_model_dir() / "weights.npz", allow_pickle=False) as data:
        assert set(data.files) == {"cols", "hash_weights", "lex_weights", "bias"}
    meta = json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8"))
    assert meta["heads"] == list(HEADS) and set(meta["thresholds"]) == set(HEADS)
    copy = tmp_path / "model"
    shutil.copytree(default_model_dir(), copy)
    meta["heads"] = meta["heads"][::-1]
    (copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="retrain"):
        HybridThemeBackend(path=copy).predict(["the plot"], ["en"])


def test_probabilities_of_some_rows_are_those_of_those_texts(backend):
    """``probabilities(texts, lex, rows)`` featurizes every text (to take the sentiment stage's
    n-grams of the batch) and keeps ``rows``: the same floats as the texts of ``rows`` alone."""
    from analyzer.backends.sentiment_linear import LinearSentimentBackend

    texts = [t for t, _ in TEXTS]
    rows = list(range(0, len(texts), 3))
    found = backend.lexicon.match_batch([texts[i] for i in rows], [TEXTS[i][1] for i in rows])
    lex = lexicon_features([m for m, _ in found])
    alone = backend.model.probabilities([texts[i] for i in rows], lex)
    LinearSentimentBackend().predict_proba(texts)  # the batch's n-grams, as the sentiment stage leaves them
    assert np.array_equal(backend.model.probabilities(texts, lex, rows), alone)
    assert np.array_equal(backend.model.probabilities([texts[i] for i in rows], lex, list(range(len(rows)))), alone)


def test_no_ngrams_are_kept_after_the_theme_stage():
    """The sentiment stage's n-grams of a batch serve the theme heads, then go with the batch."""
    from analyzer.backends import text_features
    from analyzer.stages.sentiment import SentimentStage

    batch = [Comment(id=str(i), text=t, clean_text=t, lang=lang) for i, (t, lang) in enumerate(TEXTS)]
    scored = SentimentStage()(batch)
    assert text_features._Recent.hashed is not None
    ThemeStage(backend="themes.hybrid.v1", sentiment="sentiment.linear.v1")(scored)
    assert text_features._Recent.hashed is None and text_features._Recent.normalized is None
