"""The characters a match can start with, as a lookahead that rejects every other position.

A cue matcher scans every start position of a text; at most of them no cue can begin.
``(?=[abc])`` in front of the alternation turns those positions away with one character-set
test instead of trying each alternative (each regex cue).
The lookahead is only a necessary condition: the matches are exactly those of the pattern
without it. When the first characters of a regex cannot be worked out (a negated set, ``.``,
an empty match, case-insensitive flags), no lookahead is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

try:  # the regex parser of the standard library (``sre_parse`` before Python 3.11)
    from re import _parser
except ImportError:  # pragma: no cover - a Python without it just gets no lookahead
    _parser = None

_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


class _Unknown(Exception):
    """The first characters cannot be listed."""


def regex_class(patterns: Iterable[str]) -> str:
    """``(?=[...])`` of every character a match of any of ``patterns`` can start with, or ""
    when that set is unknown for one of them."""
    parts: set[str] = set()
    try:
        for pattern in patterns:
            parsed = _parser.parse(pattern)
            if parsed.state.flags & re.IGNORECASE:
                return ""
            found, nullable = _first(list(parsed))
            if nullable:
                return ""
            parts |= found
    except (_Unknown, re.error, AttributeError, TypeError):
        return ""
    return f"(?=[{''.join(sorted(parts))}])" if parts else ""


def _first(items: list) -> tuple[set[str], bool]:
    """(class items a match of ``items`` can start with, whether it can match empty)."""
    parts: set[str] = set()
    for op, arg in items:
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero width: the next item gives the first character
        if name == "LITERAL":
            return parts | {re.escape(chr(arg))}, False
        if name == "IN":
            return parts | _in_class(arg), False
        if name == "SUBPATTERN":
            if arg[1] & re.IGNORECASE:
                raise _Unknown
            found, nullable = _first(list(arg[3]))
        elif name == "BRANCH":
            found, nullable = set(), False
            for alternative in arg[1]:
                more, empty = _first(list(alternative))
                found, nullable = found | more, nullable or empty
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            found, nullable = _first(list(arg[2]))
            nullable = nullable or arg[0] == 0
        elif name == "ATOMIC_GROUP":
            found, nullable = _first(list(arg))
        else:
            raise _Unknown  # ANY, NOT_LITERAL, group references, ...
        parts |= found
        if not nullable:
            return parts, False
    return parts, True


def _in_class(items) -> set[str]:
    parts = set()
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            parts.add(re.escape(chr(arg)))
        elif name == "RANGE":
            parts.add(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif name == "CATEGORY" and str(arg) in _CATEGORIES:
            parts.add(_CATEGORIES[str(arg)])
        else:
            raise _Unknown  # NEGATE and the rest
    return parts


def required_substrings(patterns: Iterable[str]) -> tuple[str, ...] | None:
    """Literal strings such that every match of any of ``patterns`` contains one of them, or
    None when that cannot be worked out for one of them (a pattern with no literal it always
    holds, case-insensitive flags). A text holding none of them has no match: a search for
    these strings (one automaton scan) skips most texts before the regex is tried."""
    found: set[str] = set()
    try:
        for pattern in patterns:
            parsed = _parser.parse(pattern)
            if parsed.state.flags & re.IGNORECASE:
                return None
            needed = _required(list(parsed))
            if not needed:
                return None
            found |= needed
    except (_Unknown, re.error, AttributeError, TypeError):
        return None
    return tuple(sorted(found))


def required_parts(pattern: str) -> tuple[frozenset[str], ...] | None:
    """Every piece a match of ``pattern`` always holds, each as the literal strings one of which
    stands there (``required_substrings`` keeps only the most selective piece): a text lacking
    every string of one piece has no match ("(?:比|和|像)《": {比, 和, 像} and {《}). None when
    there is none or the pattern cannot be read, as for ``required_substrings``."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        parts = _required_all(list(parsed))
    except (_Unknown, re.error, AttributeError, TypeError):
        return None
    return tuple(dict.fromkeys(parts)) or None


def _required_all(items: list) -> list[frozenset[str]]:
    """``_required``'s candidates, all of them: each run of literal characters, and what the
    groups, repeats and alternations that always occur in the sequence ``items`` always hold."""
    parts: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if run:
            parts.append(frozenset({"".join(run)}))
            run = []
        if name == "SUBPATTERN":
            if arg[1] & re.IGNORECASE:
                raise _Unknown
            parts.extend(_required_all(list(arg[3])))
        elif name == "BRANCH":
            alternatives = [_required(list(alternative)) for alternative in arg[1]]
            if all(alternatives):
                parts.append(frozenset().union(*alternatives))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            parts.extend(_required_all(list(arg[2])))
        elif name == "ATOMIC_GROUP":
            parts.extend(_required_all(list(arg)))
    if run:
        parts.append(frozenset({"".join(run)}))
    return parts


def _required(items: list) -> frozenset[str] | None:
    """Strings one of which every match of the parsed sequence ``items`` holds: of the runs of
    literal characters and the groups and alternations that always occur in it, the one whose
    shortest string is longest (the most selective); None when there is none."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def keep(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        keep(frozenset({"".join(run)}) if run else None)  # anything else ends a run of literals
        run = []
        if name == "SUBPATTERN":
            if arg[1] & re.IGNORECASE:
                raise _Unknown
            keep(_required(list(arg[3])))
        elif name == "BRANCH":
            alternatives = [_required(list(alternative)) for alternative in arg[1]]
            if all(alternatives):
                keep(frozenset().union(*alternatives))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            keep(_required(list(arg[2])))  # occurs at least once
        elif name == "ATOMIC_GROUP":
            keep(_required(list(arg)))
        # anything else (classes, assertions, optional parts) holds no literal for sure
    keep(frozenset({"".join(run)}) if run else None)
    return best
