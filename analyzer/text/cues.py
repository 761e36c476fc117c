"""Per-language negation cues, and the contrast flags of a clause, for aspect polarity.

"not a single filler", "没有尿点", "지루하지 않다", "no es mala", "tidak membosankan",
"không chán", "ไม่น่าเบื่อ": a clause with a negation cue reads the other way round from its
words. The contrast conjunctions themselves live in ``clauses`` (one list for splitting
and for these flags); the negation cues live here, per TAXONOMY language. Words of
spaced scripts match as whole words; Chinese, Japanese, Korean and Thai cues match as
substrings (with the common false friends excluded).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .clauses import clause_spans, contrast_at_end, contrast_at_start
from .matching import fold, trie_regex

# Whole-word negation cues of spaced scripts, per language.
NEGATION_WORDS: dict[str, list[str]] = {
    "en": ["not", "no", "never", "nothing", "none", "nobody", "neither", "nor", "without", "hardly",
           "barely", "isn't", "wasn't", "aren't", "weren't", "don't", "doesn't", "didn't", "can't",
           "cannot", "couldn't", "won't", "wouldn't", "shouldn't", "ain't", "isnt", "dont", "doesnt",
           "didnt", "cant", "wont", "lack", "lacks", "lacking"],
    "es": ["no", "nunca", "jamás", "nada", "ningún", "ninguna", "ninguno", "ni", "sin", "tampoco"],
    "pt": ["não", "nao", "nunca", "jamais", "nada", "nenhum", "nenhuma", "nem", "sem"],
    "fr": ["ne", "n'", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni"],
    "de": ["nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "nichts", "ohne", "weder"],
    "it": ["non", "mai", "niente", "nessun", "nessuna", "nessuno", "senza", "né"],
    "id": ["tidak", "tak", "bukan", "belum", "jangan", "tanpa", "gak", "ga", "nggak", "ngga", "enggak", "kagak"],
    "ms": ["tidak", "tak", "bukan", "belum", "jangan", "tanpa", "x"],
    "tl": ["hindi", "wala", "walang", "huwag", "di"],
    "vi": ["không", "chẳng", "chả", "chưa", "đừng", "chẳng hề", "không hề", "ko", "k", "hông"],
    "tr": ["değil", "yok", "hiç", "asla", "olmadan"],
    "ru": ["не", "нет", "ни", "никогда", "ничего", "без"],
    "ar": ["لا", "لم", "لن", "ليس", "ليست", "ما", "بدون", "مش", "مو"],
    "hi": ["नहीं", "न", "मत", "बिना", "nahi", "nahin", "nhi", "mat"],
}
# Substring cues of scripts written without spaces.
NEGATION_SUBSTRINGS: dict[str, str] = {
    "zh": r"不(?!过|但|仅|少|错)|没|沒|无(?!论)|無|别|別|未(?!来)|毫无|并非|非(?!常)",
    "ja": r"ない|なかった|ません|ず(?:に)?|ぬ|無い|じゃない",
    "ko": r"않|안\s|못|없|아니|말고",
    "th": r"ไม่|ไม่ได้|ไม่มี|อย่า|มิ|ไร้",
}


@lru_cache(maxsize=64)
def _negation(lang: str | None) -> re.Pattern | None:
    parts = []
    words = NEGATION_WORDS.get(lang or "", [])
    if words:
        parts.append(rf"\b(?:{trie_regex(words)})(?![^\W_])")
    if (lang or "") in NEGATION_SUBSTRINGS:
        parts.append(NEGATION_SUBSTRINGS[lang or ""])
    return re.compile("|".join(parts)) if parts else None


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
