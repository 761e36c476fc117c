"""Reddit dumps (Pushshift, Arctic Shift): NDJSON comments and submissions, plain or
``.zst`` (opened with a long zstd window by ``sources.open_input``); also a thread as the site
gives it (its URL + ``.json``): Listings of ``t3`` (post) and ``t1`` (comment) things, replies
nested under each comment (a ``more`` stub, comments the page left out, is no record).

Ids get Reddit's type prefix (``t1_`` comments, ``t3_`` submissions) so that
``parent_id`` links replies to their parents. ``[deleted]``/``[removed]`` authors
become no author; a comment whose body is ``[deleted]``/``[removed]`` has no text
left to analyze and goes to the rejects with that reason.
"""

from __future__ import annotations

import re

from ..base import Reject
from ..formats import Format, reject
from ._common import dump_raw, has_any_key, has_keys, isolated, iter_json, looks_json, make_comment

PLATFORM = "reddit"
GONE = {"[deleted]", "[removed]", "[ Removed by Reddit ]", "[removed by reddit]"}
_LISTING = re.compile(rb'^[\s\[]*\{\s*"kind"\s*:\s*"(Listing|t[13])"')  # the site's JSON: a thread, a listing
_DUMP_NAME = re.compile(r"(^|[/\\])R[CS]_\d{4}-\d{2}|_(comments|submissions)$", re.I)
# Input fields kept in Comment.extra (everything else, author_* included, is dropped).
KEEP = ("subreddit", "link_id", "permalink", "num_comments", "over_18", "stickied",
        "distinguished", "edited", "controversiality", "gilded", "link_title", "url", "domain")


class Reddit(Format):
    name = "reddit"

    def sniff(self, name, head):
        if not looks_json(head):
            return False
        dump_name = bool(_DUMP_NAME.search(re.sub(r"\.(json|ndjson|jsonl)$", "", name, flags=re.I)))
        keys = has_keys(head, "created_utc") and has_any_key(head, "subreddit", "subreddit_id", "link_id", "permalink")
        # A dump's name (RC_2023-01, <sub>_comments) counts only beside Reddit's own text fields:
        # any `demo_comments.jsonl` with `text` and `author` is a generic file, not a Reddit dump.
        return keys or (dump_name and has_any_key(head, "body", "selftext")) or bool(_LISTING.search(head))

    def read(self, stream, path, ctx):
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
            elif isinstance(value, list):
                for index, record in enumerate(value):
                    yield from _things(record, path, f"{where}#{index}", ctx)
            else:
                yield from _things(value, path, where, ctx)


def _things(value, path, where, ctx):
    """The records of ``value``: the posts and comments of a site Listing (``#i`` the i-th child, ``#r`` a
    comment's replies), else ``value`` itself, a dump's record."""
    kind = value.get("kind") if isinstance(value, dict) and isinstance(value.get("data"), dict) else None
    if kind == "Listing":
        for index, child in enumerate(value["data"].get("children") or ()):
            yield from _things(child, path, f"{where}#{index}", ctx)
    elif kind in ("t1", "t3"):
        data = value["data"]
        yield from isolated(_record, {k: v for k, v in data.items() if k != "replies"}, path, where, ctx)
        if isinstance(data.get("replies"), dict):  # "" when there are none
            yield from _things(data["replies"], path, f"{where}#r", ctx)
    elif kind != "more":
        yield from isolated(_record, value, path, where, ctx)


def _record(record, path, where, ctx):
    if not isinstance(record, dict):
        return reject("expected a Reddit comment or submission object", path, where, dump_raw(record))
    submission = "title" in record and "body" not in record
    text, gone = _submission_text(record) if submission else _comment_text(record)
    if gone:
        return reject(f"text is {gone} (deleted or removed on Reddit; nothing to analyze)", path, where, dump_raw(record))
    ident = record.get("id")
    prefix = "t3_" if submission else "t1_"
    if isinstance(ident, str) and ident and not ident.startswith(("t1_", "t3_")):
        ident = prefix + ident
    extra = {k: record.get(k) for k in KEEP}
    extra["kind"] = "submission" if submission else "comment"
    extra["text_format"] = "entities"  # Reddit escapes &, < and > as HTML entities
    author = record.get("author")
    return make_comment(
        path, where, ctx, record, extra,
        id=ident, text=text, platform=PLATFORM,
        author=None if isinstance(author, str) and author in GONE else author,
        created_at=record.get("created_utc"), likes=record.get("score"),
        reply_to=None if submission else record.get("parent_id"),
        title=record.get("title") if submission else record.get("link_title"),
    )


def _comment_text(record):
    body = record.get("body")
    if isinstance(body, str) and body.strip() in GONE:
        return None, body.strip()
    return body, None


def _submission_text(record):
    title = record.get("title") if isinstance(record.get("title"), str) else ""
    body = record.get("selftext") if isinstance(record.get("selftext"), str) else ""
    body = "" if body.strip() in GONE else body
    if title.strip() in GONE and not body.strip():
        return None, title.strip()
    return (f"{title}\n\n{body}" if body.strip() else title), None
