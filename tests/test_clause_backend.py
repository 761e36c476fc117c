"""Which backend scores the theme stage's evidence clauses for per-theme polarity: the sentiment
backend's ``clause_backend`` when it names one (sentiment.e5.v1: the linear model that
polarity.clause.v1 was trained with), else the sentiment backend itself."""

import numpy as np

from analyzer.backends.sentiment_e5 import CLAUSE_BACKEND, E5SentimentBackend
from analyzer.schema import Comment
from analyzer.stages.themes import ThemeStage


class Recorder:
    def __init__(self, name):
        self.name, self.calls = name, []

    def predict_proba(self, texts, langs=None):
        self.calls.append(list(texts))
        return np.tile([0.1, 0.1, 0.8], (len(texts), 1))


class WithClauseBackend(Recorder):
    def __init__(self):
        super().__init__("test.main")
        self.clause_backend = Recorder("test.clauses")


def _batch():
    text = "I love the OST but the ending ruined it"
    return [Comment(id="a", text=text, clean_text=text, lang="en", sentiment="positive",
                    sentiment_scores=(0.1, 0.2, 0.7))]


def test_polarity_clauses_go_to_the_clause_backend():
    sentiment = WithClauseBackend()
    (c,) = ThemeStage(sentiment=sentiment)(_batch())
    assert sentiment.calls == []
    assert len(sentiment.clause_backend.calls) == 1
    assert set(sentiment.clause_backend.calls[0]) >= {"I love the OST"}
    assert set(c.theme_polarity) == {"story", "music"}


def test_without_the_polarity_model_the_sentiment_backend_scores_clauses():
    sentiment = WithClauseBackend()
    (c,) = ThemeStage(sentiment=sentiment, polarity=None)(_batch())
    assert sentiment.clause_backend.calls == [] and len(sentiment.calls) == 1
    assert c.theme_polarity == {"music": "positive", "story": "positive"}


def test_e5_head_names_the_linear_backend_for_clauses():
    encoder = object()  # never used: neither the head nor the encoder loads here
    assert CLAUSE_BACKEND == "sentiment.linear.v1"
    backend = E5SentimentBackend(encoder_obj=encoder)
    assert backend.clause_backend.name == "sentiment.linear.v1"
    assert backend.clause_backend is backend.clause_backend  # built once
    for own in (None, "sentiment.e5.v1"):  # the e5 head itself, no second encoder
        mine = E5SentimentBackend(encoder_obj=encoder, clauses=own)
        assert mine.clause_backend is mine
    assert backend.describe()["theme_clauses_scored_by"] == "sentiment.linear.v1"
