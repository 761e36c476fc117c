"""Text normalization for models: ``normalize_text(raw) -> clean``.

Steps, in order: HTML tags dropped and entities decoded (HTML-bearing sources only),
mojibake repaired and Unicode NFC (ftfy), invisible characters removed (zero-width
joiners kept: emoji sequences need them), URLs and @mentions masked, whitespace
folded to single spaces. Emoji are kept. The raw text is never changed; the result
goes to ``Comment.clean_text``. ``normalize_text`` is idempotent: the clean text of a
clean text is itself.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from ..lang import profile
from .repair import FTFY_CONFIG, fix_text

URL_TOKEN = "http"  # the convention of multilingual tweet models (e.g. XLM-T)
MENTION_TOKEN = "@user"

_FTFY = FTFY_CONFIG  # ftfy's fixes as normalize applies them (see ``repair.fix_text``)
_TLDS = "com|net|org|ly|be|io|co|tv|me|gg|info|xyz|app|link|site|shop|top|vn|th|id|ph|my|cn|jp|kr|tw|hk|in|br"
URL = re.compile(
    rf"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"]+"
    rf"|(?<![@.\w])(?:[a-z0-9-]+\.)+(?:{_TLDS})/[^\s<>\"]*"
    rf"|(?<![@.\w])(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?![.@])"
)
# What every URL form above contains ("://", "www." or ".<tld>", any case): texts without it
# skip the URL scan, whose look-behinds make it slow to try at every letter (``might_have_url``:
# "://" by a substring test, the other two by this, which starts with "." so that the regex
# engine jumps between dots only).
_DOT_HINT = re.compile(rf"\.(?:(?<=(?i:www)\.)|(?i:{_TLDS}))")
# The same test as one pattern, for scans of a whole batch joined by newlines (dedup's noise check).
_URL_HINT = re.compile(rf":(?=//)|{_DOT_HINT.pattern}")
# Whitespace that folding changes besides runs of spaces and spaces at the ends (str.split's).
_OTHER_SPACE = re.compile(r"[^\S ]")
MENTION = re.compile(r"(?<![\w@])@[\w][\w.\-]{0,49}(?<![.\-])")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_BLOCK_TAGS = {"br", "p", "div", "li", "tr"}
_HTML_HINT = re.compile(r"<\s*(?:br|/?p|/a|a\s+href|/?b|/?i|/?span|/?div)\b[^<>]*>|&(?:amp|lt|gt|quot|#39|#x27|nbsp);", re.I)
# Control and invisible format characters dropped; ZWJ/ZWNJ (U+200D/U+200C) and the
# tag characters of subdivision flags (U+E0020-E007F) are kept: emoji need them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# On text made only of these characters ftfy's fixes do nothing but NFC: printable ASCII,
# tab/newline, CJK punctuation and ideographs, kana, Hangul syllables and compatibility
# jamo, Thai, full-width ASCII forms, common emoji and symbols, VS16 and ZWJ. No
# single-byte codec that mojibake repair tries can encode the non-ASCII ones, so
# ``_repair`` only applies NFC to them (tests/test_normalize.py checks this against
# ftfy on every code point of these ranges).
SAFE_CHARS = ("\t\n\x20-\x7e\u3000-\u3029\u3030-\u303f\u3041-\u3096\u309b-\u30ff\u4e00-\u9fff\uac00-\ud7a3"
              "\u3131-\u318e\u0e01-\u0e3a\u0e3f-\u0e5b\uff01-\uff5e\u2600-\u27bf\ufe0f\u200d"
              "\U0001f300-\U0001faff")
_SAFE = re.compile(f"[{SAFE_CHARS}]*")
# SAFE_CHARS without tab, newline and U+3000: the space is the only whitespace among them.
PLAIN_CHARS = SAFE_CHARS.replace("\t\n", "").replace("\u3000-", "\u3001-")
_PLAIN = re.compile(f"[{PLAIN_CHARS}]*")


def _repair(text: str, rounds: int = 4) -> str:
    """ftfy's fixes and invisible-character removal until nothing changes (one pass
    can uncover more mojibake, e.g. after a C1 control is decoded)."""
    if _SAFE.fullmatch(text):
        return unicodedata.normalize("NFC", text)
    for _ in range(rounds):
        fixed = _INVISIBLE.sub("", fix_text(text))
        if fixed == text:
            break
        text = fixed
    return text


def strip_html(text: str) -> str:
    """Tags dropped (block tags become line breaks), then entities decoded."""
    text = _TAG.sub(lambda m: "\n" if m.group(2).lower() in _BLOCK_TAGS else "", text)
    return html.unescape(text)


def looks_like_html(text: str) -> bool:
    """Whether a text carries common HTML tags or entities (for ``html="auto"``)."""
    return ("<" in text or "&" in text) and _HTML_HINT.search(text) is not None


def might_have_url(text: str) -> bool:
    """False only when ``URL`` cannot match ``text`` (a cheap scan before the slow one; most
    texts hold no "." for ``_DOT_HINT`` to scan for)."""
    return "://" in text or ("." in text and _DOT_HINT.search(text) is not None)


def mask_urls(text: str, token: str = URL_TOKEN) -> str:
    return URL.sub(token, text) if might_have_url(text) else text


def mask_mentions(text: str, token: str = MENTION_TOKEN) -> str:
    return MENTION.sub(token, text) if "@" in text else text


# Reddit's u/name or /u/name (3-20 of A-Z a-z 0-9 _ -), not inside a word or a link's path.
REDDIT_USER = re.compile(r"(?<![A-Za-z0-9_/])/?u/([A-Za-z0-9_-]{3,20})(?![A-Za-z0-9_-])")


def mask_handles(text: str) -> str:
    """Other users' handles in a shown quote: @name -> @user and Reddit's u/name -> u/user.
    (``clean_text`` masks only @name: what the models were trained on.)"""
    text = mask_mentions(text)
    return REDDIT_USER.sub(_reddit_user, text) if "u/" in text else text


def _reddit_user(match: re.Match) -> str:
    """u/user for a plausible username; ordinary text ("love u/you", "u/and") as written: a name
    that is an English function word is "u" and a word typed with a slash, not a user."""
    return match.group(0) if match.group(1).lower() in _english_stopwords() else "u/user"


@lru_cache(maxsize=1)
def _english_stopwords() -> frozenset[str]:
    return profile("en").stopwords


def normalize_text(text: str, *, html_mode: str = "never", mask: bool = True,
                   url_token: str = URL_TOKEN, mention_token: str = MENTION_TOKEN) -> str:
    """The clean text of ``text``.

    ``html_mode``: ``"strip"`` drops tags and decodes entities, ``"entities"`` only
    decodes entities (Reddit), ``"never"`` leaves both alone.
    """
    if html_mode == "strip":
        text = strip_html(text)
    elif html_mode == "entities":
        text = html.unescape(text)
    for _ in range(4):  # repeat until stable: folding can expose more mojibake ("Â" + space)
        clean = _clean_once(text, mask, url_token, mention_token)
        if clean == text:
            break
        text = clean
    return clean


def _clean_once(text: str, mask: bool, url_token: str, mention_token: str) -> str:
    if is_clean(text, mask):
        return text
    text = _repair(text)
    if mask:
        text = mask_mentions(mask_urls(text, url_token), mention_token)
    if needs_folding(text):
        text = " ".join(text.split())  # == _SPACE.sub(" ", text).strip(): both split on str.isspace
    return unicodedata.normalize("NFC", text)


def needs_folding(text: str) -> bool:
    """False when whitespace folding leaves ``text`` as it is: single spaces only, none at the ends."""
    return text[:1] == " " or text[-1:] == " " or "  " in text or _OTHER_SPACE.search(text) is not None


def is_clean(text: str, mask: bool) -> bool:
    """True only when ``_clean_once`` leaves ``text`` as it is, checked at once: PLAIN_CHARS only
    (so ``_repair`` is NFC, and a space the only whitespace), NFC already, single spaces
    inside, none at the ends, and (with ``mask``) no URL hint and no ``@``."""
    return (_PLAIN.fullmatch(text) is not None and (text[:1] != " " and text[-1:] != " " and "  " not in text)
            and unicodedata.is_normalized("NFC", text)
            and (not mask or ("@" not in text and not might_have_url(text))))
