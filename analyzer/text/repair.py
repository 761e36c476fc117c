"""``fix_text(text)``: exactly ``ftfy.fix_text(text, FTFY_CONFIG)``, without calling ftfy
for the texts it would leave alone.

ftfy returns a text unchanged when (1) no line of it looks like mojibake
(``ftfy.badness.is_bad``), (2) it holds none of the characters its other fixers touch
(C1 and other control characters, CR and Unicode line separators, surrogates) and (3)
it is already NFC. Checking those three directly costs a few microseconds; ftfy's own
path costs ~70 us per text, half of it ``BADNESS_RE`` tried at every character.

(1) is checked only around the characters a mojibake match needs: every branch of
``BADNESS_RE`` holds at least one character of ``ANCHORS`` (rare in real text: C1,
currency, box drawing, curly double quotes, accented capitals...) and no match is longer
than ``MAX_MATCH`` characters, so a text has a match iff ``BADNESS_RE`` matches inside
the window of some anchor. tests/test_repair.py proves both facts from the installed
ftfy's pattern; with a pattern other than the one checked (``PATTERN_SHA256``) or another
ftfy version (its steps may differ) every call goes to ftfy itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from ftfy.chardata import CONTROL_CHARS

FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False, uncurl_quotes=False, fix_character_width=False,
    fix_latin_ligatures=False, normalization="NFC", explain=False,
)
# sha256 of the BADNESS_RE pattern that ANCHORS and MAX_MATCH were proved for (ftfy 6.3.1).
PATTERN_SHA256 = "9dcc0f2ac90d9ae3c85eb7b9b2c0b8a8e8126153847c2b30c91a0bb263f3b8c4"
MAX_MATCH = 7
_CATEGORIES = ("c1", "bad", "law", "currency", "start_punctuation", "end_punctuation", "numeric",
               "upper_accented", "box")
# A regex character class body (the categories hold ranges such as "\x80-\x9f").
ANCHORS = "".join(MOJIBAKE_CATEGORIES[c] for c in _CATEGORIES) + "\u0152\u0153\u00b0\u00d7\u00d9\u0402\u00c2\u00c3"
_ANCHOR = re.compile(f"[{ANCHORS}]")
# What ftfy's other fixers (with FTFY_CONFIG) change: C1 controls, line breaks, surrogates,
# terminal escapes and the control characters remove_control_chars drops.
_FIXED_BY_FTFY = re.compile("[\x80-\x9f\r\u2028\u2029\ud800-\udfff\x1b"
                            + "".join(re.escape(chr(c)) for c in sorted(CONTROL_CHARS)) + "]")
# The ftfy whose fix_text steps (which fixers run, in which order) the gate was checked against.
PROVED_VERSIONS = ("6.3.1",)
ENABLED = (hashlib.sha256(BADNESS_RE.pattern.encode("utf-8")).hexdigest() == PATTERN_SHA256
           and getattr(ftfy, "__version__", "") in PROVED_VERSIONS)


def fix_text(text: str) -> str:
    """``ftfy.fix_text(text, FTFY_CONFIG)``."""
    if ENABLED and left_alone(text):
        return text
    return ftfy.fix_text(text, FTFY_CONFIG)


def left_alone(text: str) -> bool:
    """True only when ftfy would return ``text`` unchanged (see the module docstring)."""
    if len(text) > FTFY_CONFIG.max_decode_length or _FIXED_BY_FTFY.search(text) is not None:
        return False
    return unicodedata.is_normalized("NFC", text) and not looks_bad(text)


def looks_bad(text: str) -> bool:
    """Whether ``BADNESS_RE`` matches ``text`` or one of its lines (ftfy judges each line
    apart, where ``^`` also matches after a line break): searched around anchors only,
    nearby anchors' windows merged into one."""
    if "\n\u00c3" in text or "\n\u00c2" in text:  # "^[ÃÂ] " at the start of a later line
        return True
    start = end = -1
    for match in _ANCHOR.finditer(text):
        at = match.start()
        if at - MAX_MATCH + 1 > end:  # apart from the window so far: search that one first
            if end >= 0 and BADNESS_RE.search(text, start, end) is not None:
                return True
            start = max(0, at - MAX_MATCH + 1)
        end = at + MAX_MATCH
    return end >= 0 and BADNESS_RE.search(text, start, end) is not None
