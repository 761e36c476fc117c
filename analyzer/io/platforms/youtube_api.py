"""YouTube Data API v3 responses: ``commentThreads.list`` and ``comments.list``.

A file holds one response, a JSON array of responses, or one response per line
(what ``analyzer collect youtube`` writes). Each thread yields its top-level
comment and the replies embedded under ``replies.comments``.
"""

from __future__ import annotations

from ..base import Reject
from ..formats import Format, reject
from ._common import dump_raw, get, isolated, iter_json, make_comment

PLATFORM = "youtube"
KINDS = (b'"youtube#commentThreadListResponse"', b'"youtube#commentListResponse"',
         b'"youtube#commentThread"', b'"youtube#comment"', b'"youtube#videoListResponse"')
VIDEO_LIST = "youtube#videoListResponse"


class YoutubeApi(Format):
    name = "youtube-api"

    def sniff(self, name, head):
        return any(kind in head for kind in KINDS)

    def read(self, stream, path, ctx):
        videos: dict[str, dict] = {}
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
                continue
            responses = value if isinstance(value, list) else [value]
            for r_index, response in enumerate(responses):
                prefix = f"{where}" if len(responses) == 1 else f"{where}#{r_index}"
                if get(response, "kind") == VIDEO_LIST:
                    _remember_videos(response, videos)
                    continue
                yield from isolated(_response, response, path, prefix, ctx, videos)


def _remember_videos(response, videos):
    """Titles and channel names from a ``videos.list`` response (the collector writes
    one first), attached to the comments of those videos read later in the file."""
    items = get(response, "items")
    for item in items if isinstance(items, list) else []:
        if len(videos) < 10_000 and isinstance(get(item, "id"), str):
            videos[item["id"]] = {"video_title": get(item, "snippet", "title"),
                                  "channel_title": get(item, "snippet", "channelTitle")}


def _response(response, path, prefix, ctx, videos):
    if isinstance(response, dict) and str(response.get("kind") or "").startswith("youtube#comment") \
            and "items" not in response:
        response = {"items": [response]}  # a bare thread or comment
    items = get(response, "items")
    if not isinstance(items, list):
        yield reject("no 'items' list (not a commentThreads/comments response)", path, prefix, dump_raw(response))
        return
    for index, item in enumerate(items):
        where = f"{prefix}#{index}"
        if get(item, "kind") == "youtube#commentThread" or get(item, "snippet", "topLevelComment"):
            yield from isolated(_thread, item, path, where, ctx, videos)
        else:
            yield from isolated(_comment, item, path, where, ctx, None, videos)


def _thread(item, path, where, ctx, videos):
    snippet = get(item, "snippet", default={})
    top = get(snippet, "topLevelComment")
    thread = {"total_reply_count": get(snippet, "totalReplyCount"), "is_public": get(snippet, "isPublic")}
    yield from isolated(_comment, top if top is not None else item, path, where, ctx, None, videos, thread)
    replies = get(item, "replies", "comments", default=[])
    parent = get(top, "id") or get(item, "id")
    for r_index, reply in enumerate(replies if isinstance(replies, list) else []):
        yield from isolated(_comment, reply, path, f"{where}.{r_index}", ctx, parent, videos)


def _comment(item, path, where, ctx, parent, videos, thread=None):
    snippet = get(item, "snippet")
    if not isinstance(snippet, dict):
        return reject("comment has no 'snippet' object", path, where, dump_raw(item))
    original = snippet.get("textOriginal")
    text = original if isinstance(original, str) and original.strip() else snippet.get("textDisplay")
    extra = {
        "video_id": snippet.get("videoId"),
        "channel_id": snippet.get("channelId"),
        "updated_at": snippet.get("updatedAt"),
        "text_format": "html" if text is not original else None,
        **(thread or {}),
        **(videos.get(snippet.get("videoId"), {}) if isinstance(snippet.get("videoId"), str) else {}),
    }
    author = get(snippet, "authorChannelId", "value") or snippet.get("authorDisplayName")
    return make_comment(
        path, where, ctx, item, extra,
        id=get(item, "id"), text=text, platform=PLATFORM, author=author,
        created_at=snippet.get("publishedAt"), likes=snippet.get("likeCount"),
        reply_to=snippet.get("parentId") or parent, title=extra.get("video_title"),
    )
