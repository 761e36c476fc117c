"""Platform readers: each fixture (written by us from the formats' public docs) is
detected, parsed, and its one malformed record lands in the rejects."""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import analyzer.io.platforms  # noqa: F401  (registers the formats)
from analyzer.io import ReadContext, ReadStats, Reject, read_comments
from analyzer.io.platforms import PLATFORM_FORMATS
from analyzer.io.pseudonym import Pseudonymizer
from analyzer.schema import Comment, to_arrow
from analyzer.stages.normalize import NormalizeStage

FIXTURES = Path(__file__).parent / "fixtures" / "platforms"
DUMP_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
EXPECTED = {  # file -> (format, accepted, rejected)
    "youtube_downloader.jsonl": ("youtube-comment-downloader", 7, 1),
    "youtube_api_threads.json": ("youtube-api", 3, 1),
    "youtube_api_pages.jsonl": ("youtube-api", 2, 1),
    "reddit_comments.ndjson": ("reddit", 3, 2),
    "reddit_submissions.ndjson": ("reddit", 2, 1),
    "bilibili_danmaku.xml": ("bilibili-danmaku", 4, 1),
    "mydramalist_reviews.jsonl": ("mydramalist", 2, 1),
    "viki_timed_comments.json": ("viki-timed-comments", 3, 1),
    "twitter_v2.json": ("twitter-v2", 2, 1),
}
# Every author name, handle and author id written into the fixtures.
RAW_AUTHORS = [
    "LotusPierFan88", "UCfixtureChannel00000001", "MoonlitGuqin", "UCfixtureChannel00000002", "QuynhXemPhim",
    "TimestampTom", "BotAccount7731", "CafeSceneLover", "StolenCommentBot", "UCfixtureChannel00000007",
    "avatar1.jpg", "NamtanWatchesDrama", "UCapiAuthor000000000001", "PloyLovesXianxia",
    "UCapiAuthor000000000002", "SweetTeaSang", "UCapiAuthor000000000003", "MaprangSeries",
    "UCapiAuthor000000000010", "JiaxuEnjoyer", "xianxia_owl_2019", "t2_fixture01", "lanzhan_rabbit_keeper",
    "truncated_record_user", "hiddenlove_diary", "numeric_title_poster", "a1b2c3d4", "e5f6a7b8",
    "c9d0e1f2", "palace_tea_sipper", "moonbeam_critic", "empty_review_writer", "9000001u", "vikiNightOwl",
    "ChingunaSubsEs", "NoTimeViewer", "4400001", "orchid_and_devil", "Kilig Queen", "kiligqueen_mnl",
    "silent_lurker_x", "Quezon City",
]


def read(path, **ctx):
    stats = ReadStats()
    items = list(read_comments(str(path), ReadContext(dump_time=DUMP_TIME, **ctx), stats))
    return items, stats


def by_id(items):
    return {c.id: c for c in items if isinstance(c, Comment)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_with_one_reject_and_reconciles(name):
    items, stats = read(FIXTURES / name)
    fmt, accepted, rejected = EXPECTED[name]
    counts = stats.files[0]
    assert (counts.format, counts.accepted, counts.rejected) == (fmt, accepted, rejected)
    assert counts.read == counts.accepted + counts.rejected == len(items)
    for r in (i for i in items if isinstance(i, Reject)):
        assert r.reason and r.location.startswith(str(FIXTURES / name) + ":")


def test_mixed_folder_reads_every_format_and_reconciles():
    items, stats = read(FIXTURES)
    assert {f.format for f in stats.files} == {v[0] for v in EXPECTED.values()}
    totals = stats.totals
    assert totals["read"] == totals["accepted"] + totals["rejected"] == len(items)
    assert all(f.rejected >= 1 for f in stats.files)


def test_youtube_downloader_fields():
    got = by_id(read(FIXTURES / "youtube_downloader.jsonl")[0])
    top, reply = got["UgxQa1Fixture0001AaABAg"], got["UgxQa1Fixture0001AaABAg.9zReply01"]
    assert top.likes == 1200 and top.platform == "youtube" and top.reply_to is None
    assert reply.reply_to == "UgxQa1Fixture0001AaABAg" and reply.likes == 15
    assert top.created_at == datetime(2022, 1, 1, tzinfo=timezone.utc)
    # no time_parsed: "3 months ago" resolved against the dump time
    assert got["UgxFixture0002"].created_at == datetime(2023, 10, 3, tzinfo=timezone.utc)
    assert got["UgxFixture0005"].likes == 1234
    assert top.extra["heart"] is True and "photo" not in top.extra


def test_youtube_downloader_pretty_document(tmp_path):
    records = [json.loads(line) for line in (FIXTURES / "youtube_downloader.jsonl").read_text().splitlines()[:2]]
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps({"comments": records}, indent=4), encoding="utf-8")
    items, stats = read(path)
    assert stats.files[0].format == "youtube-comment-downloader"
    assert [c.id for c in items] == [r["cid"] for r in records]


