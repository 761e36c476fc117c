"""The text-read drama stance labels (data/trainsets/stance_drama_zh_ko.labels.jsonl) and their join."""

from __future__ import annotations

import hashlib
import json

import pytest

from training.common import TRAINSETS
from training.sentiment_linear.dataset import DRAMA_PREFIX, join_stance, read_drama

LABELS = TRAINSETS / "stance_drama_zh_ko.labels.jsonl"


def _shared(tmp_path, texts):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return tmp_path


def _label(line, text, stance="neutral"):
    return {"source": "src/train.jsonl", "line": line, "sha1": hashlib.sha1(text.encode()).hexdigest(),
            "lang": "zh", "stance": stance}


def test_rows_join_their_text_and_group_by_shared_source(tmp_path):
    shared = _shared(tmp_path, ["还行吧", "太好看了"])
    labels = tmp_path / "l.jsonl"
    labels.write_text("".join(json.dumps(_label(n, t, s)) + "\n"
                              for n, t, s in [(1, "还行吧", "neutral"), (2, "太好看了", "positive")]))
    rows = read_drama(shared, labels)
    assert [(r.text, r.label, r.source) for r in rows] == [
        ("还行吧", "neutral", DRAMA_PREFIX + "src"), ("太好看了", "positive", DRAMA_PREFIX + "src")]


@pytest.mark.parametrize("label, message", [(_label(1, "changed"), "sha1 mismatch"), (_label(9, "x"), "no line 9")])
def test_a_row_that_no_longer_joins_is_refused(tmp_path, label, message):
    shared = _shared(tmp_path, ["还行吧"])
    labels = tmp_path / "l.jsonl"
    labels.write_text(json.dumps(label) + "\n")
    with pytest.raises(ValueError, match=message):
        join_stance(labels, shared)


def test_the_shipped_label_file_holds_ids_and_three_class_stance_only():
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert rows and all(set(r) == {"source", "line", "sha1", "lang", "stance"} for r in rows)
    assert {r["stance"] for r in rows} == {"negative", "neutral", "positive"}
    assert len({(r["source"], r["line"]) for r in rows}) == len(rows)
    for lang in ("zh", "ko"):
        share = sum(r["stance"] == "neutral" for r in rows if r["lang"] == lang) / sum(r["lang"] == lang for r in rows)
        assert share > 0.15, (lang, share)
