"""Fuzzing every reader (issue 18): structure-aware and byte-level mutations of the
fixtures' records, plus hypothesis properties. Deterministic seeds, bounded work
(10,000 mutated records per reader in all). Each reader must: let no exception escape,
give exactly one Comment or Reject per item it reports (read = accepted + rejected), and
never show an author value from the input in a Comment (outside its text) or a Reject."""

from __future__ import annotations

import copy
import io
import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analyzer.io.platforms  # noqa: F401  (registers the formats)
from analyzer.io import FORMATS, ReadContext, ReadStats, Reject, read_comments
from analyzer.io.limits import Limits
from analyzer.io.pseudonym import Pseudonymizer
from analyzer.schema import Comment

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT / "fixtures" / "platforms"
SAMPLES = ROOT.parent / "data" / "samples"
PER_READER = 10_000  # mutated records per reader, in all
PER_FILE = 500
BYTE_SHARE = 0.3  # of the mutated records, the share mutated as bytes rather than as JSON
FORMAT = {f.name: f for f in FORMATS}

# Author names, handles and ids written into the seeds (fixtures and samples).
AUTHORS = [
    "LotusPierFan88", "UCfixtureChannel00000001", "MoonlitGuqin", "QuynhXemPhim", "TimestampTom", "BotAccount7731",
    "CafeSceneLover", "StolenCommentBot", "NamtanWatchesDrama", "UCapiAuthor000000000001", "PloyLovesXianxia",
    "SweetTeaSang", "MaprangSeries", "JiaxuEnjoyer", "xianxia_owl_2019", "lanzhan_rabbit_keeper", "hiddenlove_diary",
    "palace_tea_sipper", "moonbeam_critic", "vikiNightOwl", "ChingunaSubsEs", "orchid_and_devil", "kiligqueen_mnl",
    "Kilig Queen", "silent_lurker_x", "luna_fan", "binge_queen", "drama_addict99", "minji_k",
    "a1b2c3d4", "e5f6a7b8", "c9d0e1f2",
]

NASTY = [None, "", " ", {}, [], 0, -1, 1.5, 1e308, float("inf"), 2**64, -(2**63) - 1, "9" * 400, "1e309", "\ud83d",
         "\x00", "😀" * 3, "x" * 3000, True, "2 years ago", "[deleted]", "youtube#comment", "youtube#commentThread",
         "youtube#videoListResponse", {"a": {"b": [1, {"c": None}]}}, [[[[[]]]]], "NaN", "2024-13-45T99:00:00Z",
         "-5", "1.2K", "1,5万", "<d p=\"1\">", "9999-12-31T23:59:59-05:00", 1e20, -1e300, "t1_", {"value": None}]
NEW_KEYS = ["kind", "items", "data", "text", "body", "snippet", "replies", "comments", "id", "created_at", "likes",
            "time", "cid", "includes", "public_metrics", "referenced_tweets", "geo", "ratings", "review", "content",
            "video_time", "time_ms", "title", "selftext", "parent_id", "topLevelComment", "response", "reviews"]


def nested(depth: int):
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


NASTY.append(nested(100))


# --- seeds ---------------------------------------------------------------------------------

def json_records(path: Path) -> list:
    """The records of a seed file: lines of JSON Lines, or elements/the whole of a document."""
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
        return doc if isinstance(doc, list) else [doc]
    except ValueError:
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out


JSON_SEEDS = {  # format -> (seed files, file name the mutants are written to)
    "youtube-api": (["youtube_api_threads.json", "youtube_api_pages.jsonl"], "yt.jsonl"),
    "twitter-v2": (["twitter_v2.json"], "tw.jsonl"),
    "reddit": (["reddit_comments.ndjson", "reddit_submissions.ndjson"], "RC_2024-01.ndjson"),
    "youtube-comment-downloader": (["youtube_downloader.jsonl"], "ycd.jsonl"),
    "viki-timed-comments": (["viki_timed_comments.json"], "viki.jsonl"),
    "mydramalist": (["mydramalist_reviews.jsonl"], "mdl.jsonl"),
    "jsonl": ([str(SAMPLES / "comments_mixed.jsonl")], "gen.jsonl"),
    "json": ([str(SAMPLES / "comments_mixed.jsonl")], "gen.json"),
}


def seeds(fmt: str) -> list:
    files, _ = JSON_SEEDS[fmt]
    return [r for name in files for r in json_records(FIXTURES / name if "/" not in name else Path(name))]


# --- mutations -----------------------------------------------------------------------------

def mutate_json(value, rng: random.Random):
    """One to three structural edits at random places: replace a value, delete, rename or
    add a key, wrap a value in a list. Author values are never moved under another key."""
    value = copy.deepcopy(value)
    for _ in range(rng.randint(1, 3)):
        value = _edit(value, rng, 0)
    return value


