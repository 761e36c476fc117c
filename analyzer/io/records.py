"""Turning one input record (a dict from any format) into a ``Comment``.

Field names differ between tools; ``FIELD_ALIASES`` lists the common ones and a
user ``mapping`` (input field -> Comment field, e.g. ``{"body": "text"}``) wins;
names match case- and space-insensitively. ``Comment.extra`` keeps the allow-listed
input fields only (see ``privacy``); the author becomes a keyed pseudonym unless
authors are explicitly kept.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import ConfigError, RecordError
from ..schema import Comment, reader_comment
from .fields import parse_count, parse_time
from .limits import Limits
from .privacy import KEEP_EXTRA, FieldPolicy, norm
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
assert CONTEXT_FIELDS == ("text", "id", "likes", "created_at", "author", "drama", "region", "platform", "reply_to",
                          "title"), "record_to_comment unpacks _Plan.fields in this order"
# Kept for callers that import it; authors are now recognised by privacy.is_author_like.
AUTHOR_FIELDS = frozenset(FIELD_ALIASES["author"]) | {
    "authorDisplayName", "authorProfileImageUrl", "authorChannelUrl", "channel", "user_name",
    "screen_name", "name", "nickname", "author_fullname", "user_hash",
}
_ALIASES = {target: tuple(dict.fromkeys(norm(a) for a in names)) for target, names in FIELD_ALIASES.items()}


@dataclass
class ReadContext:
    """What every reader needs besides the bytes: naming, privacy, time settings and limits."""

    mapping: dict[str, str] = field(default_factory=dict)
    pseudonymize: Callable[..., str | None] = field(default_factory=Pseudonymizer)
    dump_time: datetime | None = None  # "now" for relative times such as "2 years ago"
    platform: str | None = None  # default platform for records that name none
    keep_authors: bool = False
    limits: Limits = field(default_factory=Limits)
    keep_fields: tuple[str, ...] = ()  # input fields kept in extra besides privacy.KEEP_EXTRA

    def __post_init__(self) -> None:
        unknown = sorted({t for t in self.mapping.values() if t not in CONTEXT_FIELDS})
        if unknown:
            raise ConfigError(f"--map/input.mapping target {', '.join(map(repr, unknown))} is not a Comment field; "
                              f"valid fields: {', '.join(CONTEXT_FIELDS)} (e.g. --map body=text)."
                              + _map_hint(self.mapping))
        self._mapped = {norm(source): target for source, target in self.mapping.items()}
        authors = [s for s, t in self.mapping.items() if t == "author"]
        values = [a for names in FIELD_ALIASES.values() for a in names if a not in FIELD_ALIASES["author"]]
        values += [s for s, t in self.mapping.items() if t != "author"]
        self.policy = FieldPolicy(keep=self.keep_fields, authors=authors, values=values)

        self._plans: dict[tuple, _Plan] = {}
        self.unread: dict[str, str] = {}  # input column left unread -> the field its name suggests (unread_hint)

    def resolve(self, record: dict[str, Any], target: str) -> tuple[str | None, Any]:
        """(input field name, value) for a Comment field, honouring the user mapping.
        Names match case-, space- and punctuation-insensitively ("Comment Text" is comment_text)."""
        return _pick(record, self.plan(record, False).candidates[target])

    def plan(self, record: dict[str, Any], trusted: bool) -> "_Plan":
        """How records with these keys map (cached per key set: a file's records share one)."""
        key = (tuple(record), trusted)
        found = self._plans.get(key)
        if found is None:
            if len(self._plans) > 512:
                self._plans.clear()
            found = self._plans[key] = _make_plan(self, key[0], trusted)
        return found


@dataclass(frozen=True)
class _Plan:
    candidates: dict[str, tuple[str, ...]]  # Comment field -> the record's keys for it, best first
    extra_keys: tuple[str, ...]  # the record's keys kept in Comment.extra
    single: tuple[tuple[str, str], ...] = ()  # (field, its one candidate key): the most common case
    several: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, candidates) for several
    absent: tuple[str, ...] = ()  # fields no key of the record names (None)
    renames: tuple[tuple[str, str], ...] = ()  # (key, the KEEP_EXTRA name it is kept under): 'Show Title' -> show_title

    def __post_init__(self) -> None:
        # The keys are read once per record by C getters instead of a loop of lookups: the single
        # keys' values, then None, then the several fields' picks, put in CONTEXT_FIELDS order.
        names = [name for name, _ in self.single] + [None] + [name for name, _ in self.several]
        order = [names.index(name) if name in names else len(self.single) for name in CONTEXT_FIELDS]
        object.__setattr__(self, "_get", _getter(tuple(key for _, key in self.single)))
        object.__setattr__(self, "_order", operator.itemgetter(*order))
        object.__setattr__(self, "_get_extra", _getter(self.extra_keys))
        object.__setattr__(self, "_extra_names", self.renamed(self.extra_keys))

    def __reduce__(self):  # pickled by its fields; the getters are made again
        return _Plan, (self.candidates, self.extra_keys, self.single, self.several, self.absent, self.renames)

    def renamed(self, keys) -> tuple[str, ...]:
        """``keys`` with the allow-listed ones under the names the stages read."""
        if not self.renames:
            return tuple(keys)
        names = dict(self.renames)
        return tuple(names.get(k, k) for k in keys)

    def fields(self, record: dict[str, Any]) -> tuple:
        """The value in ``record`` of each of CONTEXT_FIELDS, in that order: ``_pick`` of its
        candidates (``_pick`` of one key is that key's value, read directly; of none, None)."""
        found = self._get(record) + _NONE
        if self.several:
            found += tuple(_pick(record, keys)[1] for _, keys in self.several)
        return self._order(found)

    def extra(self, record: dict[str, Any], scrub: Callable[[Any], Any]) -> dict[str, Any]:
        """The record's kept fields; nested values without author-like keys (``scrub``)."""
        kept = self._get_extra(record)
        if _SCALARS.issuperset(map(type, kept)):  # one C loop; otherwise check each value
            return dict(zip(self._extra_names, kept))
        return {k: (scrub(v) if isinstance(v, (dict, list)) else v) for k, v in zip(self._extra_names, kept)}