def test_youtube_api_threads_replies_and_html():
    got = by_id(read(FIXTURES / "youtube_api_threads.json")[0])
    reply = got["UgzApiThread001.9zApiReply01"]
    assert reply.reply_to == "UgzApiThread001" and reply.likes == 3
    html_only = got["UgzApiThread002"]
    assert html_only.extra["text_format"] == "html"
    clean = NormalizeStage()([html_only])[0].clean_text
    assert "<br>" not in clean and "&amp;" not in clean and "Can't wait" in clean
    assert got["UgzApiThread001"].created_at == datetime(2023, 7, 1, 10, tzinfo=timezone.utc)


def test_youtube_api_pages_attach_video_title_and_channel():
    got = by_id(read(FIXTURES / "youtube_api_pages.jsonl")[0])
    c = got["UgzPageA001"]
    assert c.title.startswith("Hidden Love EP10") and c.extra["channel_title"] == "WeTV Thailand"


def test_reddit_ids_parents_deleted_and_entities():
    got = by_id(read(FIXTURES / "reddit_comments.ndjson")[0])
    assert got["t1_jfix001"].reply_to == "t3_subfix1" and got["t1_jfix002"].reply_to == "t1_jfix001"
    assert got["t1_jfix002"].author is None  # [deleted] author
    assert got["t1_jfix001"].extra["subreddit"] == "CDrama"
    assert "author_flair_text" not in got["t1_jfix001"].extra
    items, _ = read(FIXTURES / "reddit_comments.ndjson")
    assert any("[removed]" in r.reason for r in items if isinstance(r, Reject))
    subs = by_id(read(FIXTURES / "reddit_submissions.ndjson")[0])
    assert subs["t3_subfix2"].title.startswith("Just finished") and "pure sugar" in subs["t3_subfix2"].text
    assert subs["t3_subfix3"].text == "[Discussion] The Untamed rewatch thread"  # selftext removed


def test_reddit_zst_with_long_window(tmp_path):
    data = (FIXTURES / "reddit_comments.ndjson").read_bytes()
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
    path = tmp_path / "RC_2023-05.zst"
    path.write_bytes(zstandard.ZstdCompressor(compression_params=params).compress(data))
    items, stats = read(path)
    assert stats.files[0].format == "reddit" and stats.files[0].accepted == 3


def test_bilibili_keeps_video_time_and_p_fields():
    items, _ = read(FIXTURES / "bilibili_danmaku.xml")
    got = by_id(items)
    first = got["40000000000000001"]
    assert first.video_time == 12.5 and first.platform == "bilibili"
    assert first.created_at == datetime.fromtimestamp(1650000000, tz=timezone.utc)
    assert first.extra["mode"] == "scroll" and first.extra["chat_id"] == "100200300"
    assert got["40000000000000003"].extra["mode"] == "top"
    assert got["40000000000000004"].text == "蓝湛 & 魏婴 😭"
    assert first.author == got["40000000000000004"].author  # same user hash, same pseudonym
    bad = next(r for r in items if isinstance(r, Reject))
    assert bad.location.endswith(":13")


