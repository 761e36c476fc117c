"""``CueMatcher`` with many cues finds exactly what the reference matcher finds: Chinese,
Korean and Thai cues (substrings), spaced-script words and prefixes at word boundaries,
blockers and negated intents. Examples written by us; no data files."""

from __future__ import annotations

from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.text.matching import CueMatcher, fold, parse_cue

from .fast_path_reference import hits_matching_the_reference

HAN = [chr(0x4E00 + 7 * i) + chr(0x5267 + i % 5) for i in range(105)]  # many Han cues, ~100 first characters
TEXTS = [
    "剧情拖沓，但是演员演技很好，配乐一般",
    "연기력 좋고 스토리도 좋아요",
    "นักแสดงเล่นดีแต่เนื้อเรื่องยืด",
    "the plot twist at the end... the ending!",
    "OST很好听 " + "".join(HAN[::3]) + " " + HAN[-1] + "x",
    "plotting a weekend; no plot",
]


CUES = ["plot", "~ost", "subtitl*", "end", "the ending", "!plot twist", "re:\\d+\\s*(?:eps|episodes)", "剧情",
        "~配乐", "스토리", "연기", "เนื้อเรื่อง", "นักแสดง", *HAN]


def test_matcher_with_many_han_cues_matches_the_reference():
    matcher = CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])
    assert len(matcher._automaton) == len(set().union(*matcher._literal.values())) == len(CUES) - 1  # one regex
    assert hits_matching_the_reference(matcher, [*TEXTS, "subtitles were bad, 16 eps", "cost", "OST很好听"]) > 10


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
