"""Stopwords for topic words: function words, pronouns, fillers and laughter that say
nothing about a topic. The lists live with each language (``analyzer/lang/<code>/
stopwords.txt``, short and written by us); a word is a stopword if any supported
language lists it, since comments mix languages. The class-based TF-IDF of topic
discovery already down-weights words common to all topics; these lists only keep the
obvious function words out of the top words."""

from __future__ import annotations

import re
from functools import lru_cache

from ..lang import profiles


@lru_cache(maxsize=1)
def all_stopwords() -> frozenset[str]:
    """The stopwords of every supported language."""
    return frozenset().union(*(p.stopwords for p in profiles().values()))


@lru_cache(maxsize=1)
def _laughter() -> re.Pattern:
    """Laughter and crying typed as repeated units: "hahaha", "ㅋㅋㅋㅋ", "555555", "wkwkwk", "xD"."""
    units = sorted({u for p in profiles().values() for u in p.laughter}, key=lambda u: (-len(u), u))
    return re.compile(f"^(?:(?:{'|'.join(map(re.escape, units))})+|x+d+)$")


def is_stopword(word: str) -> bool:
    """True for a stopword of any supported language, or a laughter run."""
    return word in all_stopwords() or _laughter().match(word) is not None
