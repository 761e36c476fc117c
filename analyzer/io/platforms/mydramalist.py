"""MyDramaList reviews as common scrapers emit them: JSON Lines, a JSON array, a
``{"data": {"title": ..., "reviews": [...]}}`` document (kuryana-style API), or CSV.

Field names vary between scrapers; the first present name wins (see ``FIELDS``).
Scores (overall, story, acting, music, rewatch) and episodes watched go to
``extra``; helpful votes become ``likes``; the review text may be a list of
paragraphs.
"""

from __future__ import annotations

import re

from ..base import Reject
from ..formats import Format, reject, why
from ..tables import open_table
from ._common import dump_raw, get, has_any_key, isolated, iter_json, make_comment, number, records_in

PLATFORM = "mydramalist"
FIELDS = {
    "text": ("review", "review_text", "content", "text", "body"),
    "drama": ("drama", "drama_title", "drama_name", "show", "series", "show_title"),
    "headline": ("review_title", "headline", "summary"),
    "overall": ("overall", "overall_score", "rating", "score"),
    "story": ("story", "story_score"),
    "acting": ("acting", "acting_cast", "acting_score", "acting_cast_score"),
    "music": ("music", "music_score"),
    "rewatch": ("rewatch", "rewatch_value", "rewatch_score", "rewatch_value_score"),
    "helpful": ("helpful", "helpful_votes", "helpful_count", "found_helpful"),
    "episodes": ("episodes_watched", "episodes_seen", "watched_episodes"),
    "status": ("status", "info", "watch_status"),
    "date": ("date", "review_date", "created_at", "posted"),
    "user": ("user", "username", "author", "user_name", "reviewer"),
    "id": ("id", "review_id"),
}
_SCORE_KEYS = ("story", "story_score", "acting", "acting_cast", "rewatch", "rewatch_value")
_EPISODES = re.compile(r"(\d+)\s*(?:of|/)\s*(\d+)\s*episodes?", re.I)


class MyDramaList(Format):
    name = "mydramalist"

    def sniff(self, name, head):
        lower = head.lower()
        if b"mydramalist" in lower or "mydramalist" in name.lower():
            return True
        if name.lower().endswith((".csv", ".tsv")) or not lower.lstrip()[:1] in (b"{", b"["):
            first = lower.split(b"\n", 1)[0]
            return b"review" in first and any(k.encode() in first for k in ("rewatch", "acting_cast", "story_score"))
        return has_any_key(head, "review", "reviews", "review_text") and has_any_key(head, *_SCORE_KEYS, "ratings")

    def read(self, stream, path, ctx):
        if path.lower().endswith((".csv", ".tsv")) or not _peek_json(stream):
            yield from _read_csv(stream, path, ctx)
            return
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
                continue
            records = records_in(value, ("reviews", "data", "items"))
            if records is None or (isinstance(value, dict) and _field(value, "text") is not None):
                yield from isolated(_review, value, path, where, ctx, None)
                continue
            drama = get(value, "data", "title") or get(value, "title")
            for index, record in enumerate(records):
                yield from isolated(_review, record, path, f"{where}#{index}", ctx, drama)


def _peek_json(stream) -> bool:
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b"{"
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _read_csv(stream, path, ctx):
    table = open_table(stream, path, ctx.limits)
    header = table.header or []
    for where, row in table.rows():
        if isinstance(row, Exception):
            yield reject(why(row), path, where)
        elif not any(cell.strip() for cell in row):
            continue
        elif len(row) != len(header):
            yield reject("row has a different number of columns than the header", path, where,
                         ctx.policy.cells(header, row), ctx.policy)
        else:
            yield from isolated(_review, dict(zip(header, row)), path, where, ctx, None)


def _field(record, name):
    for key in FIELDS[name]:
        value = record.get(key) if isinstance(record, dict) else None
        if value not in (None, ""):
            return value
    return None


def _review(record, path, where, ctx, drama):
    if not isinstance(record, dict):
        return reject("expected a review object", path, where, dump_raw(record))
    text = _field(record, "text")
    if isinstance(text, list):
        text = "\n\n".join(str(part) for part in text if part)
    ratings = record.get("ratings") if isinstance(record.get("ratings"), dict) else record
    headline = _field(record, "headline")
    drama = _field(record, "drama") or drama or (record.get("title") if headline else None)
    user = _field(record, "user")
    extra = {name: number(_field(ratings, name)) for name in ("overall", "story", "acting", "music", "rewatch")}
    extra.update(_episodes(record))
    return make_comment(
        path, where, ctx, record, extra,
        id=_field(record, "id"), text=text, platform=PLATFORM,
        author=get(user, "name") if isinstance(user, dict) else user,
        created_at=_field(record, "date"), likes=_first_int(_field(record, "helpful")),
        drama=drama, title=headline or (None if drama == record.get("title") else record.get("title")),
    )


def _first_int(value):
    """``12`` / ``"12"`` / ``"12 people found this review helpful"`` -> 12."""
    if isinstance(value, str):
        found = re.search(r"\d[\d,]*", value)
        return int(found.group().replace(",", "")) if found else None
    found = number(value)
    return int(found) if found is not None else None


def _episodes(record):
    watched = number(_field(record, "episodes"))
    status = _field(record, "status")
    if not isinstance(status, str):
        status = get(record, "reviewer", "info") if isinstance(get(record, "reviewer", "info"), str) else None
    found = _EPISODES.search(status or "")
    if found:
        watched = watched if watched is not None else float(found.group(1))
    out = {"episodes_watched": int(watched) if watched is not None else None,
           "episodes_total": int(found.group(2)) if found else None}
    if status:
        for word in ("Completed", "Dropped", "Ongoing", "Watching", "On-Hold", "Plan to Watch"):
            if word.lower() in status.lower():
                out["watch_status"] = word.lower()
                break
    return out
