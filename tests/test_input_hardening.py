"""Issue 18 (input side) and issue 16 ("own data"): every case that used to abort a run,
lose records silently, leak an author or eat memory, reproduced on tiny inputs."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import tracemalloc
import zlib

import pytest
import zstandard

from analyzer.errors import ConfigError, InputError
from analyzer.io import ReadContext, ReadStats, Reject, read_comments
from analyzer.io.limits import Limits
from analyzer.schema import Comment, to_arrow

GOOD = {"id": "ok", "text": "Loved the ending", "author": "good_author"}


def collect(inputs, **ctx):
    stats = ReadStats()
    items = list(read_comments(inputs if isinstance(inputs, list) else [str(inputs)], ReadContext(**ctx), stats))
    totals = stats.totals
    assert totals["read"] == len(items) == totals["accepted"] + totals["rejected"]
    for f in stats.files:
        assert f.read == f.accepted + f.rejected
    return [i for i in items if isinstance(i, Comment)], [i for i in items if isinstance(i, Reject)], stats


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def writable(items) -> None:
    """What the writers do with them: UTF-8 JSON and Arrow (fails on surrogates, int64 overflow)."""
    for item in items:
        payload = item.to_dict() if isinstance(item, Reject) else None
        if payload is not None:
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
    comments = [i for i in items if isinstance(i, Comment)]
    if comments:
        to_arrow(comments)
        for c in comments:
            json.dumps(c.extra, ensure_ascii=False, default=str).encode("utf-8")


# --- one record used to abort the whole run ------------------------------------------------

def test_lone_surrogate_is_replaced_not_fatal(write):
    path = write("s.jsonl", jsonl('{"id": "s", "text": "so good \\ud83d", "lang\\udc00": "en"}', GOOD))
    comments, rejects, _ = collect(path)
    assert [c.id for c in comments] == ["s", "ok"] and not rejects
    assert comments[0].text == "so good \ufffd"
    writable(comments)


def test_json_nested_1000_deep_is_a_reject(write):
    path = write("d.jsonl", jsonl("[" * 1000 + "]" * 1000, '{"text": ' + "[" * 70 + "]" * 70 + "}", GOOD))
    comments, rejects, _ = collect(path)
    assert [c.id for c in comments] == ["ok"]
    assert len(rejects) == 2 and all("nested deeper" in r.reason for r in rejects)
    assert [r.location.rsplit(":", 1)[1] for r in rejects] == ["1", "2"]


@pytest.mark.parametrize("likes", ["1e309", '"' + "9" * 400 + '"', "1" * 30, '"1e999K"', "-1e400"])
def test_huge_likes_are_rejects(write, likes):
    path = write("l.jsonl", jsonl('{"text": "x", "likes": %s}' % likes, GOOD))
    comments, rejects, _ = collect(path)
    assert [c.id for c in comments] == ["ok"]
    (bad,) = rejects
    assert bad.location.endswith("l.jsonl:1") and ("count" in bad.reason)
    writable(comments + rejects)


@pytest.mark.parametrize("created", ["1e300", "1e20", '"9999-12-31T23:59:59-05:00"', '"0001-01-01T00:00:00+05:00"',
                                     "-1e300", '"99999999999999 years ago"'])
def test_out_of_range_times_are_rejects_with_location(write, created):
    from datetime import datetime, timezone

    path = write("t.jsonl", jsonl('{"text": "x", "created_at": %s}' % created, GOOD))
    comments, rejects, _ = collect(path, dump_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert [c.id for c in comments] == ["ok"]
    (bad,) = rejects
    assert bad.location.endswith("t.jsonl:1") and "time" in bad.reason


def test_integer_beyond_python_limit_is_a_reject(write):
    path = write("i.jsonl", jsonl('{"text": "x", "likes": ' + "7" * 5000 + "}", GOOD))
    comments, rejects, _ = collect(path)
    assert [c.id for c in comments] == ["ok"] and "invalid JSON" in rejects[0].reason


@pytest.mark.parametrize("records", [2000, 300])  # small: the cut falls in the first read
def test_truncated_gzip_keeps_records_before_the_cut(write, records):
    payload = jsonl(*({"id": f"g{i}", "text": f"comment number {i} " * 20} for i in range(records))).encode()
    data = gzip.compress(payload)
    path = write("cut.jsonl.gz", data[: len(data) // 2])
    comments, rejects, stats = collect(path)
    assert 0 < len(comments) < records and [c.id for c in comments] == [f"g{i}" for i in range(len(comments))]
    assert len(rejects) == 1 and "cut short" in rejects[0].reason and f"{len(comments)} record(s)" in rejects[0].reason
    assert stats.files[0].rejected == 1


@pytest.mark.parametrize("cut", ["inside the first block", "half way"])
def test_truncated_zstd_is_a_per_file_reject(write, cut):
    payload = jsonl(*({"id": f"z{i}", "text": f"comment number {i}"} for i in range(20))).encode()
    data = zstandard.ZstdCompressor().compress(payload)
    path = write("cut.jsonl.zst", data[:12] if cut.startswith("inside") else data[: len(data) // 2])
    comments, rejects, _ = collect(path)
    assert len(rejects) == 1 and "cut short" in rejects[0].reason
    assert rejects[0].location.endswith(f"after record {len(comments)}")


@pytest.mark.parametrize("doc", ['[{"text": "a"}, {"text": "b"}, {"te', '{"comments": [{"text": "a"}, {"text": "b"}, {"te'])
def test_cut_json_document_is_one_reject_after_the_records_read(write, doc):
    # its location used to repeat the last good record's ("cut.json:#1"): two items, one location
    comments, rejects, _ = collect(write("cut.json", doc))
    assert [c.text for c in comments] == ["a", "b"]
    assert len(rejects) == 1 and "the rest of the file is skipped" in rejects[0].reason
    assert rejects[0].location.endswith("cut.json:after record 2")


@pytest.mark.parametrize("line,reason", [('{"text": "a\tb"}', "Invalid control character"),
                                         ('{"text": "a" "b"}', "Expecting ',' delimiter")])
def test_invalid_json_line_reason_says_where_once(write, line, reason):
    # it used to read "Invalid control character at at column 12"
    _, rejects, _ = collect(write("c.jsonl", jsonl(line, GOOD)))
    assert len(rejects) == 1 and rejects[0].location.endswith("c.jsonl:1")
    assert re.fullmatch(rf"invalid JSON \({reason} at column \d+\)", rejects[0].reason)


def test_text_that_is_not_a_string_is_rejected_as_such(write):
    # these used to read "missing or empty text", though each record has a text field
    _, rejects, _ = collect(write("n.jsonl", jsonl({"text": 42}, {"text": ["a", "b"]}, {"text": ""}, GOOD)))
    assert [r.reason.split(" (")[0] for r in rejects] == [
        "text is a number, not a string", "text is a list, not a string", "missing or empty text"]


def test_cut_platform_json_document_is_one_reject_after_the_records_read(write):
    # a pretty-printed youtube-comment-downloader array cut mid-record: the reject used to say "cut.json:#1"
    rows = [f'{{"cid": "c{i}", "text": "t{i}", "votes": 1, "time_parsed": 1700000000}}' for i in (1, 2)]
    comments, rejects, stats = collect(write("cut.json", "[\n" + ",\n".join(rows) + ',\n{"cid": "c3", "te'))
    assert stats.files[0].format == "youtube-comment-downloader" and [c.text for c in comments] == ["t1", "t2"]
    assert len(rejects) == 1 and "the rest of the file is skipped" in rejects[0].reason
    assert rejects[0].location.endswith("cut.json:after record 2")


@pytest.mark.parametrize("end", ["", "\n", "\r\n"])
def test_cut_json_line_says_unterminated_string(write, end):
    # with its newline, the cut line used to read "Invalid control character at column 29" (the newline)
    comments, rejects, _ = collect(write("cut.jsonl", '{"text": "a"}\n{"id": "2", "text": "cut her' + end))
    assert [c.text for c in comments] == ["a"] and len(rejects) == 1
    assert rejects[0].reason == "invalid JSON (Unterminated string starting at column 21)"


def test_cut_platform_json_line_says_unterminated_string(write):
    # youtube-comment-downloader JSON Lines: it read "Invalid control character at: line 1 column 31 (char 30)"
    row = '{"cid": "c1", "text": "t1", "votes": 1, "time_parsed": 1700000000}\n'
    comments, rejects, stats = collect(write("cut.json", row + '{"cid": "c2", "text": "cut her\n'))
    assert stats.files[0].format == "youtube-comment-downloader" and [c.text for c in comments] == ["t1"]
    assert [r.reason for r in rejects] == ["invalid JSON (Unterminated string starting at column 23)"]


def test_concatenated_zstd_frames_read_fully(write):
    frames = b"".join(zstandard.ZstdCompressor().compress(jsonl({"text": f"frame {i}"}).encode()) for i in range(3))
    comments, rejects, _ = collect(write("multi.jsonl.zst", frames))
    assert [c.text for c in comments] == ["frame 0", "frame 1", "frame 2"] and not rejects


def test_corrupt_gzip_is_a_per_file_reject_and_the_run_goes_on(write):
    bad = write("a_bad.jsonl.gz", b"\x1f\x8b\x08\x00garbage-garbage-garbage")
    good = write("b_good.jsonl", jsonl(GOOD))
    comments, rejects, stats = collect([str(bad), str(good)])
    assert [c.id for c in comments] == ["ok"] and len(rejects) == 1
    assert rejects[0].file.endswith("a_bad.jsonl.gz")


def test_file_name_with_a_non_utf8_byte(tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/caf\xe9.jsonl"
    with open(name, "wb") as handle:
        handle.write(jsonl(GOOD).encode())
    comments, rejects, stats = collect([str(tmp_path)])
    assert [c.id for c in comments] == ["ok"]
    assert "\\xe9" in comments[0].source and "\\xe9" in stats.files[0].path
    comments[0].source.encode("utf-8")
    writable(comments)


def test_dicts_where_strings_are_expected_x_and_reddit(write):
    reddit = jsonl({"id": "a", "body": "ok one", "author": {"name": "reddit_dict_author"}, "created_utc": 1700000000,
                    "subreddit": "CDrama"},
                   {"id": "b", "body": {"nested": 1}, "author": "x", "created_utc": 1700000000, "subreddit": "CDrama"},
                   {"id": "c", "body": "ok two", "author": ["l"], "created_utc": 1700000001, "subreddit": "CDrama"})
    twitter = {"data": [{"id": "1", "text": "fine", "author_id": {"id": "x_dict_author"}, "edit_history_tweet_ids": ["1"],
                         "lang": {"x": 1}, "referenced_tweets": [{"type": {"a": 1}, "id": "2"}],
                         "geo": {"place_id": {"p": 1}}, "public_metrics": {"like_count": 3}},
                        {"id": "2", "text": "second", "author_id": "9", "edit_history_tweet_ids": ["2"]}],
               "includes": {"users": [{"id": {"a": 1}, "username": "u"}]}}
    comments, rejects, _ = collect(write("RC_dicts.ndjson", reddit))
    assert len(comments) + len(rejects) == 3 and {c.id for c in comments} >= {"t1_a", "t1_c"}
    comments, rejects, _ = collect(write("tweets.json", json.dumps(twitter)))
    assert len(comments) + len(rejects) == 2 and "2" in {c.id for c in comments}
    assert "dict_author" not in json.dumps([r.to_dict() for r in rejects] + [c.extra for c in comments])


def test_youtube_api_kind_null_and_odd_types(write):
    pages = [{"kind": None, "items": [{"snippet": {"textOriginal": "kind null", "authorChannelId": {"value": "UCz"}}}]},
             {"kind": "youtube#commentThreadListResponse",
              "items": [{"kind": "youtube#commentThread", "snippet": {"topLevelComment": {"id": "t", "snippet": {
                  "textOriginal": "fine", "videoId": {"v": 1}, "likeCount": "1e999"}}}},
                        {"kind": "youtube#commentThread", "snippet": {"topLevelComment": {"id": "u", "snippet": {
                            "textOriginal": "second"}}}, "replies": {"comments": [None, 5, {"snippet": []}]}}]},
             {"kind": "youtube#videoListResponse", "items": 7}]
    comments, rejects, _ = collect(write("yt.jsonl", jsonl(*pages)))
    assert "second" in [c.text for c in comments] and len(rejects) >= 3


# --- limits --------------------------------------------------------------------------------

def test_long_text_is_truncated_for_scoring_with_a_flag(write):
    path = write("long.jsonl", jsonl({"id": "big", "text": "word " * 1_000_000}, GOOD))  # a 5 MB comment
    comments, rejects, _ = collect(path, limits=Limits(max_text_chars=20_000))
    big = comments[0]
    assert len(big.text) == 20_000 and big.extra["text_truncated"] == 5_000_000
    assert "text_truncated" not in comments[1].extra and not rejects


def test_record_over_max_record_bytes_is_skipped_without_being_held(write):
    path = write("wide.jsonl", jsonl({"text": "y" * 200_000}, GOOD))
    comments, rejects, _ = collect(path, limits=Limits(max_record_bytes=50_000))
    assert [c.id for c in comments] == ["ok"] and "max_record_bytes" in rejects[0].reason
    assert rejects[0].location.endswith("wide.jsonl:1")


def zero_bomb(kind: str, size: int) -> bytes:
    chunk = bytes(1 << 20)
    if kind == "gz":
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        return b"".join(packer.compress(chunk) for _ in range(size >> 20)) + packer.flush()
    packer = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join(packer.compress(chunk) for _ in range(size >> 20)) + packer.flush()


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_decompression_bomb_is_rejected_early(write, kind):
    path = write(f"bomb.jsonl.{kind}", zero_bomb(kind, 64 << 20))
    limits = Limits(ratio_grace_bytes=4 << 20)
    tracemalloc.start()
    comments, rejects, _ = collect(path, limits=limits)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not comments and len(rejects) == 1 and "decompression ratio" in rejects[0].reason
    decompressed = int(rejects[0].reason.split("(")[1].split(" bytes")[0])
    assert decompressed < 16 << 20  # stopped soon after the grace, not at 64 MiB
    assert peak < 64 << 20


def test_max_decompressed_bytes(write):
    path = write("big.jsonl.gz", gzip.compress(jsonl(*({"text": "t" * 100} for _ in range(2000))).encode()))
    comments, rejects, _ = collect(path, limits=Limits(max_decompressed_bytes=100_000))
    assert 0 < len(comments) < 2000 and "max_decompressed_bytes" in rejects[-1].reason


def test_json_array_is_streamed(write):
    records = [{"id": f"a{i}", "text": f"comment {i} " + "x" * 600} for i in range(6_000)]
    path = write("big.json", json.dumps({"meta": {"n": 1}, "comments": records}))  # ~3.8 MB
    del records
    tracemalloc.start()
    count = sum(1 for item in read_comments([str(path)]) if isinstance(item, Comment))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 6_000
    assert peak < 2 << 20  # the whole document would be > 3.8 MB of text alone


def test_json_array_element_errors(write):
    doc = '[{"text": "a"}, ' + "[" * 80 + "]" * 80 + ', {"text": "b"}, {"text": oops}]'
    comments, rejects, _ = collect(write("arr.json", doc))
    assert [c.text for c in comments] == ["a", "b"]
    assert "nested deeper" in rejects[0].reason and rejects[0].location.endswith(":#1")
    assert "invalid JSON" in rejects[1].reason


def test_empty_and_unknown_files_are_per_file_rejects(write):
    empty = write("empty.csv", "")
    blank = write("blank.jsonl.gz", gzip.compress(b""))
    odd = write("odd.xml", "<html>not danmaku</html>")
    good = write("z.jsonl", jsonl(GOOD))
    comments, rejects, stats = collect([str(empty), str(blank), str(odd), str(good)])
    assert [c.id for c in comments] == ["ok"]
    assert [r.reason.startswith("file is empty") for r in rejects] == [True, True, False]
    assert "cannot tell the format" in rejects[2].reason
    assert [f.read for f in stats.files] == [1, 1, 1, 1]


# --- own data on the first try (issue 16) ---------------------------------------------------

def test_title_case_headers_and_semicolons(write):
    path = write("vendor.csv", "Comment ID;Comment Text;Like Count;Country;User Name\n"
                               "v1;Muy buena;12;MX;Carla Gómez\nv2;Me encantó;3;AR;Luis P\n")
    comments, rejects, _ = collect(path)
    assert [(c.id, c.text, c.likes, c.region) for c in comments] == [("v1", "Muy buena", 12, "MX"),
                                                                     ("v2", "Me encantó", 3, "AR")]
    assert all(c.author.startswith("u_") for c in comments) and not rejects
    assert "Carla" not in json.dumps([c.extra for c in comments], ensure_ascii=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "cp1252"])
def test_csv_encodings(write, encoding):
    text = "text\tlikes\tlang\r\nDéjà vu, très bien\t4\tfr\r\n"
    data = (codecs.BOM_UTF16_LE + text.encode("utf-16-le")) if encoding == "utf-16-le-bom" else text.encode(encoding)
    name = "export.txt" if encoding.startswith("utf-16") else "export.tsv"  # Excel's "Unicode text" is .txt
    comments, rejects, _ = collect(write(name, data))
    assert [(c.text, c.likes, c.extra.get("lang")) for c in comments] == [("Déjà vu, très bien", 4, "fr")]


def test_unknown_map_target_lists_valid_fields():
    with pytest.raises(ConfigError, match="valid fields: text, id, likes"):
        ReadContext(mapping={"Country": "countryy"})


def test_cli_map_to_unknown_field_is_one_line(tmp_path, capsys):
    from analyzer.cli import main

    path = tmp_path / "a.jsonl"
    path.write_text(jsonl(GOOD))
    assert main(["annotate", str(path), "-o", str(tmp_path / "o.jsonl"), "--map", "Country=nation", "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'nation' is not a Comment field" in err and "region" in err


@pytest.mark.parametrize(("mapping", "hint"), [
    ({"drama": "Show Name", "text": "Comment Text"}, "Did you mean --map 'Show Name=drama' --map 'Comment Text=text'?"),
    ({"Show Name": "dramaa"}, "Did you mean --map 'Show Name=drama'?"),
    ({"Country": "nation"}, None),
])
def test_a_map_given_the_wrong_way_round_or_misspelt_says_what_was_meant(mapping, hint):
    """`--map drama='Show Name'` (field first) said only that 'Show Name' is not a Comment field."""
    with pytest.raises(ConfigError) as info:
        ReadContext(mapping=mapping)
    assert (hint in str(info.value)) if hint else "Did you mean" not in str(info.value)


# --- privacy by construction ----------------------------------------------------------------

AUTHOR_FIELD_NAMES = ["Author", "authorName", "userName", "author_handle", "handle", "displayName", "display_name",
                      "screenName", "nick", "commenter", "email", "poster", "from"]


@pytest.mark.parametrize("content", [
    'country,text\nUS,"The Untamed is good\nKR,second comment\nJP,third comment\n',  # the last cell: 1 accepted
    'text,country\n"The Untamed is good,US\nsecond comment,KR\nthird comment,JP\n',  # the first: wrong width
])
def test_unclosed_quote_that_eats_the_rest_of_a_csv_is_a_reject_saying_so(write, content):
    # the first used to be accepted as one comment holding all three texts: two comments lost unseen
    comments, rejects, _ = collect(write("q.csv", content))
    assert comments == [] and len(rejects) == 1
    assert rejects[0].location.endswith("q.csv:2") and "unclosed quote" in rejects[0].reason


def test_quoted_multiline_cells_at_the_end_of_a_csv_are_kept(write):
    comments, rejects, _ = collect(write("m.csv", 'country,text\nUS,"line one\n""two"", three"\nKR,"a\nb"'))
    assert rejects == [] and [c.text for c in comments] == ['line one\n"two", three', "a\nb"]


@pytest.mark.parametrize("content", ["sep=;\r\ntext;country\r\nThe Untamed, truly;KR\r\n",
                                     "\ufeffsep=|\ntext|country\nThe Untamed, truly|KR\n"])
def test_excel_sep_line_names_the_delimiter(write, content):
    # Excel's "sep=;" first line used to be read as the header: every row a "missing or empty text" reject
    comments, rejects, _ = collect(write("x.csv", content.encode("utf-8")))
    assert rejects == [] and [(c.text, c.region) for c in comments] == [("The Untamed, truly", "KR")]
    assert comments[0].source.endswith("x.csv:3")


def test_a_corrupt_parquet_input_is_one_reject_in_a_run(write, tmp_path):
    # counting records for the progress bar and --workers auto used to open it first: a pyarrow traceback
    import analyzer

    bad, good = write("in/bad.parquet", b"not parquet at all"), write("in/good.jsonl", jsonl(GOOD))
    summary = analyzer.run([str(bad), str(good)], tmp_path / "out")
    assert summary.counts["accepted"] == 1 and summary.counts["rejected"] == 1
    assert "not a readable Parquet file" in next(iter(summary.reject_reasons))


def test_a_dangling_link_in_an_input_folder_is_one_reject_in_a_run(write, tmp_path):
    # the run used to stop with "Input not found: in/gone.jsonl" though the folder given exists
    import analyzer

    good = write("in/good.jsonl", jsonl(GOOD))
    os.symlink(tmp_path / "nowhere.jsonl", good.parent / "gone.jsonl")
    summary = analyzer.run([str(good.parent)], tmp_path / "out")
    assert (summary.counts["accepted"], summary.counts["rejected"]) == (1, 1)
    [reject] = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert reject["location"].endswith("gone.jsonl:after record 0") and "No such file" in reject["reason"]


def test_the_manifest_does_not_read_a_named_pipe_a_second_time(tmp_path):
    # a run on a named pipe hung for ever at the end: the sha256 for the manifest opened it again
    import threading

    from analyzer.runner import fingerprint

    pipe = tmp_path / "p.jsonl"
    os.mkfifo(pipe)
    records = []
    worker = threading.Thread(target=lambda: records.append(fingerprint(str(pipe))), daemon=True)
    worker.start()
    worker.join(10)  # a guard so a regression fails instead of hanging; not a speed check
    assert records and records[0].path.endswith("p.jsonl") and records[0].sha256 is None


def secrets_in(items) -> list[str]:
    dumped = json.dumps([i.to_dict() if isinstance(i, Reject) else {"extra": i.extra, "author": i.author,
                                                                   "id": i.id, "source": i.source}
                         for i in items], ensure_ascii=False, default=str)
    return sorted(set(s for s in __import__("re").findall(r"secret_\w+", dumped)))


def test_every_author_like_field_is_dropped_everywhere(write):
    record = {"text": "great show", "lang": "en", "episode": 3}
    record.update({name: f"secret_{i}" for i, name in enumerate(AUTHOR_FIELD_NAMES)})
    record["reviewer"] = {"name": "secret_reviewer", "info": "54 of 54 episodes"}
    record["meta"] = {"AuthorName": "secret_nested"}
    bad = dict(record, text="", likes="many")
    csv_bad = "text;Author;handle\nok;secret_csv1;secret_csv2\nbroken;secret_csv3;secret_csv4;extra\n\"unterminated;secret_csv5;x\n"
    items = []
    for name, content in (("a.jsonl", jsonl(record, bad, '{"text": "cut", "Author": "secret_cut", "handle": "secret_c')),
                          ("b.json", json.dumps([record, bad])), ("c.csv", csv_bad)):
        comments, rejects, _ = collect(write(name, content))
        assert comments and rejects
        items += comments + rejects
    assert secrets_in(items) == []
    kept = [i for i in items if isinstance(i, Comment) and i.text == "great show"]
    assert kept and all(c.extra == {"text": "great show", "lang": "en", "episode": 3} for c in kept)


def test_mapped_author_field_is_pseudonymised_not_kept(write):
    path = write("m.jsonl", jsonl({"text": "hi", "handle": "secret_handle", "lang": "en"},
                                  {"text": "", "handle": "secret_handle2"}))
    comments, rejects, _ = collect(path, mapping={"handle": "author"}, keep_fields=("handle",))
    assert comments[0].author.startswith("u_") and "handle" not in comments[0].extra
    assert secrets_in(comments + rejects) == []


def test_keep_fields_adds_to_the_allow_list(write):
    path = write("k.jsonl", jsonl({"text": "hi", "campaign": "spring", "Display Name": "secret_dn"}))
    (c,), _, _ = collect(path, keep_fields=("campaign", "display_name"))
    assert c.extra == {"text": "hi", "campaign": "spring"}


def test_cli_run_over_every_bad_input_goes_on_and_leaks_nothing(tmp_path):
    """The issue's cases together through `analyzer run`: exit 0, every output written,
    counts reconcile per file, no author value anywhere in the output folder."""
    from analyzer.cli import main

    src = tmp_path / "in"
    src.mkdir()
    good = [{"id": f"g{i}", "text": f"Loved The Untamed, episode {i}", "author": f"secret_{i}"} for i in range(300)]
    (src / "a.jsonl").write_text(jsonl(*good[:3], '{"text": "emoji \\ud83d", "author": "secret_s"}',
                                       "[" * 1000 + "]" * 1000, '{"text": "x", "likes": 1e309}',
                                       '{"text": "v", "created_at": "9999-12-31T23:59:59-05:00"}',
                                       {"text": "mapped", "handle": "secret_handle", "Author": "secret_A",
                                        "reviewer": {"name": "secret_r"}}))
    data = gzip.compress(jsonl(*good).encode())
    (src / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    (src / "cut.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(jsonl(*good).encode())[:12])
    with open(os.fsencode(str(src)) + b"/caf\xe9.jsonl", "wb") as handle:
        handle.write(jsonl(good[5]).encode())
    (src / "semi.csv").write_text("Comment Text;Country;User Name\nMuy buena;MX;secret_csv\n", encoding="utf-8")
    (src / "empty.csv").write_text("")
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "-q", "--map", "handle=author"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(f["read"] == f["accepted"] + f["rejected"] for f in manifest["files"])
    assert manifest["counts"]["reconciles"] and manifest["counts"]["rejected"] == 6
    rejects = (out / "rejects.jsonl").read_text(encoding="utf-8")
    assert "cut short" in rejects and "file is empty" in rejects and "nested deeper" in rejects
    for path in out.rglob("*"):
        if path.is_file():
            assert b"secret_" not in path.read_bytes(), path.name


def test_a_spreadsheet_is_rejected_with_how_to_read_it(tmp_path):
    """An .xlsx export was rejected with 'cannot tell the format of dump.xlsx; use one of youtube-api, ...'
    and eleven format names, none of which says what to do with a spreadsheet."""
    from analyzer.io.readers import detect_format

    with pytest.raises(InputError, match=r"dump\.xlsx is a spreadsheet, which is not read; save the sheet as CSV"):
        detect_format(str(tmp_path / "dump.xlsx"), b"PK\x03\x04")
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format(str(tmp_path / "dump.bin"), b"PK\x03\x04")
