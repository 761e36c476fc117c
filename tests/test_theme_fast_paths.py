"""The theme stage's fast paths give exactly what the plain versions give: first-character
lookaheads (cue matcher, clause and negation patterns), the link/timestamp prefilter and the
compact linear heads. Examples written by us, in spaced and unspaced scripts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analyzer.backends.text_features import Features, HashedHeads, HashingFeaturizer
from analyzer.backends.themes_lexicon import _TIMESTAMP, _URL, LexiconThemeBackend, _meaningful
from analyzer.text.clauses import clause_spans
from analyzer.text.first_chars import regex_class, required_parts, required_substrings
from analyzer.text.matching import CueMatcher, fold, parse_cue

from .fast_path_reference import hits_matching_the_reference

TEXTS = [
    "I can't wait for the next episode!! watched it in 2 days",
    "not a single filler, 16 eps of pure story. episodes are too long though",
    "the butler did it; subtitles? subtitled badly. #OST +1",
    "the OST... but the ending ruined it, who's here in 2024",
    "剧情拖沓，但是演员演技很好，不过配乐一般，3天就刷完了，看完第12集",
    "不但好看而且好听，没有尿点",
    "연기는 좋지만 스토리가 별로예요. 하지만 OST 최고, 16부작",
    "재밌어요 그런데 너무 길어요 안 봐요",
    "นักแสดงเล่นดีแต่เนื้อเรื่องยืด แต่ละตอนสนุกมาก ไม่น่าเบื่อ 20 ตอน",
    "演技は最高だけど、ストーリーが微妙。いつでも見たい 全12話もある",
    "Diễn xuất tốt nhưng cốt truyện dở, phu de tieng viet o dau? không chán",
    "aktingnya bagus tapi alurnya lambat, nonton di mana? tidak membosankan",
    "la actuación es buena pero la trama es lenta, no es mala",
    "OST很好听，cast 超棒 ep3",
    "",
    "12:34 https://example.com/x @someone",
]
LANGS = ["en", "zh", "ko", "th", "ja", "vi", "id", "es", None]


def _scan(pattern: re.Pattern, text: str) -> list:
    return [(m.start(), m.end(), m.lastgroup, m.groups()) for m in pattern.finditer(text)]


PATTERNS = [r"\d+\s*(?:eps|episodes)(?! ago)", r"(?:fall|fell) in love", r"[\d一二三]+天(?:就)?(?:追|看|刷)完",
            r"全?\d+話(?:もある|は長)", r"can'?t wait for", r"\d+\s*ตอน", r"(?<!하)지만", r"\bfoo|bar*x"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_lookahead_keeps_the_matches(pattern):
    ahead = regex_class([pattern])
    assert ahead.startswith("(?=[")
    plain, fast = re.compile(f"(?:{pattern})"), re.compile(f"{ahead}(?:{pattern})")
    for text in TEXTS:
        assert _scan(fast, fold(text)) == _scan(plain, fold(text)), text


@pytest.mark.parametrize("pattern", [r"[^a]x", r"x*", r"(?i)ab", r".x", r"a|b?", r"(a)?\1b"])
def test_unknown_first_characters_give_no_lookahead(pattern):
    assert regex_class([pattern]) == ""
    assert regex_class([r"\d+", pattern]) == ""  # one unknown pattern: none for the whole set


@pytest.mark.parametrize("pattern", PATTERNS)
def test_required_substrings_are_in_every_match(pattern):
    needs = required_substrings([pattern])
    assert needs and all(needs)
    for text in TEXTS + ["16 eps", "fell in love", "3天就刷完", "全12話は長い", "cant wait for", "20 ตอน", "좋지만", "foo barrrx"]:
        for m in re.finditer(pattern, fold(text)):
            assert any(need in m.group() for need in needs), (pattern, m.group(), needs)


def test_required_substrings_pick_the_most_selective_part():
    assert required_substrings([r"(?:his|her) wife"]) == (" wife",)
    assert required_substrings([r"\d+\s*(?:eps|episodes)(?! ago)"]) == ("ep",)  # the parser factors out "ep"
    assert required_substrings([r"(?:fall|fell|falling) in love"]) == (" in love",)
    assert required_substrings([r"(?:ab)+c", r"x(?:yy|zzz)"]) == ("ab", "yy", "zzz")


@pytest.mark.parametrize("pattern", [r"\d+", r"(?i)wife", r"a?b?", r"[ab]c*", r"(?:a|\d)x?", r"(a|)\1"])
def test_patterns_without_a_sure_literal_give_no_substrings(pattern):
    assert required_substrings([pattern]) is None
    assert required_substrings([r"wife", pattern]) is None  # one unknown pattern: none for the whole set


def test_matcher_skips_texts_without_the_regex_needs():
    matcher = CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])
    assert matcher._regex_needs is not None
    texts = [fold(t) for t in TEXTS] + ["15 episodes", "x 15 eps", "no digits here", "so we wait"]
    assert matcher.find_many(texts) == [matcher.find(t) for t in texts]
    assert [matcher._may_have_regex(t) for t in texts[-4:]] == [True, True, False, False]
    assert hits_matching_the_reference(matcher, texts) > 10


CUES = ["plot", "~ost", "subtitl*", "episode", "the ending", "!story of my life", "#ost", "+1",
        "re:\\d+\\s*(?:eps|episodes)", "re:can'?t wait for", "剧情", "演技", "~配乐", "re:[\\d一二三]+天(?:就)?(?:追|看|刷)完",
        "스토리", "연기", "re:\\d+\\s*부작", "เนื้อเรื่อง", "นักแสดง", "ストーリー", "phụ đề", "cốt truyện", "alur"]


@pytest.mark.parametrize("pattern", [*PATTERNS, r"(?:比|不如|像)《", r"[一-鿿]》(?:一样|相比)", r"(?:his|her) wife"])
def test_required_parts_are_all_in_every_match(pattern):
    parts = required_parts(pattern)
    assert parts and all(parts)
    assert any(set(required_substrings([pattern])) == part for part in parts)  # the most selective is one of them
    texts = TEXTS + ["16 eps", "fell in love", "3天就刷完", "全12話は長い", "cant wait for", "20 ตอน", "좋지만", "foo barrrx",
                     "他比《琅琊榜》好看", "和《陈情令》一样", "剧》一样好看", "her wife", "his wife"]
    for text in texts:
        for m in re.finditer(pattern, fold(text)):
            assert all(any(s in m.group() for s in part) for part in parts), (pattern, m.group(), parts)


def test_required_parts_of_a_contrast():
    assert required_parts(r"(?:比|不如|像)《") == (frozenset({"比", "不如", "像"}), frozenset({"《"}))
    assert required_parts(r"\d+") is None and required_parts(r"(?i)wife") is None


def test_matcher_needs_every_part_of_a_regex_cue():
    """A text holding one part of a cue but not the other is skipped (the regex is not tried),
    and the hits are the same as with the prefilter off (every text searched)."""
    cues = [*CUES, "re:(?:比|不如|像)《", "re:[一-鿿]》(?:一样|相比)"]
    matcher = CueMatcher([parse_cue("comparison", raw, bounded=False) for raw in cues])
    texts = [fold(t) for t in TEXTS] + ["我和你", "他比《琅琊榜》好看", "剧》好看", "剧》一样好看", "3天就刷完", "天完"]
    assert [matcher._may_have_regex(t) for t in texts[-6:]] == [False, True, False, True, True, True]
    fast = matcher.find_many(texts)
    assert fast == [matcher.find(t) for t in texts]
    matcher._regex_needs = None  # the prefilter off
    assert matcher.find_many(texts) == fast
    assert sum(h.cues[0].kind == "regex" for hits in fast for h in hits) >= 3


def test_matcher_with_lookaheads_matches_the_reference():
    matcher = CueMatcher([parse_cue("story", raw, bounded=True) for raw in CUES])
    assert matcher._regex_re.pattern.startswith("(?=[")
    assert hits_matching_the_reference(matcher, TEXTS) > 10


_LOOKAHEAD = re.compile(r"^\(\?=\[(?:\\.|[^\]])*\]\)")


def _without_lookahead(pattern: re.Pattern) -> re.Pattern:
    assert _LOOKAHEAD.match(pattern.pattern), pattern.pattern
    return re.compile(_LOOKAHEAD.sub("", pattern.pattern))


@pytest.mark.parametrize("lang", LANGS)
def test_clause_and_negation_patterns_keep_their_matches(lang):
    from analyzer.text.clauses import _pattern
    from analyzer.text.cues import _negation

    for fast in (_pattern(lang), _negation(lang)):
        if fast is None:
            continue
        plain = _without_lookahead(fast)
        for text in TEXTS:
            assert _scan(fast, fold(text)) == _scan(plain, fold(text)), text
            assert _scan(fast, text) == _scan(plain, text), text


def test_clause_spans_are_cached_copies():
    first = clause_spans(TEXTS[4], "zh")
    first.append((0, 0))  # the caller's list is its own
    assert clause_spans(TEXTS[4], "zh") == first[:-1] and len(first[:-1]) >= 3


def _reference_structural_noise(backend: LexiconThemeBackend, text: str, low: str) -> bool:
    """``_structural_noise`` with the broad prefilter it had before."""
    import unicodedata

    if not text.strip():
        return True
    if re.search(r"[.:<\[@]|url", text):
        rest = _TIMESTAMP.sub(" ", _URL.sub(" ", text))
        if rest != text and not any(_meaningful(ch) for ch in rest):
            return True
    if backend._noise_whole is None or len(low) > 60:
        return False
    core = " ".join("".join(ch if ch in "' " or unicodedata.category(ch)[0] in "LNM" else " " for ch in low).split())
    return bool(core) and backend._noise_whole.fullmatch(core) is not None


NOISY = ["https://t.co/abc", "www.example.org", "12:34", "1:02:03 2:04", "bit.ly/xyz 😀", "@user1 @user2",
         "<url>", "[link]", "URL", "first!!", "First", "Check out EXAMPLE.COM now", "3.14 is pi", "ep. 3: great",
         "ÚRL", "a@b", "cool...", "1st", "fighting!!!", "剧情好看", "12:34 best scene", "   ", ""]


def test_link_prefilter_and_noise_core_agree_with_the_plain_version():
    backend = LexiconThemeBackend(threshold=0.4)
    decided = [backend._structural_noise(t, fold(t)) for t in NOISY + TEXTS]
    assert decided == [_reference_structural_noise(backend, t, fold(t)) for t in NOISY + TEXTS]
    assert any(decided) and not all(decided)


def _dense_scores(dense: np.ndarray, features: Features) -> np.ndarray:
    """The plain version: one bincount per head over dense (n_heads, n_features) weights."""
    n = features.n_rows
    out = np.empty((n, dense.shape[0]), dtype=np.float32)
    values = features.scale[features.rows]
    for k in range(dense.shape[0]):
        out[:, k] = np.bincount(features.rows, weights=dense[k][features.cols] * values, minlength=n)[:n]
    return out


def test_hashed_heads_equal_dense_weights_bit_for_bit():
    featurizer = HashingFeaturizer(n_features=1 << 12)
    rng = np.random.default_rng(0)
    cols = rng.choice(featurizer.n_features, 900, replace=False)
    cols = np.concatenate([cols, cols[:5]])  # a repeated column keeps its last weights
    weights = (rng.normal(size=(5, len(cols))) * 10.0 ** rng.integers(-6, 2, size=(5, len(cols)))).astype(np.float32)
    dense = np.zeros((5, featurizer.n_features), dtype=np.float32)
    dense[:, cols] = weights
    heads = HashedHeads.from_columns(featurizer.n_features, cols, weights)
    features = featurizer.transform(TEXTS * 3)
    fast = heads.scores(features)
    assert fast.dtype == np.float32 and fast.shape == (len(TEXTS) * 3, 5)
    assert np.array_equal(fast, _dense_scores(dense, features))
    assert np.any(fast != 0)
    with pytest.raises(ValueError):
        HashedHeads.from_columns(featurizer.n_features, cols, weights[:, :-1])


def test_hashed_heads_of_the_shipped_models_equal_dense_weights():
    from analyzer.backends.aspect_polarity import ClausePolarityBackend
    from analyzer.backends.themes_hybrid import HybridThemeBackend

    for model in (HybridThemeBackend().model, ClausePolarityBackend().model):
        heads = model.weights
        dense = np.zeros((heads.weights.shape[1], model.featurizer.n_features), dtype=np.float32)
        used = np.flatnonzero(heads.index >= 0)
        dense[:, used] = heads.weights[heads.index[used]].T
        features = model.featurizer.transform(TEXTS)
        assert np.array_equal(heads.scores(features), _dense_scores(dense, features))


def test_hashed_heads_add_each_rows_ngrams_in_order():
    """2**60 + 1 - 2**60 is 0 in float64 when added left to right (1 is lost), 1 in any other
    order: rows of different lengths (so the padded groups mix lengths) keep the bincount sum."""
    big = np.float32(2.0 ** 60)
    weights = np.array([[big, 1.0, -big, 0.5]], dtype=np.float32)  # one head, columns 0..3
    heads = HashedHeads.from_columns(8, np.arange(4), weights)
    row_cols = [[0, 1, 2], [1, 0, 2], [3], [0, 1, 2, 3, 1], [], [2, 1, 0]] * 3
    rows = np.repeat(np.arange(len(row_cols)), [len(c) for c in row_cols])
    cols = np.concatenate([np.asarray(c, dtype=np.intp) for c in row_cols])
    order = np.random.default_rng(1).permutation(len(rows))  # n-gram kinds interleave rows
    features = Features(rows[order], cols[order], np.ones(len(row_cols), dtype=np.float32), len(row_cols))
    dense = np.zeros((1, 8), dtype=np.float32)
    dense[:, :4] = weights
    got = heads.scores(features)
    assert np.array_equal(got, _dense_scores(dense, features))
    assert got[2, 0] == 0.5 and got[4, 0] == 0.0


PUNCTUATED = ["3.14 is pi... really?! yes.", "end.", "wow!!! ok;; fine…", "一。二！三？", "a\nb\n\nc", "v1.2.3", ". .. ..."]


def test_sentence_end_and_link_piece_lookaheads_keep_their_matches():
    from analyzer.backends.themes_lexicon import _LINK_PIECE
    from analyzer.text.clauses import _SENTENCE_END, _SENTENCE_END_PATTERN

    plain_end = re.compile(_SENTENCE_END_PATTERN)
    plain_link = re.compile(_LINK_PIECE.pattern.split(")(?:", 1)[1][:-1], re.I)  # without the lookahead
    cased = ["HTTPS://X", "WWW.X", "Url", "<LINK>", "[User]", "A.COM", "@X", "1:2"]
    for text in TEXTS + PUNCTUATED + NOISY + cased:
        assert _scan(_SENTENCE_END, text) == _scan(plain_end, text), text
        assert bool(_LINK_PIECE.search(text)) == bool(plain_link.search(text)), text
    assert all(_LINK_PIECE.search(text) for text in cased)


def test_evidence_split_later_is_the_evidence_of_match_one():
    from analyzer.backends.themes_lexicon import theme_evidence

    backend = LexiconThemeBackend(threshold=0.4)
    seen = 0
    for text in TEXTS + NOISY:
        for lang in LANGS:
            full = backend.match_one(text, lang)
            match, where = backend.match_cues(text, lang)
            assert match._replace(evidence=full.evidence) == full
            assert theme_evidence(text, lang, full.themes, where) == full.evidence
            for theme in full.themes:  # one theme at a time, as the hybrid asks for the ones it fires
                assert theme_evidence(text, lang, [theme], where) == {theme: full.evidence[theme]}
            seen += bool(full.evidence)
    assert seen > 10


def test_hybrid_evidence_is_the_lexicons_clause_or_the_whole_comment():
    from analyzer.backends.themes_hybrid import HybridThemeBackend

    hybrid = HybridThemeBackend()
    for lang in LANGS:
        for text, got in zip(TEXTS, hybrid.predict(TEXTS, [lang] * len(TEXTS))):
            lexicon = hybrid.lexicon.match_one(text, lang)
            for theme in got.themes:
                assert got.evidence[theme] == (lexicon.evidence.get(theme) or (text.strip(),)), (text, theme)


def test_dense_polarity_features_equal_the_per_item_features():
    from analyzer.backends.aspect_polarity import BASE, base_features, dense_features, make_item
    from analyzer.schema import THEMES

    rng = np.random.default_rng(0)
    items = []
    for text, lang in zip(TEXTS[:-2], LANGS * 2):
        clauses = clause_spans(text, lang)
        parts = tuple(text[s:e] for s, e in clauses)
        probs = rng.dirichlet(np.ones(3), size=len(parts))  # float64 rows
        comment = tuple(float(p) for p in rng.dirichlet(np.ones(3)))
        items.append(make_item("story", parts, text, lang, probs, comment))  # several clauses: float32 mean
        items.append(make_item("music", parts[-1:], text, lang, probs[-1:], comment))
        items.append(make_item("where_to_watch", (text,), text, lang, [comment], comment))  # no theme column
    dense = dense_features(items)
    assert np.array_equal(dense[:, :len(BASE)], np.asarray([base_features(i) for i in items], dtype=np.float32))
    assert dense[:, 6:10].any() and dense[:, len(BASE) + len(THEMES):].any()
    assert not dense[2::3, len(BASE):].any()  # the intent item: no theme one-hot, nothing crossed


@pytest.mark.parametrize("lang", LANGS + ["pt", "fr", "it", "tr", "ar"])
def test_clause_prefilter_keeps_the_spans(lang, monkeypatch):
    from analyzer.text import clauses

    texts = TEXTS + ["mas o final", "c'est bien mais long", "bello ma lungo", "güzel ama uzun", "جميل بس طويل",
                     "no but yes", "button debut", "面白いけど長い", "좋은데 길다"]
    fast = [clauses._clause_spans.__wrapped__(text, lang) for text in texts]
    assert clauses._pattern_needs(lang) is not None
    monkeypatch.setattr(clauses, "_pattern_needs", lambda code: None)
    assert [clauses._clause_spans.__wrapped__(text, lang) for text in texts] == fast
    assert sum(len(spans) > 1 for spans in fast) >= 5
