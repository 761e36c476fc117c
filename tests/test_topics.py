"""Topic discovery and word segmentation, on tiny comments written for these tests."""

import csv
import json
import random

import pyarrow.parquet as pq
import pytest

from analyzer.errors import ConfigError, InputError
from analyzer.schema import Comment, to_arrow
from analyzer.text import segment as seg
from analyzer.text.segment import content_words, segment

pytest.importorskip("sklearn")
from analyzer.topics import discover_topics, write_topics  # noqa: E402

# Two clearly different topics per language: subtitles/where to watch vs. music/OST.
SUBS_EN = [
    "Where can I watch this with English subtitles?",
    "The English subtitles are missing for episode 5, please upload them",
    "Still waiting for the English subtitles on this platform",
    "Subtitles are so late, I can't find English subtitles anywhere",
    "Please add English subtitles, the subtitles team is slow",
    "Which site has the subtitles? I need English subtitles",
    "No English subtitles yet, where to watch with subtitles?",
    "The subtitles timing is off and the English subtitles have typos",
    "Need English subtitles for the new episode please",
    "Finally found English subtitles, the subtitles are decent",
    "Subtitles in English would help international fans watch",
    "Can someone share a link with English subtitles?",
]
MUSIC_EN = [
    "The OST song in the finale is beautiful, I play the soundtrack daily",
    "This soundtrack! The OST song gives me chills",
    "Who sings the OST? The song is stuck in my head",
    "The soundtrack is the best part, every OST song is great",
    "I added the OST song to my playlist, great soundtrack",
    "That piano soundtrack in the rain scene, what a song",
    "The opening OST song is so catchy, love the soundtrack",
    "Released the full soundtrack yet? I want the OST song",
    "The OST singer has such a warm voice, lovely song",
    "Best drama soundtrack this year, the OST song is perfect",
    "The ending song of the soundtrack makes me cry every time",
    "Listening to the OST song on repeat, the soundtrack fits the mood",
]
SUBS_ZH = [
    "哪里可以看有英文字幕的版本", "第五集的字幕什么时候出", "字幕组辛苦了，字幕翻译很好",
    "没有字幕看不懂，求字幕", "这个平台的字幕太慢了", "字幕错误太多，翻译有问题",
    "有没有中英双语字幕", "字幕终于更新了，感谢字幕组", "字幕和画面对不上", "求一个有字幕的资源",
]
COSTUME_ZH = [
    "女主的服装太漂亮了，每套服装都很精致", "服装和发型都很用心", "古装服装设计真好看",
    "这部剧的服装颜色很高级", "男主的服装也很帅气", "服装道具都很考究，发型也美",
    "服装团队太厉害了", "每一集的服装都不重样", "婚礼那场戏的服装太美了", "服装比上一部剧精致多了",
]


def comments(texts, *, drama="d1", region="US", lang="en", noise=False, start=0, likes=None):
    return [Comment(id=f"{lang}{start + i}", text=t, drama=drama, region=region, lang=lang, noise=noise,
                    likes=(likes[i] if likes else i)) for i, t in enumerate(texts)]


def toy_set():
    return (comments(SUBS_EN + MUSIC_EN) + comments(SUBS_ZH + COSTUME_ZH, region="TW", lang="zh"))


def cell(topics, region):
    return [t for t in topics if t["region"] == region]


# --------------------------------------------------------------------- segmentation
def test_segment_latin_drops_punctuation_numbers_and_emoji():
    assert segment("Episode 16!!! The OST is sooo good 😭😭", "en") == ["episode", "the", "ost", "is", "sooo", "good"]
    assert content_words("I can't wait for the OST, it's lovely", "en") == ["wait", "ost", "lovely"]


def test_segment_chinese_gives_words():
    pytest.importorskip("jieba")
    words = segment("这部剧的结局太让人失望了，服装很漂亮", "zh")
    assert {"结局", "失望", "服装"} <= set(words)
    assert "的" not in content_words("这部剧的结局太让人失望了", "zh")


def test_segment_thai_gives_words():
    pytest.importorskip("pythainlp")
    words = segment("ซีรีส์เรื่องนี้สนุกมาก นักแสดงเล่นดี", "th")
    assert {"ซีรีส์", "สนุก", "นักแสดง"} <= set(words)
    assert all(len(w) > 1 for w in words)


def test_segment_japanese_gives_words_in_dictionary_form():
    pytest.importorskip("fugashi")
    if seg._japanese() is None:
        pytest.skip("no fugashi dictionary (unidic-lite)")
    words = segment("主演の演技が本当に素晴らしかった！カメラワークも最高", "ja")
    assert {"主演", "演技", "素晴らしい", "カメラワーク", "最高"} <= set(words)
    assert "の" not in words and "が" not in words


