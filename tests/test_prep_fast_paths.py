"""The fast paths of the preparation stages, writing and aggregation agree with the
straightforward code they replaced (kept here as references)."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest

from analyzer.aggregate import ResonanceAccumulator
from analyzer.io.fields import parse_time
from analyzer.schema import ARROW_SCHEMA, Comment, _to_row, to_arrow
from analyzer.stages.dedup import MinHasher, mod_mersenne61, noise_reason
from analyzer.text.normalize import URL, mask_urls, might_have_url, normalize_text

URLISH = [
    "see https://example.com/x now", "www.site.org", "go to bit.ly/abc", "EXAMPLE.COM rocks", "a.b.c",
    "mail me@x.com", "ftp://h", "v.2 is out", "Ends with a dot.", "time 12:30", "ſite.ſite", "x.ſite y",
    "foo.TV/show", "abc.io", "sub.domain.co.kr/path?q=1", "..com", "@user.name", "1.5x speed", "wWw.A",
]


def test_mod_mersenne61_is_the_modulo():
    prime = int(MinHasher.PRIME)
    edges = [0, 1, prime - 1, prime, prime + 1, prime + 7, 2 * prime, 2**63, 2**64 - 1, 2**64 - 2, 8 * prime - 1]
    values = np.array(edges + [random.Random(0).getrandbits(64) for _ in range(5000)], dtype=np.uint64)
    expected = values % MinHasher.PRIME
    assert np.array_equal(mod_mersenne61(values.copy()), expected)


def test_url_hint_never_misses_a_url():
    for text in URLISH:
        if URL.search(text):
            assert might_have_url(text), text
        assert mask_urls(text) == URL.sub("http", text)


def test_whitespace_folding_splits_where_the_regex_did():
    spaces = re.compile(r"\s")
    assert {c for c in range(0x110000) if spaces.match(chr(c))} == {c for c in range(0x110000) if chr(c).isspace()}
    text = " a\u00a0\u2003b\t\n c\u3000 "
    assert normalize_text(text) == re.sub(r"\s+", " ", text).strip()


def test_noise_reason_with_fingerprint_is_the_same():
    from analyzer.stages.dedup import fingerprint

    texts = ["first!", "First comment", "沙发", "12:34", "1:02:33 😂😂", "check my channel pls", "https://x.com/a",
             "first " * 10, "early squad here", "watch at 12:30 tonight", "a.com b.com c.com real words here"]
    for text in texts:
        assert noise_reason(text, text, fingerprint(text)) == noise_reason(text, text), text


def _reference_offer(quotes: dict, slot, cand, limit: int) -> None:
    """``ResonanceAccumulator._offer`` as it was: always insert, then drop the worst."""
    cands = quotes.setdefault(slot, {})
    author = cand[2]
    if author in cands and cands[author][:2] <= cand[:2]:
        return
    cands[author] = cand
    if len(cands) > limit:
        worst = max(cands.values(), key=lambda x: x[:2])
        del cands[worst[2]]


def test_quote_offers_keep_what_the_reference_keeps():
    rng = random.Random(1)
    acc, reference = ResonanceAccumulator(), {}
    limit = acc.config["quote_candidates"]
    for i in range(5000):
        slot = ("d", "r", rng.choice(["*", "story"]), rng.choice(["positive", "negative"]))
        cand = (-rng.randrange(6), f"c{rng.randrange(3000)}", f"a{rng.randrange(40)}", None, "en", "t", "x")
        acc._offer(slot, cand)
        _reference_offer(reference, slot, cand, limit)
    assert acc._quotes == reference  # same candidates, same insertion order


def test_to_arrow_is_the_row_by_row_table():
    comments = [
        Comment(id="a", text="x", extra={"k": "é", "n": [1, 2]}, lang_mixed=("en", "vi"), sentiment="positive",
                sentiment_scores=(0.1, 0.2, 0.7), themes=("story",), theme_scores={"story": 0.9, "music": 0.1},
                theme_polarity={"story": "positive"}, mentions=("actor:X",),
                created_at=datetime(2024, 1, 2, tzinfo=timezone.utc), likes=3),
        Comment(id="b", text="y"),
        Comment(id="c", text="z", sentiment_scores=(0.5, 0.5)),  # not three scores: no struct, as labelled_scores
    ]
    expected = pa.Table.from_pylist([_to_row(c) for c in comments], schema=ARROW_SCHEMA)
    assert to_arrow(comments).equals(expected)
    assert to_arrow([]).equals(ARROW_SCHEMA.empty_table())
    assert json.loads(to_arrow(comments).column("extra")[0].as_py()) == {"k": "é", "n": [1, 2]}


def test_parse_time_cache_returns_the_same_and_still_rejects():
    first = parse_time("2024-03-01T10:00:00+02:00")
    assert parse_time("2024-03-01T10:00:00+02:00") == first == datetime(2024, 3, 1, 8, tzinfo=timezone.utc)
    for _ in range(2):  # a failure is not cached away
        with pytest.raises(ValueError, match="not a time"):
            parse_time("not a time")


def test_joining_pending_parts_keeps_the_cell_rows(monkeypatch):
    from analyzer.aggregate import state

    rng = np.random.default_rng(3)

    def parts():
        for _ in range(200):
            k = int(rng.integers(1, 6))
            vectors = np.zeros((k, state.F.WIDTH), dtype=np.int64)
            vectors[:, state.F.N] = 1
            vectors[:, state.F.POS] = rng.integers(0, 2, k)
            vectors[:, state.F.THEME_MENTION] = rng.integers(0, 2, k)
            yield state.rows_of(rng.integers(0, 50, k).tolist(), rng.integers(1, 4, k).tolist(), vectors)

    joined = state.AuthorDays()
    for part in parts():
        joined.add(part)
    assert len(joined._pending) < state.MAX_PENDING_PARTS
    rng = np.random.default_rng(3)
    monkeypatch.setattr(state, "MAX_PENDING_PARTS", 10**9)
    plain = state.AuthorDays()
    for part in parts():
        plain.add(part)
    assert len(plain._pending) == 200
    for a, b in zip(joined.compact(), plain.compact()):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_with_is_dataclasses_replace_and_stays_frozen():
    import dataclasses
    import pickle

    from analyzer.schema import FIELD_NAMES, reader_comment

    base = Comment(id="c1", text="Loved it", extra={"k": 1}, lang="en", themes=("story",), theme_scores={"story": 0.5})
    values = {"clean_text": "loved it", "noise": True, "dup_count": 3, "lang_mixed": ("en", "id"),
              "sentiment_scores": (0.1, 0.2, 0.7), "theme_polarity": {"story": "positive"}, "id": "c2"}
    for name, value in values.items():
        copy = base.with_(**{name: value})
        assert type(copy) is Comment and copy == dataclasses.replace(base, **{name: value})
    everything = base.with_(**values)
    assert everything == dataclasses.replace(base, **values)
    assert [getattr(everything, n) for n in FIELD_NAMES] == [getattr(dataclasses.replace(base, **values), n) for n in FIELD_NAMES]
    assert base.lang == "en" and base.clean_text is None  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        everything.lang = "fr"
    with pytest.raises(TypeError, match="no field 'nope'"):
        base.with_(nope=1)
    assert pickle.loads(pickle.dumps(everything)) == everything
    assert type(pickle.loads(pickle.dumps(everything))) is Comment
    read = reader_comment("c1", "Loved it", "", None, None, None, None, None, None, None, None, None, {"k": 1})
    assert read == Comment(id="c1", text="Loved it", extra={"k": 1})


def test_gc_thresholds_apply_during_a_run_and_come_back(tmp_path, monkeypatch):
    import gc

    from analyzer import runner
    from analyzer.defaults import GC_THRESHOLDS

    before = gc.get_threshold()
    with runner.gc_thresholds():
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == before
    seen = []
    real = runner._run_into
    monkeypatch.setattr(runner, "_run_into", lambda *a, **k: (seen.append(gc.get_threshold()), real(*a, **k))[1])
    runner.run("data/samples", tmp_path / "out", config={"run": {"workers": 1}})
    assert seen == [GC_THRESHOLDS] and gc.get_threshold() == before


def test_batch_fingerprints_are_the_regex_fingerprints():
    from analyzer.stages.dedup import _NON_WORD, _alnum_table, fingerprint, fingerprints

    every = "".join(map(chr, range(0x110000)))
    kept = {ord(ch) for ch in _NON_WORD.sub("", every)}
    assert kept == set(np.flatnonzero(_alnum_table()).tolist())  # the table is what the regex keeps
    texts = ["", "Straße ΟΔΟΣ ǅ", "a_b-c 12 ٣٤ Ⅻ", "so good ❤️", "\ud800lone surrogate", "前方高能!!", "  ", "x"]
    assert fingerprints([t.casefold() for t in texts]) == [fingerprint(t) for t in texts]
    assert fingerprints([]) == []


def test_batch_noise_reasons_are_noise_reason():
    from analyzer.stages.dedup import PROMO, fingerprint, noise_reasons

    texts = ["first!", "12:34", "check my channel", "Check My Channel pls", "sub4sub", "x" * 30, "",
             "ends with sub4", "sub now", "https://spam.example.invalid/x", "one more bitcoin", *PROMO]
    lowers = [t.casefold() for t in texts]
    fps = [fingerprint(t) for t in texts]
    assert noise_reasons(texts, lowers, fps) == [noise_reason(t, t, fp) for t, fp in zip(texts, fps)]


def test_link_noise_counts_the_letters_the_substitution_left():
    from analyzer.stages.dedup import _other_noise

    def reference(text):  # the rule as it was: find the links, then substitute them away and count
        urls = URL.findall(text) if might_have_url(text) else []
        return bool(urls) and (len(urls) >= 3 or sum(ch.isalpha() for ch in URL.sub(" ", text)) < 12)

    texts = URLISH + ["watch on www.viki.com/tv/x with friends tonight", "a.com b.com", "a.com b.com c.com and words",
                      "ok see bit.ly/abc", "https://x.com/a https://y.org/b lots of letters around here"]
    for text in texts:
        assert (_other_noise(text, text.casefold(), None) == "link") == reference(text), text


def _reference_counts(c: Comment, local_langs: tuple[str, ...], strong: float) -> list[int]:
    """The count vector of one comment as ``features`` built it before ``counts_matrix`` (the reference)."""
    from analyzer.aggregate import features as F

    v = [0] * F.WIDTH
    v[F.N] = 1
    if c.sentiment == "positive":
        v[F.POS] = 1
        if len(c.sentiment_scores) == 3 and c.sentiment_scores[2] >= strong:
            v[F.STRONG] = 1
    elif c.sentiment == "neutral":
        v[F.NEU] = 1
    elif c.sentiment == "negative":
        v[F.NEG] = 1
    lang = F.base_lang(c.lang)
    if lang is not None and local_langs and c.region_source != "language":
        v[F.LANG_KNOWN] = 1
        v[F.LANG_LOCAL] = int(lang in local_langs)
    v[F.LIKES] = max(int(c.likes or 0), 0)
    for t in set(c.themes):
        i = F.THEME_INDEX.get(t)
        if i is None:
            continue
        v[F.THEME_MENTION + i] = 1
        pol = F.polarity_of(c, t)
        if pol == "positive":
            v[F.THEME_POS + i] = 1
        elif pol == "negative":
            v[F.THEME_NEG + i] = 1
            if t in ("access", "subtitles"):
                v[F.ACCESS_NEG] = 1
    for intent in set(c.intents):
        i = F.INTENT_INDEX.get(intent)
        if i is not None:
            v[F.INTENT + i] = 1
    v[F.WHERE_TO_WATCH] = v[F.INTENT + F.INTENT_INDEX["where_to_watch"]]
    return v


def test_counts_matrix_is_the_per_comment_vectors():
    from analyzer.aggregate import features as F
    from analyzer.schema import INTENTS, THEMES

    rng = random.Random(3)
    stances = [None, "positive", "neutral", "negative", "mixed"]
    themes = list(THEMES) + ["unknown_theme"]
    comments, locals_ = [], []
    for i in range(3000):
        picked = tuple(rng.choice(themes) for _ in range(rng.randrange(4)))  # repeats included
        comments.append(Comment(
            id=f"c{i}", text="t", sentiment=rng.choice(stances),
            sentiment_scores=rng.choice([(), (0.1, 0.1, 0.8), (0.3, 0.3, 0.4), (0.0, 0.0, 0.95)]),
            lang=rng.choice([None, "", "und", "en", "ko", "zh-Hant", "es_MX", "vi"]),
            region_source=rng.choice([None, "language", "field"]), likes=rng.choice([None, 0, -3, 7, 2.9, 10**6]),
            themes=picked, intents=tuple(rng.choice(list(INTENTS) + ["other"]) for _ in range(rng.randrange(3))),
            theme_polarity={t: rng.choice(["positive", "negative", "neutral", ""]) for t in picked if rng.random() < 0.5}))
        locals_.append(rng.choice([(), ("en",), ("ko", "en"), ("vi",), ("zh",)]))
    expected = np.array([_reference_counts(c, loc, 0.75) for c, loc in zip(comments, locals_)], dtype=np.int64)
    assert np.array_equal(F.counts_matrix(comments, locals_, 0.75), expected)
    assert F.counts_matrix([comments[5]], [locals_[5]], 0.75)[0].tolist() == expected[5].tolist()
    assert F.counts_matrix([], [], 0.75).shape == (0, F.WIDTH)