def _edit(node, rng: random.Random, depth: int):
    children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
    if children and depth < 8 and rng.random() < 0.7:
        key, child = rng.choice(children)
        node[key] = _edit(child, rng, depth + 1)
        return node
    op = rng.random()
    if isinstance(node, dict) and node and op < 0.2:
        del node[rng.choice(list(node))]
        return node
    if isinstance(node, dict) and node and op < 0.35:
        key = rng.choice(list(node))
        node[rng.choice([key.upper(), key + "_x", " " + key, key.title()])] = node.pop(key)
        return node
    if isinstance(node, dict) and op < 0.5:
        node[rng.choice(NEW_KEYS)] = copy.deepcopy(rng.choice(NASTY))
        return node
    if op < 0.6:
        return [node]
    return copy.deepcopy(rng.choice(NASTY))


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """One or two byte edits: flip, insert a structural byte, delete, or cut the record."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 2)):
        if not data:
            break
        at = rng.randrange(len(data))
        op = rng.random()
        if op < 0.3:
            data[at] ^= 1 << rng.randrange(8)
        elif op < 0.6:
            data[at:at] = rng.choice([b'"', b"{", b"}", b"[", b"]", b",", b":", b"\\", b"\x00", b"\xff", b"\n", b";"])
        elif op < 0.85:
            del data[at]
        else:
            del data[at:]
    return bytes(data)


def dumps(record) -> bytes:
    return json.dumps(record, ensure_ascii=bool(random.getrandbits(1))).replace("\n", " ").encode("utf-8",
                                                                                               "surrogatepass")


def json_mutants(fmt: str, rng: random.Random, count: int) -> list[bytes]:
    base = seeds(fmt)
    lines = []
    for _ in range(count):
        record = rng.choice(base)
        if rng.random() < BYTE_SHARE:
            lines.append(mutate_bytes(dumps(record), rng).replace(b"\n", b" "))
        else:
            lines.append(dumps(mutate_json(record, rng)))
    return lines


def mutant_files(fmt: str, seed: int) -> list[tuple[str, bytes]]:
    """(file name, content) holding PER_READER mutated records for ``fmt``."""
    rng = random.Random(seed)
    random.seed(seed)  # dumps() draws ensure_ascii from the global generator
    if fmt in JSON_SEEDS:
        name = JSON_SEEDS[fmt][1]
        lines = json_mutants(fmt, rng, PER_READER)
        chunks = [lines[i:i + PER_FILE] for i in range(0, len(lines), PER_FILE)]
        if fmt == "json":
            return [(name, b"[" + b",\n".join(chunk) + b"]") for chunk in chunks]
        return [(name, b"\n".join(chunk) + b"\n") for chunk in chunks]
    if fmt == "bilibili-danmaku":
        return [("dm.xml", danmaku_file(rng, PER_FILE)) for _ in range(PER_READER // PER_FILE)]
    if fmt == "csv":
        return [("gen.csv", csv_file(rng, PER_FILE)) for _ in range(PER_READER // PER_FILE)]
    if fmt == "parquet":
        return [("gen.parquet", parquet_file(rng, PER_FILE * 4)) for _ in range(PER_READER // (PER_FILE * 4))]
    raise AssertionError(fmt)


def danmaku_file(rng: random.Random, count: int) -> bytes:
    text = (FIXTURES / "bilibili_danmaku.xml").read_text(encoding="utf-8")
    rows = re.findall(r"<d p=.*?</d>", text)
    out = []
    for _ in range(count):
        row = rng.choice(rows)
        if rng.random() < 0.5:
            out.append(mutate_bytes(row.encode("utf-8"), rng).replace(b"\n", b" "))
        else:
            p, body = re.match(r'<d p="([^"]*)">(.*)</d>', row).groups()
            fields = p.split(",")
            if fields:
                fields[rng.randrange(len(fields))] = str(rng.choice(["", "-1", "1e309", "nan", "x", "9" * 40, "1.5"]))
            out.append(f'<d p="{",".join(fields)}">{body}</d>'.encode("utf-8"))
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<i>\n<chatid>1</chatid>\n'
    return head + b"\n".join(out) + b"\n</i>\n"


def csv_file(rng: random.Random, count: int) -> bytes:
    lines = (SAMPLES / "platform_export.csv").read_bytes().splitlines()
    header, rows = lines[0], lines[1:]
    out = [header if rng.random() < 0.9 else mutate_bytes(header, rng)]
    for _ in range(count):
        row = rng.choice(rows)
        if rng.random() < 0.5:
            row = mutate_bytes(row, rng).replace(b"\n", b" ")
        else:
            cells = row.decode("utf-8").split(",")
            at = rng.randrange(len(cells))
            if cells[at] not in AUTHORS:  # a structural edit never moves an author
                cells[at] = str(rng.choice(NASTY)).replace(",", " ").replace('"', "")[:200]
            row = ",".join(cells).encode("utf-8", "surrogatepass")
        out.append(row)
    return b"\n".join(out) + b"\n"


def parquet_file(rng: random.Random, count: int) -> bytes:
    base = seeds("jsonl")
    rows = []
    for _ in range(count):
        seed = rng.choice(base)
        record = mutate_json(seed, rng)
        record = record if isinstance(record, dict) else seed  # a row is an object
        rows.append({k: (v if isinstance(v, str) else json.dumps(v)) for k, v in record.items()
                     if isinstance(k, str)})
    keys = sorted({k for r in rows for k in r})
    table = pa.table({k: [r[k].encode("utf-8", "replace").decode("utf-8") if k in r else None for r in rows]
                      for k in keys})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    return data if rng.random() < 0.8 else mutate_bytes(data, rng)


# --- checks --------------------------------------------------------------------------------

ALL_FORMATS = sorted(list(JSON_SEEDS) + ["bilibili-danmaku", "csv", "parquet"])


def context() -> ReadContext:
    return ReadContext(pseudonymize=Pseudonymizer("fuzz-key"), limits=Limits(max_text_chars=2000))


def leaks(items) -> set[str]:
    shown = []
    for item in items:
        if isinstance(item, Reject):
            shown.append(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            shown.append(json.dumps([item.id, item.source, item.author, item.drama, item.region, item.title,
                                     item.reply_to, item.platform, item.extra], ensure_ascii=False, default=str))
    blob = "\n".join(shown)
    return {a for a in AUTHORS if a in blob}


def test_fuzz_seeds_hold_the_authors():
    """The leak check is real: unredacted, the seeds do carry these author values."""
    blob = "".join(json.dumps(seeds(f), ensure_ascii=False) for f in JSON_SEEDS)
    blob += (FIXTURES / "bilibili_danmaku.xml").read_text() + (SAMPLES / "platform_export.csv").read_text()
    assert {a for a in AUTHORS if a in blob} == set(AUTHORS)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_mutation_fuzz(fmt, tmp_path):
    reader = FORMAT[fmt]
    files = mutant_files(fmt, seed=sum(map(ord, fmt)))
    total = 0
    for index, (name, data) in enumerate(files):
        items = list(reader.read(io.BufferedReader(io.BytesIO(data)), name, context()))
        assert all(isinstance(i, (Comment, Reject)) for i in items)
        if fmt in JSON_SEEDS and fmt != "json":  # every line reports (an empty array aside)
            assert len(items) >= 0.9 * data.count(b"\n"), f"{fmt} file {index}: {len(items)} items"
        assert items, f"{fmt}: a file of mutants gave nothing back"
        assert not leaks(items), f"{fmt} file {index}: {leaks(items)}"
        total += len(items)
    # Through read_comments too (format detection, per-file isolation and counts).
    path = tmp_path / files[0][0]
    path.write_bytes(files[0][1])
    stats = ReadStats()
    items = list(read_comments([str(path)], context(), stats))
    assert stats.totals["read"] == len(items) == stats.totals["accepted"] + stats.totals["rejected"]
    assert not leaks(items)
    assert total >= len(files)


# --- properties (hypothesis) ----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
author_keys = st.sampled_from(["author", "Author", "authorName", "userName", "author_handle", "handle", "displayName",
                               "display_name", "screenName", "nick", "commenter", "email", "poster", "from",
                               "user", "username", "channel", "user_id", "authorDisplayName"])


@st.composite
def records(draw):
    record = draw(st.dictionaries(st.sampled_from(NEW_KEYS), json_values, max_size=6))
    record["text"] = draw(st.text(min_size=1, max_size=30) | json_values)
    for key in draw(st.lists(author_keys, min_size=1, max_size=3)):
        record[key] = "zqxauthor" + draw(st.sampled_from(["", "1", "_x"]))
    if draw(st.booleans()):
        record["reviewer"] = {"name": "zqxauthor_r"}
    return record


@pytest.mark.parametrize("fmt", [f for f in ALL_FORMATS if f in JSON_SEEDS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(records(), min_size=1, max_size=5))
def test_arbitrary_records_never_crash_or_leak(fmt, batch):
    data = b"\n".join(json.dumps(r).encode() for r in batch) + b"\n"
    if fmt == "json":
        data = json.dumps(batch).encode()
    items = list(FORMAT[fmt].read(io.BufferedReader(io.BytesIO(data)), "p.jsonl", context()))
    assert all(isinstance(i, (Comment, Reject)) for i in items)
    shown = json.dumps([i.to_dict() if isinstance(i, Reject) else [i.id, i.author, i.extra, i.title, i.drama]
                        for i in items], default=str)
    assert "zqxauthor" not in shown