_NONE = (None,)
_SCALARS = frozenset({str, int, float, bool, type(None)})  # no dict or list among them: nothing to scrub


def _getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple]:
    """``record -> tuple(record[k] for k in keys)`` (``operator.itemgetter`` for several keys)."""
    if len(keys) > 1:
        return operator.itemgetter(*keys)
    if keys:
        key = keys[0]
        return lambda record: (record[key],)
    return lambda record: ()


def _make_plan(ctx: ReadContext, keys: tuple, trusted: bool) -> _Plan:
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(norm(key), []).append(key)
    candidates = {}
    for target in CONTEXT_FIELDS:
        found = [k for source, dest in ctx._mapped.items() if dest == target for k in groups.get(source, ())]
        found += [k for alias in _ALIASES[target] if alias not in ctx._mapped for k in groups.get(alias, ())]
        candidates[target] = tuple(dict.fromkeys(found))
    policy = ctx.policy
    authors = set(candidates["author"])
    context = {k for target, found in candidates.items() if target != "author" for k in found}
    extra = tuple(k for k in keys if k not in authors and (
        policy.kept(k) or (k in context and not policy.author(k))
        or (trusted and (k in TRUSTED or not policy.author(k)))))
    if not trusted:  # platform readers pick their fields themselves
        _note_unread(ctx, keys, candidates, extra)
    single = tuple((name, keys[0]) for name, keys in candidates.items() if len(keys) == 1)
    renames = () if trusted else _renames(keys, keys if ctx.keep_authors else extra)
    return _Plan(candidates, extra, single, tuple((n, k) for n, k in candidates.items() if len(k) > 1),
                 tuple(n for n, k in candidates.items() if not k), renames)


_KEPT_AS = {norm(name): name for name in KEEP_EXTRA}


def _renames(keys: tuple, kept) -> tuple[tuple[str, str], ...]:
    """(key, its KEEP_EXTRA name) for each kept key spelled otherwise ('Show Title', 'Subreddit'): the
    stages read extra['show_title'], extra['subreddit']. A name the record already has is left alone."""
    taken, out = set(keys), []
    for key in kept:
        name = _KEPT_AS.get(norm(key))
        if name is not None and name not in taken:
            taken.add(name)
            out.append((key, name))
    return tuple(out)


# Parts of a column name (compared as privacy.norm gives it) that say it holds a market, a time or the
# drama ('Show Name', 'Drama Title', 'Series Name'; not 'title' alone: often a video's title).
_LOOKS_LIKE = (("region", ("country", "region", "market", "territory", "nation", "geo")),
               ("created_at", ("date", "time", "posted", "published", "created")),
               ("drama", ("drama", "show", "series")))
_SAYS = {"region": "market", "created_at": "date", "drama": "drama"}
_NOT_A_DATE = ("video", "duration", "runtime", "zone", "update")  # video_time, timezone, last_updated: no post time


def _note_unread(ctx: ReadContext, keys: tuple, candidates: dict[str, tuple[str, ...]], kept: tuple) -> None:
    """Remember the columns read into nothing whose name looks like a market, a date or the drama while
    no column gives that field ('Country/Region', 'Posted', 'Show Name'), for ``unread_hint``."""
    read = {k for found in candidates.values() for k in found}
    for key in keys:
        if key in read or key in kept or ctx.policy.author(key):
            continue
        name = norm(key)
        if any(p in name for p in _NOT_A_DATE):
            continue
        target = next((t for t, parts in _LOOKS_LIKE if not candidates[t] and any(p in name for p in parts)), None)
        if target:
            ctx.unread.setdefault(str(key), target)


