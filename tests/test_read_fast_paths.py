"""The reading fast paths give what the plain code gave: keyed pseudonyms equal HMAC-SHA256,
mapping plans and contexts still pickle (Ray ships them), records map as before."""

import hashlib
import hmac
import pickle

import pytest

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
