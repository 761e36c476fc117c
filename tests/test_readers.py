import gzip
import io
import json
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from analyzer.errors import InputError
from analyzer.io import ReadContext, ReadStats, Reject, read_comments
from analyzer.io.fields import parse_count, parse_time
from analyzer.schema import Comment


def collect(inputs, **ctx):
    stats = ReadStats()
    items = list(read_comments(inputs, ReadContext(**ctx), stats))
    return [i for i in items if isinstance(i, Comment)], [i for i in items if isinstance(i, Reject)], stats


def stdin_holding(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))


@pytest.mark.parametrize("data", [b"Comment Text;Country\r\nThe Untamed is great;KR\r\n",
                                  "\ufeffid,text,country\n1,The Untamed is great,KR\n".encode()])
def test_csv_on_stdin_is_told_by_its_header(monkeypatch, data):
    # stdin has no name to tell CSV by: `cat comments.csv | analyzer run -` used to be one reject,
    # "cannot tell the format of <stdin> ... (e.g. name it .jsonl/.csv/.parquet)"
    stdin_holding(monkeypatch, data)
    comments, rejects, _ = collect(["-"])
    assert rejects == [] and [(c.text, c.region) for c in comments] == [("The Untamed is great", "KR")]


def test_stdin_of_unknown_format_says_what_to_pipe(monkeypatch):
    stdin_holding(monkeypatch, b"just a line of prose, nothing more\n")
    comments, rejects, _ = collect(["-"])
    assert comments == [] and "a CSV whose header names the text column" in rejects[0].reason


def test_jsonl_malformed_lines_become_rejects_with_line_numbers(samples):
    comments, rejects, stats = collect([str(samples / "malformed.jsonl")])
    assert [c.id for c in comments] == ["m001", "m004"]
    assert [r.location.rsplit(":", 1)[1] for r in rejects] == ["2", "3", "5", "7"]
    assert "invalid JSON" in rejects[0].reason
    assert "missing or empty text" in rejects[1].reason
    assert "expected an object" in rejects[2].reason
    assert "not a count" in rejects[3].reason
    assert stats.totals == {"read": 6, "accepted": 2, "rejected": 4}


def test_csv_aliases_and_mapping(write):
    path = write("dump.csv", "comment_id,body,score,user,when\nc1,So good!,1.2K,alice,2024-01-02T03:04:05Z\n")
    comments, rejects, _ = collect([str(path)], mapping={"when": "created_at"})
    (c,) = comments
    assert (c.id, c.text, c.likes) == ("c1", "So good!", 1200)
    assert c.created_at.isoformat() == "2024-01-02T03:04:05+00:00"
    assert c.author.startswith("u_") and "alice" not in json.dumps(c.extra)
    assert c.source.endswith("dump.csv:2")


def test_csv_wrong_column_count_is_rejected_with_line(write):
    path = write("dump.tsv", "id\ttext\na\tfine\nb\tbad\textra\nc\talso fine\n")
    comments, rejects, stats = collect([str(path)])
    assert [c.id for c in comments] == ["a", "c"]
    assert rejects[0].location.endswith("dump.tsv:3") and "columns" in rejects[0].reason
    assert stats.totals["read"] == 3


def test_csv_multiline_quoted_field_keeps_line_numbers(write):
    path = write("q.csv", 'id,text\na,"line one\nline two"\nb,next\nc,\n')
    comments, rejects, _ = collect([str(path)])
    assert comments[0].text == "line one\nline two"
    assert comments[1].source.endswith("q.csv:4")
    assert rejects[0].location.endswith("q.csv:5")


def test_gzip_and_content_sniffing_without_extension(write):
    payload = "\n".join(json.dumps({"text": f"comment {i}"}) for i in range(3)) + "\n"
    gz = write("dump.jsonl.gz", gzip.compress(payload.encode()))
    plain = write("dump_no_ext.json", payload)  # JSON Lines despite .json
    assert len(collect([str(gz)])[0]) == 3
    comments, rejects, _ = collect([str(plain)])
    assert len(comments) + len(rejects) >= 1


def test_json_array_document(write):
    path = write("doc.json", json.dumps({"comments": [{"text": "a"}, {"text": ""}, {"text": "c"}]}))
    comments, rejects, _ = collect([str(path)])
    assert [c.text for c in comments] == ["a", "c"]
    assert rejects[0].location.endswith("doc.json:#1")


def test_parquet(tmp_path):
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": ["hello", None, "world"], "likes": [1, 2, 3]}), path)
    comments, rejects, _ = collect([str(path)])
    assert [c.text for c in comments] == ["hello", "world"]
    assert rejects[0].location.endswith("d.parquet:row 2")


