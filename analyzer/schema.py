"""The one record type, ``Comment``, and its Arrow schema.

A Comment carries the text, its context (where it came from, which drama and
market it belongs to) and the annotations stages add. Stages never mutate a
Comment: they return ``comment.with_(field=value)``.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

SENTIMENT_LABELS = ("negative", "neutral", "positive")

THEMES = (
    "story", "pacing", "romance", "acting", "characters", "production", "music",
    "culture", "subtitles", "comparison", "access", "intent", "fandom", "values",
)

INTENTS = (
    "watch", "binge", "completed", "dropped", "rewatch", "recommend", "waiting",
    "where_to_watch",
)


@dataclass(frozen=True, slots=True)
class Comment:
    # --- the text and its context ------------------------------------------------
    id: str
    text: str
    source: str = ""  # "file:line" (or "file:offset") it was read from
    drama: str | None = None
    platform: str | None = None
    region: str | None = None
    author: str | None = None  # pseudonym (keyed hash), never the raw name
    created_at: datetime | None = None
    likes: int | None = None
    reply_to: str | None = None
    title: str | None = None  # video / thread / review title, when the dump has one
    video_time: float | None = None  # seconds into the episode (danmaku, timed comments)
    extra: dict[str, Any] = field(default_factory=dict)  # input fields kept as they came
    # --- annotations ---------------------------------------------------------------
    clean_text: str | None = None  # normalized text for models (URLs/mentions masked)
    noise: bool = False
    dup_count: int = 1  # the k-th copy of a duplicate cluster (the first copy keeps 1)
    duplicate_of: str | None = None  # id of the first copy; such comments are not counted in metrics
    drama_confidence: float | None = None
    region_confidence: float | None = None
    region_source: str | None = None
    lang: str | None = None
    lang_confidence: float | None = None
    lang_mixed: tuple[str, ...] = ()
    script: str | None = None
    sentiment: str | None = None
    sentiment_scores: tuple[float, ...] = ()  # (negative, neutral, positive)
    themes: tuple[str, ...] = ()
    theme_scores: dict[str, float] = field(default_factory=dict)
    theme_polarity: dict[str, str] = field(default_factory=dict)
    intents: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    def with_(self, **changes: Any) -> "Comment":
        """A copy with some fields changed (the only way stages annotate). Same result as
        ``dataclasses.replace`` at a fraction of the cost: the slots are copied into a
        mutable twin of this class (``_Slots``), which then becomes a Comment (``_copy_slots``);
        it is called several times per comment per run."""
        new = _copy_slots(self, _Slots)
        for name, value in changes.items():
            if name not in _FIELD_SET:
                raise TypeError(f"Comment has no field {name!r}")
            setattr(new, name, value)
        new.__class__ = Comment
        return new

    def __reduce__(self):
        """Pickled as one tuple of field values (no dict of slot names): what worker
        processes send and receive per comment, ~2x cheaper both ways than the default."""
        return _comment_of, (_SLOT_VALUES(self),)

    @property
    def model_text(self) -> str:
        """The text models see: normalized when a normalize stage ran, else raw."""
        return self.clean_text if self.clean_text is not None else self.text


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Comment))
_SLOT_VALUES = operator.attrgetter(*FIELD_NAMES)
_FIELD_GETTERS = tuple(map(operator.attrgetter, FIELD_NAMES))


class _Slots:
    """A mutable twin of Comment: the same slots in the same order, no frozen ``__setattr__``.
    A copy is filled as a ``_Slots`` (plain attribute stores, ~4x cheaper than calling each
    slot's setter) and then given ``__class__ = Comment``, which CPython allows because the two
    layouts are the same; no ``_Slots`` object ever leaves this module."""

    __slots__ = FIELD_NAMES


def _slot_copier():
    """``copy(comment, _Slots)`` -> a ``_Slots`` holding every slot of ``comment``, unrolled (no
    loop, no tuple of values); ``Comment.with_`` sets the changes, then makes it a Comment."""
    lines = ["def copy(old, twin):", "    new = _new(twin)"]
    lines += [f"    new.{name} = old.{name}" for name in FIELD_NAMES]
    lines.append("    return new")
    scope = {"_new": object.__new__}
    exec("\n".join(lines), scope)  # the source is built from the field names above only
    return scope["copy"]


_copy_slots = _slot_copier()


def _built(name: str, params: str, values: list[str], prelude: tuple[str, ...] = (), scope: dict | None = None):
    """A function ``name(params)`` returning a Comment whose slots, in ``FIELD_NAMES`` order, are
    the expressions ``values`` (after the ``prelude`` lines), filled as a ``_Slots`` then made a
    Comment, unrolled: no loop, no ``setattr`` calls. The source is built from names only."""
    lines = [f"def {name}({params}):", "    new = _new(_Slots)", *prelude]
    lines += [f"    new.{field} = {value}" for field, value in zip(FIELD_NAMES, values, strict=True)]
    lines += ["    new.__class__ = Comment", "    return new"]
    scope = {"__name__": __name__, "_new": object.__new__, "Comment": Comment, "_Slots": _Slots, **(scope or {})}
    exec("\n".join(lines), scope)
    return scope[name]


def replacer(*names: str):
    """``replace(comment, *values)`` -> ``comment.with_(**dict(zip(names, values)))`` for these
    field names, unrolled like ``_slot_copier`` (no keywords, no loop, no ``setattr`` calls):
    for a stage that sets the same fields of every comment."""
    unknown = [name for name in names if name not in FIELD_NAMES]
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"Comment fields to replace must be distinct fields; got {names!r}")
    params = [f"v{i}" for i in range(len(names))]
    return _built("replace", ", ".join(["old", *params]),
                  [params[names.index(name)] if name in names else f"old.{name}" for name in FIELD_NAMES])


def _values_loader():
    """``comment_of(values)`` -> the Comment whose fields are ``values`` (in ``FIELD_NAMES``
    order), ``__reduce__``'s inverse; filled as a ``_Slots`` as ``_slot_copier`` does."""
    params = [f"v{i}" for i in range(len(FIELD_NAMES))]
    # pickled by reference as analyzer.schema._comment_of
    return _built("_comment_of", "values", params, (f"    ({', '.join(params)},) = values",))


_comment_of = _values_loader()

class ByColumns:
    """A list of Comments that pickles as one list per field and unpickles as the plain list
    (the same Comments, built as ``_comment_of`` builds a pickled one): what the main process
    sends its worker processes. ~0.55x the CPU of pickling the list Comment by Comment (one
    ``__reduce__`` call and one tuple per comment), and a little less to load."""

    __slots__ = ("comments",)

    def __init__(self, comments: list[Comment]) -> None:
        self.comments = comments

    def __reduce__(self):
        return _from_columns, ([list(map(get, self.comments)) for get in _FIELD_GETTERS],)


def _from_columns(columns: list[list[Any]]) -> list[Comment]:
    return list(map(_comment_of, zip(*columns)))


# The fields a reader fills, in ``FIELD_NAMES`` order: ``reader_comment``'s parameters.
READER_FIELD_NAMES = ("id", "text", "source", "drama", "platform", "region", "author", "created_at", "likes",
                      "reply_to", "title", "video_time", "extra")
assert FIELD_NAMES[:len(READER_FIELD_NAMES)] == READER_FIELD_NAMES, "reader_comment and Comment drifted apart"


def _reader_maker():
    """``reader_comment``: the READER_FIELD_NAMES set from its parameters, every other slot
    set to its default (a new ``{}`` for the dict fields), unrolled like ``_values_loader``."""
    values, defaults = [], {}
    for number, spec in enumerate(dataclasses.fields(Comment)):
        if spec.name in READER_FIELD_NAMES:
            values.append(spec.name)
        elif spec.default_factory is dict:
            values.append("{}")
        elif spec.default is MISSING:
            raise TypeError(f"reader_comment cannot default Comment.{spec.name}")
        else:
            defaults[f"_default{number}"] = spec.default
            values.append(f"_default{number}")
    made = _built("reader_comment", ", ".join(READER_FIELD_NAMES), values, scope=defaults)
    made.__doc__ = """``Comment(id=..., ..., extra=...)`` with every annotation at its default, built the way
    pickles are loaded (``_comment_of``, without its tuple): a fraction of the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` call per field), once per record read.
    tests/test_readers.py checks it against ``Comment(...)``."""
    return made


reader_comment = _reader_maker()

# Fields added by the pipeline: the public annotation contract of `analyzer annotate`.
ANNOTATION_FIELDS = (
    "lang", "lang_confidence", "lang_mixed", "script", "sentiment", "sentiment_scores",
    "themes", "theme_scores", "theme_polarity", "intents", "mentions", "noise",
)

# (negative, neutral, positive) as a labelled struct: one type in comments.parquet and `annotate`'s Parquet.
SENTIMENT_SCORES_TYPE = pa.struct([(label, pa.float64()) for label in SENTIMENT_LABELS])

ARROW_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("text", pa.string()),
    ("source", pa.string()),
    ("drama", pa.string()),
    ("platform", pa.string()),
    ("region", pa.string()),
    ("author", pa.string()),
    ("created_at", pa.timestamp("s", tz="UTC")),
    ("likes", pa.int64()),
    ("reply_to", pa.string()),
    ("title", pa.string()),
    ("video_time", pa.float64()),
    ("extra", pa.string()),  # JSON object
    ("clean_text", pa.string()),
    ("noise", pa.bool_()),
    ("dup_count", pa.int64()),
    ("duplicate_of", pa.string()),
    ("drama_confidence", pa.float64()),
    ("region_confidence", pa.float64()),
    ("region_source", pa.string()),
    ("lang", pa.string()),
    ("lang_confidence", pa.float64()),
    ("lang_mixed", pa.list_(pa.string())),
    ("script", pa.string()),
    ("sentiment", pa.string()),
    ("sentiment_scores", SENTIMENT_SCORES_TYPE),
    ("themes", pa.list_(pa.string())),
    ("theme_scores", pa.map_(pa.string(), pa.float64())),
    ("theme_polarity", pa.map_(pa.string(), pa.string())),
    ("intents", pa.list_(pa.string())),
    ("mentions", pa.list_(pa.string())),
])

