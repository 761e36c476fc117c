"""Actor and character mentions through catalog aliases (catalog written by us)."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.schema import Comment
from analyzer.stages.mentions import MentionStage, mention_kind

CATALOG = """drama_id,title,original_title,aliases,genre,year,episodes,cast,characters
moon-river,Moon River,月河,Nguyệt Hà|MR,xianxia,2030,40,Lin Feng=林风/Feng Lin/LF/Lâm Phong/หลินเฟิง/린펑|Chen Yu=陈雨/Yu Chen/CY,Bai Qing=白青/Qing'er/Bạch Thanh|Hei Long=黑龙/Black Dragon
star-court,Star Court,星庭,SC,romance,2031,24,Lin Feng=林风/LF|Ana Cruz=Ana/アナ,Mo=莫|Shared Name=Qing'er
"""


@pytest.fixture
def stage(tmp_path):
    path = tmp_path / "dramas.csv"
    path.write_text(CATALOG, encoding="utf-8")
    return MentionStage(catalog=path)


def _c(text, drama=None):
    return Comment(id="1", text=text, clean_text=text, drama=drama)


@pytest.mark.parametrize("text,expected", [
    ("Lin Feng is so handsome", ("cast:Lin Feng",)),
    ("林风的演技太好了", ("cast:Lin Feng",)),
    ("Lâm Phong diễn hay quá", ("cast:Lin Feng",)),
    ("Lam Phong dien hay qua", ("cast:Lin Feng",)),  # Vietnamese typed without accents
    ("หลินเฟิงหล่อมาก", ("cast:Lin Feng",)),
    ("린펑 연기 최고", ("cast:Lin Feng",)),
    ("FENG LIN and 陈雨 together", ("cast:Lin Feng", "cast:Chen Yu")),
    ("白青 is the best character", ("character:Bai Qing",)),
    ("Black Dragon was scary", ("character:Hei Long",)),
    ("nothing about people here", ()),
    ("Ana is great", ()),  # three letters: only with the drama known
])
def test_mentions(stage, text, expected):
    assert stage([_c(text)])[0].mentions == expected


def test_repeats_collapse_in_first_mention_order(stage):
    assert stage.mentions("白青! Lin Feng, 林风 and Bai Qing again") == ("character:Bai Qing", "cast:Lin Feng")


def test_short_aliases_need_the_drama(stage):
    assert stage.mentions("LF and CY are my faves") == ()
    assert stage.mentions("LF and CY are my faves", "moon-river") == ("cast:Lin Feng", "cast:Chen Yu")
    assert stage.mentions("LF is great", "Moon River") == ("cast:Lin Feng",)  # title works too
    assert stage.mentions("CY is great", "star-court") == ()  # not in that drama
    assert stage.mentions("Ana is great", "star-court") == ("cast:Ana Cruz",)


def test_alias_shared_by_two_people_is_ignored(stage):
    assert stage.mentions("Qing'er is so sweet", "moon-river") == ()


def test_word_boundaries(stage):
    assert stage.mentions("Analysis of the plot") == ()
    assert stage.mentions("Blinfeng") == ()


def test_mention_kind():
    assert mention_kind("cast:Lin Feng") == "cast"
    assert mention_kind("character:Bai Qing") == "character"


def test_stage_contract(stage):
    assert stage.name == "mentions" and stage.assigns == ("mentions",)
    assert stage([]) == []
    assert "catalog" in stage.describe()


def test_missing_catalog(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read the drama catalog"):
        MentionStage(catalog=tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="'catalog' parameter of MentionStage"):
        MentionStage(catalog=3)


def test_bundled_catalog_loads():
    stage = MentionStage()
    assert isinstance(stage.mentions("hello"), tuple)


def test_a_batch_names_what_each_text_alone_names(stage):
    texts = ["白青! Lin Feng, 林风 and Bai Qing again", "LF and CY are my faves", "Ana is great", "Blinfeng",
             "Qing'er is so sweet", "", "林风的演技太好了 Black Dragon", "CY is great", "LF"]
    dramas = [None, "moon-river", "star-court", "Moon River", "moon-river", None, "star-court", "star-court", "MR"]
    batch = [Comment(id=str(i), text=t, clean_text=t, drama=d) for i, (t, d) in enumerate(zip(texts, dramas))]
    assert stage.predict(batch) == [stage.mentions(t, d) for t, d in zip(texts, dramas)]
    assert any(stage.predict(batch))  # the batch names someone
