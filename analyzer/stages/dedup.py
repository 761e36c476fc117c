"""``DedupStage``: duplicates and noise, with bounded memory on endless streams.

Every comment stays in the output. A later copy of an earlier comment gets
``duplicate_of`` (the id of the first copy), ``extra["duplicate_reason"]``
and ``dup_count = k`` (it is the k-th copy seen; the first copy keeps 1, so the
largest ``dup_count`` of a cluster is its size). Metrics should count a comment only
when it has no ``duplicate_of``. Copies are found by, in order:

- ``same_id``: the same platform id read again (overlapping dumps); without a platform, the same
  id with the same text (ids such as a CSV's row numbers are per file);
- ``same_author``: the same author posting the same text (any length);
- ``exact``: the same fingerprint (case-folded letters and digits only) of at least
  ``min_chars`` characters: copy-paste and stolen-comment bots. Short texts ("so good",
  "❤️") are left alone: many people write them independently;
- ``near``: MinHash over character 4-grams (``num_perm`` hashes, LSH with ``bands``
  bands) with estimated Jaccard similarity >= ``near_threshold``.

Noise (``noise=True``, ``extra["noise_reason"]``): promotion/link spam, a bare link,
a bare timestamp ("12:34"), "first!" in several languages.

Memory: each index is an LRU capped at ``window`` entries (near-duplicate signatures
at ``near_window``), so memory stays flat on any stream; a copy whose first copy
fell out of the window is not found. State lives in the stage object (one per
shard); ``reset()`` clears it.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import operator
import re
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import ahocorasick
import numpy as np

from ..errors import check_param
from ..schema import Comment
from ..text.normalize import _URL_HINT, URL, might_have_url
from .base import Batch, Stage

from ..backends.kernels import hashed as _hashed  # None: the numpy and hashlib code below runs

_NON_WORD = re.compile(r"[\W_]+")
_TIMESTAMP = re.compile(r"(?<!\d)\d{1,2}(?::[0-5]\d){1,2}(?!\d)")
_CLOCK = re.compile(r":[0-5]\d")  # in every timestamp; a literal first character makes it a fast scan
_FIRST = re.compile(
    r"(?:first|1st|frist|fisrt|first comment|first here|first view|early|early squad|primero|primera|"
    r"primeiro|premier|premiere|première|erster?|pertamax|pertama|đầu tiên|dau tien|沙发|前排|一楼|"
    r"1楼|第一|첫\s?댓글|첫빠|첫|แรก|เม้นแรก|คนแรก|una|unang|una ako)(?: comment| here| yay| lol)?"
)
PROMO = (
    "check my channel", "check out my channel", "visit my channel", "subscribe to my", "sub4sub",
    "sub 4 sub", "follow me", "follow my", "earn $", "make money", "work from home", "dm me",
    "telegram", "whatsapp", "bitcoin", "crypto", "investment", "promo code", "free download",
    "click here", "click the link", "link in bio", "đăng ký kênh", "kiếm tiền", "加我", "关注我",
    "私信我", "ติดตามช่อง", "กดติดตาม", "kunjungi channel", "subscribe channel", "mampir ke channel",
)

_PROMO = re.compile("|".join(map(re.escape, PROMO)))
# The most characters a "first!" comment can have: a longer fingerprint cannot be one.
_FIRST_MAX = re._parser.parse(_FIRST.pattern).getwidth()[1]
# What the fingerprint of a "first!" comment matches: ``_FIRST`` without its spaces (the text
# it is tried on is words joined by single spaces; without them it is the fingerprint).
_FIRST_FP = re.compile(_FIRST.pattern.replace(r"\s?", "").replace(" ", ""))


class LRU:
    """A dict capped at ``size`` entries; the least recently used goes first. An
    OrderedDict: evicting its oldest entry is O(1), where a plain dict's ``next(iter())``
    rescans the slots its earlier evictions emptied (O(window) per eviction once full)."""

    def __init__(self, size: int) -> None:
        self.size, self.data = size, OrderedDict()

    def get(self, key):
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def get_or_put(self, key, value):
        """``get(key)``, and when there is none, ``put(key, value)`` (its evictions dropped):
        one lookup where the two calls make three."""
        data = self.data
        found = data.get(key)
        if found is not None:
            data.move_to_end(key)
            return found
        data[key] = value
        while len(data) > self.size:
            data.popitem(last=False)
        return None

    def put(self, key, value):
        """Set ``key``; returns the (key, value) pairs evicted (most often none)."""
        data = self.data
        if key in data:
            data.move_to_end(key)
        data[key] = value  # a new key goes in last
        if len(data) <= self.size:
            return ()
        evicted = []
        while len(data) > self.size:
            evicted.append(data.popitem(last=False))
        return evicted

    def __len__(self) -> int:
        return len(self.data)


def fingerprint(text: str) -> str:
    """Case-folded letters and digits only: what copy-paste keeps when it adds emoji."""
    return _NON_WORD.sub("", text.casefold())


@functools.cache
def _alnum_table() -> np.ndarray:
    """Per code point, whether ``str.isalnum`` (what ``_NON_WORD`` does not match), built on
    first use (~0.1 s, 1.1 MB; the run's workers inherit it)."""
    return np.fromiter(map(str.isalnum, map(chr, range(0x110000))), dtype=bool, count=0x110000)


def fingerprints(folded: Sequence[str]) -> list[str]:
    """``fingerprint`` of every text, given case-folded (``casefold`` maps each character
    alone), for the whole batch at once: one table look-up per code point."""
    if not folded:
        return []
    cp = np.frombuffer("".join(folded).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    keep = _alnum_table()[cp]
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    ends = np.cumsum(np.fromiter(map(len, folded), dtype=np.int64, count=len(folded)))
    bounds = [0, *kept_before[ends].tolist()]
    kept = cp[keep].tobytes().decode("utf-32-le")
    return [kept[a:b] for a, b in zip(bounds, bounds[1:])]


@functools.cache
def _promo_automaton() -> ahocorasick.Automaton:
    """The ``PROMO`` phrases in one Aho-Corasick automaton (what ``_PROMO`` finds)."""
    automaton = ahocorasick.Automaton()
    for phrase in PROMO:
        automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    return automaton


def promo_hits(lowers: Sequence[str]) -> set[int]:
    """Indexes of the (case-folded) texts that contain a ``PROMO`` phrase: one C scan of the
    batch joined by newlines (no phrase holds one, so no hit spans two texts)."""
    found = _promo_automaton().iter("\n".join(lowers))
    return _owners(lowers, (end for end, _ in found))


def pattern_hits(pattern: re.Pattern, texts: Sequence[str]) -> set[int]:
    """Indexes of the texts ``pattern`` finds something in, by one scan of the batch joined by
    newlines: for a pattern whose matches hold no newline and whose look-arounds read a newline
    as they read the start or end of a text (``_URL_HINT``, ``_CLOCK``)."""
    return _owners(texts, (m.start() for m in pattern.finditer("\n".join(texts))))


def _owners(texts: Sequence[str], positions) -> set[int]:
    """Indexes of the texts that hold these positions of ``"\n".join(texts)``."""
    starts = np.cumsum([0, *(len(text) + 1 for text in texts)]).tolist()
    return {bisect.bisect_right(starts, at) - 1 for at in positions}


def noise_reason(text: str, clean: str, fp: str | None = None) -> str | None:
    """Why a comment is noise ("promo", "link", "timestamp", "first"), or None.
    ``fp``: ``fingerprint(clean)`` when the caller has it (it skips hopeless checks)."""
    lower = clean.casefold()
    if _PROMO.search(lower):
        return "promo"
    return _other_noise(text, lower, fp)


def noise_reasons(texts: Sequence[str], lowers: Sequence[str], fps: Sequence[str]) -> list[str | None]:
    """``noise_reason`` of every comment of a batch (raw texts, case-folded clean texts and
    their fingerprints). Promotion phrases, URL hints and timestamps are found in one scan of
    the batch each; only the comments where one is found, or whose fingerprint a "first!"
    comment could have, are checked one by one (the others cannot be noise)."""
    promo = promo_hits(lowers)
    suspects = promo | pattern_hits(_URL_HINT, texts) | pattern_hits(_CLOCK, texts)
    suspects.update(i for i, fp in enumerate(fps) if len(fp) <= _FIRST_MAX and _FIRST_FP.fullmatch(fp))
    out: list[str | None] = [None] * len(texts)
    for i in suspects:
        out[i] = "promo" if i in promo else _other_noise(texts[i], lowers[i], fps[i])
    return out


def _other_noise(text: str, lower: str, fp: str | None) -> str | None:
    """``noise_reason`` after the promotion check."""
    urls = [m.span() for m in URL.finditer(text)] if might_have_url(text) else []
    if urls:  # one scan: the letters outside the links are counted from their spans
        outside = zip([0, *(end for _, end in urls)], [*(start for start, _ in urls), len(text)])
        if len(urls) >= 3 or not _has_letters("".join(text[a:b] for a, b in outside), 12):
            return "link"
    # a timestamp has a colon and two digits (a fast scan: links have colons too)
    if _CLOCK.search(text) and _TIMESTAMP.search(text) and not any(ch.isalpha() for ch in _TIMESTAMP.sub(" ", text)):
        return "timestamp"
    if (fp is None or len(fp) <= _FIRST_MAX) and _FIRST.fullmatch(_NON_WORD.sub(" ", lower).strip()):
        return "first"
    return None


def _has_letters(text: str, count: int) -> bool:
    """Whether ``text`` has at least ``count`` letters (``str.isalpha``), read up to the last one needed."""
    return next(itertools.islice(filter(str.isalpha, text), count - 1, None), None) is not None


def _crc_tables() -> np.ndarray:
    """zlib's CRC-32 byte table (reflected polynomial 0xEDB88320) and the three tables that
    step it over 4 bytes at once ("slicing-by-4"): row k is a byte followed by k zero bytes."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    tables = [table]
    for _ in range(3):
        tables.append((tables[-1] >> 8) ^ table[tables[-1] & 0xFF])
    return np.stack(tables)


_CRC_TABLES = _crc_tables()


def crc32_grams(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``zlib.crc32`` of the UTF-8 bytes of every character n-gram of every text (each
    at least ``n`` characters), computed for the whole batch at once: the n-grams grouped by
    their size in bytes, each group stepped 4 bytes at a time, then byte by byte. Returns
    the CRCs and the number of n-grams per text."""
    joined = "".join(texts)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    data = np.frombuffer(joined.encode("utf-8") + bytes(3), dtype=np.uint8)
    char_bytes = 1 + (cp >= 0x80).astype(np.int64) + (cp >= 0x800) + (cp >= 0x10000)
    offset = np.concatenate(([0], np.cumsum(char_bytes)))  # byte offset of each character
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    per_text = lengths - n + 1
    text_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    gram_char = np.arange(int(per_text.sum())) + np.repeat(text_start - np.concatenate(([0], np.cumsum(per_text)[:-1])), per_text)
    first, size = offset[gram_char], offset[gram_char + n] - offset[gram_char]
    crc = np.empty(len(first), dtype=np.uint32)
    words = _words(data)
    for bytes_long in np.flatnonzero(np.bincount(size)).tolist():
        group = np.flatnonzero(size == bytes_long)
        crc[group] = _crc_group(data, words, first[group], bytes_long)
    return crc ^ np.uint32(0xFFFFFFFF), per_text


def _words(data: np.ndarray) -> np.ndarray:
    """The little-endian uint32 at every byte offset of ``data`` (its last 3 bytes padding)."""
    wide = data.astype(np.uint32)
    return wide[:-3] | (wide[1:-2] << 8) | (wide[2:-1] << 16) | (wide[3:] << 24)


def _crc_group(data: np.ndarray, words: np.ndarray, first: np.ndarray, size: int) -> np.ndarray:
    """The CRC-32 registers (before the final inversion) of byte strings of one ``size``."""
    t0, t1, t2, t3 = _CRC_TABLES
    crc = np.full(len(first), 0xFFFFFFFF, dtype=np.uint32)
    whole = size - size % 4
    for j in range(0, whole, 4):
        crc ^= words[first + j]
        crc = t3[crc & 0xFF] ^ t2[(crc >> 8) & 0xFF] ^ t1[(crc >> 16) & 0xFF] ^ t0[crc >> 24]
    for j in range(whole, size):
        crc = t0[(crc ^ data[first + j]) & 0xFF] ^ (crc >> 8)
    return crc


def mod_mersenne61(x: np.ndarray, high: np.ndarray | None = None) -> np.ndarray:
    """``x % (2**61 - 1)`` for uint64 ``x``, in place, by shifts and masks (a Mersenne
    prime needs no division: 2**61 = 1 modulo it); ~2x faster than numpy's ``%``.
    ``high``: a scratch array of x's shape, to reuse."""
    prime = MinHasher.PRIME
    high = np.right_shift(x, np.uint64(61), out=high)
    x &= prime
    x += high  # at most prime + 7: one subtraction finishes it, needed by ~1 value in 2**58
    if x.size and x.max() >= prime:
        np.subtract(x, prime, out=x, where=x >= prime)
    return x


class MinHasher:
    """MinHash signatures of character 4-gram sets (seeded, reproducible)."""

    PRIME = np.uint64((1 << 61) - 1)
    CHUNK_GRAMS = 4096  # n-grams hashed at a time (x num_perm uint64: ~1 MB, cache-sized)

    def __init__(self, num_perm: int = 32, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, 1 << 32, num_perm, dtype=np.uint64)
        self.b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64)

    def signature(self, text: str, n: int = 4) -> np.ndarray:
        if len(text) < n:  # one "gram": the whole text
            hashes = np.asarray([zlib.crc32(text.encode("utf-8"))], dtype=np.uint64)
            return ((hashes[:, None] * self.a + self.b) % self.PRIME).min(axis=0).astype(np.uint32)
        return self.signatures([text], n)[0]

    def signatures(self, texts: Sequence[str], n: int = 4, compiled: bool = True) -> np.ndarray:
        """(len(texts), num_perm) signatures of texts of at least ``n`` characters; the
        same as ``signature`` of each (a repeated n-gram does not change a minimum).
        ``compiled``: by the C kernel when it is built (the same values; the numpy code
        below is the reference)."""
        if not texts:
            return np.zeros((0, len(self.a)), dtype=np.uint32)
        if compiled and _hashed is not None:
            packed = _hashed.minhash(list(texts), n, self.a, self.b)
            return np.frombuffer(packed, dtype=np.uint32).reshape(len(texts), len(self.a))
        crcs, per_text = crc32_grams(texts, n)
        crcs = crcs.astype(np.uint64)
        ends = np.cumsum(per_text)
        starts = ends - per_text
        out = np.empty((len(self.a), len(texts)), dtype=np.uint32)
        hashed = high = np.empty((len(self.a), 0), dtype=np.uint64)
        i = 0
        while i < len(texts):  # texts whose n-grams fill about CHUNK_GRAMS columns: the products stay in cache
            j = max(i + 1, int(np.searchsorted(ends, starts[i] + self.CHUNK_GRAMS, side="right")))
            first, cols = starts[i], ends[j - 1] - starts[i]
            if hashed.shape[1] < cols:  # buffers reused from chunk to chunk
                hashed, high = np.empty((2, len(self.a), max(cols, self.CHUNK_GRAMS)), dtype=np.uint64)
            values = self._hash(crcs[first:first + cols], hashed[:, :cols], high[:, :cols])
            # One row per permutation: each text's minimum is over a contiguous run (~4x
            # faster than over rows). The low 32 bits of each are kept: half the memory, same estimate.
            out[:, i:j] = np.minimum.reduceat(values, starts[i:j] - first, axis=1)
            i = j
        return np.ascontiguousarray(out.T)

    def _hash(self, x: np.ndarray, out: np.ndarray, high: np.ndarray) -> np.ndarray:
        """``(a * x + b) % PRIME`` for uint32 ``x`` (as uint64), one row per permutation, into
        ``out`` (``high``: scratch of its shape)."""
        np.multiply(x, self.a[:, None], out=out)  # < 2**64: both < 2**32
        out += self.b[:, None]
        return mod_mersenne61(out, high)


class DupKeys(NamedTuple):
    """One comment's dedup keys: 64-bit digests, the noise reason and the MinHash signature."""

    id: str
    id_key: int
    noise: str | None
    author_key: int | None
    text_key: int | None
    signature: bytes | None  # packed uint32 MinHash, only for texts of at least min_chars


def bands_find(bands: list[dict[bytes, str]], keys: tuple[bytes, ...]) -> list[str]:
    """The ids the LSH bands hold for a signature's band keys, in band order."""
    return [c for band, key in zip(bands, keys) if (c := band.get(key)) is not None]


def bands_claim(bands: list[dict[bytes, str]], keys: tuple[bytes, ...], ident: str) -> tuple[bytes | None, ...]:
    """``setdefault(key, ident)`` in each band; the keys whose band names ``ident`` after it."""
    return tuple([key if band.setdefault(key, ident) == ident else None for band, key in zip(bands, keys)])


def bands_drop(bands: list[dict[bytes, str]], owned: tuple[bytes | None, ...]) -> None:
    """Delete each key that is not None from its band."""
    for band, key in zip(bands, owned):
        if key is not None:
            del band[key]


class DedupStage(Stage):
    name = "dedup"
    requires = ("clean_text",)
    assigns = ("dup_count", "duplicate_of", "noise")
    preparable = True
    # The bands' loops (one call per signature): the C kernel's when built (the same dict
    # operations in the same order), else the functions above (the reference, tested equal).
    _find = staticmethod(_hashed.bands_find if _hashed is not None else bands_find)
    _claim = staticmethod(_hashed.bands_claim if _hashed is not None else bands_claim)
    _drop = staticmethod(_hashed.bands_drop if _hashed is not None else bands_drop)

    def __init__(self, *, min_chars: int = 20, near: bool = True, near_threshold: float = 0.8,
                 num_perm: int = 32, bands: int = 8, window: int = 50_000, near_window: int = 5_000,
                 flag_noise: bool = True, duplicates_as_noise: bool = False) -> None:
        owner = type(self).__name__
        for name, value in (("min_chars", min_chars), ("num_perm", num_perm), ("bands", bands),
                            ("window", window), ("near_window", near_window)):
            check_param(owner, name, value, isinstance(value, int) and not isinstance(value, bool) and value > 0,
                        "a positive int")
        check_param(owner, "near_threshold", near_threshold,
                    isinstance(near_threshold, (int, float)) and 0 < near_threshold <= 1, "a number in (0, 1]")
        check_param(owner, "bands", bands, num_perm % bands == 0, f"a divisor of num_perm ({num_perm})")
        for name, value in (("near", near), ("flag_noise", flag_noise), ("duplicates_as_noise", duplicates_as_noise)):
            check_param(owner, name, value, isinstance(value, bool), "a bool")
        self.min_chars, self.near, self.near_threshold = min_chars, near, float(near_threshold)
        self.num_perm, self.bands, self.window, self.near_window = num_perm, bands, window, near_window
        self.flag_noise, self.duplicates_as_noise = flag_noise, duplicates_as_noise
        self._hasher = MinHasher(num_perm)
        self.reset()

    def reset(self) -> None:
        """Forget every comment seen (start of a new, independent stream)."""
        self._ids = LRU(self.window)
        self._texts = LRU(self.window)
        self._signatures = LRU(self.near_window)  # first id -> [packed uint32 signature, the band keys it holds]
        # one dict per LSH band: that band's bytes of a signature -> the first id that had them
        self._bands: list[dict[bytes, str]] = [{} for _ in range(self.bands)]
        self._counts = LRU(self.window)  # first id -> copies seen so far
        self.stats: Counter = Counter()
        # The same four windows in C when the kernel is built (``decide_batch`` then makes every
        # decision of a batch in one call; the LRUs above stay empty and are the tested reference).
        self._windows = _hashed.windows_new(self.window, self.near_window) if self.compiled_windows() else None

    def __getstate__(self) -> dict:
        """Pickled (the Ray engine shares the driver's stages) before it has seen a comment: the C
        windows (a capsule) are made again, empty, where it is loaded; a stage that has seen
        comments refuses, as its windows would be lost."""
        if self._windows is not None and any(self.window_sizes()):
            raise TypeError("a DedupStage that has seen comments cannot be pickled (its windows are the C kernel's)")
        return {**self.__dict__, "_windows": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._windows = _hashed.windows_new(self.window, self.near_window) if self.compiled_windows() else None

    def compiled_windows(self) -> bool:
        """Whether the windows are the C kernel's: built, and ``_near_copy`` not overridden."""
        return _hashed is not None and type(self)._near_copy is DedupStage._near_copy and max(
            self.window, self.near_window) < 1 << 29

    def window_sizes(self) -> tuple[int, int, int, int]:
        """Entries in the ids, texts, signatures and counts windows."""
        if self._windows is not None:
            return _hashed.windows_sizes(self._windows)
        return len(self._ids), len(self._texts), len(self._signatures), len(self._counts)

    def summary(self) -> dict[str, int]:
        """Counts for the run summary: comments seen, duplicates by reason, noise by reason."""
        return dict(self.stats)

    # --- predict: one decision per comment, updating the bounded indexes -------------
    # Split in two so a distributed engine can compute ``keys`` anywhere (pure) and make
    # the ``decide`` calls in input order in one place: the same decisions as one stream.
    def predict(self, batch: Sequence[Comment]) -> list[tuple[str | None, str | None, int, str | None]]:
        return self.decide_batch(batch, self.prepare(batch))

    def prepare(self, batch: Sequence[Comment]) -> list[DupKeys]:
        return self.keys_batch(batch)

    def decide_batch(self, batch: Sequence[Comment], prepared: list[DupKeys]) -> list[tuple]:
        if self._windows is not None:
            return _hashed.windows_decide(self._windows, list(prepared), self._bands, self.stats, self.near_threshold)
        decide = self.decide
        return [decide(k) for k in prepared]

    def keys_batch(self, batch: Sequence[Comment]) -> list[DupKeys]:
        """``keys`` of every comment of a batch: fingerprints, promotion phrases and MinHash
        signatures each in one vectorized pass over the batch."""
        lowers = [(c.clean_text if c.clean_text is not None else c.text).casefold() for c in batch]
        fps = fingerprints(lowers)
        noises = noise_reasons([c.text for c in batch], lowers, fps) if self.flag_noise else [None] * len(batch)
        signatures = self._signatures_of(fps)  # only the long-enough fingerprints have one
        long_enough = [len(fp) >= self.min_chars for fp in fps]
        # A platform's id names one comment; an id without a platform (a CSV's row numbers) only with its text
        # (the text itself: the fingerprint of an emoji-only comment is empty, so any two would match).
        id_keys = digests([f"{c.platform}\x00{c.id}" if c.platform else f"\x00{c.id}\x00{c.text}" for c in batch])
        author_keys = digests([f"author\x00{c.author}\x00{fp}" if fp and c.author else None
                               for c, fp in zip(batch, fps)])
        text_keys = digests([f"text\x00{fp}" if long else None for fp, long in zip(fps, long_enough)])
        columns = ([c.id for c in batch], id_keys, noises, author_keys, text_keys, map(signatures.get, fps))
        return list(map(DupKeys._make, zip(*columns)))

    def _signatures_of(self, fps: list[str]) -> dict[str, bytes]:
        """Packed uint32 MinHash signatures of the batch's long-enough fingerprints, in one vectorized pass
        (the decisions that use them stay sequential)."""
        if not self.near:
            return {}
        wanted = list(dict.fromkeys(fp for fp in fps if fp and len(fp) >= self.min_chars))
        grams = [fp for fp in wanted if len(fp) >= 4]  # shorter texts are one "gram" each
        packed, width = self._hasher.signatures(grams).tobytes(), 4 * self.num_perm
        out = {fp: packed[i:i + width] for fp, i in zip(grams, range(0, len(packed), width))}
        out.update((fp, self._hasher.signature(fp).tobytes()) for fp in wanted if len(fp) < 4)
        return out

    def keys(self, c: Comment) -> DupKeys:
        """What ``decide`` needs to know about a comment (pure: no index is touched)."""
        return self.keys_batch([c])[0]

    def decide(self, k: DupKeys) -> tuple[str | None, str | None, int, str | None]:
        """(first copy's id, reason, dup_count, noise reason): call in input order."""
        if self._windows is not None:
            return self.decide_batch((), [k])[0]
        self.stats["seen"] += 1
        if k.noise:
            self.stats[f"noise_{k.noise}"] += 1
        first, reason = self._find_copy(k)
        if first is None:
            self._counts.put(k.id, 1)
            return None, None, 1, k.noise
        count = (self._counts.get(first) or 1) + 1
        self._counts.put(first, count)
        self.stats[f"duplicate_{reason}"] += 1
        return first, reason, count, k.noise

    def _find_copy(self, k: DupKeys) -> tuple[str | None, str | None]:
        first = self._ids.get_or_put(k.id_key, k.id)
        if first is not None:
            return first, "same_id"
        if k.author_key is not None:
            first = self._texts.get_or_put(k.author_key, k.id)
            if first is not None:
                return first, "same_author"
        if k.text_key is None:
            return None, None
        first = self._texts.get_or_put(k.text_key, k.id)
        if first is not None:
            return first, "exact"
        if k.signature is not None:
            first = self._near_copy(k.id, k.signature)
            if first is not None:
                return first, "near"
        return None, None

    def _near_copy(self, ident: str, packed: bytes) -> str | None:
        """The first id whose signature (packed uint32) agrees with ``packed`` on at least
        ``near_threshold`` of its hashes, among those sharing a band; else remember it
        (with its band keys, which remove it from the bands when it leaves the window)."""
        bands, keys = self._bands, self._band_keys(packed)
        candidates = self._find(bands, keys)
        if candidates:
            sig = np.frombuffer(packed, np.uint32)
            for candidate in dict.fromkeys(candidates):  # a candidate in several bands is compared once
                old = self._signatures.get(candidate)
                if old is not None and _agreement(np.frombuffer(old[0], np.uint32), sig) >= self.near_threshold:
                    return candidate
        record = [packed, keys]
        for _, (_, owned) in self._signatures.put(ident, record):
            self._drop(bands, owned)
        # The keys it holds: only its own eviction removes a key from a band, so these are the
        # keys whose band still names it when it leaves (what the bands would be asked then).
        record[1] = self._claim(bands, keys, ident)
        return None

    def _band_keys(self, packed: bytes) -> tuple[bytes, ...]:
        """The bytes of each band of a packed uint32 signature (one C call: slices picked by
        an ``itemgetter`` made once per signature size)."""
        return _band_slicer(len(packed), self.bands)(packed)

    # --- annotate ------------------------------------------------------------------------
    def annotate(self, batch: Sequence[Comment], predictions) -> Batch:
        out = []
        for c, (first, reason, count, noise) in zip(batch, predictions):
            if first is None and not noise and count == c.dup_count:  # the most common case: nothing to add
                out.append(c)
                continue
            extra = dict(c.extra)
            if first is not None:
                extra["duplicate_reason"] = reason
            if noise:
                extra["noise_reason"] = noise
            is_noise = c.noise or bool(noise) or (self.duplicates_as_noise and first is not None)
            out.append(c.with_(dup_count=count, duplicate_of=first, noise=is_noise, extra=extra)
                       if extra != c.extra or count != c.dup_count or is_noise != c.noise else c)
        return out

    def describe(self) -> dict[str, Any]:
        return {"stage": self.name, "min_chars": self.min_chars, "near": self.near,
                "near_threshold": self.near_threshold, "num_perm": self.num_perm, "bands": self.bands,
                "window": self.window, "near_window": self.near_window, "flag_noise": self.flag_noise,
                "duplicates_as_noise": self.duplicates_as_noise}

    def __repr__(self) -> str:
        return f"DedupStage(min_chars={self.min_chars}, near_threshold={self.near_threshold})"


@functools.cache
def _band_slicer(size: int, bands: int) -> Callable[[bytes], tuple[bytes, ...]]:
    """A function from ``size`` bytes to the tuple of its ``bands`` equal slices."""
    width = size // bands
    cuts = [slice(i, i + width) for i in range(0, size, width)]
    if len(cuts) == 1:
        return lambda packed: (packed[cuts[0]],)
    return operator.itemgetter(*cuts)


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal MinHash values (``np.mean(a == b)``, the same float, without its overhead)."""
    return np.count_nonzero(a == b) / len(a)


def digests(keys: list[str | None], compiled: bool = True) -> list[int | None]:
    """``_digest`` of every key (None stays None), by the C kernel when it is built."""
    if compiled and _hashed is not None:
        return _hashed.blake2b64(keys)
    return [None if key is None else _digest(key) for key in keys]


def _digest(joined: str, _blake=hashlib.blake2b, _int=int.from_bytes) -> int:
    """A 64-bit key of the parts of a key joined by NUL (small in memory; collisions are
    negligible within a window)."""
    return _int(_blake(joined.encode("utf-8"), digest_size=8).digest(), "little")
