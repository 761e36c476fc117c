"""Fast multilingual cue matching.

Literal cues are compiled into one Aho-Corasick automaton (``pyahocorasick``: a single C scan
per text finds every occurrence; the longest cue that the boundaries allow wins at each
position) with script-aware boundaries: whole words for space-delimited scripts (Latin,
Cyrillic, Arabic, Devanagari), substrings for scripts written without spaces (Han, kana,
Thai) and for Hangul (particles attach to nouns).
The few regex cues get a second scan. Texts are matched lower-cased (see ``fold``).

Cue syntax (lexicon files): ``plot`` a word or phrase; ``subtitl*`` a word prefix;
``re:<regex>`` a regular expression (no numbered back-references); a leading ``~``
marks a weak cue; a leading ``!`` a blocker, a near-miss phrase whose span cancels the
cues it overlaps ("!story of my life").
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from . import first_chars

STRONG, WEAK = 0.8, 0.4

NO_SPACE_CHARS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
)
NO_SPACE = re.compile(f"[{NO_SPACE_CHARS}]")
# A character that continues a word for boundary purposes: letters and digits outside
# the no-space scripts (so "OST很好听" still matches "ost"), and the combining marks of
# Latin, Arabic and Devanagari that Python's \w misses.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0903\u093a-\u094f\u0962\u0963"
_WORD_CHAR = f"[^\\W_{NO_SPACE_CHARS}]"
WORD = f"(?:{_WORD_CHAR}|[{_MARKS}])"
_AFTER = f"(?!{WORD})"
_WORD_RE = re.compile(WORD)  # a word continues at this position
_WORDS_RE = re.compile(f"(?:{WORD})*")  # the rest of a word
_PREFIX_RANK, _SUBSTRING_RANK = 1 << 20, 2 << 20  # in ``_literal_hits``: words, then prefixes, then substrings
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\uff07": "'"})
_APOSTROPHE_CHARS = ("\u2019", "\u2018", "`", "\uff07")


def fold(text: str) -> str:
    """Lower-case and unify apostrophes (length-preserving for almost all text).

    Same as ``text.lower().translate(_APOSTROPHES)``; a ``replace`` per apostrophe that
    occurs is several times cheaper than ``translate`` with a mapping."""
    low = text.lower()
    for ch in _APOSTROPHE_CHARS:
        if ch in low:
            low = low.replace(ch, "'")
    return low


def strip_diacritics(text: str) -> str:
    """``"phụ đề"`` -> ``"phu de"``: for Vietnamese typed without accents."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class Cue:
    label: str
    text: str  # folded literal, or regex source
    kind: str  # "word" | "prefix" | "substring" | "regex"
    weight: float = STRONG
    block: bool = False
    bounded: bool = True  # regex cues only: wrap in word boundaries


def parse_cue(label: str, raw: str, *, bounded: bool = True) -> Cue:
    """One cue string from a lexicon file -> a Cue (see the module docstring)."""
    block = raw.startswith("!")
    raw = raw[1:] if block else raw
    weight = WEAK if raw.startswith("~") else STRONG
    raw = raw[1:] if raw.startswith("~") else raw
    if raw.startswith("re:"):
        re.compile(raw[3:])  # fail early on a broken pattern
        return Cue(label, raw[3:], "regex", weight, block, bounded)
    text = fold(raw.strip())
    if NO_SPACE.search(text):
        kind = "substring"
        text = text.rstrip("*")
    elif text.endswith("*"):
        kind, text = "prefix", text[:-1]
    else:
        kind = "word"
    return Cue(label, text, kind, weight, block)


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching exactly ``words``, factored as a trie (fast, longest first)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_node(root) or ""


_ESCAPED: dict[str, str] = {}  # re.escape of each character seen (a trie escapes ~200k of them)


def _escape(ch: str) -> str:
    out = _ESCAPED.get(ch)
    if out is None:
        out = _ESCAPED[ch] = re.escape(ch)
    return out


def _trie_node(node: dict) -> str | None:
    if len(node) == 1 and "" in node:
        return None
    branches, singles = [], []
    for ch in sorted(k for k in node if k):
        child = node[ch]
        if len(child) == 1 and "" in child:
            singles.append(_escape(ch))
        else:
            branches.append(_escape(ch) + _trie_node(child))
    if singles:
        branches.append(singles[0] if len(singles) == 1 else "[" + "".join(singles) + "]")
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


class Hit(NamedTuple):  # a tuple: several are made per comment, at a third of a dataclass's cost
    start: int
    end: int
    cues: tuple[Cue, ...]


