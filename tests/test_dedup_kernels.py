"""The dedup stage's fast paths give what their references give: the compiled MinHash, BLAKE2b
keys and LSH band loops (``analyzer/backends/_hashed.c``) against the numpy, hashlib and Python
code, and the batch noise checks against ``noise_reason`` one comment at a time. Examples
written by us and random strings glued from pieces of many scripts."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from analyzer.schema import Comment
from analyzer.stages import dedup
from analyzer.stages.dedup import (
    DedupStage,
    MinHasher,
    bands_claim,
    bands_drop,
    bands_find,
    digests,
    fingerprints,
    noise_reason,
    noise_reasons,
)
from analyzer.stages.normalize import NormalizeStage

compiled = pytest.mark.skipif(dedup._hashed is None, reason="the compiled kernels are not built (no C compiler)")

PIECES = ["the ", "OST", " but", "!!!", "...", "剧情", "，", "演技", "연기는", " 좋지만", "นักแสดง", "😭", "🔥", "é",
          "e\u0301", "\t", "\n", "  ", "don't", "ep3", "x", "𠀋", "\U0001f600", "ǅ", "ſ", "K", "12:34", " 1:02:33",
          "first", " comment", "沙发", "첫 댓글", "https://", "www.", "a.com", ".COM/x", "bit.ly/", "check my channel",
          "sub4sub", " @user", ":", ".", "0", "ı", "İ"]


def _random_texts(seed: int, n: int, most: int = 25) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(PIECES, size=int(rng.integers(0, most)))) for _ in range(n)]


TEXTS = _random_texts(0, 2000) + _random_texts(1, 300, most=120) + [
    "", "a", "abcd", "x" * 127, "x" * 128, "x" * 129, "y" * 300, "first!", "First comment", "1st 🎉", "12:34",
    "watch at 12:30 tonight", "lol https://a.example.com https://b.example.com https://c.example.com",
    "You can watch it legally on Viki with English subtitles: https://www.viki.com/tv/x", "primero", "una ako",
]


@compiled
@pytest.mark.parametrize("num_perm", [1, 8, 32])
def test_compiled_minhash_equals_the_numpy_minhash(num_perm):
    hasher = MinHasher(num_perm, seed=num_perm)
    for n in (1, 4):
        texts = [t for t in TEXTS if len(t) >= n]
        assert np.array_equal(hasher.signatures(texts, n), hasher.signatures(texts, n, compiled=False))


@compiled
def test_compiled_minhash_refuses_short_texts():
    hasher = MinHasher(4)
    with pytest.raises(ValueError):
        dedup._hashed.minhash(["abc"], 4, hasher.a, hasher.b)


@compiled
def test_compiled_digests_equal_hashlib():
    keys = [*TEXTS, None, "\x00", "z" * 255, "z" * 256, "z" * 257]
    expected = [None if k is None else int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little")
                for k in keys]
    assert digests(keys) == expected == digests(keys, compiled=False)


@compiled
def test_compiled_band_loops_do_what_the_python_ones_do():
    rng = np.random.default_rng(2)
    states = [[{} for _ in range(4)] for _ in range(2)]
    functions = [(bands_find, bands_claim, bands_drop),
                 (dedup._hashed.bands_find, dedup._hashed.bands_claim, dedup._hashed.bands_drop)]
    held = []
    for step in range(3000):
        keys = tuple(bytes([int(rng.integers(0, 6)), j]) for j in range(4))
        ident = str(int(rng.integers(0, 50)))
        results = []
        for bands, (find, claim, drop) in zip(states, functions):
            results.append((find(bands, keys), claim(bands, keys, ident)))
        assert results[0] == results[1]
        held.append(results[0][1])
        if step % 3 == 0:
            owned = held.pop(int(rng.integers(0, len(held))))
            for bands, (_, _, drop) in zip(states, functions):
                drop(bands, tuple(k if k is not None and k in band else None for k, band in zip(owned, bands)))
        assert states[0] == states[1]


def test_batch_noise_equals_noise_reason_per_comment():
    lowers = [t.casefold() for t in TEXTS]
    assert noise_reasons(TEXTS, lowers, fingerprints(lowers)) == [noise_reason(t, t) for t in TEXTS]
    assert {r for r in noise_reasons(TEXTS, lowers, fingerprints(lowers))} >= {"promo", "link", "timestamp", "first"}


def _stream(seed: int, n: int) -> list[Comment]:
    """Comments with repeated and edited texts, ids and authors, so every window is used."""
    rng = np.random.default_rng(seed)
    base = _random_texts(seed, 60, most=40)
    out = []
    for i in range(n):
        text = base[int(rng.integers(0, len(base)))]
        if rng.random() < 0.5:
            text = text + PIECES[int(rng.integers(0, len(PIECES)))]
        out.append(Comment(id=f"c{int(rng.integers(0, n))}", text=text, author=f"u{int(rng.integers(0, 20))}",
                           platform=["youtube", "x"][int(rng.integers(0, 2))]))
    return NormalizeStage()(out)


@compiled
@pytest.mark.parametrize("settings", [{}, {"window": 7, "near_window": 3, "min_chars": 5},
                                      {"near_window": 1, "bands": 4, "num_perm": 8, "min_chars": 3}])
def test_decisions_with_and_without_the_kernels_are_the_same(settings, monkeypatch):
    comments = _stream(3, 1500)
    fast = DedupStage(**settings)
    fast_out = [fast(comments[i:i + 100]) for i in range(0, len(comments), 100)]
    monkeypatch.setattr(dedup, "_hashed", None)
    monkeypatch.setattr(DedupStage, "_find", staticmethod(bands_find))
    monkeypatch.setattr(DedupStage, "_claim", staticmethod(bands_claim))
    monkeypatch.setattr(DedupStage, "_drop", staticmethod(bands_drop))
    slow = DedupStage(**settings)
    slow_out = [slow(comments[i:i + 100]) for i in range(0, len(comments), 100)]
    assert fast_out == slow_out and fast.summary() == slow.summary()
    assert any(c.duplicate_of for batch in fast_out for c in batch)


class PythonWindows(DedupStage):
    """The stage with the Python windows (``LRU``) whatever is built: the reference of the C ones."""

    def compiled_windows(self) -> bool:
        return False


@compiled
@pytest.mark.parametrize("settings", [{}, {"window": 7, "near_window": 3, "min_chars": 5},
                                      {"window": 1, "near_window": 1, "min_chars": 1},
                                      {"window": 40, "near_window": 2, "bands": 4, "num_perm": 8, "min_chars": 3},
                                      {"window": 3000, "near_window": 1500, "bands": 16, "near_threshold": 0.5}])
def test_compiled_windows_decide_what_the_python_windows_decide(settings):
    """Decisions, counts (in the order they were first counted), bands and window sizes, batch by
    batch, on a stream whose windows evict at almost every step (ids repeat across platforms)."""
    comments = _stream(5, 3000)
    fast, slow = DedupStage(**settings), PythonWindows(**settings)
    assert fast.compiled_windows() and not slow.compiled_windows()
    for i in range(0, len(comments), 97):
        batch = comments[i:i + 97]
        prepared = fast.prepare(batch)
        assert fast.decide_batch(batch, prepared) == slow.decide_batch(batch, prepared)
        assert list(fast.stats.items()) == list(slow.stats.items())
        assert fast._bands == slow._bands and fast.window_sizes() == slow.window_sizes()
    assert fast.stats["duplicate_near"] and (fast.stats["duplicate_same_id"] or settings.get("window") == 1)
    assert fast.decide(fast.keys(comments[0])) == slow.decide(slow.keys(comments[0]))


class AskingBands(DedupStage):
    """The stage as it was before signatures recorded the band keys they hold: an evicted
    signature's keys are deleted where its band still names it (asked at eviction)."""

    def _near_copy(self, ident, packed):
        bands, keys = self._bands, self._band_keys(packed)
        candidates = [c for band, key in zip(bands, keys) if (c := band.get(key)) is not None]
        if candidates:
            sig = np.frombuffer(packed, np.uint32)
            for candidate in dict.fromkeys(candidates):
                old = self._signatures.get(candidate)
                if old is not None and np.count_nonzero(np.frombuffer(old[0], np.uint32) == sig) / len(sig) >= \
                        self.near_threshold:
                    return candidate
        for old_id, (_, old_keys) in self._signatures.put(ident, (packed, keys)):
            for band, key in zip(bands, old_keys):
                if band.get(key) == old_id:
                    del band[key]
        for band, key in zip(bands, keys):
            band.setdefault(key, ident)
        return None


@pytest.mark.parametrize("settings", [{}, {"window": 7, "near_window": 3, "min_chars": 5},
                                      {"near_window": 1, "bands": 4, "num_perm": 8, "min_chars": 3},
                                      {"near_window": 20, "bands": 16, "min_chars": 4, "near_threshold": 0.5}])
def test_recorded_band_keys_decide_what_asking_the_bands_decided(settings):
    comments = _stream(4, 2000)
    new, old = DedupStage(**settings), AskingBands(**settings)
    for i in range(0, len(comments), 128):
        assert new(comments[i:i + 128]) == old(comments[i:i + 128])
    assert new.summary() == old.summary() and new.summary().get("duplicate_near")
    assert new._bands == old._bands