def test_bilibili_broken_xml_keeps_what_came_before(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<i><d p="1.0,1,25,1,1650000000,0,ab,1">ok</d>\n<d p="2,1,25,1,1650000000,0,ab,2">cut', "utf-8")
    items, stats = read(path)
    assert [type(i).__name__ for i in items] == ["Comment", "Reject"]
    assert "broken XML" in items[1].reason


def test_mydramalist_scores_status_and_helpful():
    got = by_id(read(FIXTURES / "mydramalist_reviews.jsonl")[0])
    r1, r2 = got["mdl-r-1"], got["mdl-r-2"]
    assert r1.drama == "Nirvana in Fire" and r1.title == "A masterpiece of patience"
    assert r1.likes == 87 and r1.extra["overall"] == 10 and r1.extra["music"] == 9.5
    assert r1.extra["episodes_watched"] == 54 and r1.extra["watch_status"] == "completed"
    assert "\n\n" in r1.text  # paragraphs joined
    assert r2.extra["watch_status"] == "dropped" and r2.extra["episodes_watched"] == 22


def test_mydramalist_api_document_and_csv(tmp_path):
    doc = {"slug_query": "x", "data": {"title": "Hidden Love", "reviews": [
        {"user": "someone", "review": ["Sweet and funny."], "ratings": {"overall": 9, "story": 8.5,
                                                                        "acting_cast": 9, "music": 9, "rewatch_value": 8}}]}}
    (tmp_path / "mdl.json").write_text(json.dumps(doc), "utf-8")
    items, stats = read(tmp_path / "mdl.json")
    assert stats.files[0].format == "mydramalist"
    assert items[0].drama == "Hidden Love" and items[0].extra["story"] == 8.5
    csv_path = tmp_path / "reviews.csv"
    csv_path.write_text("drama,review,overall,story,acting_cast,music,rewatch_value,helpful,user\n"
                        "Hidden Love,Loved it,9,9,9,8,7,3,someone\nHidden Love,too,many,columns,1,2,3,4,5,6\n", "utf-8")
    items, stats = read(csv_path)
    assert stats.files[0].format == "mydramalist"
    assert [type(i).__name__ for i in items] == ["Comment", "Reject"]


def test_viki_video_time_and_language_hint():
    got = by_id(read(FIXTURES / "viki_timed_comments.json")[0])
    assert got["tc-fixture-1"].video_time == 734 and got["tc-fixture-3"].video_time == 12.5
    assert got["tc-fixture-2"].extra["lang_hint"] == "es" and got["tc-fixture-2"].platform == "viki"


def test_twitter_metrics_place_and_profile_country():
    got = by_id(read(FIXTURES / "twitter_v2.json")[0])
    geo, profile = got["1700000000000000001"], got["1700000000000000002"]
    assert geo.likes == 120 and geo.region == "TH" and geo.extra["retweet_count"] == 10
    assert profile.region is None and profile.extra["user_country"] == "PH"
    assert profile.extra["lang_hint"] == "tl"


def test_no_raw_author_in_any_output(tmp_path):
    items, _ = read(FIXTURES)
    comments = NormalizeStage()([c for c in items if isinstance(c, Comment)])
    rejects = [r.to_dict() for r in items if isinstance(r, Reject)]
    table = to_arrow(comments)
    dumped = json.dumps(table.to_pylist(), ensure_ascii=False, default=str) + json.dumps(rejects, ensure_ascii=False)
    leaked = [name for name in RAW_AUTHORS if name.lower() in dumped.lower()]
    assert leaked == []
    assert all(c.author is None or c.author.startswith("u_") for c in comments)


def test_keep_authors_keeps_them():
    items, _ = read(FIXTURES / "reddit_comments.ndjson", pseudonymize=Pseudonymizer(keep_authors=True))
    assert by_id(items)["t1_jfix001"].author == "xianxia_owl_2019"


def test_pseudonyms_are_keyed(monkeypatch):
    a = by_id(read(FIXTURES / "twitter_v2.json", pseudonymize=Pseudonymizer(key="k1"))[0])
    b = by_id(read(FIXTURES / "twitter_v2.json", pseudonymize=Pseudonymizer(key="k1"))[0])
    c = by_id(read(FIXTURES / "twitter_v2.json", pseudonymize=Pseudonymizer(key="k2"))[0])
    ident = "1700000000000000001"
    assert a[ident].author == b[ident].author != c[ident].author


def test_each_format_sniffs_only_its_fixture(tmp_path):
    from analyzer.io.readers import detect_format

    for name, (fmt, _, _) in EXPECTED.items():
        head = (FIXTURES / name).read_bytes()[:4096]
        assert detect_format(name, head).name == fmt
    assert detect_format("plain.jsonl", b'{"text": "hello", "id": 1}\n{"text": "x"}\n').name == "jsonl"


@pytest.mark.parametrize("fmt", PLATFORM_FORMATS, ids=lambda f: f.name)
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600))
def test_readers_never_crash_on_arbitrary_bytes(fmt, data):
    for path in ("x.jsonl", "x.csv", "x.xml"):
        for item in fmt.read(io.BufferedReader(io.BytesIO(data)), path, ReadContext(dump_time=DUMP_TIME)):
            assert isinstance(item, (Comment, Reject))


