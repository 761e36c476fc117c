"""The theme stage's batch paths give exactly what the per-comment versions give: one cue
automaton scan over a batch's texts joined by NUL (``CueMatcher.find_many``), the lexicon's
``match_batch`` (batch link test, one scan per lexicon) and the stage's ``annotate`` shortcut
for comments without any theme. Examples written by us, in spaced and unspaced scripts."""

from __future__ import annotations

import random

import pytest

from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.schema import Comment
from analyzer.text.matching import CueMatcher, fold, parse_cue

from .test_theme_fast_paths import LANGS, NOISY, TEXTS

EDGES = ["", "\x00", "ost\x00ost", "a\x00https://x.co", "plot", "subtitl", "the end", "OST很好听", "x" * 70]


def _spliced(matcher: CueMatcher, texts: list[str], seed: int) -> list[str]:
    """Each text with cues of ``matcher`` put in at random places, glued or spaced, so hits fall
    at the start and the end of texts and next to the NUL that joins them."""
    rng = random.Random(seed)
    cues = sorted(t for group in matcher._literal.values() for t in group)
    out = []
    for text in texts:
        for _ in range(2):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(["", " "]) + rng.choice(cues) + rng.choice(["", " ", "\x00"]) + text[at:]
        out.append(text)
    return out


def test_find_many_is_find_of_each_text():
    cues = [parse_cue("music", "ost"), parse_cue("story", "plot"), parse_cue("subs", "subtitl*"),
            parse_cue("story", "ending"), parse_cue("story", "!the end"), parse_cue("music", "配乐"),
            parse_cue("acting", "연기"), parse_cue("hype", "re:fighting\\s*[!~]+"), parse_cue("x", "#ost")]
    matcher = CueMatcher(cues)
    texts = [fold(t) for t in TEXTS + NOISY + EDGES]
    texts += _spliced(matcher, texts, seed=0)
    found = 0
    for size in (1, 2, 3, 7, len(texts)):
        for start in range(0, len(texts), size):
            batch = texts[start:start + size]
            expected = [matcher.find(t) for t in batch]
            assert matcher.find_many(batch) == expected, batch
            found += sum(map(len, expected))
    assert found > 100  # the examples exercised the matcher
    assert CueMatcher([]).find_many(["ost", "plot"]) == [[], []]


@pytest.mark.parametrize("threshold", [0.4, 0.5])
def test_match_batch_is_match_cues_of_each_comment(threshold):
    backend = LexiconThemeBackend(threshold=threshold)
    texts = TEXTS + NOISY + EDGES
    for lang in LANGS:
        matcher = backend._matcher(lang)[0]
        batch = texts + _spliced(matcher, texts, seed=1)
        langs = [lang if i % 3 else LANGS[i % len(LANGS)] for i in range(len(batch))]  # mixed languages too
        expected = [backend.match_cues(t, la) for t, la in zip(batch, langs)]
        assert backend.match_batch(batch, langs) == expected
        assert sum(bool(m.themes) for m, _ in expected) > 5 and sum(m.noise for m, _ in expected) > 5
    assert backend.match_batch([], []) == []


def test_annotate_keeps_a_comment_without_themes_as_it_is():
    from analyzer.backends.base import ThemeMatch
    from analyzer.stages.themes import ThemePrediction, ThemeStage

    stage = ThemeStage()
    plain, noisy = Comment(id="a", text="hi"), Comment(id="b", text="first", noise=True)
    empty, noise = ThemeMatch({}, (), False, {}), ThemeMatch({}, (), True, {})
    out = stage.annotate([plain, noisy, plain, plain], [ThemePrediction(empty, {}), ThemePrediction(empty, {}),
                                                       ThemePrediction(noise, {}),
                                                       ThemePrediction(ThemeMatch({"music": 0.8}, (), False, {}),
                                                                       {"music": "positive"})])
    assert out[0] is plain and out[1] is noisy
    assert out[2].noise and not out[2].themes
    assert out[3].themes == ("music",) and out[3].theme_scores == {"music": 0.8}
    assert out[3].theme_polarity == {"music": "positive"} and not out[3].noise
    seen = plain.with_(themes=("music",), theme_scores={"music": 0.8}, theme_polarity={"music": "neutral"})
    again = stage.annotate([seen], [ThemePrediction(empty, {})])[0]  # earlier themes are cleared
    assert (again.themes, again.theme_scores, again.theme_polarity, again.intents) == ((), {}, {}, ())


def test_noise_phrase_first_character_test_keeps_the_decisions():
    from .test_theme_fast_paths import _reference_structural_noise

    backend = LexiconThemeBackend(threshold=0.4)
    assert backend._noise_first is not None  # the shipped phrases have known first characters
    phrases = ["First!!", "  first comment 🎉", "'first", "1st!!!", "¡Primero!", "اول تعليق", "#first", "...early",
               "erster", "notification squad", "firstly good", "zzz", "ok", "😀", "!!!", "\u3000first"]
    texts = phrases + [p.upper() for p in phrases] + TEXTS + NOISY
    decided = [backend._structural_noise(t, fold(t)) for t in texts]
    assert decided == [_reference_structural_noise(backend, t, fold(t)) for t in texts]
    assert sum(decided) > 10 and not all(decided)
