"""What of an input record may reach an output: an allow-list, not a deny-list.

``Comment.extra`` keeps only allow-listed input fields (``KEEP_EXTRA`` plus the
``[input] keep_fields`` config), and inside them nothing author-like. A field is
author-like when its name, compared case- and punctuation-insensitively, is one of
``AUTHOR_NAMES`` or contains one of ``AUTHOR_PARTS`` (``authorName``, ``Display Name``,
``reviewer.name``, ``screen_name``, ``email`` ...), or when the user mapped it to
``author`` (``--map handle=author``). Raw records in rejects keep only allow-listed
values (none at all when the record could not be parsed); every other value is shown
as ``"<redacted>"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache

REDACTED = "<redacted>"
AUTHOR_NAMES = frozenset({
    "name", "from", "by", "owner", "sender", "login", "account", "channel", "uid", "mail", "phone", "ip",
    "ipaddress", "nick", "poster", "reviewer", "commenter", "handle", "photo", "avatar", "writer", "creator",
    "postedby", "createdby", "who", "userhash", "member", "person", "fullname",
})
AUTHOR_PARTS = ("author", "user", "handle", "nick", "screenname", "displayname", "commenter", "email",
                "poster", "reviewer", "avatar", "profile", "fullname", "firstname", "lastname", "login",
                "account", "phone", "ipaddr", "channelurl")
# Input fields kept in Comment.extra by the generic readers (names compared normalized).
KEEP_EXTRA = frozenset({
    "lang", "language", "locale", "lang_hint", "user_country", "video_id", "video_title", "thread_title",
    "link_title", "playlist_title", "show_title", "channel_title", "channel_name", "channel_id", "uploader",
    "video_channel", "episode", "season", "rating", "stars", "overall", "story", "acting", "music", "rewatch",
    "helpful", "replies", "reply_count", "heart", "pinned", "edited", "subreddit", "kind", "text_format",
    "time_text", "updated_at", "source_lang", "sentiment_label", "label", "stance",
})


_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=8192)
def _norm(name: str) -> str:
    return _NON_WORD.sub("", name).lower()


def norm(name) -> str:
    """``"Comment Text"``, ``comment_text`` and ``commentText`` all give ``commenttext``."""
    return _norm(name if isinstance(name, str) else str(name))


_KEEP = frozenset(norm(k) for k in KEEP_EXTRA)


def is_author_like(name) -> bool:
    return _author_like(norm(name))


@lru_cache(maxsize=8192)
def _author_like(key: str) -> bool:
    return key in AUTHOR_NAMES or any(part in key for part in AUTHOR_PARTS)


class FieldPolicy:
    """Decides which input fields are kept: ``keep`` adds allowed names, ``authors``
    adds names that are authors (e.g. the sources of ``--map X=author``)."""

    def __init__(self, keep: Iterable[str] = (), authors: Iterable[str] = (), values: Iterable[str] = ()) -> None:
        self.authors = frozenset(norm(a) for a in authors)
        self.keep = (_KEEP | {norm(k) for k in keep}) - self.authors
        self.values = (self.keep | {norm(v) for v in values}) - self.authors  # shown in rejects too

    def author(self, name) -> bool:
        return norm(name) in self.authors or is_author_like(name)

    def kept(self, name) -> bool:
        return norm(name) in self.keep and not self.author(name)

    def cells(self, header: list[str], row: list[str]) -> dict[str, str]:
        """A CSV row whose cells do not match the header, for a reject: a lost or extra
        delimiter or quote may have moved any cell (an author too) under another column,
        so every value is redacted; the row's shape and the file:line remain."""
        keys = [h if self.known(h) else f"<column {i + 1}>" for i, h in enumerate(header)]
        keys += [f"_column_{i + 1}" for i in range(len(header), len(row))]
        return dict.fromkeys(keys, REDACTED)

    def known(self, name) -> bool:
        """A field name from the vocabulary (safe to show as a key)."""
        return norm(name) in self.values or is_author_like(name)

    def scrub(self, value, depth: int = 0):
        """``value`` without author-like keys at any depth (for values already allowed)."""
        if depth > 64:
            return REDACTED
        if isinstance(value, dict):
            return {k: self.scrub(v, depth + 1) for k, v in value.items() if not self.author(k)}
        if isinstance(value, list):
            return [self.scrub(v, depth + 1) for v in value]
        return value

    def redact(self, value, depth: int = 0):
        """A parsed record for the rejects file: keys kept, values only where allowed."""
        if depth > 64:
            return REDACTED
        if isinstance(value, dict):
            return {k: self._redact_item(k, v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v, depth + 1) for v in value]
        return REDACTED

    def _redact_item(self, key, value, depth: int):
        if self.author(key):
            return REDACTED
        if norm(key) in self.values:
            return self.scrub(value, depth + 1)
        return self.redact(value, depth + 1) if isinstance(value, (dict, list)) else REDACTED

    def redact_text(self, text: str) -> str:
        """A record that could not be parsed (cut, broken quoting): its tokens cannot be
        trusted to sit under the right keys, so every value is redacted and only known key
        names are shown; the reject's reason and file:line point at the original."""
        out = []
        for match in _TOKEN.finditer(text):
            token = match.group()
            if token.isspace() or token in "{}[],:":
                out.append(token)
            elif token.startswith('"') and _next_is_colon(text, match.end()):
                out.append(token if self.known(token.strip('"')) and "\\" not in token else '"<key>"')
            else:
                out.append(json.dumps(REDACTED))
        return "".join(out)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\],:]|\s+|[^"{}\[\],:\s]+')


def _next_is_colon(text: str, end: int) -> bool:
    rest = text[end:end + 16].lstrip()
    return rest[:1] == ":"