def test_segment_fallbacks_without_optional_segmenters(monkeypatch):
    for name in ("_japanese", "_jieba", "_thai"):
        monkeypatch.setattr(seg, name, lambda: None)
    assert segment("主演の演技がカメラワークも最高", "ja") == ["主演", "の", "演技", "が", "カメラワーク", "も", "最高"]
    assert segment("ซีรีส์สนุก", "th") == ["ซีรีส์สนุก"]
    assert segment("服装", "zh") == ["服", "装"]


def test_segment_korean_strips_particles():
    assert segment("드라마가 너무 좋아요 배우들의 연기도", "ko") == ["드라마", "너무", "좋아요", "배우들", "연기"]


# ------------------------------------------------------------------ topic discovery
def test_topics_separate_clearly_different_topics():
    topics = discover_topics(toy_set(), min_comments=10, n_topics=2, embedder="tfidf")
    en, zh = cell(topics, "US"), cell(topics, "TW")
    assert sorted(t["size"] for t in en) == [12, 12] and sorted(t["size"] for t in zh) == [10, 10]
    en_words = {t["words"][0] for t in en}
    assert en_words == {"subtitles", "soundtrack"} or en_words == {"subtitles", "song"}
    if seg._jieba() is not None:  # words, not characters, name the zh topics
        zh_top = [set(t["words"][:3]) for t in zh]
        assert any("字幕" in w for w in zh_top) and any("服装" in w for w in zh_top)
    for t in en:
        texts = {r["text"] for r in t["representatives"]}
        assert texts <= set(SUBS_EN) or texts <= set(MUSIC_EN)


def test_auto_finds_the_number_of_topics():
    topics = discover_topics(toy_set(), min_comments=10, embedder="tfidf", min_topic_size=3)
    assert len(cell(topics, "US")) == 2 and len(cell(topics, "TW")) == 2


def test_deterministic_for_a_fixed_seed_and_any_row_order():
    data = toy_set()
    first = discover_topics(data, min_comments=10, n_topics=3, seed=7, embedder="tfidf")
    again = discover_topics(data, min_comments=10, n_topics=3, seed=7, embedder="tfidf")
    shuffled = list(data)
    random.Random(1).shuffle(shuffled)
    assert json.dumps(first) == json.dumps(again) == json.dumps(discover_topics(
        shuffled, min_comments=10, n_topics=3, seed=7, embedder="tfidf"))


def test_noise_is_excluded():
    spam = comments(["Buy cheap followers now at spamsite"] * 5 + ["free giftcards spamsite"] * 5,
                    noise=True, start=100)
    topics = discover_topics(toy_set() + spam, min_comments=10, n_topics=2, embedder="tfidf")
    assert sum(t["size"] for t in cell(topics, "US")) == 24
    assert not any("spamsite" in t["words"] for t in topics)
    assert not any(r["id"].startswith("en1") and int(r["id"][2:]) >= 100 for t in topics for r in t["representatives"])


def test_representatives_most_liked_first_and_not_near_duplicates():
    texts = ["the OST song is beautiful"] * 3 + MUSIC_EN + SUBS_EN
    likes = [500, 400, 300] + [10] * 12 + [1] * 12
    data = comments(texts, likes=likes)
    topics = discover_topics(data, min_comments=10, n_topics=2, embedder="tfidf")
    music = next(t for t in topics if "song" in t["words"])
    reps = music["representatives"]
    assert reps[0]["likes"] == 500 and reps[0]["copies"] == 3
    assert [r["likes"] for r in reps] == sorted((r["likes"] for r in reps), reverse=True)
    assert len({r["text"] for r in reps}) == len(reps) == 3
    assert music["size"] == 15 and music["share"] == round(15 / 27, 4)


def test_small_cells_are_skipped_and_themes_reported():
    data = [c.with_(themes=("subtitles",)) if c.text in SUBS_EN else c for c in comments(SUBS_EN + MUSIC_EN)]
    data += comments(SUBS_ZH[:3], region="TW", lang="zh")
    topics = discover_topics(data, min_comments=10, n_topics=2, embedder="tfidf")
    assert {t["region"] for t in topics} == {"US"}
    subs = next(t for t in topics if "subtitles" in t["words"])
    music = next(t for t in topics if t is not subs)
    assert subs["untagged_share"] == 0.0 and subs["themes"] == {"subtitles": 1.0}
    assert music["untagged_share"] == 1.0


class KeywordEmbedder:
    """A stand-in for e5: 2-d vectors from two keywords (tests the embedder path)."""

    def embed(self, texts):
        return [[1.0 if "subtitle" in t.lower() else 0.1, 1.0 if "song" in t.lower() else 0.1] for t in texts]


def test_any_embedder_object_can_be_used():
    topics = discover_topics(comments(SUBS_EN + MUSIC_EN), min_comments=10, n_topics=2, embedder=KeywordEmbedder())
    assert sorted(t["size"] for t in topics) == [12, 12]