def test_folder_recursive_and_globs(write, tmp_path):
    write("a/x.jsonl", json.dumps({"text": "one"}) + "\n")
    write("a/b/y.csv", "text\ntwo\n")
    write("a/notes.md", "ignored")
    comments, _, stats = collect([str(tmp_path / "a")])
    assert sorted(c.text for c in comments) == ["one", "two"]
    assert len(stats.files) == 2
    comments, _, _ = collect([str(tmp_path / "a" / "**" / "*.csv")])
    assert [c.text for c in comments] == ["two"]


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="Input not found"):
        list(read_comments([str(tmp_path / "nope.jsonl")]))
    with pytest.raises(InputError, match="No files match"):
        list(read_comments([str(tmp_path / "*.nothing")]))


def test_ids_are_stable_when_missing(write):
    path = write("n.jsonl", json.dumps({"text": "same"}) + "\n")
    first = collect([str(path)])[0][0].id
    assert first == collect([str(path)])[0][0].id


def test_pseudonyms_are_keyed_and_stable(write):
    from analyzer.io.pseudonym import Pseudonymizer

    a, b = Pseudonymizer("k1"), Pseudonymizer("k2")
    assert a("alice", "youtube") == a("alice", "youtube") != b("alice", "youtube")
    assert Pseudonymizer("k1", keep_authors=True)("alice") == "alice"
    assert a(None) is None


@pytest.mark.parametrize("value,expected", [("1.2K", 1200), ("3M", 3_000_000), ("1,234", 1234), (7, 7), ("", None), ("1.5万", 15000)])
def test_parse_count(value, expected):
    assert parse_count(value) == expected


def test_parse_time_forms():
    from datetime import datetime, timezone

    now = datetime(2024, 1, 10, tzinfo=timezone.utc)
    assert parse_time("2 days ago", now).day == 8
    assert parse_time(1700000000).year == 2023
    assert parse_time("1700000000000").year == 2023
    with pytest.raises(ValueError):
        parse_time("2 days ago")


@pytest.mark.parametrize("text, expected", [
    ("June 4, 2024 8:30 PM", (2024, 6, 4, 20, 30)),
    ("Jun 4 2024", (2024, 6, 4, 0, 0)),
    ("4 June 2024 20:30", (2024, 6, 4, 20, 30)),
    ("4th Jun, 2024, 12:05 am", (2024, 6, 4, 0, 5)),
    ("Tue, June 4, 2024 at 12:15 PM", (2024, 6, 4, 12, 15)),
    ("Sept. 30, 2023 7:00:59 pm UTC", (2023, 9, 30, 19, 0)),
    ("June 4, 2024 8:30 PM +08:00", (2024, 6, 4, 12, 30)),
])
def test_parse_time_reads_english_month_name_dates(text, expected):
    parsed = parse_time(text)
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == expected
    assert parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["06/04/2024", "4/6/2024 8:30 PM", "June 31, 2024", "Juno 4, 2024",
                                  "June 4, 2024 13:30 PM", "June 4 8:30 PM", "4 June"])
def test_parse_time_still_rejects_ambiguous_or_impossible_dates(text):
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_readers_never_crash_on_arbitrary_bytes(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("f.jsonl", "f.csv", "f.json"):
        (folder / name).write_bytes(data)
        stats = ReadStats()
        items = list(read_comments([str(folder / name)], ReadContext(), stats))
        assert stats.totals["read"] == len(items) == stats.totals["accepted"] + stats.totals["rejected"]


def test_csv_reject_redacts_author_columns(write):
    path = write("bad.csv", "id,text,user\na,fine,alice\nb,broken,bob_the_fan,extra\n")
    _, rejects, _ = collect([str(path)])
    assert len(rejects) == 1 and "bob_the_fan" not in rejects[0].raw and "broken" not in rejects[0].raw
    assert json.loads(rejects[0].raw) == {"id": "<redacted>", "text": "<redacted>", "user": "<redacted>",
                                          "_column_4": "<redacted>"}


def test_reader_comment_is_the_dataclass_with_its_defaults():
    from analyzer.schema import FIELD_NAMES, READER_FIELD_NAMES, reader_comment

    fields = dict(id="c1", text="so good", source="a.jsonl:3", drama="Love Between Fairy and Devil", platform="youtube",
                  region="VN", author="u_1", created_at=datetime(2024, 1, 1, tzinfo=timezone.utc), likes=4,
                  reply_to="c0", title="EP1", video_time=12.5, extra={"lang_hint": "vi"})
    fast, slow = reader_comment(*(fields[k] for k in READER_FIELD_NAMES)), Comment(**fields)
    assert all(getattr(fast, k) == getattr(slow, k) and type(getattr(fast, k)) is type(getattr(slow, k))
               for k in FIELD_NAMES)
    other = reader_comment(*(fields[k] for k in READER_FIELD_NAMES))
    assert other.theme_scores is not fast.theme_scores and other.theme_polarity is not fast.theme_polarity
