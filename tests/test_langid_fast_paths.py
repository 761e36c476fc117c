"""The language-ID stage's fast paths agree with the straightforward code they replaced
(kept here as references)."""

from __future__ import annotations

import random
import unicodedata

import numpy as np

from analyzer.backends import langid as L

ODD = [
    "a\0b", "x\u0301 http\u0301", "go to x.co\u0301m now", "\u212aelvin", "  ", "", "USER hi @bob [url] <url> RT &amp; ok",
    "e\u0301te\u0301", "\ud800x", "\u0301start", "end\u0327", "www.x.com/abc d", "a.com\u0301 b", "\u3000x\u2028y\x1c z ",
    "HTTP://A.B", "wWw.A", "x.\u0130o y", "x.\u0131o", "see bit.ly/abc", "..com", "v.2 is out", "Ends with a dot.",
    "드라마 good!!", "สนุกมาก 555", "𠀀 ok", "Ελλάδα", "✌️✌️✌️", "3️⃣4️⃣", "@a so good http://x.co",
]


def reference_clean(text: str) -> str:
    """``clean_for_langid`` as it was written first: one text at a time, the URL hint by regex."""
    text = unicodedata.normalize("NFC", text)
    if L._URL_HINT.search(text):
        text = L._URL.sub(" ", text)
    text = L._MENTION.sub(" ", L._UPPER_MASK.sub(" ", L._MASK.sub(" ", text)))
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    codes[L._dropped()[codes]] = 32
    return " ".join(codes.tobytes().decode("utf-32-le", "surrogatepass").split())


def test_url_hint_is_the_regex():
    rnd = random.Random(0)
    letters = "hHtTpPwW.cCoOmMnNeErRgGlLyYbBiIvV\u0130\u0131 xé_1"
    texts = ODD + ["".join(rnd.choice(letters) for _ in range(rnd.randint(1, 12))) for _ in range(20_000)]
    assert [L._has_url_hint(t) for t in texts] == [L._URL_HINT.search(t) is not None for t in texts]


def test_clean_many_is_the_reference_in_any_batch():
    rnd = random.Random(1)
    pool = ODD + ["".join(rnd.choice("ab .,!\u0301\u00a0\t\n@#[]<>é드𠀀✌") for _ in range(rnd.randint(0, 20))) for _ in range(2000)]
    for size in (1, 2, 7, 300):
        for start in range(0, len(pool), size):
            batch = pool[start:start + size]
            assert L.clean_many(batch) == [reference_clean(t) for t in batch]
    assert L.clean_many([]) == []


def test_words_many_is_each_text_lowered_and_split():
    cases = [["So GOOD", "ΟΔΟΣ end", "a"], ["", "x y"], ["a  b", "c"], ["a\tb", " c"], ["İstanbul çok", "ΣΑΣ"], []]
    for texts in cases:
        words, counts = L._words_many(texts)
        per_text = [t.lower().split() for t in texts]
        assert words == [w for ws in per_text for w in ws]
        assert counts.tolist() == [len(ws) for ws in per_text]


def test_han_script_many_is_han_script_of_each():
    texts = ["们这说", "們這說", "加油", "", "們们 ok", "這這们", "𠀀 a", "\ud800們"]
    assert L.han_script_many(texts) == [L.han_script(t) for t in texts]
    assert L.han_script_many([]) == []


def reference_mixed(backend, main: int, rows: list[int]) -> tuple[str, ...]:
    """A text's (main, second) language as the backend named it one text at a time."""
    votes: dict[int, int] = {}
    for row in rows:
        j = int(backend.lexicon.clear_langs[row])
        if j >= 0 and j != main:
            votes[j] = votes.get(j, 0) + 1
    if len(rows) < 3 or not votes:
        return ()
    second = max(votes, key=lambda j: (votes[j], -j))
    if votes[second] >= 2 and votes[second] >= L.MIXED_SHARE * len(rows):
        return (backend.languages[main], backend.languages[second])
    return ()


def test_mixed_many_is_the_one_text_reference():
    backend = L.Py3LangidBackend()
    texts = ["the drama is so good pero la historia es muy buena y me gusta mucho", "aku suka banget the acting is great",
             "so good", "sehr gut and very nice and so good", "ang ganda ng drama so good talaga the best", "qq zz xx"]
    rnd = random.Random(2)
    vocab = " ".join(texts).split()
    texts += [" ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 12))) for _ in range(300)]
    _, words, _ = backend._word_evidence(texts)
    rows, n_words, _ = words
    best = np.array([rnd.randrange(len(backend.languages)) for _ in texts], dtype=np.intp)
    got = backend._mixed_many(best, words)
    ends = np.cumsum(n_words)
    for i, (start, end) in enumerate(zip((ends - n_words).tolist(), ends.tolist())):
        known = [r for r in rows[start:end].tolist() if r >= 0]
        assert got[i] == reference_mixed(backend, int(best[i]), known), texts[i]
    assert any(got)


def test_words_many_falls_back_on_any_other_spacing():
    for texts in (["a\u00a0b", "c"], ["\t", "a\tb"], ["x", ""], [""], ["a\u200db c"], ["a ", "b"]):
        words, counts = L._words_many(texts)
        per_text = [t.lower().split() for t in texts]
        assert (words, counts.tolist()) == ([w for ws in per_text for w in ws], [len(ws) for ws in per_text])


def test_script_counts_many_keeps_the_scripts_order():
    texts = ["드라마 good", "hello", "", "最終回が楽しみ abc", "Ελλάδα 드라마 привет", "𠀀𠀁 a", "tiếng việt"]
    names = L._SCRIPTS + ("Other",)
    expected = []
    for text in texts:  # per text, every column of the script table in order (the former loop)
        codes = L._script_index()[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
        counts = np.bincount(codes, minlength=len(names) + 1)[:-1].tolist()
        expected.append([(names[k], n) for k, n in enumerate(counts) if n])
    assert [list(d.items()) for d in L.script_counts_many(texts)] == expected


def reference_features(ident, data: bytes) -> dict[int, int]:
    """py3langid's own walk of one text: feature -> occurrences."""
    found: dict[int, int] = {}
    state = 0
    for byte in data:
        state = ident.tk_nextmove[(ident.tk_row[state] << 8) + byte]
        feature = ident.tk_output[state]
        if feature >= 0:
            found[feature] = found.get(feature, 0) + 1
    return found


def test_distinct_features_compiled_is_the_numpy_walk_and_py3langids():
    backend = L.Py3LangidBackend()
    rng = random.Random(7)
    texts = [*ODD, "a" * 3000, "x", "", *("".join(chr(rng.randrange(1, 0x3100)) for _ in range(rng.randrange(0, 400)))
                                          for _ in range(300))]
    datas = [t.encode("utf-8", errors="surrogatepass") for t in texts]
    for batch in (datas, datas[:1], datas[5:6], []):
        compiled = backend._distinct_features(batch, compiled=True)
        numpy_walk = backend._distinct_features(batch, compiled=False)
        assert all(a.dtype == b.dtype == np.int64 and np.array_equal(a, b) for a, b in zip(compiled, numpy_walk))
    text_of, feats, counts = backend._distinct_features(datas)
    ident = L._py3langid_model()
    for i in range(0, len(datas), 37):  # each text's features, by feature
        mine = {int(f): int(c) for f, c in zip(feats[text_of == i], counts[text_of == i])}
        assert list(mine) == sorted(mine) and mine == reference_features(ident, datas[i])