def test_write_topics_from_a_run_dir(tmp_path):
    pq.write_table(to_arrow(toy_set()), tmp_path / "comments.parquet")
    result = write_topics(tmp_path, min_comments=10, n_topics=2, embedder="tfidf")
    assert result["topics"] == 4 and result["cells"] == 2
    saved = json.loads((tmp_path / "topics.json").read_text(encoding="utf-8"))
    assert saved["settings"]["embedder"] == "tfidf" and saved["cells"][0]["embedder"] == "tfidf" and len(saved["topics"]) == 4
    with open(tmp_path / "topics.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["drama", "region", "topic", "size"]
    assert all(json.loads(r["representatives"]) for r in rows)
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_topics_from_a_ray_run_dir(tmp_path):
    # --engine ray writes comments.parquet as a partitioned dataset folder: topics said "No comments at ..."
    rows = toy_set()
    for part, half in enumerate((rows[:len(rows) // 2], rows[len(rows) // 2:])):
        (tmp_path / "comments.parquet" / f"input={part:05d}").mkdir(parents=True)
        pq.write_table(to_arrow(half), tmp_path / "comments.parquet" / f"input={part:05d}" / "part-000000000000.parquet")
    result = write_topics(tmp_path, min_comments=10, n_topics=2, embedder="tfidf")
    assert result["topics"] == 4 and result["cells"] == 2
    assert write_topics(tmp_path / "comments.parquet", out_dir=tmp_path / "again", min_comments=10, n_topics=2,
                        embedder="tfidf")["topics"] == 4


def test_topics_csv_guards_drama_and_region_cells(tmp_path):
    # the drama and region cells used to be written as they came: "=cmd|..." ran as a formula in a spreadsheet
    rows = comments(SUBS_EN + MUSIC_EN, drama="=cmd|' /C calc'!A0", region="+1-555")
    pq.write_table(to_arrow(rows), tmp_path / "comments.parquet")
    write_topics(tmp_path, min_comments=10, n_topics=2, embedder="tfidf")
    with open(tmp_path / "topics.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {(r["drama"], r["region"]) for r in rows} == {("'=cmd|' /C calc'!A0", "'+1-555")}


def test_representatives_mask_other_users_handles_like_report_quotes():
    # topics.csv/json used to quote "@SomeUser" as written, where the report's quotes show "@user"
    texts = [f"@fan_{i} {t}" for i, t in enumerate(SUBS_EN + MUSIC_EN)]
    topics = discover_topics(comments(texts), min_comments=10, n_topics=2, embedder="tfidf")
    quoted = [r["text"] for t in topics for r in t["representatives"]]
    assert quoted and all(q.startswith("@user ") for q in quoted)


def test_bad_input_and_parameters_raise_clear_errors(tmp_path):
    with pytest.raises(InputError, match="analyzer run"):
        write_topics(tmp_path)
    with pytest.raises(ConfigError, match="'n_topics' parameter of discover_topics"):
        discover_topics(toy_set(), n_topics=0)
    with pytest.raises(ConfigError, match="'by'"):
        discover_topics(toy_set(), by=("author",))
    with pytest.raises(ConfigError, match="'embedder'"):
        discover_topics(toy_set(), embedder="bert")
    with pytest.raises(ConfigError, match="'device'"):
        discover_topics(toy_set(), embedder="e5", device="tpu")


def test_topics_device_reaches_the_e5_encoder(monkeypatch):
    from analyzer.backends import embedding
    from analyzer.topics import embed

    seen = {}

    class FakeEncoder:
        def __init__(self, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(embedding, "E5Encoder", FakeEncoder)
    monkeypatch.setattr(embed.importlib.util, "find_spec", lambda name: object())
    name, model = embed.EmbedderChoice("e5", "cuda:1").for_cell(["en"])
    assert name == "e5" and isinstance(model, FakeEncoder) and seen["device"] == "cuda:1"


def test_auto_is_tfidf_and_e5_is_opt_in():
    from analyzer.topics import embed

    assert embed.EmbedderChoice("auto").for_cell(["en", "zh"]) == ("tfidf", None)
    name, model = embed.EmbedderChoice(KeywordEmbedder()).for_cell(["en"])
    assert name == "KeywordEmbedder" and isinstance(model, KeywordEmbedder)


@pytest.mark.slow
def test_e5_embeddings_separate_topics():
    from analyzer.topics.embed import e5_ready

    if not e5_ready():
        pytest.skip("e5 encoder not built (analyzer models build)")
    topics = discover_topics(comments(SUBS_EN + MUSIC_EN), min_comments=10, n_topics=2, embedder="e5")
    assert sorted(t["size"] for t in topics) == [12, 12] and {t["embedder"] for t in topics} == {"e5"}