@pytest.mark.parametrize("fmt", PLATFORM_FORMATS, ids=lambda f: f.name)
@settings(max_examples=40, deadline=None)
@given(prefix=st.integers(min_value=0, max_value=4000))
def test_readers_never_crash_on_truncated_fixtures(fmt, prefix):
    for name in EXPECTED:
        data = (FIXTURES / name).read_bytes()[:prefix]
        for item in fmt.read(io.BufferedReader(io.BytesIO(data)), name, ReadContext(dump_time=DUMP_TIME)):
            assert isinstance(item, (Comment, Reject))


def test_fixture_folder_copy_is_self_contained(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "dumps")
    _, stats = read(tmp_path / "dumps")
    assert len(stats.files) == len(EXPECTED)


def test_a_generic_file_named_like_a_reddit_dump_is_read_as_json_lines(tmp_path):
    from analyzer.io import ReadStats, read_comments
    from analyzer.schema import Comment

    path = tmp_path / "vendor_comments.jsonl"
    path.write_text('{"id": "1", "text": "so good", "author": "someone", "drama": "The Untamed"}\n', encoding="utf-8")
    stats = ReadStats()
    items = list(read_comments([str(path)], stats=stats))
    assert [type(i) for i in items] == [Comment] and items[0].text == "so good"
    assert stats.files[0].format == "jsonl"


def test_a_reddit_thread_saved_as_json_from_the_site_is_read_as_reddit(tmp_path):
    """An analyst saved a thread from reddit.com (its URL + '.json': a list of two Listings, the post and
    its comment tree) and got two rejects, 'missing or empty text (map your text column ...)', which no
    --map could fix. Its post, comments and nested replies are now read as the Pushshift dumps are; a
    'more' stub (comments the page did not include) is no record."""
    def thing(kind, **data):
        return {"kind": kind, "data": data}

    reply = thing("t1", id="c2", body="Same, the OST &amp; ending", author="a2", created_utc=1717207200.0,
                  subreddit="CDrama", score=4, parent_id="t1_c1", link_id="t3_abc", replies="")
    comment = thing("t1", id="c1", body="This episode made me cry", author="a1", created_utc=1717203600.0,
                    subreddit="CDrama", score=10, parent_id="t3_abc", link_id="t3_abc",
                    replies=thing("Listing", children=[reply]))
    post = thing("t3", id="abc", title="Hidden Love ep 20", selftext="Thoughts?", author="op",
                 created_utc=1717200000.0, subreddit="CDrama", score=120)
    page = [thing("Listing", children=[post]),
            thing("Listing", children=[comment, thing("t1", id="c3", body="[deleted]", author="[deleted]",
                                                      created_utc=1717209000.0, subreddit="CDrama",
                                                      parent_id="t3_abc", replies=""),
                                       thing("more", count=5, children=["c9"])])]
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    items, stats = read(path)
    got = by_id(items)
    assert stats.files[0].format == "reddit"
    assert sorted(got) == ["t1_c1", "t1_c2", "t3_abc"]
    assert got["t3_abc"].text == "Hidden Love ep 20\n\nThoughts?" and got["t3_abc"].title == "Hidden Love ep 20"
    assert got["t1_c2"].reply_to == "t1_c1" and got["t1_c1"].reply_to == "t3_abc"
    assert got["t1_c2"].extra["text_format"] == "entities" and "replies" not in got["t1_c1"].extra
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.reason for r in rejects] == ["text is [deleted] (deleted or removed on Reddit; nothing to analyze)"]
    assert len(items) == stats.files[0].accepted + stats.files[0].rejected
