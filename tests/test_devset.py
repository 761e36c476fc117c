"""The dev-set join (on a fake shared folder with our own text) and the committed labels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import ConfigError, InputError, RecordError
from analyzer.evaluation.devset import (devset_keys, label_problems, load_devset, read_labels,
                                        text_sha1, write_joined)
from analyzer.schema import INTENTS, SENTIMENT_LABELS, THEMES

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"
SOURCE = "fake_comments/comments.jsonl"
OUR_TEXTS = ["The finale made me cry, best drama ever", "where can I watch ep 3?", "12:03"]


def _label(line: int, text: str, **extra) -> dict:
    base = {"source": SOURCE, "line": line, "sha1": text_sha1(text), "lang": "en",
            "stance": "positive", "themes": ["story"], "theme_polarity": {"story": "positive"},
            "intents": [], "noise": False}
    return {**base, **extra}


@pytest.fixture()
def fake(tmp_path: Path) -> tuple[Path, Path]:
    shared = tmp_path / "shared"
    (shared / "fake_comments").mkdir(parents=True)
    rows = [json.dumps({"text": t, "label": None}) for t in OUR_TEXTS]
    (shared / SOURCE).write_text("\n".join(rows) + "\n", encoding="utf-8")
    labels = [
        _label(1, OUR_TEXTS[0], note="sad ending, positive stance"),
        _label(2, OUR_TEXTS[1], stance="neutral", themes=["access", "intent"],
               theme_polarity={"access": "neutral"}, intents=["where_to_watch"]),
        _label(3, OUR_TEXTS[2], lang="und", stance="neutral", themes=[], theme_polarity={},
               noise=True),
    ]
    path = tmp_path / "dev.labels.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")
    return path, shared


def _rewrite(path: Path, change) -> None:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    change(rows)
    path.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")


def test_join_returns_taxonomy_records_with_texts(fake):
    labels, shared = fake
    records = load_devset(labels, shared)
    assert [r["text"] for r in records] == OUR_TEXTS
    assert records[1]["intents"] == ["where_to_watch"] and records[1]["stance"] == "neutral"
    assert records[2]["noise"] is True and records[0]["note"].startswith("sad ending")
    for field in ("text", "lang", "stance", "themes", "theme_polarity", "intents", "noise"):
        assert all(field in r for r in records)


def test_sha1_mismatch_is_reported_not_used(fake):
    labels, shared = fake
    _rewrite(labels, lambda rows: rows[0].update(sha1=text_sha1("some other text")))
    rejects: list[dict] = []
    with pytest.warns(UserWarning, match="1 of 3 dev-set rows not joined"):
        records = load_devset(labels, shared, rejects=rejects)
    assert [r["text"] for r in records] == OUR_TEXTS[1:]
    assert rejects == [{"source": SOURCE, "line": 1, "reason": rejects[0]["reason"]}]
    assert "sha1" in rejects[0]["reason"]
    with pytest.raises(RecordError, match=f"{SOURCE}:1: sha1"):
        load_devset(labels, shared, on_error="raise")


def test_missing_source_and_line_are_collected(fake):
    labels, shared = fake
    _rewrite(labels, lambda rows: (rows[1].update(line=99), rows[2].update(source="gone.jsonl")))
    rejects: list[dict] = []
    records = load_devset(labels, shared, on_error="collect", rejects=rejects)
    assert len(records) == 1 and len(rejects) == 2
    assert {r["line"] for r in rejects} == {99, 3}


def test_write_joined_round_trips(fake, tmp_path):
    labels, shared = fake
    out = tmp_path / "out" / "dev.jsonl"
    assert write_joined(labels, shared, out) == 3
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows == load_devset(labels, shared)


def test_bad_inputs_raise_clear_errors(fake, tmp_path):
    labels, shared = fake
    with pytest.raises(InputError, match="--shared"):
        load_devset(labels, tmp_path / "nope")
    with pytest.raises(InputError, match="not found"):
        load_devset(tmp_path / "nope.jsonl", shared)
    with pytest.raises(ConfigError, match="'on_error' parameter"):
        load_devset(labels, shared, on_error="ignore")
    _rewrite(labels, lambda rows: rows[0].update(themes=["plot"], theme_polarity={}))
    with pytest.raises(RecordError, match="unknown theme 'plot'"):
        read_labels(labels)


def test_label_problems_catch_each_contract_rule():
    good = _label(1, "x")
    assert label_problems(good) == []
    assert "stance" in label_problems({**good, "stance": "happy"})[0]
    assert "not in themes" in label_problems({**good, "theme_polarity": {"music": "positive"}})[0]
    assert "unknown intent" in label_problems({**good, "intents": ["buy"]})[0]
    assert "noise" in label_problems({**good, "noise": True})[0]
    assert "lang" in label_problems({**good, "lang": "english"})[0]


def test_join_cli_reports_rejects(fake, tmp_path):
    labels, shared = fake
    _rewrite(labels, lambda rows: rows[0].update(sha1="0" * 40))
    out = tmp_path / "cli.jsonl"
    done = subprocess.run([sys.executable, "-m", "training.devsets.join",
                           "--labels", str(labels), "--shared", str(shared), "-o", str(out)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert f"rejected {SOURCE}:1" in done.stderr and "joined 2, rejected 1" in done.stdout


# --- the committed label file -----------------------------------------------------------

def test_committed_labels_follow_taxonomy():
    labels = read_labels(LABELS)  # validates ids, stances, polarity keys, uniqueness
    assert len(labels) >= 300
    assert all(set(x["themes"]) <= set(THEMES) for x in labels)
    assert all(set(x["intents"]) <= set(INTENTS) for x in labels)
    assert all(x["stance"] in SENTIMENT_LABELS for x in labels)
    assert all(set(x["theme_polarity"]) <= set(x["themes"]) for x in labels)
    assert len(devset_keys(LABELS)) == len(labels)
    assert len({x["lang"] for x in labels}) >= 10
    assert all(len(x["sha1"]) == 40 for x in labels)


def test_committed_labels_hold_no_comment_text():
    allowed = {"source", "line", "sha1", "lang", "stance", "themes", "theme_polarity",
               "intents", "noise", "note"}
    for raw in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        assert set(row) <= allowed and "text" not in row
        assert len(row.get("note", "")) <= 120


def test_committed_labels_join_when_shared_data_present():
    shared = ROOT.parent / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("shared data folder not present")
    rejects: list[dict] = []
    records = load_devset(LABELS, shared, on_error="collect", rejects=rejects)
    assert rejects == [] and len(records) == len(read_labels(LABELS))
