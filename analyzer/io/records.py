"""Turning one input record (a dict from any format) into a ``Comment``.

Field names differ between tools; ``FIELD_ALIASES`` lists the common ones and a
user ``mapping`` (input field -> Comment field, e.g. ``{"body": "text"}``) wins.
Every input field is kept in ``Comment.extra`` except author names and ids, which
are replaced by a keyed pseudonym unless authors are explicitly kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import RecordError
from ..schema import Comment
from .fields import parse_count, parse_time
from .pseudonym import Pseudonymizer

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "comment", "content", "message", "review", "textOriginal", "comment_text"),
    "id": ("id", "cid", "comment_id", "commentId"),
    "likes": ("likes", "like_count", "likeCount", "votes", "score", "upvotes"),
    "created_at": ("created_at", "time_parsed", "timestamp", "publishedAt", "created_utc", "date", "time"),
    "author": ("author", "author_id", "authorChannelId", "user", "username", "user_id", "author_name"),
    "drama": ("drama", "show", "series", "drama_id"),
    "region": ("region", "country", "market"),
    "platform": ("platform", "site"),
    "reply_to": ("reply_to", "parent_id", "parent", "in_reply_to"),
    "title": ("title", "video_title", "thread_title"),
}
CONTEXT_FIELDS = tuple(FIELD_ALIASES)
# Fields that may carry an author's identity; never copied into outputs as they are.
AUTHOR_FIELDS = frozenset(FIELD_ALIASES["author"]) | {
    "authorDisplayName", "authorProfileImageUrl", "authorChannelUrl", "channel", "user_name",
    "screen_name", "name", "nickname", "author_fullname", "user_hash",
}


@dataclass
class ReadContext:
    """What every reader needs besides the bytes: naming, privacy and time settings."""

    mapping: dict[str, str] = field(default_factory=dict)
    pseudonymize: Callable[..., str | None] = field(default_factory=Pseudonymizer)
    dump_time: datetime | None = None  # "now" for relative times such as "2 years ago"
    platform: str | None = None  # default platform for records that name none
    keep_authors: bool = False

    def resolve(self, record: dict[str, Any], target: str) -> tuple[str | None, Any]:
        """(input field name, value) for a Comment field, honouring the user mapping."""
        for source, dest in self.mapping.items():
            if dest == target and source in record:
                return source, record[source]
        for alias in FIELD_ALIASES.get(target, ()):
            if alias in record and alias not in self.mapping:
                return alias, record[alias]
        return None, None


def record_id(location: str, text: str) -> str:
    """A stable id for records that carry none: hash of where it was read and its text."""
    return "r_" + hashlib.sha1(f"{location}\x00{text}".encode("utf-8")).hexdigest()[:16]


def record_to_comment(record: dict[str, Any], location: str, ctx: ReadContext, **overrides: Any) -> Comment:
    """Map a dict to a Comment or raise RecordError with a reason the user can act on."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object with a text field, got {type(record).__name__}", location)
    values = {name: ctx.resolve(record, name)[1] for name in CONTEXT_FIELDS}
    direct = {k: v for k, v in overrides.items() if k not in CONTEXT_FIELDS}
    values.update({k: v for k, v in overrides.items() if k in CONTEXT_FIELDS and v is not None})
    text = values.pop("text")
    if not isinstance(text, str) or not text.strip():
        raise RecordError("missing or empty text (map your text column with --map FIELD=text)", location)
    try:
        created = parse_time(values.pop("created_at"), ctx.dump_time)
        likes = parse_count(values.pop("likes"))
    except ValueError as exc:
        raise RecordError(str(exc), location) from None
    platform = _str(values.pop("platform")) or ctx.platform
    author = ctx.pseudonymize(values.pop("author"), platform)
    ident = _str(values.pop("id")) or record_id(location, text)
    extra = {k: v for k, v in record.items() if ctx.keep_authors or k not in AUTHOR_FIELDS}
    return Comment(
        id=ident, text=text, source=location, platform=platform, author=author,
        created_at=created, likes=likes, extra=extra,
        **{k: _str(v) for k, v in values.items()}, **direct,
    )


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