def unread_hint(unread: dict[str, str], api: bool = False) -> str | None:
    """One line naming the unread market/date/drama columns and the ``--map`` (``map=`` with ``api``) that
    reads them."""
    if not unread:
        return None
    what = ", ".join(f"'{k}' (looks like a {_SAYS[t]})" for k, t in unread.items())
    use = f"map={dict(unread)!r}" if api else " ".join(f"--map '{k}={t}'" for k, t in unread.items())
    return f"input columns left unread: {what}; to read them use {use}"


def _map_hint(mapping: dict[str, str]) -> str:
    """" Did you mean --map 'Show Name=drama'?" for fields given first, or a field's misspelling."""
    turned = [f"--map '{target}={source}'" for source, target in mapping.items()
              if source in CONTEXT_FIELDS and target not in CONTEXT_FIELDS]
    if turned:
        return f" Did you mean {' '.join(turned)}? (the input's column comes first)"
    close = [f"--map '{source}={m[0]}'" for source, target in mapping.items() if target not in CONTEXT_FIELDS
             for m in [difflib.get_close_matches(target, CONTEXT_FIELDS, n=1, cutoff=0.75)] if m]
    return f" Did you mean {' '.join(close)}?" if close else ""


def _pick(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first of ``keys`` holding a value (else the first, empty)."""
    for key in keys:
        value = record[key]
        if value is not None and value != "":
            return key, value
    return (keys[0], record[keys[0]]) if keys else (None, None)


def record_id(location: str, text: str) -> str:
    """A stable id for records that carry none: hash of where it was read and its text."""
    return "r_" + hashlib.sha1(f"{location}\x00{text}".encode("utf-8", "replace")).hexdigest()[:16]


def _no_text(text: Any) -> str:
    """Why a record has no usable text."""
    if text is None or isinstance(text, str):
        return "missing or empty text (map your text column with --map FIELD=text)"
    kind = "number" if isinstance(text, (int, float)) and not isinstance(text, bool) else type(text).__name__
    return f"text is a {kind}, not a string (map the column that holds the comment with --map FIELD=text)"


def record_to_comment(record: dict[str, Any], location: str, ctx: ReadContext, *, trusted: bool = False,
                      **overrides: Any) -> Comment:
    """Map a dict to a Comment or raise RecordError with a reason the user can act on.

    ``Comment.extra`` keeps only allowed fields (privacy.FieldPolicy), never an author;
    with ``trusted`` (platform readers, which pick their extra fields themselves) every
    top-level field is kept, still without author-like keys nested inside."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object with a text field, got {type(record).__name__}", location)
    plan = ctx.plan(record, trusted)
    found, direct = plan.fields(record), None
    if overrides:
        found, direct = _overridden(found, overrides)
    text, ident, likes, created, author, drama, region, platform, reply_to, title = found
    if not isinstance(text, str) or not text or text.isspace():  # == not text.strip(), without a copy
        raise RecordError(_no_text(text), location)
    try:
        created = parse_time(created, ctx.dump_time)
        likes = parse_count(likes)
    except ValueError as exc:
        raise RecordError(str(exc), location) from None
    platform = _str(platform) or ctx.platform
    author = ctx.pseudonymize(_author_value(author), platform)
    ident = _str(ident) or record_id(location, text)
    extra = plan.extra(record, ctx.policy.scrub) if not ctx.keep_authors else (
        dict(zip(plan.renamed(record), record.values())) if plan.renames else dict(record))
    if len(text) > ctx.limits.max_text_chars:
        extra["text_truncated"] = len(text)  # the original length; scoring sees the first max_text_chars
        text = text[:ctx.limits.max_text_chars]
    drama, region, reply_to, title = _str(drama), _str(region), _str(reply_to), _str(title)
    if direct:
        return Comment(id=ident, text=text, source=location, platform=platform, author=author, created_at=created,
                       likes=likes, extra=extra, drama=drama, region=region, reply_to=reply_to, title=title, **direct)
    return reader_comment(ident, text, location, drama, platform, region, author, created, likes, reply_to, title,
                          None, extra)


def _overridden(found: tuple, overrides: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """(``found`` with the overrides of CONTEXT_FIELDS that are not None, the other overrides)."""
    values = dict(zip(CONTEXT_FIELDS, found))
    values.update({k: v for k, v in overrides.items() if k in CONTEXT_FIELDS and v is not None})
    return tuple(values.values()), {k: v for k, v in overrides.items() if k not in CONTEXT_FIELDS}


TRUSTED = frozenset({"user_country"})  # derived by a platform reader (a country code), not an identity


def _author_value(value: Any) -> Any:
    """An author id as text; a nested object (``{"name": ...}``) by its id or name."""
    if isinstance(value, dict):
        value = value.get("id") or value.get("name") or json.dumps(value, sort_keys=True, default=str)
    return None if isinstance(value, (list, dict)) else value


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
