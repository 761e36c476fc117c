"""The theme stage's compiled paths.

The Aho-Corasick cue matcher finds exactly what the trie regex found (``reference_find``): word
cues only at word boundaries (the longest one that has a boundary after it), prefix cues to the
end of their word, substring cues in Han, kana, Thai and Hangul, non-word first characters
("#ost", "+1"), blockers, and a word cue that is also a prefix or substring cue. Examples written
by us, and random strings glued from the cues' own pieces. Also: one NFKC test for a joined batch
decides exactly as one test per text, and the per-head bincount of ``HashedHeads.scores`` gives
the padded groups' sums bit for bit."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.backends.text_features import HashingFeaturizer
from analyzer.text.matching import CueMatcher, fold, parse_cue

from .fast_path_reference import hits_matching_the_reference, reference_find

CUES = ["plot", "plot twist", "~ost", "subtitl*", "sub*", "sub", "end", "the ending", "!story of my life", "story",
        "#ost", "+1", "can't wait", "ep", "eps", "re:\\d+\\s*(?:eps|episodes)", "剧情", "剧情拖沓", "~配乐", "演技",
        "스토리", "연기", "연기력", "เนื้อเรื่อง", "นักแสดง", "ストーリー", "phụ đề", "cốt truyện", "é", "café",
        "naïve", "!cafés", "다", "ost*"]
TEXTS = [
    "the plot twist at the end... the ending!", "plotting a weekend; no plot", "subtitles? sub. subbed, subtitled",
    "story of my life, great story", "#OST +1 ost", "can't wait can't-wait cant wait", "16 eps, ep 3, eps3, 2episodes",
    "剧情拖沓，但是演员演技很好，配乐一般", "OST很好听剧情", "연기력 좋고 스토리도 좋아요 연기", "นักแสดงเล่นดีแต่เนื้อเรื่องยืด",
    "ストーリーが微妙", "phụ đề ở đâu, cốt truyện", "café, cafés, naïve, é, écafé", "e\u0301 cafe\u0301",
    "plot\u0301 plot_twist plot-twist", "ostost ost_ ost1 1ost", "", "   ", "다다다 스토리다",
]


def _matcher() -> CueMatcher:
    return CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])


def test_written_examples_match_the_reference():
    matcher = _matcher()
    assert hits_matching_the_reference(matcher, TEXTS) > 30


def test_a_word_cue_without_a_boundary_gives_way_to_a_prefix_cue():
    matcher = _matcher()
    assert [(h.start, h.end, h.cues[0].text) for h in matcher.find("subway sub")] == [(0, 6, "sub"), (7, 10, "sub")]
    assert matcher.find("subway")[0].cues[0].kind == "prefix" and matcher.find("sub")[0].cues[0].kind == "word"


PIECES = st.sampled_from(["plot", " twist", "the ", "end", "ing", "sub", "titl", "es", "ost", "#", "+1", " ", ",",
                          "剧情", "拖沓", "演", "技", "스토리", "력", "연기", "เนื้อเรื่อง", "ストーリー", "phụ đề",
                          "\u0301", "é", "café", "s", "_", "1", "story of my life", "can't wait", "eps", "ep", "다"])


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=12))
def test_random_strings_match_the_reference(pieces):
    matcher = _matcher()
    low = fold("".join(pieces))
    assert matcher.find(low) == reference_find(matcher, low)


NFKC_PIECES = st.sampled_from(["a", "e", "\u0301", "\u00b4", "ﬁ", "①", "ｶ", "\u3099", "か", "\u1100", "\u1161",
                               " ", "\u0308", "Å", "\u2126", "\x00", "plot", "😭"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(NFKC_PIECES, max_size=5).map("".join), max_size=6))
def test_one_nfkc_test_per_batch(texts):
    featurizer = HashingFeaturizer(n_features=1 << 10)
    one_by_one = [unicodedata.normalize("NFKC", t) for t in texts]
    assert featurizer.normalize_joined(texts) == featurizer.normalize_joined(one_by_one)
    joined = " \x00 ".join(texts)
    if "\x00" not in "".join(texts):
        assert unicodedata.is_normalized("NFKC", joined) == all(unicodedata.is_normalized("NFKC", t) for t in texts)


def test_both_head_sums_give_the_same_bits(monkeypatch):
    """A bincount per head (a few heads) and the padded groups (many) add the same float32
    products in the same order, for the shipped polarity (3 heads) and hybrid (21) models."""
    import numpy as np

    from analyzer.backends import text_features
    from analyzer.backends.aspect_polarity import ClausePolarityBackend
    from analyzer.backends.themes_hybrid import HybridThemeBackend

    for model in (ClausePolarityBackend().model, HybridThemeBackend().model):
        features = model.featurizer.transform(TEXTS * 2)
        got = {}
        for few in (0, 100):
            monkeypatch.setattr(text_features, "FEW_HEADS", few)
            got[few] = model.weights.scores(features)
        assert got[0].dtype == got[100].dtype == np.float32 and np.any(got[0] != 0)
        assert np.array_equal(got[0].view(np.int32), got[100].view(np.int32))
