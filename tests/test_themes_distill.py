"""Teacher rows for the default theme tier (training/themes_hybrid/distill.py) and the sample weights
train.py fits them with: no text and no dev row in the committed file, texts joined back by sha1, and a
weighted fit that is the unweighted one when every row weighs 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
from scipy import sparse

from analyzer.backends.themes_hybrid import HEADS
from analyzer.evaluation.devset import text_sha1
from training.themes_hybrid.distill import OUT, read_distill
from training.themes_hybrid.train import fit_heads, row_weights

DEVSETS = Path(__file__).resolve().parents[1] / "data" / "devsets"


def test_teacher_rows_name_no_dev_row_and_hold_no_text():
    if not OUT.is_file():
        pytest.skip("no teacher rows written")
    dev = {json.loads(line)["sha1"] for path in DEVSETS.glob("*.labels.jsonl")
           for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]
    assert rows and not {r["sha1"] for r in rows} & dev
    assert all("text" not in r and len(r["probs"]) == len(HEADS) and set(r["labels"]) <= set(HEADS) for r in rows)
    assert not any(r["source"].startswith(("douban_", "kdrama_")) for r in rows)


def _shared(tmp_path: Path, texts: list[str]) -> Path:
    (tmp_path / "pool").mkdir()
    (tmp_path / "pool" / "rows.jsonl").write_text(
        "".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return tmp_path


def _teacher_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "teacher.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_read_distill_joins_texts_splits_labels_and_drops_noise(tmp_path):
    shared = _shared(tmp_path, ["the OST is great, will rewatch", "ㅋㅋㅋ"])
    rows = [{"source": "pool/rows.jsonl", "line": 1, "sha1": text_sha1("the OST is great, will rewatch"), "lang": "en",
             "noise": False, "probs": [0.0] * len(HEADS), "labels": ["music", "rewatch"]},
            {"source": "pool/rows.jsonl", "line": 2, "sha1": text_sha1("ㅋㅋㅋ"), "lang": "ko",
             "noise": True, "probs": [0.0] * len(HEADS), "labels": []}]
    got = read_distill(_teacher_file(tmp_path, rows), shared, 0.3)
    assert got == [{"id": "pool/rows.jsonl:1", "text": "the OST is great, will rewatch", "lang": "en", "weight": 0.3,
                    "themes": ["music"], "intents": ["rewatch"]}]


def test_read_distill_refuses_a_changed_text(tmp_path):
    shared = _shared(tmp_path, ["changed text"])
    rows = [{"source": "pool/rows.jsonl", "line": 1, "sha1": text_sha1("original text"), "lang": "en",
             "noise": False, "probs": [0.0] * len(HEADS), "labels": []}]
    with pytest.raises(SystemExit, match="sha1 mismatch"):
        read_distill(_teacher_file(tmp_path, rows), shared, 1.0)


def test_row_weights_are_none_when_all_rows_weigh_one():
    assert row_weights([{"text": "a"}, {"text": "b", "weight": 1.0}]) is None
    assert row_weights([{"text": "a"}, {"text": "b", "weight": 0.5}]).tolist() == [1.0, 0.5]


def test_a_light_row_moves_the_heads_less_than_a_full_one():
    rng = np.random.default_rng(0)
    X = sparse.csr_matrix((rng.random((40, 6)) > 0.5).astype(float))
    lex = np.zeros((40, len(HEADS)))
    y = np.zeros((40, len(HEADS)), dtype=np.int8)
    y[:20, 0] = 1
    X = sparse.vstack([X, sparse.csr_matrix(np.array([[0, 0, 0, 0, 0, 5.0]]))]).tocsr()
    lex, y = np.vstack([lex, np.zeros((1, len(HEADS)))]), np.vstack([y, np.eye(1, len(HEADS), 0, dtype=np.int8)])
    point = {"C": 4.0, "balanced": False, "lex_scale": 1.0}
    light = fit_heads(X, lex, y, **point, sample_weight=np.r_[np.ones(40), 0.05])[0][0, 5]
    full = fit_heads(X, lex, y, **point, sample_weight=np.ones(41))[0][0, 5]
    unweighted = fit_heads(X, lex, y, **point)[0][0, 5]
    assert light < full and full == pytest.approx(unweighted, abs=1e-6)


def test_the_choice_rule_needs_a_margin_and_no_drama_loss():
    from training.themes_hybrid.distill_choose import choose

    row = {"weight": 0.1, "objective": 1.46, "base_objective": 1.45, "real_drama": [0.71, 0.66],
           "base_real_drama": [0.70, 0.65], "best_thresholds": [0.3, 0.2], "best_thresholds_objective": 1.461}
    assert choose([row]) == {"chosen_weight": 0.1, "goes_to_dev_look": True, "thresholds": [0.25, 0.20]}
    assert not choose([{**row, "real_drama": [0.69, 0.66]}])["goes_to_dev_look"]
    assert not choose([{**row, "objective": 1.451}])["goes_to_dev_look"]
    assert choose([{**row, "best_thresholds_objective": 1.463}])["thresholds"] == [0.3, 0.2]
