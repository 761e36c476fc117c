"""DedupStage: duplicates collapsed with a count, noise flagged, memory bounded."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.schema import Comment
from analyzer.stages.dedup import DedupStage, noise_reason
from analyzer.stages.normalize import NormalizeStage

LONG = "Wei Wuxian and Lan Zhan have the best chemistry, I rewatched it three times"


def run(texts, stage=None, **fields):
    stage = stage or DedupStage()
    comments = [Comment(id=f"c{i}", text=t, platform="youtube", **fields) for i, t in enumerate(texts)]
    return stage(NormalizeStage()(comments)), stage


def test_exact_copies_point_to_the_first_and_count():
    out, stage = run([LONG, "something else entirely, nothing alike", LONG, LONG.upper() + " 😭😭"])
    assert out[0].dup_count == 1 and out[0].duplicate_of is None
    assert [c.duplicate_of for c in out[2:]] == ["c0", "c0"]
    assert [c.dup_count for c in out[2:]] == [2, 3]  # k-th copy; the cluster's size is the max
    assert out[3].extra["duplicate_reason"] == "exact"
    assert not any(c.noise for c in out)
    assert stage.summary()["duplicate_exact"] == 2


def test_near_copies_are_found():
    edited = LONG.replace("three", "four").replace("best", "greatest")
    out, _ = run([LONG, edited])
    assert out[1].duplicate_of == "c0" and out[1].extra["duplicate_reason"] == "near"
    out, _ = run([LONG, edited], DedupStage(near=False))
    assert out[1].duplicate_of is None


def test_short_common_texts_are_not_collapsed_across_authors():
    comments = [Comment(id=f"c{i}", text="so good ❤️", author=f"u_{i}") for i in range(3)]
    out = DedupStage()(NormalizeStage()(comments))
    assert all(c.duplicate_of is None for c in out)


def test_same_author_repeating_short_text_and_same_id_are_duplicates():
    stage = DedupStage()
    a = [Comment(id="a1", text="so good", author="u_1"), Comment(id="a2", text="So good!!", author="u_1")]
    out = stage(NormalizeStage()(a))
    assert out[1].extra["duplicate_reason"] == "same_author"
    again = stage(NormalizeStage()([Comment(id="a1", text="so good", author="u_1")]))  # overlapping dump
    assert again[0].extra["duplicate_reason"] == "same_id" and again[0].duplicate_of == "a1"


def test_ids_without_a_platform_name_one_comment_only_with_its_text():
    # two CSV exports numbering their rows 1, 2, ...: the second file's comments used to be
    # "same_id" copies of the first file's and were left out of every metric
    stage = DedupStage()
    stage(NormalizeStage()([Comment(id="1", text=LONG, source="a.csv:2")]))
    other = stage(NormalizeStage()([Comment(id="1", text="Hidden Love is so sweet, the leads are adorable",
                                            source="b.csv:2")]))
    assert other[0].duplicate_of is None
    again = stage(NormalizeStage()([Comment(id="1", text=LONG, source="a_copy.csv:2")]))  # the same export twice
    assert again[0].extra["duplicate_reason"] == "same_id"
    yt = stage(NormalizeStage()([Comment(id="y1", text="first words", platform="youtube"),
                                 Comment(id="y1", text="edited since", platform="youtube")]))
    assert yt[1].extra["duplicate_reason"] == "same_id"  # a platform's id names one comment whatever its text


def test_emoji_only_comments_with_the_same_row_number_are_not_one_comment():
    # their fingerprints (letters and digits) are empty, so keying on it made any two one comment
    stage = DedupStage()
    stage(NormalizeStage()([Comment(id="1", text="😍😍😍", source="a.csv:2")]))
    other = stage(NormalizeStage()([Comment(id="1", text="👍👍", source="b.csv:2")]))
    assert other[0].duplicate_of is None
    again = stage(NormalizeStage()([Comment(id="1", text="😍😍😍", source="a_copy.csv:2")]))
    assert again[0].extra["duplicate_reason"] == "same_id"


def test_state_spans_batches_and_reset_clears_it():
    stage = DedupStage()
    run([LONG], stage)
    out, _ = run([LONG], stage)
    assert out[0].duplicate_of == "c0"
    stage.reset()
    out, _ = run([LONG], stage)
    assert out[0].duplicate_of is None


def test_window_bounds_memory_and_forgets_the_oldest():
    stage = DedupStage(window=5, near_window=3)
    texts = [f"comment number {i} with enough distinct letters {chr(65 + i) * 5}" for i in range(20)]
    run(texts, stage)
    assert stage.window_sizes() == (5, 5, 3, 5)  # ids, texts, signatures, counts: full, no more
    assert sum(len(band) for band in stage._bands) <= 3 * stage.bands
    out, _ = run([texts[0]], stage)  # fell out of the window: not found any more
    assert out[0].duplicate_of is None


@pytest.mark.parametrize("text, reason", [
    ("12:34", "timestamp"), ("1:02:33 😂😂", "timestamp"), ("12:34 12:50", "timestamp"),
    ("First!!!", "first"), ("1st 🎉", "first"), ("沙发", "first"), ("primero", "first"),
    ("Earn $500 a day, check my channel", "promo"), ("sub4sub anyone?", "promo"),
    ("https://spam.example.invalid/x", "link"), ("lol https://a.example.com https://b.example.com https://c.example.com", "link"),
])
def test_noise_examples(text, reason):
    assert noise_reason(text, text) == reason


@pytest.mark.parametrize("text", [
    "The scene at 12:34 made me cry", "first time watching a C-drama and I love it", "前方高能",
    "You can watch it legally on Viki with English subtitles: https://www.viki.com/tv/x",
])
def test_not_noise(text):
    assert noise_reason(text, text) is None


def test_noise_is_flagged_and_kept():
    out, stage = run(["12:34", "Great acting from the whole cast"])
    assert out[0].noise and out[0].extra["noise_reason"] == "timestamp" and not out[1].noise
    assert stage.summary()["noise_timestamp"] == 1


def test_duplicates_as_noise_option():
    out, _ = run([LONG, LONG], DedupStage(duplicates_as_noise=True))
    assert [c.noise for c in out] == [False, True]


def test_parameters_are_validated():
    with pytest.raises(ConfigError, match="'bands' parameter of DedupStage"):
        DedupStage(num_perm=32, bands=5)
    with pytest.raises(ConfigError, match="near_threshold"):
        DedupStage(near_threshold=1.5)
