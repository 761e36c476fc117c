"""Word segmentation for every supported language, so topic words are words.

``segment(text, lang)`` splits a text into script runs and cuts each run the way its
script needs:

- Han text (``lang`` zh, or Han without kana): jieba (``pip install jieba``);
- Japanese (``lang`` ja, or any kana in the text): fugashi with unidic-lite, keeping
  content words (nouns, verbs, adjectives, adverbs) in their dictionary form; without
  fugashi, runs of one script (kanji / katakana / hiragana) are the words;
- Thai: pythainlp's ``newmm`` (its dictionary ships in the wheel, nothing is
  downloaded); without pythainlp a Thai run stays one token;
- Hangul: space-delimited words with a common trailing particle removed;
- everything else: letters, digits and combining marks between spaces/punctuation.

Words are lower-cased; punctuation, emoji and bare numbers are dropped.
``content_words`` also drops the stopwords (``stopwords.py``). Which segmenter a
language uses, the Korean particles and the Japanese content parts of speech live in
each language's profile (``analyzer/lang/<code>/profile.toml``, ``[segmenter]``).
The optional segmenters are imported on first use only, and each missing one has a
fallback.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import lru_cache

from ..lang import profiles
from .stopwords import is_stopword

THAI = "\u0e00-\u0e7f"
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005"  # 々 repeats a kanji
KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0903\u093a-\u094f\u0962\u0963"
_LETTER = f"[^\\W_{THAI}{HAN}{KANA}{HANGUL}]"
RUNS = re.compile(
    f"(?P<thai>[{THAI}]+)|(?P<cjk>[{HAN}{KANA}]+)|(?P<hangul>[{HANGUL}]+)"
    f"|(?P<word>(?:{_LETTER}|[{_MARKS}])+(?:['\u2019](?:{_LETTER}|[{_MARKS}])+)*)"
)
KANA_RE = re.compile(f"[{KANA}]")
SCRIPT_RUN = re.compile(f"[{HAN}]+|[\u30a0-\u30ff\uff66-\uff9f]+|[\u3040-\u309f]+")
NO_SPACE = re.compile(f"[{THAI}{HAN}{KANA}]")
NUMBER = re.compile(r"^[\d.,:]+$")
# Segmenters of scripts without spaces (a profile's ``[segmenter] name``) -> what each uses
# here with its library installed, and without it.
OPTIONAL_SEGMENTERS = {
    "jieba": ("jieba", "characters"),
    "fugashi": ("fugashi+unidic-lite", "script-runs"),
    "pythainlp-newmm": ("pythainlp-newmm", "runs"),
}


@lru_cache(maxsize=1)
def ko_particles() -> tuple[str, ...]:
    """Korean particles and endings that attach to the word before them (longest first),
    from the profiles whose segmenter is ``hangul-particles``."""
    found = {s for p in profiles().values() if p.segmenter == "hangul-particles"
             for s in p.segmenter_options.get("particles", ())}
    return tuple(sorted(found, key=lambda s: (-len(s), s)))


@lru_cache(maxsize=1)
def ja_content_pos() -> frozenset[str]:
    """fugashi part-of-speech (unidic pos1) kept as content words (the ``fugashi`` profiles)."""
    return frozenset(pos for p in profiles().values() if p.segmenter == "fugashi"
                     for pos in p.segmenter_options.get("content_pos", ()))


def _optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@lru_cache(maxsize=1)
def _jieba() -> Callable[[str], list[str]] | None:
    jieba = _optional("jieba")
    if jieba is None:
        return None
    # jieba announces its dictionary build on stderr at INFO; keep the CLI's stderr for errors.
    jieba.setLogLevel(30)
    return jieba.lcut


@lru_cache(maxsize=1)
def _thai() -> Callable[[str], list[str]] | None:
    tokenize = _optional("pythainlp.tokenize")
    if tokenize is None:
        return None
    return lambda text: tokenize.word_tokenize(text, engine="newmm", keep_whitespace=False)


@lru_cache(maxsize=1)
def _japanese():
    fugashi = _optional("fugashi")
    if fugashi is None:
        return None
    try:
        return fugashi.Tagger()
    except RuntimeError:  # no dictionary installed (unidic-lite is the extra)
        return None


def available() -> dict[str, str]:
    """Which segmenter each no-space script uses here (for reports and run manifests)."""
    loaded = {"jieba": _jieba, "fugashi": _japanese, "pythainlp-newmm": _thai}
    return {code: label if loaded[name]() else fallback
            for name, (label, fallback) in OPTIONAL_SEGMENTERS.items()
            for code, p in profiles().items() if p.segmenter == name}


def segment(text: str, lang: str | None = None) -> list[str]:
    """The words of ``text`` in order, lower-cased; no punctuation, emoji or numbers."""
    if not text:
        return []
    text = text.lower()
    japanese = lang == "ja" or (lang != "zh" and KANA_RE.search(text) is not None)
    if japanese and _japanese() is not None:
        return _ja_fugashi(text)
    words: list[str] = []
    for m in RUNS.finditer(text):
        kind, run = m.lastgroup, m.group()
        if kind == "cjk":
            words.extend(_ja_runs(run) if japanese else _zh(run))
        elif kind == "thai":
            words.extend(_th(run))
        elif kind == "hangul":
            words.append(_ko(run))
        elif not NUMBER.match(run):
            words.append(run)
    return [w for w in words if w]


def content_words(text: str, lang: str | None = None) -> list[str]:
    """``segment`` minus stopwords and one-letter Latin-script tokens."""
    return [w for w in segment(text, lang) if not is_stopword(w) and not (len(w) == 1 and w.isascii())]


def _zh(run: str) -> list[str]:
    cut = _jieba()
    return [w for w in cut(run) if w.strip()] if cut else list(run)


def _th(run: str) -> list[str]:
    cut = _thai()
    return [w for w in cut(run) if w.strip()] if cut else [run]


def _ko(word: str) -> str:
    for suffix in ko_particles():
        if len(word) > len(suffix) + 1 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _ja_runs(run: str) -> list[str]:
    return SCRIPT_RUN.findall(run)


def _ja_fugashi(text: str) -> list[str]:
    words = []
    for token in _japanese()(text):
        feature = token.feature
        pos = getattr(feature, "pos1", None)
        if pos not in ja_content_pos():
            if pos is None and RUNS.fullmatch(token.surface):
                words.append(token.surface)
            continue
        if pos == "名詞" and NUMBER.match(token.surface):
            continue
        base = getattr(feature, "orthBase", None) or getattr(feature, "lemma", None)
        words.append(base if pos in {"動詞", "形容詞"} and base and base != "*" else token.surface)
    return words