assert tuple(ARROW_SCHEMA.names) == FIELD_NAMES, "Arrow schema and Comment drifted apart"


_LIST_FIELDS = ("lang_mixed", "themes", "intents", "mentions")
_MAP_FIELDS = ("theme_scores", "theme_polarity")


def _to_row(c: Comment) -> dict[str, Any]:
    row = {name: getattr(c, name) for name in FIELD_NAMES}
    row["extra"] = json.dumps(c.extra, ensure_ascii=False, default=str) if c.extra else None
    for name in _LIST_FIELDS:
        row[name] = list(row[name])
    row["sentiment_scores"] = labelled_scores(c.sentiment_scores)
    for name in _MAP_FIELDS:
        row[name] = list(row[name].items())
    return row


def labelled_scores(scores: tuple[float, ...]) -> dict[str, float] | None:
    """``(0.1, 0.2, 0.7)`` -> ``{"negative": 0.1, "neutral": 0.2, "positive": 0.7}``; () -> None."""
    return dict(zip(SENTIMENT_LABELS, scores)) if len(scores) == len(SENTIMENT_LABELS) else None


def _scores(value: Any) -> tuple[float, ...]:
    """A labelled struct (or the list older runs wrote) -> (negative, neutral, positive)."""
    if isinstance(value, dict):
        return tuple(value[k] for k in SENTIMENT_LABELS) if all(value.get(k) is not None for k in SENTIMENT_LABELS) else ()
    return tuple(value)


