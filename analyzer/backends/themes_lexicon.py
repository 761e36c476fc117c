"""``themes.lexicon.v1``: themes, intents and noise from multilingual cue lexicons.

The model is data: one TSV per language in ``analyzer/_models/themes-lexicon/``
(``label<TAB>cue<TAB>cue…``; cue syntax in ``analyzer.text.matching``). A comment in
language L is matched against L's cues plus English (overseas comments mix it in)
plus ``common`` (platform names, acronyms); an unknown language gets every lexicon.
Scores combine the distinct cues of a label as 1 - prod(1 - weight): one strong cue
gives 0.8, one weak cue 0.4 (below the 0.5 threshold), two weak cues 0.64.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path

from ..errors import ModelError, check_param
from ..registry import register
from ..schema import INTENTS, THEMES
from ..text.clauses import clause_spans
from ..text.first_chars import regex_class
from ..text.matching import NO_SPACE, Cue, CueMatcher, fold, parse_cue, strip_diacritics
from .base import ThemeMatch

NAME = "themes.lexicon.v1"
SPECIAL = ("noise", "noise_whole", "negation")
LABELS = frozenset(THEMES) | frozenset(INTENTS) | frozenset(SPECIAL)
NO_SPACE_LANGS = frozenset({"zh", "ja", "th", "ko"})
LANG_ALIASES = {"ms": "id", "fil": "tl", "zh-hans": "zh", "zh-hant": "zh", "yue": "zh", "jv": "id", "pt-br": "pt"}
ALWAYS = ("en", "common")  # matched for every language
NOISE = ThemeMatch({}, (), True, {})
_INTENT_SET = frozenset(INTENTS)
_THEME_ORDER = {t: k for k, t in enumerate(THEMES)}

_URL = re.compile(r"https?://\S+|www\.\S+|\b\S+\.(?:com|net|org|ly|be|tv|io|me|gg)(?:/\S*)?"
                  r"|<(?:url|link|user|mention)>|\[(?:url|link|user|mention)\]|\burl\b|@\w+", re.I)
_MAYBE_LINK = re.compile(r"[.:<\[@]|url")  # cheap test before the URL/timestamp regexes
# ... and a cheaper one first: a piece that every match of _URL or _TIMESTAMP holds.
# (The lookahead lists the first character of each alternative, so most positions are turned away
# at once; under re.I it matches the same characters as those first letters do.)
_LINK_PIECE = re.compile(r"(?=[hwu.<\[@\d])(?:https?://|www\.|\.(?:com|net|org|ly|be|tv|io|me|gg)"
                         r"|<(?:link|user|mention)>|\[(?:link|user|mention)\]|url|@\w|\d:\d)", re.I)
_TIMESTAMP = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")


def default_lexicon_dir() -> Path:
    """The lexicons shipped inside the package."""
    return Path(str(resources.files("analyzer") / "_models" / "themes-lexicon"))


def read_lexicon(path: Path) -> list[Cue]:
    """One ``<lang>.tsv`` -> cues; a bad label or regex raises ModelError with file:line."""
    bounded = path.stem not in NO_SPACE_LANGS
    cues: list[Cue] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, *raw_cues = line.rstrip("\n").split("\t")
        if label not in LABELS:
            raise ModelError(f"{path}:{lineno}: unknown label {label!r}; use a TAXONOMY theme or intent id, or one of {SPECIAL}.")
        try:
            cues.extend(_variants(parse_cue(label, raw.strip(), bounded=bounded), path.stem)
                        for raw in raw_cues if raw.strip())
        except re.error as exc:
            raise ModelError(f"{path}:{lineno}: bad regex cue ({exc}); fix the lexicon file.") from exc
    return [cue for group in cues for cue in group]


def _variants(cue: Cue, lang: str) -> list[Cue]:
    """The cue plus spellings people type: without apostrophes, Vietnamese without accents."""
    out = [cue]
    if cue.kind == "regex":
        return out
    if "'" in cue.text:
        out.append(replace(cue, text=cue.text.replace("'", "")))
    if lang == "vi":
        plain = strip_diacritics(cue.text)
        if plain != cue.text and (" " in plain or len(plain) >= 6):
            out.append(replace(cue, text=plain))
    return out


@register(NAME)
class LexiconThemeBackend:
    """Themes, intents and noise from cue lexicons (see the module docstring)."""

    name = NAME
    summary = "multilingual cue lexicons (data files), clause-level polarity"
    version = "1"

    def __init__(self, *, path: str | Path | None = None, threshold: float = 0.5) -> None:
        check_param("LexiconThemeBackend", "threshold", threshold,
                    isinstance(threshold, (int, float)) and 0 < threshold <= 1, "a number in (0, 1]")
        self.path = Path(path) if path else default_lexicon_dir()
        self.threshold = float(threshold)
        files = sorted(self.path.glob("*.tsv")) if self.path.is_dir() else []
        if not files:
            raise ModelError(f"No lexicon files (*.tsv) in {self.path}; pass path= a folder like analyzer/_models/themes-lexicon.")
        self.lexicons = {f.stem: read_lexicon(f) for f in files}
        self.languages = tuple(sorted(k for k in self.lexicons if k != "common"))
        self._matchers: dict[str, tuple[CueMatcher, tuple]] = {}  # lexicon key -> matcher
        self._by_code: dict[str | None, tuple[CueMatcher, tuple]] = {}  # language code as given -> the same
        whole = [c for cues in self.lexicons.values() for c in cues if c.label == "noise_whole"]
        self._noise_whole = re.compile("|".join(
            c.text if c.kind == "regex" else re.escape(c.text) for c in whole)) if whole else None
        first = regex_class([self._noise_whole.pattern]) if self._noise_whole is not None else ""
        self._noise_first = re.compile(first) if first else None  # None: any first character

    # ---- public API ----------------------------------------------------------------
    def predict(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[ThemeMatch]:
        """One ThemeMatch per text, in order."""
        langs = list(langs) if langs is not None else [None] * len(texts)
        return [self.match_one(text or "", lang) for text, lang in zip(texts, langs)]

    def match_one(self, text: str, lang: str | None = None) -> ThemeMatch:
        match, where = self.match_cues(text, lang)
        if not match.themes:
            return match
        return match._replace(evidence=theme_evidence(text, lang, match.themes, where))

    def match_cues(self, text: str, lang: str | None = None) -> tuple[ThemeMatch, dict[str, list[int]]]:
        """``match_one`` without the evidence clauses: (the match, its ``evidence`` empty; label ->
        start offsets of its cues in ``fold(text)``). ``theme_evidence(text, lang, themes, where)``
        then splits the clauses for the themes a caller keeps (the hybrid: those its heads fire)."""
        low = fold(text)
        if self._structural_noise(text, low):
            return NOISE, {}
        matcher, negation = self._matcher(lang)
        return self._from_hits(low, matcher.find(low), negation)

    def match_batch(self, texts: Sequence[str], langs: Sequence[str | None]
                    ) -> list[tuple[ThemeMatch, dict[str, list[int]]]]:
        """``[self.match_cues(text, lang) ...]`` for a batch: the link test runs over the whole batch
        at once, and the literal cues of each lexicon over all of its texts at once
        (``CueMatcher.find_many``)."""
        lows = [fold(text) for text in texts]
        noise = self._structural_noise_many(texts, lows)
        groups: dict[int, list[int]] = {}
        matchers: dict[int, tuple[CueMatcher, tuple]] = {}
        for i, lang in enumerate(langs):
            if not noise[i]:
                found = self._matcher(lang)
                groups.setdefault(id(found), []).append(i)
                matchers[id(found)] = found
        out: list[tuple[ThemeMatch, dict[str, list[int]]]] = [(NOISE, {})] * len(texts)
        for key, rows in groups.items():
            matcher, negation = matchers[key]
            for i, hits in zip(rows, matcher.find_many([lows[i] for i in rows])):
                out[i] = self._from_hits(lows[i], hits, negation)
        return out

    def _from_hits(self, low: str, hits, negation) -> tuple[ThemeMatch, dict[str, list[int]]]:
        """The match of a comment (``fold``-ed, not noise) from its cue hits."""
        if not hits:  # no cue (most comments)
            return ThemeMatch({}, (), False, {}), {}
        found: dict[str, dict[str, float]] = {}
        where: dict[str, list[int]] = {}
        for start, _, cues in hits:
            for cue in cues:
                label = cue.label
                if label in _INTENT_SET and _negated(low, start, negation):
                    continue
                weights = found.get(label)
                if weights is None:  # the label's first cue (most labels have one)
                    found[label] = {cue.text: cue.weight}
                    where[label] = [start]
                    continue
                if cue.weight > weights.get(cue.text, 0.0):  # the strongest weight of each cue text
                    weights[cue.text] = cue.weight
                where[label].append(start)
        if not found:
            return ThemeMatch({}, (), False, {}), where
        if "noise" in found:
            return NOISE, {}
        return self._assemble(found, where), where

    # ---- internals -----------------------------------------------------------------
    def _assemble(self, found, where) -> ThemeMatch:
        """Scores, intents and themes from the cues found (``where`` gains the intent/access offsets)."""
        scores = {label: _combine(weights.values()) for label, weights in found.items()}
        threshold = self.threshold
        intents = tuple(i for i in INTENTS if scores.get(i, 0.0) >= threshold) if found.keys() & _INTENT_SET else ()
        if intents:
            intent_cues = [w for i in INTENTS if i in found for w in found[i].values()]
            scores["intent"] = _combine([*intent_cues, *found.get("intent", {}).values()])
            where["intent"] = [p for i in (*intents, "intent") for p in where.get(i, [])]
        elif scores.get("intent", 0.0) >= threshold:
            scores["intent"] = min(scores["intent"], threshold - 1e-6)  # needs an intent
        if "where_to_watch" in intents:  # asking where to watch is about access
            scores["access"] = max(scores.get("access", 0.0), scores["where_to_watch"])
            where["access"] = where.get("access", []) + where["where_to_watch"]
        fired = [t for t, score in scores.items() if score >= threshold and t in _THEME_ORDER]
        if len(fired) > 1:
            fired.sort(key=_THEME_ORDER.__getitem__)
        return ThemeMatch({t: round(scores[t], 4) for t in fired}, intents, False, {})

    def _matcher(self, lang: str | None) -> tuple[CueMatcher, tuple]:
        found = self._by_code.get(lang)  # the code as the langid stage wrote it (one lookup per comment)
        if found is None:
            found = self._by_code[lang] = self._build_matcher(lang)
        return found

    def _build_matcher(self, lang: str | None) -> tuple[CueMatcher, tuple]:
        key = LANG_ALIASES.get((lang or "").lower(), (lang or "").lower())
        key = key if key in self.lexicons else "*"
        if key not in self._matchers:
            names = (key, *ALWAYS) if key != "*" else tuple(self.lexicons)
            cues = [c for n in dict.fromkeys(names) for c in self.lexicons.get(n, [])]
            neg_re = _negation_regex([c for c in cues if c.label == "negation" and not c.block])
            exceptions = [c for c in cues if c.label == "negation" and c.block]
            neg_re = (neg_re, _negation_regex([replace(c, block=False) for c in exceptions]))
            usable = [c for c in cues if c.label not in ("noise_whole", "negation")]
            self._matchers[key] = (CueMatcher(usable), neg_re)
        return self._matchers[key]

    def _structural_noise(self, text: str, low: str) -> bool:
        """Empty, link-only, bare timestamps, or a whole-comment noise phrase ("first!")."""
        if not text.strip():
            return True
        return self._noise_rest(text, low, _MAYBE_LINK.search(text) is not None and _LINK_PIECE.search(text) is not None)

    def _structural_noise_many(self, texts: Sequence[str], lows: Sequence[str]) -> list[bool]:
        """``_structural_noise`` of each text; one ``_LINK_PIECE`` scan over the texts joined by NUL
        (none of its pieces holds a NUL, so a text holds a piece iff a match starts inside it)."""
        bases = list(itertools.accumulate((len(text) + 1 for text in texts), initial=0))
        linked = {bisect.bisect_right(bases, m.start()) - 1 for m in _LINK_PIECE.finditer("\x00".join(texts))}
        return [not text.strip() or self._noise_rest(text, low, i in linked and _MAYBE_LINK.search(text) is not None)
                for i, (text, low) in enumerate(zip(texts, lows))]

    def _noise_rest(self, text: str, low: str, maybe_link: bool) -> bool:
        """``_structural_noise`` of a text that is not blank (``maybe_link``: it holds a link piece)."""
        if maybe_link:  # the case-sensitive test is cheaper
            rest = _TIMESTAMP.sub(" ", _URL.sub(" ", text))
            if rest != text and not any(_meaningful(ch) for ch in rest):
                return True
        if self._noise_whole is None or len(low) > 60:  # whole-comment phrases are short
            return False
        if self._noise_first is not None:  # the first character a phrase can start with (most texts fail it)
            first = next((ch for ch in low if _CORE_CHARS[ord(ch)] != " "), None)
            if first is None or self._noise_first.match(first) is None:
                return False
        core = " ".join(low.translate(_CORE_CHARS).split())
        return bool(core) and self._noise_whole.fullmatch(core) is not None

    def describe(self) -> dict:
        return {"backend": self.name, "version": self.version, "path": str(self.path),
                "languages": list(self.languages), "threshold": self.threshold}


class _CoreChars(dict):
    """``str.translate`` table: letters, digits, marks, apostrophe and space kept, the rest
    -> space (filled in per character on first sight)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        self[code] = out = ch if ch in "' " or unicodedata.category(ch)[0] in "LNM" else " "
        return out


