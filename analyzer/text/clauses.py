"""Sentence and contrastive-clause splitting, so each clause can be scored on its own:
"love the OST but the ending ruined it" -> ["love the OST", "but the ending ruined it"].

Splits at sentence punctuation and line breaks, before leading contrastive
conjunctions (but, however, 但是/可是/不过, ，只是/，可惜, 하지만/그런데, でも, nhưng, แต่,
tapi/namun, pero, porém, لكن, mais, aber, но, लेकिन, ma/però, ama …) and after trailing ones
(Japanese けど/けれど, Korean -지만/-으나/-는데/-은데/-데도). Conjunctions that are ordinary words in another
language (pt "mas", fr "mais", it "ma", tr "ama", ar "بس") only split for that language.
The conjunctions live in each language's profile (``analyzer/lang/<code>/profile.toml``,
``[contrast]``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lang import profiles
from .first_chars import regex_class, required_substrings
from .matching import fold, holds_any, substring_automaton, trie_regex

_SENTENCE_END_PATTERN = r"(?<!\d)\.+(?!\d)|\.{2,}|[!?;…。！？；\n]+"
# the same matches; the lookahead of their first characters turns most positions away at once
_SENTENCE_END = re.compile(f"{regex_class([_SENTENCE_END_PATTERN])}(?:{_SENTENCE_END_PATTERN})")


@lru_cache(maxsize=1)
def _markers() -> tuple[list[str], list[str], list[str], tuple[str, ...]]:
    """(leading words, leading patterns, trailing patterns, trailing endings) of every profile:
    a comment's words split it whatever language it was detected as, except ``leading_own``."""
    contrasts = [p.contrast for p in profiles().values()]
    words = [w for c in contrasts for w in c.leading]
    lead = [c.leading_pattern for c in contrasts if c.leading_pattern]
    trail = [c.trailing_pattern for c in contrasts if c.trailing_pattern]
    ends = tuple(e for c in contrasts for e in c.trailing_ends)
    return words, lead, trail, ends


def _own_words(code: str | None) -> tuple[str, ...]:
    """Conjunctions that are ordinary words in another language (pt "mas", fr "mais") split only
    for their own."""
    found = profiles().get(code or "")
    return found.contrast.leading_own if found else ()


@lru_cache(maxsize=1)
def _trailing_at_end() -> re.Pattern:
    return re.compile(f"(?:{'|'.join(_markers()[2])})$")


@lru_cache(maxsize=64)
def _pattern(code: str | None) -> re.Pattern:
    words, lead_patterns, trailing, _ = _markers()
    lead = [rf"\b(?:{trie_regex(words + list(_own_words(code)))})(?![^\W_])", *lead_patterns]
    pattern = f"(?P<lead>{'|'.join(lead)})|(?P<trail>{'|'.join(trailing)})"
    return re.compile(f"{regex_class([pattern])}(?:{pattern})")  # rejects most positions at once


@lru_cache(maxsize=64)
def _pattern_needs(code: str | None):
    """An automaton of strings one of which every match of ``_pattern(code)`` holds (the
    conjunctions, and what the other patterns always hold), or None when unknown: a text holding
    none of them is not scanned (most comments)."""
    words, lead_patterns, trailing, _ = _markers()
    needs = required_substrings([*lead_patterns, *trailing])
    return None if needs is None else substring_automaton([*words, *_own_words(code), *needs])


def clause_spans(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the clauses of ``text``, in order, none empty."""
    return list(_clause_spans(text, lang))


@lru_cache(maxsize=4096)
def _clause_spans(text: str, lang: str | None) -> tuple[tuple[int, int], ...]:
    """Cached: a comment's theme evidence and then its polarity cues split the same text."""
    cuts = _sentence_cuts(text)
    folded = fold(text)
    source = folded if len(folded) == len(text) else text
    needs = _pattern_needs(lang)
    if needs is None or holds_any(needs, source):
        for m in _pattern(lang).finditer(source):
            cuts.add(m.start() if m.lastgroup == "lead" else m.end())
    return tuple(_spans(text, cuts))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text`` (punctuation, line breaks)."""
    return _spans(text, _sentence_cuts(text))


def split_clauses(text: str, lang: str | None = None) -> list[str]:
    """The clauses of ``text`` (sentences, split again at contrastive conjunctions)."""
    return [text[s:e] for s, e in clause_spans(text, lang)]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``."""
    return [text[s:e] for s, e in sentence_spans(text)]


def contrast_at_start(clause: str, lang: str | None = None) -> bool:
    """Whether ``clause`` opens with a leading contrast conjunction ("but the ending ..."). It is
    matched as it stood after the cut (behind a space), so a conjunction that only counts after
    a comma or a space (zh ，只是 / ，可惜) counts at the start of its clause too."""
    m = _pattern(lang).match(" " + fold(clause).lstrip(), 1)
    return bool(m and m.lastgroup == "lead")


def contrast_at_end(clause: str, lang: str | None = None) -> bool:
    """Whether ``clause`` ends with a trailing contrast conjunction (재밌지만, 面白いけど)."""
    tail = clause.rstrip(" ,，、.…")
    return tail.endswith(_markers()[3]) and bool(_trailing_at_end().search(tail[-8:]))


def _sentence_cuts(text: str) -> set[int]:
    return {0, len(text)} | {m.end() for m in _SENTENCE_END.finditer(text)}


def _spans(text: str, cuts: set[int]) -> list[tuple[int, int]]:
    spans = []
    edges = sorted(cuts)
    for start, end in zip(edges, edges[1:]):
        while start < end and not _content(text[start]):
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def _content(ch: str) -> bool:
    """A letter, digit, emoji or other symbol (not space or punctuation)."""
    return ch.isalnum() or (ord(ch) > 0x2000 and not ch.isspace() and ch not in _PUNCT)


_PUNCT = "。！？；、，…「」『』（）【】〜～・\u3000\u2000\u2010\u2013\u2014\u201c\u201d"
