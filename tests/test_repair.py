"""repair.fix_text is ftfy.fix_text: the two facts its shortcut rests on are proved from
the installed ftfy's BADNESS_RE, and the two functions are compared on random texts."""

import random
import re
import re._parser as parser
import unicodedata

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES

from analyzer.text import repair


def _in_anchors(codes) -> bool:
    return all(repair._ANCHOR.match(chr(c)) for c in codes)


def _needs_an_anchor(item) -> bool:
    """Whether this element of a branch only matches characters of ANCHORS."""
    op, arg = item
    if op is parser.LITERAL:
        return _in_anchors([arg])
    if op is not parser.IN or any(o is not parser.LITERAL and o is not parser.RANGE for o, _ in arg):
        return False  # NEGATE, CATEGORY (\s, \w) and the rest can match non-anchors
    return all(_in_anchors([a] if o is parser.LITERAL else range(a[0], a[1] + 1)) for o, a in arg)


def test_the_pattern_is_the_one_proved():
    assert repair.ENABLED, ("another ftfy (BADNESS_RE or version): check fix_and_explain's steps, rerun this "
                            "file and update repair.PATTERN_SHA256 / PROVED_VERSIONS; until then ftfy runs on every text")


def test_every_badness_branch_needs_an_anchor_within_max_match():
    tree = parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    [(op, (_, branches))] = tree.data
    assert op is parser.BRANCH and len(branches) > 30
    for branch in branches:
        assert branch.getwidth()[1] <= repair.MAX_MATCH, branch
        assert any(_needs_an_anchor(item) for item in branch.data), branch


def test_common_letters_are_not_anchors():
    """What makes the shortcut pay: lower-case accented, Greek and Cyrillic letters (frequent in
    real comments) open no window; only rarer characters such as currency signs do."""
    for ch in "a\u00e9\u00e0\u0111\u03b1\u0431\u2019":
        assert not repair._ANCHOR.match(ch), ch
    assert repair._ANCHOR.match("\u20ac") and repair._ANCHOR.match("\u201c")


ALPHABET = ("abcXYZ  \n\t.,?!" + "".join(sorted({ch for cat in MOJIBAKE_CATEGORIES.values() for ch in cat if ch != "-"}))
            + "\u00c3\u00c2\u0152\u0153\u00b0\u00d7\u00d8\u00d9\u0402\u0432\u0413\u0412\u03b2\u20ac\u0101\u221a\u2248\u201a"
            + "\u4e2d\u00e0\u0301\u0065\r\x85\x1b\u2028\ufeff\U0001f600")


@pytest.mark.parametrize("seed", range(3))
def test_fix_text_equals_ftfy_on_random_texts(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 14)))
        assert repair.fix_text(text) == ftfy.fix_text(text, repair.FTFY_CONFIG), repr(text)
        if "\n" not in text:
            assert repair.looks_bad(text) == bool(BADNESS_RE.search(text)), repr(text)


@pytest.mark.parametrize("text", [
    "caf\u00e9 \u2019ok\u2019", "Ti\u1ebfng Vi\u1ec7t \u0110\u1eb9p", "\u00c3\u00a9t\u00c3\u00a9", "a\nÃ b",
    "Ã b", "price \u00a3\u00a3 10", "\u250c\u2500\u2510", "e\u0301", "line\r\nbreak", "\u201chi\u201d there",
    "\u0432\u0402\u045a", "x" * 30 + "\u00c3\u00a9", "\u00ab\u00bb" * 20, "",
])
def test_fix_text_equals_ftfy_on_cases(text):
    assert repair.fix_text(text) == ftfy.fix_text(text, repair.FTFY_CONFIG)
    assert repair.left_alone(text) <= (ftfy.fix_text(text, repair.FTFY_CONFIG) == text)
    if "\n" not in text:
        assert repair.looks_bad(text) == bool(BADNESS_RE.search(text))
    assert unicodedata.is_normalized("NFC", repair.fix_text(text))
