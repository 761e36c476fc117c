"""One language's profile: a folder ``<code>/`` with ``profile.toml`` and ``stopwords.txt``
(see docs/languages.md), read into a frozen ``Profile``; ``check_profile`` lists what a
profile lacks."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .markets import MarketTable

PACKAGE = Path(__file__).resolve().parent.parent  # lexicon paths are relative to the analyzer package
SCRIPTS = ("Latn", "Cyrl", "Arab", "Deva", "Thai", "Hani", "Jpan", "Hang")  # as stages.langid writes them
SEGMENTERS = ("words", "jieba", "fugashi", "pythainlp-newmm", "hangul-particles")
KEYS = {"code", "name", "aliases", "script", "word_boundaries", "laughter",
        "segmenter", "contrast", "negation", "lexicons"}
CONTRAST_KEYS = {"leading", "leading_own", "leading_pattern", "trailing_pattern", "trailing_ends"}
NEGATION_KEYS = {"words", "pattern"}
LISTS = ("aliases", "laughter", "contrast.leading", "contrast.leading_own", "contrast.trailing_ends", "negation.words")
STRINGS = ("code", "name", "script", "segmenter.name", "contrast.leading_pattern", "contrast.trailing_pattern",
           "negation.pattern")


@dataclass(frozen=True)
class Contrast:
    """Contrast conjunctions ("but", "但是", "하지만", ...): where a comment's clauses split and
    which clause carries the point (``text.clauses``, ``text.cues``)."""

    leading: tuple[str, ...]  # whole words that open a clause, in any comment
    leading_own: tuple[str, ...]  # whole words that open a clause only in this language (pt "mas")
    leading_pattern: str  # regex for scripts without spaces (substrings)
    trailing_pattern: str  # regex of conjunctions that end a clause (ja けど, ko -지만)
    trailing_ends: tuple[str, ...]  # the literal endings of trailing_pattern (a fast pre-check)


@dataclass(frozen=True)
class Negation:
    words: tuple[str, ...]  # whole-word cues of spaced scripts
    pattern: str  # substring regex of scripts without spaces


@dataclass(frozen=True)
class Profile:
    code: str
    name: str
    aliases: tuple[str, ...]  # other codes for the same language ("fil" for tl)
    script: str  # ISO 15924
    word_boundaries: bool  # words are separated by spaces
    stopwords: frozenset[str]
    laughter: tuple[str, ...]  # units typed repeated for laughter ("ha", "wk", "5")
    segmenter: str  # one of SEGMENTERS (text.segment)
    segmenter_options: dict[str, tuple[str, ...]]  # ko: particles; ja: content_pos
    contrast: Contrast
    negation: Negation
    region: tuple[str, float] | None  # the likeliest market and its prior (markets.csv)
    lexicons: dict[str, Path]  # kind -> data file (themes: the theme cue TSV)
    folder: Path = field(compare=False)


def load_profile(folder: str | Path, markets: MarketTable) -> Profile:
    """The profile in ``folder``; a missing or malformed file raises ConfigError naming it."""
    folder = Path(folder)
    data = _toml(folder / "profile.toml")
    where = folder / "profile.toml"
    _keys(data, KEYS, where, "")
    _keys(data["contrast"], CONTRAST_KEYS, where, "contrast.")
    _keys(data["negation"], NEGATION_KEYS, where, "negation.")
    _types(data, where)
    seg = dict(data["segmenter"])
    contrast, negation = data["contrast"], data["negation"]
    code = data["code"]
    ranked = markets.markets_for(code)
    return Profile(
        code=code, name=data["name"], aliases=tuple(data["aliases"]), script=data["script"],
        word_boundaries=bool(data["word_boundaries"]), stopwords=_stopwords(folder / "stopwords.txt"),
        laughter=tuple(data["laughter"]), segmenter=seg.pop("name", ""),
        segmenter_options={k: tuple(v) for k, v in seg.items()},
        contrast=Contrast(tuple(contrast["leading"]), tuple(contrast["leading_own"]), contrast["leading_pattern"],
                          contrast["trailing_pattern"], tuple(contrast["trailing_ends"])),
        negation=Negation(tuple(negation["words"]), negation["pattern"]),
        region=ranked[0] if ranked else None,
        lexicons={kind: PACKAGE / rel for kind, rel in data["lexicons"].items()},
        folder=folder,
    )


def check_profile(p: Profile) -> list[str]:
    """What ``p`` lacks or gets wrong, one line each (empty when complete)."""
    problems = []
    if p.code != p.folder.name:
        problems.append(f"code {p.code!r} differs from its folder name {p.folder.name!r}")
    if not p.name:
        problems.append("no name")
    if p.script not in SCRIPTS:
        problems.append(f"script {p.script!r} is not one of {', '.join(SCRIPTS)}")
    if p.segmenter not in SEGMENTERS:
        problems.append(f"segmenter {p.segmenter!r} is not one of {', '.join(SEGMENTERS)}")
    if p.word_boundaries and not p.stopwords:
        problems.append("stopwords.txt is empty, though words are separated by spaces")
    if not (p.contrast.leading or p.contrast.leading_own or p.contrast.leading_pattern):
        problems.append("no contrast conjunction (contrast.leading, leading_own or leading_pattern)")
    if bool(p.contrast.trailing_pattern) != bool(p.contrast.trailing_ends):
        problems.append("contrast.trailing_pattern and contrast.trailing_ends go together")
    if not (p.negation.words or p.negation.pattern):
        problems.append("no negation cue (negation.words or negation.pattern)")
    if not p.word_boundaries and not p.contrast.leading_pattern:
        problems.append("a script without spaces needs contrast.leading_pattern")
    problems += [f"{name}: {error}" for name, error in _pattern_errors(p)]
    if p.region is None:
        problems.append(f"no row for {p.code!r} in the market table (lang/markets.csv)")
    problems += [f"lexicon {kind} {path} does not exist" for kind, path in p.lexicons.items() if not path.is_file()]
    return problems


def _pattern_errors(p: Profile):
    for name, pattern in (("contrast.leading_pattern", p.contrast.leading_pattern),
                          ("contrast.trailing_pattern", p.contrast.trailing_pattern),
                          ("negation.pattern", p.negation.pattern)):
        try:
            re.compile(pattern)
        except re.error as exc:
            yield name, f"not a regular expression ({exc})"


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read the language profile {path}: {exc.strerror}; "
                          "a language folder needs profile.toml (see docs/languages.md)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Cannot parse the language profile {path} ({exc}); fix the TOML") from None


def _keys(table: Any, expected: set[str], where: Path, prefix: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {prefix.rstrip('.')} must be a table with keys {', '.join(sorted(expected))}")
    missing, unknown = expected - set(table), set(table) - expected
    if missing or unknown:
        what = "; ".join(part for part in (
            f"missing {', '.join(prefix + k for k in sorted(missing))}" if missing else "",
            f"unknown {', '.join(prefix + k for k in sorted(unknown))}" if unknown else "") if part)
        raise ConfigError(f"{where}: {what}; expected keys {', '.join(prefix + k for k in sorted(expected))}")


def _types(data: dict[str, Any], where: Path) -> None:
    """One line naming the key whose value has the wrong type."""
    if not isinstance(data["segmenter"], dict):
        raise ConfigError(f"{where}: segmenter must be a table ([segmenter] with name = ...)")
    for key in (*LISTS, *STRINGS, "word_boundaries", "segmenter.options", "lexicons"):
        value, expected = _typed(data, key)
        if expected:
            raise ConfigError(f"{where}: {key} must be {expected}. Got {value!r} instead.")


def _typed(data: dict[str, Any], key: str) -> tuple[Any, str]:
    """(the value of ``key``, what it should be, or "" when it is right)."""
    if key == "segmenter.options":
        options = {k: v for k, v in data["segmenter"].items() if k != "name"}
        ok = all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in options.values())
        return options, "" if ok else "lists of strings (particles = [...], content_pos = [...])"
    if key == "lexicons":
        ok = isinstance(data[key], dict) and all(isinstance(v, str) for v in data[key].values())
        return data[key], "" if ok else 'a table of kind = "path relative to the analyzer package"'
    if key == "word_boundaries":
        return data[key], "" if isinstance(data[key], bool) else "true or false"
    table, _, name = key.rpartition(".")
    value = (data[table] if table else data).get(name)
    if key in LISTS:
        ok = isinstance(value, list) and all(isinstance(x, str) and x for x in value)
        return value, "" if ok else "a list of non-empty strings"
    return value, "" if isinstance(value, str) else "a string"


def _stopwords(path: Path) -> frozenset[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}; a language folder needs stopwords.txt "
                          "(one word per line; it may be empty for scripts without spaces)") from None
    return frozenset(word for line in text.splitlines() for word in line.split("#", 1)[0].split())