_CORE_CHARS = _CoreChars()


def _meaningful(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch) == "So" or ord(ch) >= 0x1F000


def _negation_regex(cues: list[Cue]) -> re.Pattern | None:
    """Word-bounded for space-delimited scripts, substrings for the others."""
    if not cues:
        return None
    parts = sorted((c.text if c.kind == "regex" else re.escape(c.text) for c in cues), key=len, reverse=True)
    bounded = [p for p in parts if not NO_SPACE.search(p)]
    plain = [p for p in parts if NO_SPACE.search(p)]
    alts = ([r"(?<![^\W_])(?:" + "|".join(bounded) + r")(?![^\W_])"] if bounded else []) + plain
    return re.compile("|".join(alts))


def _combine(weights) -> float:
    if len(weights) == 1:  # one cue (most labels): the same float as the product
        (w,) = weights
        return 1.0 - (1.0 - w)
    return 1.0 - math.prod(1.0 - w for w in weights)


def _negated(low: str, start: int, negation: tuple[re.Pattern | None, re.Pattern | None]) -> bool:
    """A negation word in the few characters before ``start``, within the same clause
    ("can't wait" and the like are listed as exceptions and do not count)."""
    words, exceptions = negation
    if words is None:
        return False
    width = 4 if start and NO_SPACE.match(low[start]) else 22
    window = re.split(r"[.,!?;:。，！？；、\n]|\bbut\b", low[max(0, start - width):start])[-1]
    if exceptions is not None:
        window = exceptions.sub(" ", window)
    return words.search(window) is not None


def theme_evidence(text: str, lang: str | None, themes, where: dict[str, list[int]]) -> dict[str, tuple[str, ...]]:
    """Theme -> the clauses (of the original text) where its cues matched (``where`` from
    ``match_cues``)."""
    if not themes:
        return {}
    low = fold(text)
    source = text if len(text) == len(low) else low
    spans = clause_spans(source, lang)
    out = {}
    if len(spans) == 1:  # one clause (most comments)
        s, e = spans[0]
        clause = (source[s:e],)
        for theme in themes:
            out[theme] = clause if any(s <= p < e for p in where.get(theme, ())) else ()
        return out
    for theme in themes:
        starts = where.get(theme, ())
        out[theme] = tuple(source[s:e] for s, e in spans if any(s <= p < e for p in starts))
    return out