_EXTRA_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode  # json.dumps's output, one encoder


def _extra_encoder():
    """``_EXTRA_JSON`` for the values of one call: json's C encoder made once for them (``encode``
    makes one per value, about a third of its cost on a comment's extra), with its own table of
    the containers being encoded (circular ones are refused, as by ``encode``); ``_EXTRA_JSON``
    itself where json has no C encoder."""
    make = json.encoder.c_make_encoder
    if make is None:
        return _EXTRA_JSON
    encode = make({}, str, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encode(value, 0))


def to_arrow(comments: list[Comment]) -> pa.Table:
    """Comments -> an Arrow table with ``ARROW_SCHEMA`` (built column by column, one typed
    array each: the same table as ``from_pylist`` of ``_to_row`` at a fraction of the cost;
    tuples go in as lists, dicts as maps)."""
    # one field's values at a time (a C getter over the batch): ~3x cheaper than a tuple of every
    # field per comment transposed, which also left a tuple per comment for the garbage collector
    columns = {name: list(map(get, comments)) for name, get in zip(FIELD_NAMES, _FIELD_GETTERS)}
    encode = _extra_encoder()
    columns["extra"] = [encode(e) if e else None for e in columns["extra"]]
    # the struct takes each (negative, neutral, positive) as it is (``labelled_scores``'s fields, in order)
    columns["sentiment_scores"] = [v if len(v) == len(SENTIMENT_LABELS) else None for v in columns["sentiment_scores"]]
    # the map columns take the dicts as they are (same entries, same order as ``list(v.items())``)
    arrays = [pa.array(columns[f.name], type=f.type) for f in ARROW_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def from_arrow(table: pa.Table) -> list[Comment]:
    """An Arrow table with ``ARROW_SCHEMA`` (or a subset of it) -> Comments (read column by
    column: the same Comments as converting row dicts, at about half the cost)."""
    names = [name for name in table.column_names if name in _FIELD_SET]
    # an all-null or all-empty column (the annotations of rows not yet annotated) is every row's default
    columns = {name: _from_column(name, _pylist(table.column(name))) for name in names
               if not _all_default(table.column(name)) or name in _REQUIRED}
    if any(None in columns.get(name, (None,)) for name in _REQUIRED):
        rows = zip(*columns.values()) if columns else [()] * table.num_rows  # Comment(...) says what is missing
        return [Comment(**{k: v for k, v in zip(columns, values) if v is not None}) for values in rows]
    # Every field at once, None as its default, built as pickles are loaded (``_comment_of``):
    # the same Comments as ``Comment(**row)`` without the frozen __init__'s per-field setattr.
    full = [_with_default(name, columns.get(name), table.num_rows) for name in FIELD_NAMES]
    return list(map(_comment_of, zip(*full)))


_DEFAULTS = {f.name: f for f in fields(Comment)}
_REQUIRED = tuple(name for name, f in _DEFAULTS.items() if f.default is MISSING and f.default_factory is MISSING)


def _with_default(name: str, values: list[Any] | None, n: int) -> list[Any]:
    """A column's values with each None replaced by the field's default (a fresh one per row
    for a default factory, as ``Comment(...)`` gives); all defaults when the column is absent."""
    f = _DEFAULTS[name]
    if values is None:
        values = [None] * n
    if f.default_factory is not MISSING:
        factory = f.default_factory
        return [factory() if v is None else v for v in values]
    if f.default is None:
        return values
    default = f.default
    return [default if v is None else v for v in values]


_FIELD_SET = frozenset(FIELD_NAMES)


def _all_default(column: pa.ChunkedArray | pa.Array) -> bool:
    """Every value null, or, in a list or map column, null or empty (``to_arrow`` writes an
    unannotated comment's ``()`` and ``{}`` as empty lists and maps): each row the field's default.
    A table's column is chunked, a record batch's (``analyzer report`` reads those) is not."""
    if column.null_count == len(column):
        return True
    if not (pa.types.is_list(column.type) or pa.types.is_map(column.type)):
        return False
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return all(chunk.offsets[0].as_py() == chunk.offsets[-1].as_py() for chunk in chunks)


_UTC_SECONDS = pa.timestamp("s", tz="UTC")  # ARROW_SCHEMA's created_at
_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def _pylist(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """``column.to_pylist()``; a ``created_at`` column (seconds, UTC) made from its integers, ~5x
    cheaper than pyarrow's per-value conversion and the same datetimes (``ZoneInfo("UTC")``, as
    pyarrow gives)."""
    if column.type != _UTC_SECONDS:
        return column.to_pylist()
    return [None if s is None else _EPOCH + timedelta(seconds=s) for s in column.cast(pa.int64()).to_pylist()]


def _from_column(name: str, values: list[Any]) -> list[Any]:
    """One Arrow column's Python values as the Comment field holds them (None: the default)."""
    if name == "extra":
        return [None if v is None else json.loads(v) for v in values]
    if name in _LIST_FIELDS:
        return [None if v is None else tuple(v) for v in values]
    if name == "sentiment_scores":
        return [None if v is None else _scores(v) for v in values]
    if name in _MAP_FIELDS:
        return [None if v is None else dict(v) for v in values]
    return values