class CueMatcher:
    """Compiled cues; ``find(folded_text)`` -> hits, blockers already applied.

    Hits may overlap ("hơn phim" and "phim hàn" in "hơn phim hàn"); at one start
    position only the longest literal cue (and the first regex cue) is reported.
    Regex cues are tried at word starts and at characters of the no-space scripts."""

    def __init__(self, cues: Iterable[Cue]) -> None:
        self._literal: dict[str, dict[str, list[Cue]]] = {"w": {}, "p": {}, "s": {}}
        self._regex: list[Cue] = []
        self._regex_first: re.Pattern | None = None
        self._regex_needs: ahocorasick.Automaton | None = None  # strings one of which a regex hit holds
        self._regex_parts: _RegexParts | None = None  # which of them each regex cue needs together
        for cue in cues:
            if cue.kind == "regex":
                self._regex.append(cue)
            elif cue.text:
                group = {"word": "w", "prefix": "p", "substring": "s"}[cue.kind]
                self._literal[group].setdefault(cue.text, []).append(cue)
        # group -> literal -> (its cues, whether any is a blocker), built once
        self._literal_cues = {group: {text: (tuple(cues), any(c.block for c in cues)) for text, cues in texts.items()}
                              for group, texts in self._literal.items()}
        self._automaton = self._compile_literals()
        self._start_re = re.compile(self._start_class())
        self._regex_re = self._compile_regexes()

    # Cues are only tried where one can start: at word starts, at every character of the
    # no-space scripts, and at the non-word first characters some cues have ("#", "+").
    def _start_class(self) -> str:
        firsts = {cue_text[0] for group in self._literal.values() for cue_text in group}
        extra = {ch for ch in firsts if not re.match(WORD, ch)}
        extra_class = "".join(re.escape(ch) for ch in sorted(extra))
        return f"(?=[{NO_SPACE_CHARS}{extra_class}]|(?<!{_WORD_CHAR})(?<![{_MARKS}]){_WORD_CHAR})"

    def _compile_literals(self) -> ahocorasick.Automaton | None:
        """One Aho-Corasick automaton over every literal cue: literal -> (its length, then per
        group word / prefix / substring: (its cues, whether one is a blocker) or None).
        ``_literal_hits`` keeps what the boundaries allow."""
        texts = dict.fromkeys(text for group in self._literal.values() for text in group)
        if not texts:
            return None
        automaton = ahocorasick.Automaton()
        for text in texts:
            automaton.add_word(text, (len(text), *(self._literal_cues[g].get(text) for g in "wps")))
        automaton.make_automaton()
        return automaton

    def _literal_hits(self, text: str) -> tuple[list[Hit], bool]:
        """(the literal hits in position order, whether one is a blocker): at each start where a
        cue may start, the longest word cue followed by a word boundary, else the longest prefix
        cue (its hit runs to the end of the word), else the longest substring cue: what the trie
        regex of each group, tried in that order at each start, finds."""
        best = self._best_literals(text)
        if not best:
            return [], False
        hits: list[Hit] = []
        any_block = False
        start_ok = self._start_re.match
        for start in sorted(best) if len(best) > 1 else best:
            if start_ok(text, start) is None:
                continue
            _, length, (cues, block), prefix = best[start]
            end = start + length if not prefix else _WORDS_RE.match(text, start + length).end()  # to the word's end
            hits.append(Hit(start, end, cues))
            any_block = any_block or block
        return hits, any_block

    def _best_literals(self, text: str) -> dict[int, tuple]:
        """start -> (rank, length, (cues, block), is a prefix) of the literal cue that wins there
        (lower rank wins), before the start-position test."""
        best: dict[int, tuple] = {}
        word_at = _WORD_RE.match
        for end, (length, word, prefix, substring) in self._automaton.iter(text):
            if word is not None and word_at(text, end + 1) is None:
                found = (-length, length, word, False)
            elif prefix is not None:
                found = (_PREFIX_RANK - length, length, prefix, True)
            elif substring is not None:
                found = (_SUBSTRING_RANK - length, length, substring, False)
            else:
                continue
            start = end + 1 - length
            other = best.get(start)
            if other is None or found[0] < other[0]:
                best[start] = found
        return best

    def _compile_regexes(self) -> re.Pattern | None:
        """One alternation in cue order. A run of word-bounded cues shares one end-of-word
        test (the same first match as a test per cue, and the script character class in it
        costs ~10 ms to compile each time it appears)."""
        parts: list[str] = []
        run: list[str] = []
        for i, cue in enumerate(self._regex):
            if not cue.bounded:
                parts.extend([f"(?:{'|'.join(run)}){_AFTER}"] if run else [])
                run = []
                parts.append(f"(?:{cue.text})(?P<r{i}>)")
            else:
                run.append(f"(?:{cue.text})(?P<r{i}>)")  # end marker, as for the literals
        parts.extend([f"(?:{'|'.join(run)}){_AFTER}"] if run else [])
        if not parts:
            return None
        first = first_chars.regex_class([cue.text for cue in self._regex])
        # a text without any of those characters has no regex hit: one character-set search (sre's
        # fast set scan, much cheaper than trying the lookahead at every position) skips it
        self._regex_first = re.compile(first[len("(?="):-1]) if first else None
        # ... and one automaton scan for the strings every regex hit holds ("wife", "netflix", "集")
        # skips nine texts in ten that hold one of those characters but none of those strings
        self._regex_needs, self._regex_parts = _needs_of([cue.text for cue in self._regex])
        return re.compile(f"{first}{self._start_class()}(?=" + "|".join(parts) + ")")

    def find(self, text: str) -> list[Hit]:
        """Hits in ``text`` (already ``fold``-ed), minus those a blocker overlaps."""
        hits, any_block = self._literal_hits(text) if self._automaton is not None else ([], False)
        return self._finish(text, hits, any_block, self._may_have_regex(text))

    def find_many(self, texts: Sequence[str]) -> list[list[Hit]]:
        """``[self.find(text) for text in texts]``, with one automaton scan over the texts joined by
        NUL. A NUL is not a word character and no cue holds one, so every boundary test reads it
        as the end (or the start) of a text: the literal hits are those of each text alone."""
        if self._automaton is None or len(texts) < 2:
            return [self.find(text) for text in texts]
        joined, lengths = "\x00".join(texts), [len(text) for text in texts]
        found = self._literal_hits_joined(joined, lengths)
        maybe = self._rows_with_regex_needs(joined, lengths)
        return [self._finish(text, hits, any_block, maybe is None or row in maybe)
                for row, (text, (hits, any_block)) in enumerate(zip(texts, found))]

    def _may_have_regex(self, text: str) -> bool:
        """False when no regex cue can match ``text``: for each cue, some piece every match of it
        holds is missing (none of its strings is in the text)."""
        if self._regex_needs is None:
            return True
        found = {string for _, string in self._regex_needs.iter(text)}
        return bool(found) and (self._regex_parts is None or self._regex_parts.any_possible(found))

    def _rows_with_regex_needs(self, joined: str, lengths: list[int]) -> set[int] | None:
        """The texts of ``joined`` where some regex cue may match (``_may_have_regex``; none of the
        strings holds a NUL, so each occurrence lies inside one text); None: every text may."""
        if self._regex_needs is None:
            return None
        bases = list(itertools.accumulate((n + 1 for n in lengths), initial=0))
        found: dict[int, set[str]] = {}
        row, limit, strings = -1, -1, set()
        for end, string in self._regex_needs.iter(joined):  # in the order of their ends
            if end >= limit:  # a later text
                row = bisect.bisect_right(bases, end) - 1
                limit, strings = bases[row + 1], found.setdefault(row, set())
            strings.add(string)
        if self._regex_parts is None:
            return set(found)
        return {row for row, strings in found.items() if self._regex_parts.any_possible(strings)}

    def _literal_hits_joined(self, joined: str, lengths: list[int]) -> list[tuple[list[Hit], bool]]:
        """``_literal_hits`` of each text of ``joined`` (texts of ``lengths`` joined by NUL), offsets
        relative to its text."""
        out: list[tuple[list[Hit], bool]] = [([], False)] * len(lengths)
        best = self._best_literals(joined)
        if not best:
            return out
        bases = list(itertools.accumulate((n + 1 for n in lengths), initial=0))
        row, base, limit = 0, 0, lengths[0]
        hits: list[Hit] = []
        any_block = False
        start_ok = self._start_re.match
        for start in sorted(best) if len(best) > 1 else best:
            if start >= base + limit:  # the next text(s): hits are in position order
                if hits:
                    out[row] = (hits, any_block)
                    hits, any_block = [], False
                row = bisect.bisect_right(bases, start) - 1
                base, limit = bases[row], lengths[row]
            if start_ok(joined, start) is None:
                continue
            _, length, (cues, block), prefix = best[start]
            end = start + length if not prefix else _WORDS_RE.match(joined, start + length).end()
            hits.append(Hit(start - base, end - base, cues))
            any_block = any_block or block
        if hits:
            out[row] = (hits, any_block)
        return out

    def _finish(self, text: str, hits: list[Hit], any_block: bool, may_have_regex: bool = True) -> list[Hit]:
        """The literal hits plus the regex cues' hits (``may_have_regex`` False: it holds none), minus
        those a blocker overlaps."""
        if (self._regex_re is not None and may_have_regex
                and (self._regex_first is None or self._regex_first.search(text))):
            regex_hits = [Hit(m.start(), m.end(m.lastgroup), (self._regex[int(m.lastgroup[1:])],))
                          for m in self._regex_re.finditer(text)]
            if regex_hits:  # in position order, a literal hit before a regex hit at the same start
                hits = sorted(hits + regex_hits, key=lambda h: (h.start, h.cues[0].kind == "regex"))
                any_block = any_block or any(h.cues[0].block for h in regex_hits)
        if not any_block:  # nothing to cancel (most texts)
            return hits
        blocks = [(h.start, h.end) for h in hits if all(c.block for c in h.cues)]
        kept = []
        for h in hits:
            cues = tuple(c for c in h.cues if not c.block)
            if cues and not any(s < h.end and h.start < e for s, e in blocks):
                kept.append(h if len(cues) == len(h.cues) else Hit(h.start, h.end, cues))
        return kept


