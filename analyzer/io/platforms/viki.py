"""Viki timed comments: the JSON the Viki API v4 returns for
``/v4/videos/{video_id}/timed_comments/{language}.json`` (an array of comments, or an
object holding one under ``response``/``timed_comments``/``comments``), or one
comment per line. Keeps the comment's video time (seconds into the episode).

Record fields: ``id``, ``content`` (or ``text``/``body``), ``time`` (seconds; ``*_ms``
keys in milliseconds), ``language``, ``created_at``, ``video_id``, ``container_id``
and the commenter as ``user_id``/``user_username`` (pseudonymized, never kept).
"""

from __future__ import annotations

import re

from ..base import Reject
from ..formats import Format, reject
from ._common import dump_raw, has_any_key, has_keys, isolated, iter_json, make_comment, number, records_in

PLATFORM = "viki"
TIME_KEYS = (("time", 1.0), ("video_time", 1.0), ("start_time", 1.0), ("time_ms", 0.001), ("start_ms", 0.001))
_VIKI_ID = re.compile(rb'"\d+[vc]"')


class VikiTimedComments(Format):
    name = "viki-timed-comments"

    def sniff(self, name, head):
        if b'"timed_comment' in head:
            return True
        timed = has_any_key(head, *(k for k, _ in TIME_KEYS))
        shaped = has_keys(head, "content") and has_any_key(head, "video_id", "user_username", "language")
        return timed and shaped and ("viki" in name.lower() or bool(_VIKI_ID.search(head)))

    def read(self, stream, path, ctx):
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
                continue
            records = records_in(value, ("response", "timed_comments", "comments", "data"))
            if records is None:
                yield from isolated(_comment, value, path, where, ctx)
                continue
            for index, record in enumerate(records):
                yield from isolated(_comment, record, path, f"{where}#{index}" if where != 1 else f"#{index}", ctx)


def _video_time(record):
    for key, scale in TIME_KEYS:
        if key in record:
            value = number(record[key])
            return None if value is None or value < 0 else value * scale
    return None


def _comment(record, path, where, ctx):
    if not isinstance(record, dict):
        return reject("expected a timed comment object", path, where, dump_raw(record))
    video_time = _video_time(record)
    if video_time is None:
        return reject("timed comment has no valid video time (time/video_time/start_time in seconds)",
                      path, where, dump_raw(record))
    extra = {"video_id": record.get("video_id"), "container_id": record.get("container_id"),
             "lang_hint": record.get("language")}
    return make_comment(
        path, where, ctx, record, extra,
        id=record.get("id"), text=record.get("content") or record.get("text") or record.get("body"),
        platform=PLATFORM, author=record.get("user_id") or record.get("user_username"),
        created_at=record.get("created_at"), likes=record.get("likes_count") or record.get("likes"),
        video_time=video_time, title=record.get("video_title"),
    )
