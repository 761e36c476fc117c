"""Cue tries with grouped root branches, and the end-marker groups of ``CueMatcher``, find
exactly what the plain trie and the reference matcher find: Chinese, Korean and Thai cues
(substrings), spaced-script words and prefixes at word boundaries, blockers and negated
intents. Examples written by us; no data files."""

from __future__ import annotations

import re

import pytest

from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.text.matching import BUCKET, CueMatcher, fold, parse_cue, trie_regex

from .fast_path_reference import reference_find

HAN = [chr(0x4E00 + 7 * i) + chr(0x5267 + i % 5) for i in range(2 * BUCKET + 9)]  # > 2 buckets of first characters
WORDS = ["剧情", "剧情拖沓", "演技", "配乐", "OST", "스토리", "연기", "연기력", "เนื้อเรื่อง", "นักแสดง", "plot", "plot twist",
         "ending", "end", *HAN]
TEXTS = [
    "剧情拖沓，但是演员演技很好，配乐一般",
    "연기력 좋고 스토리도 좋아요",
    "นักแสดงเล่นดีแต่เนื้อเรื่องยืด",
    "the plot twist at the end... the ending!",
    "OST很好听 " + "".join(HAN[::3]) + " " + HAN[-1] + "x",
    "plotting a weekend; no plot",
]


@pytest.mark.parametrize("bucket", [1, 2, 5, 48])
def test_grouped_trie_matches_the_plain_trie(bucket):
    words = [fold(w) for w in WORDS]
    plain, grouped = re.compile(trie_regex(words)), re.compile(trie_regex(words, bucket=bucket))
    assert grouped.pattern != plain.pattern  # the root has more than ``bucket`` branches
    for word in words:
        assert grouped.fullmatch(word) and plain.fullmatch(word)
    for text in TEXTS:
        low = fold(text)
        for pos in range(len(low)):  # the longest cue at every position, as the plain trie finds it
            a, b = plain.match(low, pos), grouped.match(low, pos)
            assert (a and a.group()) == (b and b.group()), (text, pos)


def test_small_tries_stay_plain():
    assert trie_regex(["ab", "ac", "b"], bucket=5) == trie_regex(["ab", "ac", "b"])
    assert trie_regex([], bucket=2) == trie_regex([])


CUES = ["plot", "~ost", "subtitl*", "end", "the ending", "!plot twist", "re:\\d+\\s*(?:eps|episodes)", "剧情",
        "~配乐", "스토리", "연기", "เนื้อเรื่อง", "นักแสดง", *HAN]


def test_matcher_with_many_han_cues_matches_the_reference():
    matcher = CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])
    assert len(matcher._automaton) == len(set().union(*matcher._literal.values())) == len(CUES) - 1  # one regex
    found = 0
    for text in [*TEXTS, "subtitles were bad, 16 eps", "cost", "OST很好听"]:
        low = fold(text)
        hits = matcher.find(low)
        assert hits == reference_find(matcher, low), text
        found += len(hits)
    assert found > 10


def test_word_boundaries_and_blockers():
    matcher = CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])
    texts = {hit.cues[0].text for hit in matcher.find(fold("the ending, a plot twist; subtitled"))}
    assert texts == {"the ending", "subtitl"}  # the blocker cancels "plot"; "end" is inside "ending"
    assert not matcher.find(fold("costume trending"))  # no "ost" or "end" inside words
    assert [h.cues[0].text for h in matcher.find(fold("OST很好听"))] == ["ost"]


def test_negated_intent_cue_does_not_count():
    backend = LexiconThemeBackend()
    assert "recommend" in backend.match_one("I recommend this drama to everyone", "en").intents
    assert "recommend" not in backend.match_one("I don't recommend this drama", "en").intents
