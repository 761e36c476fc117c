"""X/Twitter API v2 responses: ``{"data": [tweets], "includes": {"users": [...],
"places": [...]}, "meta": {...}}``, one response per file, an array of them, or one
per line; also twarc2-flattened tweets (one tweet per line with ``author`` inlined).

The tweet's place ``country_code`` is an explicit region; the author's free-text
profile ``location`` is resolved to a country code (``extra["user_country"]``) and
then dropped, like every other author field.
"""

from __future__ import annotations

from ..base import Reject
from ..formats import Format, reject
from ._common import dump_raw, get, has_any_key, has_keys, isolated, iter_json, make_comment
from .places import country_from_location

PLATFORM = "twitter"
MAX_INCLUDES = 10_000


class TwitterV2(Format):
    name = "twitter-v2"

    def sniff(self, name, head):
        tweet_keys = has_any_key(head, "edit_history_tweet_ids", "public_metrics", "conversation_id")
        return tweet_keys and has_keys(head, "text") and has_any_key(head, "data", "author_id", "author")

    def read(self, stream, path, ctx):
        for where, value in iter_json(stream, path, ctx):
            if isinstance(value, Reject):
                yield value
                continue
            for r_index, response in enumerate(value if isinstance(value, list) else [value]):
                prefix = where if not isinstance(value, list) else f"{where}#{r_index}"
                yield from isolated(_response, response, path, prefix, ctx)


def _response(response, path, prefix, ctx):
    if not isinstance(response, dict):
        yield reject("expected a Twitter API v2 response object", path, prefix, dump_raw(response))
        return
    if "data" not in response and "text" in response:  # a flattened tweet
        yield from isolated(_tweet, response, path, prefix, ctx, {}, {})
        return
    users = _by_id(get(response, "includes", "users"))
    places = _by_id(get(response, "includes", "places"))
    data = response.get("data")
    tweets = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if tweets is None:
        yield reject("response has no 'data' (errors only, or not a Twitter API v2 response)", path, prefix, dump_raw(response))
        return
    for index, tweet in enumerate(tweets):
        yield from isolated(_tweet, tweet, path, f"{prefix}#{index}", ctx, users, places)


def _by_id(items):
    items = items[:MAX_INCLUDES] if isinstance(items, list) else []
    return {item.get("id"): item for item in items if isinstance(item, dict) and isinstance(item.get("id"), (str, int))}


def _tweet(tweet, path, where, ctx, users, places):
    if not isinstance(tweet, dict):
        return reject("expected a tweet object", path, where, dump_raw(tweet))
    user = tweet.get("author") if isinstance(tweet.get("author"), dict) else users.get(tweet.get("author_id"), {})
    place = get(tweet, "geo", "place") or places.get(get(tweet, "geo", "place_id"), {})
    refs = {get(r, "type"): get(r, "id") for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    lang = tweet.get("lang")
    extra = {
        "conversation_id": tweet.get("conversation_id"),
        "retweet_count": metrics.get("retweet_count"),
        "reply_count": metrics.get("reply_count"),
        "quote_count": metrics.get("quote_count"),
        "retweet_of": refs.get("retweeted"),
        "quote_of": refs.get("quoted"),
        "lang_hint": lang if isinstance(lang, str) and lang not in ("und", "zxx") and not lang.startswith("q") else None,
        "user_country": country_from_location(user.get("location")) if isinstance(user, dict) else None,
    }
    return make_comment(
        path, where, ctx, tweet, extra,
        id=tweet.get("id"), text=tweet.get("text"), platform=PLATFORM,
        author=tweet.get("author_id") or get(user, "id"), created_at=tweet.get("created_at"),
        likes=metrics.get("like_count"), reply_to=refs.get("replied_to"),
        region=get(place, "country_code"),
    )
