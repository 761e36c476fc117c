"""DramaLinkStage and RegionStage against the shipped catalogs and small custom ones."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.schema import Comment
from analyzer.stages.link import DramaLinkStage
from analyzer.stages.region import RegionStage


@pytest.fixture(scope="module")
def link():
    return DramaLinkStage()


@pytest.mark.parametrize("text, drama", [
    ("I rewatched The Untamed again", "The Untamed"),
    ("陈情令太好看了", "The Untamed"),
    ("Trần Tình Lệnh hay quá", "The Untamed"),
    ("Tran Tinh Lenh hay qua", "The Untamed"),  # Vietnamese typed without accents
    ("ปรมาจารย์ลัทธิมาร สนุกมาก", "The Untamed"),
    ("진정령 다시 봤어요", "The Untamed"),
    ("琅琊榜是神剧", "Nirvana in Fire"),
    ("Cinta Tersembunyi bagus banget", "Hidden Love"),
    ("loving #LBFAD so much", "Love Between Fairy and Devil"),
])
def test_text_mentions_in_many_languages(link, text, drama):
    out = link([Comment(id="1", text=text)])[0]
    assert out.drama == drama and out.extra["drama_source"] == "text" and out.drama_confidence >= 0.6


def test_precedence_field_title_subreddit_text(link):
    field = Comment(id="1", text="Nirvana in Fire is better", drama="陈情令")
    title = Comment(id="2", text="Nirvana in Fire is better", title="The Untamed EP 1 | Eng Sub")
    sub = Comment(id="3", text="no title named here", extra={"subreddit": "TheUntamed"})
    out = link([field, title, sub])
    assert [c.drama for c in out] == ["The Untamed"] * 3
    assert [c.extra["drama_source"] for c in out] == ["field", "title", "subreddit"]
    assert out[0].drama_confidence == 1.0 and out[1].drama_confidence == 0.9


def test_unknown_field_value_is_kept_and_unlinked_counted():
    stage = DramaLinkStage()
    out = stage([Comment(id="1", text="x", drama="Some Other Show"), Comment(id="2", text="nothing here")])
    assert out[0].drama == "Some Other Show" and out[1].drama is None and out[1].drama_confidence is None
    assert stage.summary() == {"linked_field": 1, "unlinked_no_evidence": 1}
    assert out[1].extra["unlinked_reason"] == "no_evidence"


def test_replies_inherit_the_parents_drama():
    stage = DramaLinkStage()
    out = stage([Comment(id="p", text="The Untamed ost is great"), Comment(id="r", text="agreed!", reply_to="p")])
    assert out[1].drama == "The Untamed" and out[1].extra["drama_source"] == "parent"
    assert out[1].drama_confidence == pytest.approx(0.64)


def test_tie_between_dramas_is_not_evidence_for_either(link):
    out = link([Comment(id="1", text="The Untamed vs Nirvana in Fire")])[0]
    assert out.drama is None and out.drama_confidence is None
    assert out.extra["unlinked_reason"] == "ambiguous"
    assert set(out.extra["drama_candidates"]) == {"the-untamed", "nirvana-in-fire"}


def test_shared_names_are_not_evidence(tmp_path):
    path = tmp_path / "dramas.csv"
    path.write_text("drama_id,title,original_title,aliases,genre,year,episodes,cast,characters\n"
                    "a,Show A,,Alpha,,,,Same Actor,\nb,Show B,,Beta,,,,Same Actor,\n", "utf-8")
    stage = DramaLinkStage(catalog=path)
    shared = stage([Comment(id="1", text="Same Actor is great")])[0]
    assert shared.drama is None and shared.extra["unlinked_reason"] == "ambiguous"
    assert shared.extra["drama_candidates"] == ["a", "b"]
    assert stage([Comment(id="2", text="Beta is great")])[0].drama == "Show B"
    with pytest.raises(ConfigError, match="drama catalog"):
        DramaLinkStage(catalog=tmp_path / "missing.csv")


def test_region_precedence():
    stage = RegionStage()
    out = stage([
        Comment(id="1", text="x", region="vn", lang="en"),
        Comment(id="2", text="x", lang="en", extra={"user_country": "PH"}),
        Comment(id="3", text="x", lang="en", platform="youtube", extra={"channel_title": "WeTV Thailand"}),
        Comment(id="4", text="x", lang="vi", platform="bilibili"),
        Comment(id="5", text="x", lang="vi", platform="viki"),  # Global platform: language decides
        Comment(id="6", text="x", platform="viki"),  # nothing else: the Global platform row
        Comment(id="7", text="x", lang="es", lang_confidence=0.5),
        Comment(id="8", text="x", extra={"lang_hint": "tl"}),
        Comment(id="9", text="x", lang="xx"),
    ])
    got = [(c.region, c.region_source) for c in out]
    assert got == [("VN", "field"), ("PH", "profile"), ("TH", "channel"), ("CN", "platform"),
                   ("VN", "language"), ("Global", "platform"), ("LATAM+ES", "language"),
                   ("PH", "language"), (None, None)]
    assert out[6].region_confidence == pytest.approx(0.25)
    assert out[0].region_confidence == 1.0
    assert stage.summary()["language"] == 3


def test_language_mapping_is_configurable():
    stage = RegionStage(languages={"en": ("US", 0.2), "pt": "BR"})
    out = stage([Comment(id="1", text="x", lang="en"), Comment(id="2", text="x", lang="pt-BR")])
    assert [(c.region, c.region_confidence) for c in out] == [("US", 0.2), ("BR", 0.4)]
    with pytest.raises(ConfigError, match="'languages' parameter of RegionStage"):
        RegionStage(languages={"en": ("US", 3)})


def test_region_from_a_country_name_field():
    out = RegionStage()([Comment(id="1", text="x", region="Viet Nam")])[0]
    assert out.region == "VN"


def test_a_reply_without_a_platform_links_only_to_its_own_files_parent():
    # ids 1, 2, ... of two CSV exports: b.csv's reply to "1" used to inherit a.csv's row 1's drama
    out = DramaLinkStage()([Comment(id="1", text="The Untamed ost is great", source="a.csv:2"),
                            Comment(id="2", text="agreed!", reply_to="1", source="b.csv:3"),
                            Comment(id="3", text="agreed!", reply_to="1", source="a.csv:4")])
    assert out[1].drama is None and [out[0].drama, out[2].drama] == ["The Untamed", "The Untamed"]
    # a platform's id names one comment whichever file it is read from
    out = DramaLinkStage()([Comment(id="p", text="The Untamed ost is great", platform="reddit", source="a.json:1"),
                            Comment(id="r", text="agreed!", reply_to="p", platform="reddit", source="b.json:1")])
    assert out[1].drama == "The Untamed"


class _PythonWindow(DramaLinkStage):
    def resolve(self, ident, reply_to, found):  # overridden: the parents window stays the Python LRU
        return super().resolve(ident, reply_to, found)


@pytest.mark.parametrize("stage", [DramaLinkStage, _PythonWindow])
def test_resolve_many_decides_as_resolve_called_row_by_row(stage):
    # replies to linked, unlinked and evicted parents (window of 3), in one call vs one call each
    texts = ["The Untamed ost is great", "agreed!", "Hidden Love finale", "so good", "hmm", "same", "yes", "ok"]
    comments = [Comment(id=str(i), text=t, platform="reddit", reply_to=str(i - 1) if i % 2 else None)
                for i, t in enumerate(texts)] + [Comment(id="9", text="late reply", platform="reddit", reply_to="0")]
    one, many = stage(parent_window=3), stage(parent_window=3)
    owns = [one.link_own(c) for c in comments]
    want = [one.resolve(c.id, c.reply_to, own) for c, own in zip(comments, owns)]
    got = many.resolve_many([c.id for c in comments], [c.reply_to for c in comments], owns)
    assert got == want and [g is own for g, own in zip(got, owns)] == [w is own for w, own in zip(want, owns)]
    assert many.stats == one.stats and sum(w[2] == "parent" for w in want) >= 1
