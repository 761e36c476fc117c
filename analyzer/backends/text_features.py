"""Vectorised hashed n-gram features for fast linear text models (numpy only).

A batch of texts is normalized as one joined string (a handful of C-level passes),
encoded to code points, and every character n-gram and word uni/bigram is hashed
with a stable 64-bit polynomial hash plus a murmur3 finalizer (never Python's
salted ``hash()``), so features are identical across processes and platforms.

Text with no spaces (Chinese, Japanese, Thai, ...) is covered by the character
n-grams; word features are only taken from tokens in spaced scripts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .kernels import hashed as _hashed  # None: the numpy code below runs

FEATURE_VERSION = 1

# Emoji -> coarse class. Each class becomes one private-use character, so "😭" and
# "😢" share features. Unlisted emoji stay as themselves.
EMOJI_CLASSES: dict[str, str] = {
    "love": "❤♥💕💖💗💓💞💘💝😍🥰😘💜💙💚💛🧡🤍🖤🤎😻💟❣🫶😚😙",
    "cry": "😭😢🥺😿🥹",
    "laugh": "😂🤣😆😹",
    "smile": "😊☺🙂😄😁😃😀😉😋😇🤗",
    "hype": "🔥✨🎉👏🙌💯🥳⭐🌟🤩💪🎊",
    "approve": "👍👌✅",
    "disapprove": "👎❌🚫",
    "angry": "😡😠🤬💢👿",
    "annoyed": "🙄😒😤🤮🤢💩😑🥱😴🤦",
    "shock": "😱😮😲😳🤯😨😰",
    "sad": "😞😔😟☹🙁😩😫💔😣😖😕",
    "think": "🤔🧐❓❔",
    "please": "🙏",
}
# Zero-width and presentation characters dropped before hashing.
_DROP = "\u200b\u200c\u200d\u2060\ufe0e\ufe0f\ufeff\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+|\[username\]")
_SEP = "\x00"
_TABLE_SIZE = 0x20000  # code points above this are kept as they are
_REMOVED = np.uint32(0xFFFFFFFF)

# Punctuation, symbols and emoji: a run of them is its own word token (apostrophe
# stays inside words; combining marks of Thai/Indic scripts are letters here).
_PUNCT_RANGES = ((0x21, 0x26), (0x28, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E),
                 (0xA1, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7), (0x2010, 0x2027), (0x2030, 0x205E),
                 (0x2190, 0x2BFF), (0x3000, 0x303F), (0x30FB, 0x30FB), (0xE000, 0xE0FF),
                 (0x1F000, 0x1FAFF))
_SPACE_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B))

# Tokens starting in these ranges are not words (no spaces in the script).
_UNSPACED = np.array(
    [[0x0E00, 0x0EFF], [0x1000, 0x109F], [0x1780, 0x17FF], [0x2E80, 0x9FFF],
     [0xF900, 0xFAFF], [0x20000, 0x3FFFF]], dtype=np.uint64)

_P = np.uint64(0x100000001B3)
_Q = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_WORD_SALT_BASE = 100


def _salt(kind: int) -> np.uint64:
    return np.uint64((0x9E3779B97F4A7C15 * kind) & 0xFFFFFFFFFFFFFFFF)


class Features(NamedTuple):
    """Sparse rows: entry ``j`` adds ``scale[rows[j]]`` to column ``cols[j]``."""

    rows: np.ndarray  # intp, row of each n-gram occurrence
    cols: np.ndarray  # intp, hashed column in [0, n_features)
    scale: np.ndarray  # float32 per row: 1 / sqrt(number of occurrences)
    n_rows: int


def _fmix(x: np.ndarray) -> np.ndarray:
    x ^= x >> np.uint64(33)
    x *= _M1
    x ^= x >> np.uint64(33)
    x *= _M2
    x ^= x >> np.uint64(33)
    return x


RECENT_CHARS = 1 << 18  # the largest joined batch ``_Recent`` keeps (~3.6 n-grams a character, 16 bytes each: <= ~15 MB)


class _Recent:
    """The last batch this process normalized and hashed, whichever featurizer did it: the
    sentiment and theme models featurize the same comments one stage apart, with the same
    normalization and n-gram orders but different table sizes (a column of a smaller table is
    the low bits of the larger table's column), so the second model takes the first one's
    n-grams instead of making them again. One batch, of at most ``RECENT_CHARS`` characters;
    its arrays are read-only, so no caller can change what the next one gets. Each entry is one
    tuple, read once (no half-updated entry is ever seen)."""

    normalized: tuple | None = None  # (normalization key, the texts, normalize_joined's string)
    hashed: tuple | None = None  # (n-gram key, n_features, the joined string, its Features)


def forget_recent() -> None:
    """Let ``_Recent``'s batch go (the theme stage, when its batch is done: no n-grams are held
    between batches)."""
    _Recent.normalized = _Recent.hashed = None


class _Powers:
    """Cached powers P**k and Q**k (mod 2**64) for substring hashes."""

    p = np.ones(1, dtype=np.uint64)
    q = np.ones(1, dtype=np.uint64)

    @classmethod
    def upto(cls, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(cls.p) <= n:
            size = max(n + 1, 2 * len(cls.p))
            base = np.empty(size, dtype=np.uint64)
            base[0], base[1:] = 1, _P
            cls.p = np.cumprod(base, dtype=np.uint64)
            base[1:] = _Q
            cls.q = np.cumprod(base, dtype=np.uint64)
        return cls.p, cls.q


@dataclass(frozen=True)
class HashingFeaturizer:
    """Normalization plus hashed char n-grams and word uni/bigrams."""

    n_features: int = 1 << 20
    char_orders: tuple[int, ...] = (1, 2, 3, 4)
    word_orders: tuple[int, ...] = (1, 2)
    emoji_classes: dict[str, str] = field(default_factory=lambda: dict(EMOJI_CLASSES))

    def __post_init__(self) -> None:
        if self.n_features & (self.n_features - 1):
            raise ValueError("n_features must be a power of two")
        table = np.arange(_TABLE_SIZE, dtype=np.uint32)
        for i, (_, chars) in enumerate(sorted(self.emoji_classes.items())):
            table[[ord(ch) for ch in chars]] = 0xE000 + i
        table[[ord(ch) for ch in _DROP]] = _REMOVED
        table[[ord(ch) for ch in _SPACE_CHARS]] = 32
        punct = np.zeros(_TABLE_SIZE + 1, dtype=bool)
        for lo, hi in _PUNCT_RANGES:
            punct[lo:hi + 1] = True
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_punct", punct)
        norm_key = tuple(sorted(self.emoji_classes.items()))  # what normalize_joined depends on
        object.__setattr__(self, "_norm_key", norm_key)
        object.__setattr__(self, "_gram_key", (norm_key, tuple(self.char_orders), tuple(self.word_orders)))

    # --- configuration, stored in the model's meta.json -----------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FEATURE_VERSION,
            "n_features": self.n_features,
            "char_orders": list(self.char_orders),
            "word_orders": list(self.word_orders),
            "emoji_classes": self.emoji_classes,
            "normalization": [
                "NFKC", "lowercase", "URL -> ' url ', @mention/[username] -> ' @user '",
                "drop zero-width/variation selectors/skin tones",
                "emoji -> class character (emoji_classes sorted by class name -> U+E000+i)",
                "all whitespace -> one space", "runs of 4+ identical characters -> 3",
                "pad each text with one space each side (word boundaries)",
            ],
            "features": "char n-grams (orders char_orders; 1-grams only for non-ASCII) over the "
                        "padded text, may span words; word n-grams over tokens = runs of "
                        "non-space chars split where punctuation/emoji starts or ends; tokens "
                        "starting in Thai/CJK/Khmer/Myanmar script give no word n-grams",
            "hash": "poly64 (P=0x100000001B3) over code points+1, salted per n-gram kind, "
                    "murmur3 fmix64, low bits",
            "value": "occurrence count / sqrt(total occurrences in text)",
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HashingFeaturizer:
        if data.get("version") != FEATURE_VERSION:
            raise ValueError(f"feature version {data.get('version')!r} != {FEATURE_VERSION}")
        return cls(int(data["n_features"]), tuple(data["char_orders"]),
                   tuple(data["word_orders"]), dict(data["emoji_classes"]))

    # --- normalization ------------------------------------------------------------
    def normalize_joined(self, texts: Sequence[str]) -> str:
        """All texts normalized, each padded with one space, joined by NUL (the same string
        again when the last batch normalized in this process was these texts: ``_Recent``)."""
        texts = list(texts)
        found = _Recent.normalized
        if found is not None and found[0] == self._norm_key and found[1] == texts:  # type: ignore[attr-defined]
            return found[2]
        joined = self._normalized(texts)
        if len(joined) <= RECENT_CHARS:
            _Recent.normalized = (self._norm_key, texts, joined)  # type: ignore[attr-defined]
        return joined

    def _normalized(self, texts: list[str]) -> str:
        """``normalize_joined`` itself."""
        joined = (" " + _SEP + " ").join(texts)
        # One NFKC test for the whole batch: no character composes with a space or a NUL, so the
        # joined texts are NFKC exactly when each text is (texts holding a NUL are tested one by one).
        if joined.count(_SEP) != max(len(texts) - 1, 0) or not unicodedata.is_normalized("NFKC", joined):
            texts = [t if unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", t)
                     for t in texts]
            joined = (" " + _SEP + " ").join(texts)
            if joined.count(_SEP) != max(len(texts) - 1, 0):
                joined = (" " + _SEP + " ").join(t.replace(_SEP, " ") for t in texts)
        s = _MENTION.sub(" @user ", _URL.sub(" url ", " " + joined.lower() + " "))
        cp = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)
        small = cp < _TABLE_SIZE
        cp = np.where(small, np.take(self._table, np.where(small, cp, 0)), cp)  # type: ignore[attr-defined]
        cp = cp[cp != _REMOVED]
        keep = np.ones(len(cp), dtype=bool)
        keep[1:] = (cp[1:] != 32) | (cp[:-1] != 32)  # collapse spaces
        cp = cp[keep]
        keep = np.ones(len(cp), dtype=bool)
        keep[3:] = (cp[3:] != cp[2:-1]) | (cp[3:] != cp[1:-2]) | (cp[3:] != cp[:-3])
        return cp[keep].tobytes().decode("utf-32-le")

    def normalize(self, text: str) -> str:
        """One text as the model sees it (without the padding spaces)."""
        return self.normalize_joined([text]).strip(" ")

    # --- features -----------------------------------------------------------------
    def transform_joined(self, joined: str, n_rows: int) -> Features:
        """Features of a string from ``normalize_joined`` holding ``n_rows`` texts (taken from
        ``_Recent`` when the last batch hashed in this process was this string, with the same
        orders and a table at least as large)."""
        found = _Recent.hashed
        if (found is not None and found[0] == self._gram_key and found[1] >= self.n_features  # type: ignore[attr-defined]
                and found[3].n_rows == n_rows and found[2] == joined):
            made = found[3]
            return made if found[1] == self.n_features else made._replace(cols=made.cols & (self.n_features - 1))
        cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        all_rows, cols = self.ngrams(cp, compiled=_hashed is not None)
        counts = np.bincount(all_rows, minlength=n_rows)[:n_rows]
        scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
        made = Features(all_rows, cols, scale, n_rows)
        if len(joined) <= RECENT_CHARS:
            for array in made[:3]:
                array.flags.writeable = False
            _Recent.hashed = (self._gram_key, self.n_features, joined, made)  # type: ignore[attr-defined]
        return made

    def ngrams(self, cp: np.ndarray, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every n-gram of the code points ``cp`` (uint32) of a joined batch:
        char n-grams by ascending order, then word unigrams, then word bigrams. ``compiled``: by
        the C kernel where it is built and the orders fit its bit masks (same arrays as numpy's)."""
        orders = [n for n in (*self.char_orders, *self.word_orders) if n > 0]
        if compiled and _hashed is not None and max(orders, default=1) < 64:
            return self._ngrams_compiled(cp)
        wide = cp.astype(np.uint64)
        sep = wide == 0
        zc = np.zeros(len(wide) + 1, dtype=np.intp)
        np.cumsum(sep, out=zc[1:])
        rows, keys = self._char_ngrams(wide, zc)
        w_rows, w_keys = self._words(wide, sep, zc)
        rows.extend(w_rows)
        keys.extend(w_keys)
        all_rows = np.concatenate(rows) if rows else np.zeros(0, np.intp)
        all_keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        return all_rows, (all_keys & np.uint64(self.n_features - 1)).astype(np.intp)

    def _ngrams_compiled(self, cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        char_mask = sum(1 << n for n in set(self.char_orders) if n > 0)
        word_mask = sum(1 << n for n in set(self.word_orders) & {1, 2})
        size = (bin(char_mask).count("1") + bin(word_mask).count("1")) * len(cp)
        rows, cols = np.empty(size, dtype=np.intp), np.empty(size, dtype=np.intp)
        count = _hashed.ngrams(np.ascontiguousarray(cp, dtype=np.uint32), self._punct.view(np.uint8),  # type: ignore[attr-defined]
                               _UNSPACED, char_mask, word_mask, self.n_features - 1, rows, cols)
        return rows[:count], cols[:count]

    def transform(self, texts: Sequence[str]) -> Features:
        return self.transform_joined(self.normalize_joined(texts), len(texts))

    def _char_ngrams(self, cp: np.ndarray, zc: np.ndarray) -> tuple[list, list]:
        c = cp + np.uint64(1)
        h = c.copy()
        rows, keys = [], []
        for n in range(1, max(self.char_orders, default=0) + 1):
            if n > 1:
                h = h[:-1] * _P + c[n - 1:]
            if n not in self.char_orders or len(h) == 0:
                continue
            start = zc[: len(h)]
            ok = zc[n: n + len(h)] == start
            if n == 1:
                ok &= cp >= 0x80
            rows.append(start[ok])
            keys.append(_fmix(h[ok] ^ _salt(n)))
        return rows, keys

    def _words(self, cp: np.ndarray, sep: np.ndarray, zc: np.ndarray) -> tuple[list, list]:
        if not self.word_orders or len(cp) == 0:
            return [], []
        tok = (cp != 32) & ~sep
        punct = np.take(self._punct, np.minimum(cp, _TABLE_SIZE))  # type: ignore[attr-defined]
        change = np.ones(len(cp) + 1, dtype=bool)  # a token boundary before position i
        change[1:-1] = ~tok[:-1] | ~tok[1:] | (punct[:-1] != punct[1:])
        starts = np.flatnonzero(change[:-1] & tok)
        ends = np.flatnonzero(change[1:] & tok) + 1
        first = cp[starts]
        spaced = np.ones(len(starts), dtype=bool)
        for lo, hi in _UNSPACED:
            spaced &= ~((first >= lo) & (first <= hi))
        pw, qw = _Powers.upto(len(cp) + 1)
        s = np.zeros(len(cp) + 1, dtype=np.uint64)
        np.cumsum((cp + np.uint64(1)) * qw[: len(cp)], out=s[1:], dtype=np.uint64)
        shifted = np.empty(len(cp) + 1, dtype=np.uint64)  # pw[max(i - 1, 0)]
        shifted[0], shifted[1:] = pw[0], pw[: len(cp)]
        prefix = shifted * s  # H[i] = sum_{j<i} c_j P^(i-1-j)

        def sub_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.take(prefix, b) - np.take(prefix, a) * np.take(pw, b - a)

        rows, keys = [], []
        tok_rows = zc[starts]
        if 1 in self.word_orders:
            rows.append(tok_rows[spaced])
            keys.append(_fmix(sub_hash(starts[spaced], ends[spaced]) ^ _salt(_WORD_SALT_BASE + 1)))
        if 2 in self.word_orders and len(starts) > 1:
            ok = (tok_rows[:-1] == tok_rows[1:]) & spaced[:-1] & spaced[1:]
            rows.append(tok_rows[:-1][ok])
            keys.append(_fmix(sub_hash(starts[:-1][ok], ends[1:][ok]) ^ _salt(_WORD_SALT_BASE + 2)))
        return rows, keys


class HashedHeads(NamedTuple):
    """Linear heads over hashed features, kept only for the columns that have a weight
    (a trained model uses ~10% of them): ``index[col]`` is the row of ``weights`` holding
    column ``col``'s weight for every head, -1 where every head's weight is zero."""

    index: np.ndarray  # (n_features,) int32
    weights: np.ndarray  # (used columns + 1, n_heads) float32; the last row is zeros (padding)

    @classmethod
    def from_columns(cls, n_features: int, cols: np.ndarray, weights: np.ndarray) -> HashedHeads:
        """Heads from a model file's columns ``cols`` and their (n_heads, len(cols)) weights
        (a repeated column keeps its last weights, as a dense assignment would)."""
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(cols):
            raise ValueError(f"hash weights of shape {weights.shape} for {len(cols)} columns")
        index = np.full(n_features, -1, dtype=np.int32)
        index[cols] = np.arange(len(cols), dtype=np.int32)
        padded = np.zeros((len(cols) + 1, weights.shape[0]), dtype=np.float32)
        padded[:-1] = weights.T
        return cls(index, padded)

    @property
    def n_heads(self) -> int:
        return self.weights.shape[1]

    def scores(self, features: Features, compiled: bool = True) -> np.ndarray:
        """(n_rows, n_heads) float32: per row and head, the sum over the row's n-grams of the
        float32 product weight x value, added in float64 in the n-grams' order: what
        ``np.bincount`` per head over dense weights gives, bit for bit (n-grams without a weight
        add exactly zero and are left out; a stable sort keeps each row's order).

        The rows are laid out side by side, ``PAD_ROWS`` at a time (rows of similar length
        together): slot ``k`` of every row of a group is one line, padded with the zero weight
        row, so one ``np.add.reduce`` down the lines adds each row's n-grams one after the other
        (the inner loop runs across rows and heads, never reorders a sum), and a padded zero
        leaves a sum as it is."""
        n, heads = features.n_rows, self.n_heads
        if compiled and _hashed is not None:  # the same sums, one C loop over the n-grams in order
            sums = np.zeros((n, heads), dtype=np.float64)
            _hashed.head_sums(self.index, np.ascontiguousarray(self.weights), np.ascontiguousarray(features.rows, dtype=np.intp),
                              np.ascontiguousarray(features.cols, dtype=np.intp),
                              np.ascontiguousarray(features.scale, dtype=np.float32), sums, heads)
            return sums.astype(np.float32)
        out = np.zeros((n, heads), dtype=np.float32)
        at = np.take(self.index, features.cols)
        has = at >= 0
        rows, at = features.rows[has], at[has]
        if not len(rows):
            return out
        if heads <= FEW_HEADS:  # one bincount per head: the reference sum itself, faster for a few heads
            value = features.scale[rows]
            for k in range(heads):
                out[:, k] = np.bincount(rows, weights=self.weights[at, k] * value, minlength=n)
            return out
        order = np.argsort(rows, kind="stable")
        rows, at = rows[order], at[order]
        counts = np.bincount(rows, minlength=n)
        first = np.zeros(n, dtype=np.intp)
        np.cumsum(counts[:-1], out=first[1:])
        slot_in_row = np.arange(len(rows)) - first[rows]
        layout = _PadLayout.of(counts)
        where = layout.offset[rows] + slot_in_row * layout.width[rows] + layout.column[rows]
        lines = np.full(layout.size, len(self.weights) - 1, dtype=np.intp)  # the zero row
        lines[where] = at
        products = np.take(self.weights, lines, axis=0)
        value = np.zeros(layout.size, dtype=np.float32)
        value[where] = features.scale[rows]
        products *= value[:, None]
        for group, (start, length, width) in enumerate(layout.groups):
            block = products[start:start + length * width].reshape(length, width * heads)
            out[layout.members(group)] = np.add.reduce(block, axis=0, dtype=np.float64).reshape(width, heads)
        return out


FEW_HEADS = 4  # up to this many heads ``HashedHeads.scores`` sums with a bincount per head (3 heads: 2x faster
# than the padded groups on real comments; 21 heads: 2x slower)
PAD_ROWS = 8  # rows per padded group in ``HashedHeads.scores`` (fastest of 8-32 on real comments)


class _PadLayout(NamedTuple):
    """Where each row's n-grams go in ``HashedHeads.scores``: rows sorted by length, grouped
    PAD_ROWS at a time; group g is ``length_g`` lines of ``width_g`` slots."""

    by_length: np.ndarray  # rows, shortest first
    offset: np.ndarray  # per row: where its group starts
    width: np.ndarray  # per row: its group's width
    column: np.ndarray  # per row: its slot within a line
    groups: list  # (start, length, width) per group
    size: int

    @classmethod
    def of(cls, counts: np.ndarray) -> _PadLayout:
        n = len(counts)
        by_length = np.argsort(counts, kind="stable")
        starts = np.arange(0, n, PAD_ROWS)
        widths = np.minimum(PAD_ROWS, n - starts)
        lengths = counts[by_length[starts + widths - 1]]  # the longest row of each group
        sizes = lengths * widths
        offsets = np.zeros(len(sizes), dtype=np.intp)
        np.cumsum(sizes[:-1], out=offsets[1:])
        rank = np.empty(n, dtype=np.intp)
        rank[by_length] = np.arange(n)
        group = rank // PAD_ROWS
        groups = [(int(o), int(le), int(w)) for o, le, w in zip(offsets, lengths, widths)]
        return cls(by_length, offsets[group], widths[group], rank % PAD_ROWS, groups, int(sizes.sum()))

    def members(self, group: int) -> np.ndarray:
        return self.by_length[group * PAD_ROWS: group * PAD_ROWS + self.groups[group][2]]


def dense_sums(weights: np.ndarray, features: Features, compiled: bool = True) -> np.ndarray:
    """(n_rows, heads) float32: per row and head, the sum in float64 of the row's n-grams'
    weights ``weights[col, head]`` ((n_features, heads) float32, dense), in the n-grams' order;
    the rows' ``scale`` is not applied. ``np.bincount`` per head (the reference), or one C loop
    over the n-grams for every head at once (the same sums, bit for bit)."""
    n, heads = features.n_rows, weights.shape[1]
    if compiled and _hashed is not None and weights.dtype == np.float32:
        sums = np.zeros((n, heads), dtype=np.float64)
        _hashed.dense_sums(np.ascontiguousarray(weights), np.ascontiguousarray(features.rows, dtype=np.intp),  # type: ignore[attr-defined]
                           np.ascontiguousarray(features.cols, dtype=np.intp), sums, heads)
        return sums.astype(np.float32)
    out = np.empty((n, heads), dtype=np.float32)
    for k in range(heads):  # take: the same gather as weights[cols, k], with less overhead per index
        out[:, k] = np.bincount(features.rows, weights=weights[:, k].take(features.cols), minlength=n)
    return out


def to_csr(features: Features, n_features: int):
    """A scipy CSR matrix of the features (training and tests; needs scipy)."""
    from scipy import sparse

    data = features.scale[features.rows]
    return sparse.csr_matrix((data, (features.rows, features.cols)), shape=(features.n_rows, n_features))
