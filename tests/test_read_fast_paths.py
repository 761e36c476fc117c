"""The reading fast paths give what the plain code gave: keyed pseudonyms equal HMAC-SHA256,
mapping plans and contexts still pickle (Ray ships them), records map as before."""

import hashlib
import hmac
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.io.pseudonym import Pseudonymizer
from analyzer.io.records import ReadContext, record_to_comment


@pytest.mark.parametrize("key", ["k", "x" * 64, "a longer key than one SHA-256 block " * 3, "clé 🔑"])
def test_pseudonyms_are_hmac_sha256(key):
    pseudo = Pseudonymizer(key)
    for author, platform in [("alice", "youtube"), ("Bob Smith", None), (12345, "reddit"), ("李", "bilibili")]:
        message = f"{platform or ''}\x00{author}".encode("utf-8")
        expected = "u_" + hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:16]
        assert pseudo(author, platform) == expected
    again = pickle.loads(pickle.dumps(pseudo))
    assert again("alice", "youtube") == pseudo("alice", "youtube")


def test_context_with_plans_pickles_and_maps_the_same():
    ctx = ReadContext(pseudonymize=Pseudonymizer("test-key"), mapping={"body": "text"})
    records = [{"body": "hello", "id": 7, "lang": "en", "nested": {"user": "x", "k": 1}},
               {"body": "hi", "comment": "", "likes": "1.2K", "created_at": "2024-01-01T00:00:00Z"},
               {"body": "one key"}, {"text": "x", "title": "T", "video_title": "V", "author": {"name": "n"}}]
    first = [record_to_comment(r, f"f:{i}", ctx) for i, r in enumerate(records)]
    copy = pickle.loads(pickle.dumps(ctx))
    assert [record_to_comment(r, f"f:{i}", copy) for i, r in enumerate(records)] == first
    assert first[0].extra == {"body": "hello", "id": 7, "lang": "en"}
    assert first[1].likes == 1200 and first[3].title == "T" and first[3].author.startswith("u_")


LINE_PIECES = [b'{"text": "a", "id": 1, "ok": true, "n": null}', b'\xef\xbb\xbf', b'{"text": "\xed\xa0\x80"}',
               b'{"text": "\\ud83d"}', b'{"n": 123456789012345678901}', b'{"n": 12345678901234567890}',
               b'{"f": 1.5}', b'{"a": {"b": [1]}}', b'\xe3\x80\x80', b'  ', b'\r', b'[1, 2]', b'"str"', b'7',
               b'{"a": NaN}', b'\x0c', b'{"text": "caf\xc3\xa9 \xf0\x9f\x98\xad"}', b'{"t": "\xc0\xaf"}', b'{',
               b'{"text": "' + b"x" * 60 + b'"}', b'{"a": 1} {"b": 2}', b'{"a": 1e400}', b'\x00']


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(LINE_PIECES), max_size=3), max_size=6), st.booleans())
def test_json_lines_flat_objects_read_as_the_plain_path(lines, last_newline):
    """parse_json_lines with the undecoded flat-object shortcut gives what the plain path (decode
    every line, then ``loads``) gives: values, rejects and line numbers, BOMs, invalid UTF-8,
    lone surrogates, huge integers, blank and cut lines (``max_record_bytes`` 64) included."""
    import io

    from analyzer.io import formats
    from analyzer.io.limits import Limits

    data = b"\n".join(b"".join(pieces) for pieces in lines) + (b"\n" if last_newline and lines else b"")
    limits = Limits(max_record_bytes=64)
    fast = list(formats.parse_json_lines(io.BytesIO(data), "f.jsonl", limits))
    saved, formats.flat_object = formats.flat_object, lambda raw: None
    try:
        assert fast == list(formats.parse_json_lines(io.BytesIO(data), "f.jsonl", limits))
    finally:
        formats.flat_object = saved
