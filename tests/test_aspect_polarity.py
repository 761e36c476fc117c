"""Aspect polarity from the aspect's own words (polarity.clause.v1 + the per-language cues).

The examples are written by us for these tests, in several TAXONOMY languages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analyzer.backends.aspect_polarity import (DENSE, AspectItem, ClausePolarityBackend, contrast_rule, dense_features,
                                               make_item)
from analyzer.errors import ModelError
from analyzer.registry import select_backend
from analyzer.schema import SENTIMENT_LABELS, Comment
from analyzer.stages.themes import ThemeStage
from analyzer.text.clauses import contrast_at_end, contrast_at_start
from analyzer.text.cues import contrast_flags, has_negation

# ---- per-language cues ----------------------------------------------------------------

NEGATED = [
    ("en", "not a single filler episode"), ("en", "the plot isn't boring"),
    ("zh", "剧情一点都不拖沓"), ("zh", "没有尿点"),
    ("ko", "연기가 어색하지 않다"), ("ko", "지루한 장면이 없어요"),
    ("es", "la trama no es aburrida"), ("id", "ceritanya tidak membosankan"),
    ("vi", "phim không hề chán"), ("th", "เรื่องนี้ไม่น่าเบื่อเลย"),
    ("ja", "退屈じゃない"), ("pt", "a história não é chata"),
]
PLAIN = [
    ("en", "the plot is so smart"), ("zh", "剧情不错"), ("zh", "非常好看"),
    ("ko", "연기가 정말 좋아요"), ("es", "la trama es genial"), ("id", "ceritanya bagus banget"),
    ("vi", "phim rất hay"), ("th", "เรื่องนี้สนุกมาก"),
]


@pytest.mark.parametrize("lang,text", NEGATED)
def test_negation_cues(lang, text):
    assert has_negation(text, lang)


@pytest.mark.parametrize("case", PLAIN)
def test_no_negation_in_plain_praise(case):
    lang, text = case
    assert not has_negation(text, lang)  # 不错 / 非常 are praise, not negation


def test_unknown_language_has_no_negation_cues():
    assert not has_negation("not good", None) and not has_negation("not good", "xx")


@pytest.mark.parametrize("lang,text,conceded,point", [
    ("en", "The CGI is cheap but the romance makes up for it", "The CGI is cheap", "but the romance makes up for it"),
    ("zh", "特效很假，但是感情线很好哭", "特效很假", "但是感情线很好哭"),
    ("zh", "演员都很好，只是结局太仓促", "演员都很好", "只是结局太仓促"),  # 只是 counts only after a comma
    ("es", "Los efectos son baratos pero el romance lo compensa", "Los efectos son baratos", "pero el romance lo compensa"),
    ("id", "Efeknya murahan tapi romansanya bagus", "Efeknya murahan", "tapi romansanya bagus"),
    ("vi", "Kỹ xảo rẻ tiền nhưng chuyện tình rất hay", "Kỹ xảo rẻ tiền", "nhưng chuyện tình rất hay"),
    ("th", "CG ดูถูกๆ แต่ความรักน่ารักมาก", "CG ดูถูกๆ", "แต่ความรักน่ารักมาก"),
])
def test_contrast_flags_mark_the_conceded_clause_and_the_point(lang, text, conceded, point):
    assert contrast_flags(conceded, text, lang) == (False, True)
    assert contrast_flags(point, text, lang) == (True, False)


def test_trailing_contrast_concedes_the_clause():
    assert contrast_at_end("연기는 좋지만", "ko") and not contrast_at_start("연기는 좋지만", "ko")
    assert contrast_flags("연기는 좋지만", "연기는 좋지만 스토리가 별로", "ko")[1]
    text = "연기는 어색하지만 스토리는 재밌어요"  # 하지만 inside the word: the ending, not a leading "but"
    assert contrast_flags("연기는 어색하지만", text, "ko") == (False, True)
    assert contrast_at_end("面白いけど", "ja")


# ---- the backend -----------------------------------------------------------------------

def test_features_cross_the_theme_with_the_cues():
    item = make_item("pacing", ["54 episodes is a lot"], "54 episodes is a lot but not a single filler", "en",
                     [[0.6, 0.3, 0.1]], [0.1, 0.1, 0.8])
    assert item.clause == "54 episodes is a lot"
    (row,) = dense_features([item])
    assert row.shape == (len(DENSE),)
    feats = dict(zip(DENSE, row))
    assert feats["conceded"] == 1.0 and feats["opens_contrast"] == 0.0 and feats["whole_comment"] == 0.0
    assert feats["theme=pacing"] == 1.0 and feats["theme=story"] == 0.0
    assert feats["theme=pacing&conceded"] == 1.0 and feats["theme=story&conceded"] == 0.0
    assert feats["comment_pos"] == pytest.approx(0.8)


def test_missing_model_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelError, match="training/aspect_polarity/train.py"):
        ClausePolarityBackend(path=tmp_path).predict([make_item("story", ["x"], "x", "en", [[0, 1, 0]], [0, 1, 0])])


def test_registered_and_shipped_without_pickle():
    backend = select_backend("polarity.clause.v1", "polarity")
    assert backend.name == "polarity.clause.v1"
    folder = Path(backend.describe()["path"])
    assert json.loads((folder / "meta.json").read_text(encoding="utf-8"))["dense"] == list(DENSE)
    with np.load(folder / "weights.npz", allow_pickle=False) as data:
        assert set(data.files) == {"cols", "hash_weights", "dense_weights", "bias"}
    probs = backend.predict_proba([make_item("music", ["love the OST"], "love the OST", "en", [[0.1, 0.1, 0.8]],
                                             [0.1, 0.1, 0.8])])
    assert probs.shape == (1, 3) and probs.sum() == pytest.approx(1.0)
    assert backend.predict_proba([]).shape == (0, 3)


def test_contrast_rule_keeps_a_sure_clause_sentiment_only_inside_a_contrast():
    text = "The CGI is cheap but the romance makes up for it"
    items = [AspectItem("production", "The CGI is cheap", text, "en", [0.8, 0.1, 0.1], [0.2, 0.1, 0.7]),
             AspectItem("romance", "but the romance makes up for it", text, "en", [0.3, 0.1, 0.6], [0.2, 0.1, 0.7]),
             AspectItem("story", "The CGI is cheap.", "The CGI is cheap. Fun plot", "en", [0.9, 0.05, 0.05],
                        [0.2, 0.1, 0.7])]
    dense = dense_features(items)
    model = np.array([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]], dtype=np.float32)
    assert contrast_rule(model, dense, None) is model
    out = contrast_rule(model, dense, 0.7)
    assert out[0].tolist() == pytest.approx([0.8, 0.1, 0.1])  # conceded clause, sure: its own sentiment
    assert out[1].tolist() == pytest.approx(model[1].tolist())  # agrees with the model already
    assert out[2].tolist() == pytest.approx(model[2].tolist())  # no contrast word: the model decides
    assert contrast_rule(model, dense, 0.9)[0].tolist() == pytest.approx(model[0].tolist())  # not sure enough


# ---- the stage: polarity follows the aspect's words, not the comment's stance -------------

def _comment(text, lang):
    return Comment(id=text[:8], text=text, clean_text=text, lang=lang)


def _annotated(texts_langs):
    sentiment = select_backend("sentiment.linear.v1", "sentiment")
    comments = [_comment(t, lang) for t, lang in texts_langs]
    probs = sentiment.predict_proba([c.text for c in comments], [c.lang for c in comments])
    comments = [c.with_(sentiment=SENTIMENT_LABELS[int(p.argmax())], sentiment_scores=tuple(map(float, p)))
                for c, p in zip(comments, probs)]
    return ThemeStage(sentiment=sentiment)(comments)


MIXED = [  # (text, lang, theme said badly, theme said well)
    ("The CGI is cheap but the romance makes up for it", "en", "production", "romance"),
    ("The acting is stiff, but the story is really gripping", "en", "acting", "story"),
    ("特效太假了，但是剧情真的很精彩", "zh", "production", "story"),
    ("연기는 어색하지만 스토리는 정말 재밌어요", "ko", "acting", "story"),
    ("Los efectos son malísimos, pero la historia es preciosa", "es", "production", "story"),
    ("Akting pemerannya kaku tapi ceritanya bagus banget", "id", "acting", "story"),
    ("Diễn xuất hơi gượng nhưng cốt truyện rất hay", "vi", "acting", "story"),
    ("การแสดงแข็งไปหน่อย แต่เนื้อเรื่องสนุกมาก", "th", "acting", "story"),
]


def test_contrast_splits_polarity_within_a_comment():
    """Polarity follows each aspect's own words, not the comment's stance: across the mixed comments
    at least as many theme polarities point the right way (the theme said badly negative, the one
    said well positive) as the wrong way, at least one comment gets both right, and not every
    polarity copies the stance. (Counting splits alone passed a model whose splits were all the
    wrong way round.)"""
    out = _annotated([(t, lang) for t, lang, _, _ in MIXED])
    right = wrong = both = 0
    for c, (_, _, bad, good) in zip(out, MIXED):
        got = c.theme_polarity
        right += (got.get(bad) == "negative") + (got.get(good) == "positive")
        wrong += (got.get(bad) == "positive") + (got.get(good) == "negative")
        both += got.get(bad) == "negative" and got.get(good) == "positive"
    assert right >= wrong and both >= 1, [(c.text, c.sentiment, c.theme_polarity) for c in out]
    copied = sum(p == c.sentiment for c in out for p in c.theme_polarity.values())
    assert copied < sum(len(c.theme_polarity) for c in out)


@pytest.mark.xfail(strict=True, reason="known limit (models/aspect-polarity/card.md): when sentiment.linear.v1 "
                   "misreads the whole comment, the model follows that stance on most explicit contrasts")
def test_contrast_gives_each_theme_its_own_polarity():
    out = _annotated([(t, lang) for t, lang, _, _ in MIXED])
    right = sum(c.theme_polarity.get(bad) == "negative" and c.theme_polarity.get(good) == "positive"
                for c, (_, _, bad, good) in zip(out, MIXED))
    assert right >= len(MIXED) - 1


def test_demo_praise_naming_an_actor_is_positive():
    (c,) = _annotated([("Masterpiece. The political plot is so smart and Hu Ge's performance is unforgettable", "en")])
    assert c.theme_polarity.get("acting") == "positive" and c.theme_polarity.get("story") == "positive", c.theme_polarity


def test_conceded_length_with_negated_complaint_is_positive():
    (c,) = _annotated([("54 episodes is a lot but not a single filler, highly recommend", "en")])
    assert c.theme_polarity.get("pacing") == "positive", c.theme_polarity


def test_polarity_none_keeps_the_clause_sentiment_rule():
    class Fixed:
        name = "test.fixed"

        def predict_proba(self, texts, langs=None):
            return np.asarray([[0.8, 0.1, 0.1] if "ruined" in t else [0.1, 0.1, 0.8] for t in texts])

    stage = ThemeStage(sentiment=Fixed(), polarity=None)
    assert stage.polarity is None and "polarity_backend" not in stage.describe()
    (c,) = stage([_comment("I love the OST but the ending ruined it", "en")])
    assert c.theme_polarity == {"music": "positive", "story": "negative"}
    assert ThemeStage().polarity is None  # no sentiment backend: no polarity model either


def test_polarity_backend_instance_is_used():
    class AlwaysNeutral:
        name = "test.neutral"

        def predict(self, items):
            assert all(isinstance(it, AspectItem) for it in items)
            return ["neutral"] * len(items)

    stage = ThemeStage(sentiment="sentiment.linear.v1", polarity=AlwaysNeutral())
    (c,) = stage([_comment("I love the OST but the ending ruined it", "en")])
    assert c.theme_polarity == {"music": "neutral", "story": "neutral"}
    assert stage.describe()["polarity_backend"] == "test.neutral"


def test_config_and_cli_choose_the_polarity_backend():
    from analyzer.cli import build_parser
    from analyzer.config import config_from_dict
    from analyzer.errors import ConfigError
    from analyzer.stages import default_stages

    assert default_stages(config_from_dict({}))[-1].polarity.name == "polarity.clause.v1"
    assert default_stages(config_from_dict({"models": {"polarity": "none"}}))[-1].polarity is None
    with pytest.raises(ConfigError, match=r"'polarity' parameter of \[models\]"):
        config_from_dict({"models": {"polarity": False}})
    args = build_parser().parse_args(["run", "in.jsonl", "-o", "out", "--polarity", "none"])
    assert args.polarity == "none"


def test_the_evaluation_scores_another_sentiment_model_under_the_default_theme_model():
    from training.aspect_polarity.evaluate import TIERS, tier_models

    models = tier_models("default", ["cand=sentiment.linear.v1:/tmp/cand"])
    assert models == {"default": TIERS["default"], "cand": (TIERS["default"][0], "sentiment.linear.v1:/tmp/cand")}
    assert tier_models("", ["x=y"]) == {"x": (TIERS["default"][0], "y")}
