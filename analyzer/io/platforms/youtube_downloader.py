"""youtube-comment-downloader output: JSON Lines (default) or ``{"comments": [...]}``
(``--pretty``). A dot in ``cid`` marks a reply: ``<parent cid>.<reply id>``."""

from __future__ import annotations

from ..fields import parse_time
from ..base import Reject
from ..formats import Format, reject
from ._common import dump_raw, has_any_key, has_keys, isolated, iter_json, make_comment, records_in

PLATFORM = "youtube"


class YoutubeDownloader(Format):
    name = "youtube-comment-downloader"

    def sniff(self, name, head):
        return has_keys(head, "cid", "text") and has_any_key(head, "votes", "time_parsed", "heart", "reply")

    def read(self, stream, path, ctx):
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
                continue
            records = records_in(value, ("comments",)) if not _is_record(value) else None
            if records is None:
                yield from isolated(_comment, value, path, where, ctx)
                continue
            for index, record in enumerate(records):
                yield from isolated(_comment, record, path, f"#{index}", ctx)


def _is_record(value) -> bool:
    return isinstance(value, dict) and "cid" in value


def _comment(record, path, where, ctx):
    if not isinstance(record, dict):
        return reject("expected a comment object", path, where, dump_raw(record))
    cid = record.get("cid")
    if not isinstance(cid, str) or not cid:
        return reject("missing 'cid' (not a youtube-comment-downloader record)", path, where, dump_raw(record))
    parent = cid.split(".", 1)[0] if "." in cid else None
    extra = {
        "time_text": record.get("time"),
        "replies": record.get("replies"),
        "heart": record.get("heart"),
        "paid": record.get("paid"),
        "video_id": record.get("video_id"),
        "video_title": record.get("video_title"),
    }
    return make_comment(
        path, where, ctx, record, extra,
        id=cid, text=record.get("text"), platform=PLATFORM,
        author=record.get("channel") or record.get("author"),
        created_at=_created(record, ctx), likes=record.get("votes") or 0,
        reply_to=parent, title=record.get("video_title"),
    )


def _created(record, ctx):
    """``time_parsed`` (epoch) when present, else ``time`` ("2 years ago") resolved
    against the dump time; None when the dump time is unknown."""
    value = record.get("time_parsed")
    if value not in (None, ""):
        return value
    try:
        return parse_time(record.get("time"), ctx.dump_time)
    except ValueError:
        return None
