"""Per-language negation cues, and the contrast flags of a clause, for aspect polarity.

"not a single filler", "没有尿点", "지루하지 않다", "no es mala", "tidak membosankan",
"không chán", "ไม่น่าเบื่อ": a clause with a negation cue reads the other way round from its
words. The contrast conjunctions themselves live in ``clauses`` (one list for splitting
and for these flags); the negation cues live in each language's profile
(``analyzer/lang/<code>/profile.toml``, ``[negation]``). Words of spaced scripts match as
whole words; Chinese, Japanese, Korean and Thai cues match as substrings (with the
common false friends excluded).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lang import profiles
from .clauses import clause_spans, contrast_at_end, contrast_at_start
from .first_chars import regex_class
from .matching import fold, trie_regex


@lru_cache(maxsize=64)
def _negation(code: str | None) -> re.Pattern | None:
    found = profiles().get(code or "")
    if found is None:
        return None
    parts = []
    if found.negation.words:
        parts.append(rf"\b(?:{trie_regex(found.negation.words)})(?![^\W_])")
    if found.negation.pattern:
        parts.append(found.negation.pattern)
    if not parts:
        return None
    pattern = "|".join(parts)
    return re.compile(f"{regex_class([pattern])}(?:{pattern})")  # rejects most positions at once


def has_negation(text: str, lang: str | None) -> bool:
    """Whether ``text`` holds a negation cue of ``lang`` (no cues for unknown languages)."""
    pattern = _negation(lang)
    return bool(pattern and pattern.search(fold(text)))


def contrast_flags(clause: str, text: str, lang: str | None) -> tuple[bool, bool]:
    """(the clause opens with a contrast conjunction, a contrast clause follows it in ``text``):
    "but the ending ruined it" is the point being made; "54 episodes is a lot" before
    "but not a single filler" is conceded."""
    opens = contrast_at_start(clause, lang)
    if contrast_at_end(clause, lang):
        return opens, True
    at = text.find(clause)
    if at < 0:
        return opens, False
    end = at + len(clause)
    later = [opening for start, opening in _clause_openings(text, lang) if start >= end]
    return opens, bool(later) and later[0]


@lru_cache(maxsize=2048)
def _clause_openings(text: str, lang: str | None) -> tuple[tuple[int, bool], ...]:
    """(start, opens with a contrast conjunction) of each clause of ``text``; cached because a
    comment's themes each ask about the same comment."""
    return tuple((s, contrast_at_start(text[s:e], lang)) for s, e in clause_spans(text, lang))
