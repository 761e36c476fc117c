"""Sentence and contrastive-clause splitting, so each clause can be scored on its own:
"love the OST but the ending ruined it" -> ["love the OST", "but the ending ruined it"].

Splits at sentence punctuation and line breaks, before leading contrastive
conjunctions (but, however, 但是/可是/不过, 하지만/그런데, でも, nhưng, แต่, tapi/namun,
pero, porém, لكن, mais, aber, но, लेकिन, ma/però, ama …) and after trailing ones
(Japanese けど/けれど, Korean -지만). Conjunctions that are ordinary words in another
language (pt "mas", fr "mais", it "ma", tr "ama", ar "بس") only split for that language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .matching import fold, trie_regex

_SENTENCE_END = re.compile(r"(?<!\d)\.+(?!\d)|\.{2,}|[!?;…。！？；\n]+")

# Leading conjunctions (the new clause starts at the conjunction), whole words.
_LEADING_WORDS = [
    "but", "however", "although", "though", "whereas", "except that",  # en
    "pero", "sin embargo", "aunque", "no obstante",  # es, tl
    "porém", "contudo", "entretanto", "todavia",  # pt
    "tapi", "tetapi", "namun", "padahal", "sayangnya",  # id/ms
    "kaso", "kaya lang", "ngunit", "subalit", "kaya nga lang",  # tl
    "nhưng", "tuy nhiên", "nhưng mà", "mà lại",  # vi
    "cependant", "pourtant", "toutefois", "par contre",  # fr
    "aber", "jedoch", "allerdings", "trotzdem",  # de
    "но", "однако", "зато",  # ru
    "लेकिन", "मगर", "किंतु", "परंतु", "lekin",  # hi
    "però", "tuttavia", "eppure",  # it
    "fakat", "ancak", "lakin",  # tr
    "لكن", "ولكن", "لكنه", "لكنها",  # ar
]
# Conjunctions that are ordinary words in another language split only for their own.
_LEADING_LANG = {
    "pt": ["mas"], "fr": ["mais"], "it": ["ma"], "tr": ["ama"], "ar": ["بس"],
    "id": ["tp", "tpi"], "ms": ["tp", "tpi"], "vi": ["nhung ma", "tuy nhien"],
}
# Scripts written without spaces: substrings, with the common false friends excluded.
_LEADING_NO_SPACE = [
    r"但是|可是|不过(?!来|去)|然而|(?<![不非])但(?![愿凡])",  # zh
    r"하지만|그런데|그러나|그렇지만|근데",  # ko
    r"(?:^|(?<=[\s、。！？!?]))(?:でも|だけど|けど)|しかし",  # ja
    r"(?<!ตั้ง)แต่(?!ละ|ง|่)",  # th (not แต่ละ each, ตั้งแต่ since, แต่ง dress/compose)
]
# Trailing conjunctions: the clause ends after them.
_TRAILING = [
    r"けど|けれど(?:も)?",  # ja
    r"(?<!하)지만",  # ko suffix: 재밌지만 (하지만 is leading)
]


_TRAILING_ENDS = ("けど", "けれど", "けれども", "지만")
_TRAILING_AT_END = re.compile(f"(?:{'|'.join(_TRAILING)})$")


@lru_cache(maxsize=64)
def _pattern(lang: str | None) -> re.Pattern:
    words = trie_regex(_LEADING_WORDS + _LEADING_LANG.get(lang or "", []))
    lead = [rf"\b(?:{words})(?![^\W_])", *_LEADING_NO_SPACE]
    return re.compile(f"(?P<lead>{'|'.join(lead)})|(?P<trail>{'|'.join(_TRAILING)})")


def clause_spans(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the clauses of ``text``, in order, none empty."""
    cuts = _sentence_cuts(text)
    folded = fold(text)
    for m in _pattern(lang).finditer(folded if len(folded) == len(text) else text):
        cuts.add(m.start() if m.lastgroup == "lead" else m.end())
    return _spans(text, cuts)


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
    """Whether ``clause`` opens with a leading contrast conjunction ("but the ending ...")."""
    m = _pattern(lang).match(fold(clause).lstrip())
    return bool(m and m.lastgroup == "lead")


def contrast_at_end(clause: str, lang: str | None = None) -> bool:
    """Whether ``clause`` ends with a trailing contrast conjunction (재밌지만, 面白いけど)."""
    tail = clause.rstrip(" ,，、.…")
    return tail.endswith(_TRAILING_ENDS) and bool(_TRAILING_AT_END.search(tail[-8:]))


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