class _RegexParts:
    """Per regex cue, the pieces each of its matches holds (``first_chars.required_parts``): the cue
    can match a text only if the text holds a string of every piece."""

    def __init__(self, parts: Sequence[tuple[frozenset[str], ...]]) -> None:
        self.parts = tuple(parts)
        # the strings of cues with one piece: any of them is enough (most cues)
        self.enough = frozenset(s for pieces in self.parts if len(pieces) == 1 for s in pieces[0])
        self.by_string: dict[str, tuple[int, ...]] = {}  # string -> the cues of several pieces that hold it
        for i, pieces in enumerate(self.parts):
            for string in {s for piece in pieces for s in piece} if len(pieces) > 1 else ():
                self.by_string[string] = (*self.by_string.get(string, ()), i)

    def any_possible(self, found: set[str]) -> bool:
        """Whether some cue has a string of each of its pieces in ``found`` (the strings a text holds)."""
        if not self.enough.isdisjoint(found):
            return True
        cues = {i for string in found for i in self.by_string.get(string, ())}
        return any(all(not piece.isdisjoint(found) for piece in self.parts[i]) for i in cues)


def _needs_of(patterns: Sequence[str]) -> tuple[ahocorasick.Automaton | None, _RegexParts | None]:
    """(an automaton finding every string some piece of a pattern needs, the pieces per pattern);
    (None, None) when a pattern has no piece it always holds (every text must be searched)."""
    parts = [first_chars.required_parts(pattern) for pattern in patterns]
    if not parts or not all(parts):
        return None, None
    parts = [_selective(pieces) for pieces in parts]  # type: ignore[arg-type]
    automaton = ahocorasick.Automaton()
    for string in sorted({s for pieces in parts for piece in pieces for s in piece}):
        automaton.add_word(string, string)
    automaton.make_automaton()
    return automaton, _RegexParts(parts)


def _selective(pieces: tuple[frozenset[str], ...]) -> tuple[frozenset[str], ...]:
    """The pieces worth looking for: each occurrence of a string is an automaton hit to go
    through, so not those with an ASCII string under 4 characters (" for", "her", "ep": most texts
    hold one) nor alternatives of single characters ({比, 像, 和}: as common); at least the piece
    whose shortest string is longest (what ``required_substrings`` keeps)."""
    kept = tuple(p for p in pieces if all(len(s) >= 4 or not s.isascii() for s in p)
                 and (len(p) == 1 or min(map(len, p)) >= 2))
    return kept or (max(pieces, key=lambda p: min(map(len, p))),)


def substring_automaton(strings: Sequence[str] | None) -> ahocorasick.Automaton | None:
    """An automaton finding ``strings`` (None for None or none)."""
    if not strings:
        return None
    automaton = ahocorasick.Automaton()
    for text in strings:
        automaton.add_word(text, len(text))
    automaton.make_automaton()
    return automaton


def holds_any(automaton: ahocorasick.Automaton, text: str) -> bool:
    """Whether ``text`` holds one of the strings of ``automaton`` (``substring_automaton``)."""
    return next(automaton.iter(text), None) is not None
