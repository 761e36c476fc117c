"""Bilibili danmaku XML: ``<i>...<d p="video_time,mode,size,color,send_ts,pool,user_hash,
row_id[,weight]">text</d>...</i>``.

Streamed with expat in fixed-size chunks (memory stays flat for any file size) so
each record keeps its line number. ``video_time`` is seconds into the episode.
A broken document yields one reject at the point of breakage; what came before it
is kept.
"""

from __future__ import annotations

from xml.parsers import expat

from ..formats import MAX_RAW, Format, Redacted, reject
from ._common import isolated, make_comment, number

PLATFORM = "bilibili"
CHUNK = 1 << 16
MODES = {1: "scroll", 4: "bottom", 5: "top", 6: "reverse", 7: "positioned", 8: "code", 9: "bas"}


class BilibiliDanmaku(Format):
    name = "bilibili-danmaku"

    def sniff(self, name, head):
        return b"<d p=" in head or (b"<i" in head and (b"<chatserver>" in head or b"<chatid>" in head))

    def read(self, stream, path, ctx):
        state = _State()
        parser = _parser(state)
        while True:
            chunk = stream.read(CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as exc:
                yield from _drain(state, path, ctx)
                yield reject(f"broken XML ({expat.ErrorString(exc.code)}); the rest of the file is skipped",
                             path, exc.lineno, None)
                return
            yield from _drain(state, path, ctx)
            if not chunk:
                return


class _State:
    def __init__(self) -> None:
        self.pending: list[tuple[int, str, str]] = []  # (line, p attribute, text)
        self.open: tuple[int, str] | None = None
        self.parts: list[str] = []
        self.tag: str | None = None
        self.chat_id: str | None = None


def _parser(state: _State):
    parser = expat.ParserCreate()

    def start(name, attrs):
        state.tag = name
        if name == "d":
            state.open, state.parts = (parser.CurrentLineNumber, attrs.get("p", "")), []

    def data(text):
        if state.open is not None:
            state.parts.append(text)
        elif state.tag == "chatid":
            state.chat_id = (state.chat_id or "") + text.strip()

    def end(name):
        state.tag = None
        if name == "d" and state.open is not None:
            line, p = state.open
            state.pending.append((line, p, "".join(state.parts)))
            state.open = None

    parser.StartElementHandler, parser.CharacterDataHandler, parser.EndElementHandler = start, data, end
    return parser


def _drain(state, path, ctx):
    pending, state.pending = state.pending, []
    for line, p, text in pending:
        yield from isolated(_comment, (line, p, text, state.chat_id), path, line, ctx)


def _comment(record, path, where, ctx):
    line, p, text, chat_id = record
    fields = p.split(",")
    # Anything but 8 or 9 fields, or a non-integer where integers belong, means a field went
    # missing or split, so any field may be the user hash: the record is rejected, redacted.
    exact = len(fields) in (8, 9) and all(fields[i].isdigit() for i in (1, 2, 3, 5))
    shown = ",".join(fields[:5] + ["<redacted>"]) if exact else "<redacted>"
    raw = Redacted(f'<d p="{shown}">{text[:MAX_RAW]}</d>')
    video_time, sent = (number(fields[0]), number(fields[4])) if exact else (None, None)
    if video_time is None or sent is None or video_time < 0:
        return reject("danmaku 'p' attribute must hold 8 or 9 comma-separated fields "
                      "(video_time,mode,size,color,send_ts,pool,user_hash,row_id[,weight]), times >= 0 and "
                      "integer mode, size, color and pool",
                      path, line, raw)
    extra = {"mode": MODES.get(int(number(fields[1]) or 0), fields[1]), "font_size": fields[2],
             "color": fields[3], "pool": fields[5], "chat_id": chat_id,
             "weight": fields[8] if len(fields) > 8 else None}
    return make_comment(
        path, line, ctx, raw, extra,
        id=fields[7] if fields[7].isdigit() else None,  # a row id is a number, else the field is not one
        text=text, platform=PLATFORM, author=fields[6] or None,
        created_at=int(sent), video_time=video_time,
    )
