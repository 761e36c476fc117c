"""What of an input record may reach an output: an allow-list, not a deny-list.

``Comment.extra`` keeps only allow-listed input fields (``KEEP_EXTRA`` plus the
``[input] keep_fields`` config), and inside them nothing author-like. A field is
author-like when its name, compared case- and punctuation-insensitively, is one of
``AUTHOR_NAMES`` or contains one of ``AUTHOR_PARTS`` (``authorName``, ``Display Name``,
``reviewer.name``, ``screen_name``, ``email`` ...), or when the user mapped it to
``author`` (``--map handle=author``). Raw records in rejects keep only allow-listed
values; every other value is shown as ``"<redacted>"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

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


def norm(name) -> str:
    """``"Comment Text"``, ``comment_text`` and ``commentText`` all give ``commenttext``."""
    return re.sub(r"[\W_]+", "", str(name)).lower()


_KEEP = frozenset(norm(k) for k in KEEP_EXTRA)


def is_author_like(name) -> bool:
    key = norm(name)
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

    def cells(self, header: list[str], row: list[str], delimiter: str) -> dict[str, str]:
        """A CSV row whose cells do not match the header, for a reject: a cell holding the
        delimiter, a quote or a line break may have swallowed its neighbours (an unclosed
        quote), so it is redacted whatever its column."""
        cells = dict(zip(header, row)) | {f"_column_{i + 1}": v for i, v in enumerate(row) if i >= len(header)}
        return {k: REDACTED if any(c in v for c in (delimiter, '"', "\n", "\r")) else v for k, v in cells.items()}

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
        """A record that could not be parsed: JSON-ish tokens re-emitted with every value
        that does not follow an allowed key replaced (works on cut or broken records)."""
        out, key, pending_key = [], None, None
        for match in _TOKEN.finditer(text):
            token = match.group()
            if token.isspace() or token in "{}[],":
                out.append(token)
                if token in "{},":
                    key = None
                continue
            if token == ":":
                out.append(token)
                key = pending_key
                continue
            if token.startswith('"') and _next_is_colon(text, match.end()):
                pending_key = token.strip('"')
                out.append(token if len(token) <= 80 and not any(c in token for c in "\\") else '"<key>"')
                continue
            allowed = key is not None and norm(key) in self.values and not self.author(key)
            out.append(token if allowed else json.dumps(REDACTED))
        return "".join(out)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\],:]|\s+|[^"{}\[\],:\s]+')


def _next_is_colon(text: str, end: int) -> bool:
    rest = text[end:end + 16].lstrip()
    return rest[:1] == ":"
