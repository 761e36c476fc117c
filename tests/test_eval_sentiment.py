"""evaluate_sentiment / format_report on tiny hand-written JSONL."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.errors import InputError, RecordError
from analyzer.evaluation import evaluate_sentiment, format_report

ROWS = [
    {"text": "great show", "lang": "en", "label": "positive"},
    {"text": "great acting, bad ending", "lang": "en", "label": "negative"},
    {"text": "bad pacing", "lang": "en", "stance": "negative"},
    {"text": "which episode?", "lang": "en", "label": "neutral"},
    {"text": "很好看 great", "lang": "zh", "label": "positive"},
    {"text": "bad 烂", "lang": "zh", "label": "negative"},
    {"text": "no label yet", "lang": "en", "label": None},
]


class KeywordBackend:
    """Deterministic stand-in: 'great' -> positive, 'bad' -> negative, else neutral."""

    name = "keywords"

    def predict_proba(self, texts, langs=None):
        out = np.zeros((len(texts), 3))
        for i, t in enumerate(texts):
            out[i, 2 if "great" in t else 0 if "bad" in t else 1] = 1.0
        return out


def write(tmp_path, rows) -> str:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_metrics_match_hand_computation(tmp_path):
    result = evaluate_sentiment(write(tmp_path, ROWS), KeywordBackend())
    en, zh = result["languages"]["en"], result["languages"]["zh"]
    assert en["n"] == 4 and zh["n"] == 2 and result["skipped_unlabelled"] == 1
    # en gold neg,neg,neu,pos -> predicted pos,neg,neu,pos: F1 neg 2/3, neu 1, pos 2/3
    assert en["confusion"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert en["accuracy"] == pytest.approx(0.75)
    assert en["macro_f1"] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    # zh has no neutral gold: macro over negative and positive only
    assert zh["macro_f1"] == pytest.approx(1.0)
    assert result["mean_macro_f1"] == pytest.approx((en["macro_f1"] + 1.0) / 2)
    assert result["overall"]["n"] == 6 and result["labels"] == ["negative", "neutral", "positive"]


def test_records_and_registered_name(tmp_path):
    result = evaluate_sentiment([r for r in ROWS if r.get("label") or r.get("stance")],
                                "sentiment.linear.v1")
    assert result["backend"] == "sentiment.linear.v1" and result["overall"]["n"] == 6
    assert 0.0 <= result["mean_macro_f1"] <= 1.0


def test_report_lists_languages_and_mean(tmp_path):
    text = format_report(evaluate_sentiment(write(tmp_path, ROWS), KeywordBackend()))
    assert "en" in text and "zh" in text and "mean per-language macro-F1" in text
    assert "confusion" in text


def test_bad_input_is_reported_with_location(tmp_path):
    with pytest.raises(RecordError, match=r"gold.jsonl:2"):
        evaluate_sentiment(write(tmp_path, [ROWS[0], {"text": "x", "label": "great"}]), KeywordBackend())
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "a", "label": "positive"}\n{not json\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"broken.jsonl:2"):
        evaluate_sentiment(str(path), KeywordBackend())
    with pytest.raises(InputError, match="Cannot read"):
        evaluate_sentiment(str(tmp_path / "missing.jsonl"), KeywordBackend())
    with pytest.raises(InputError, match="No labelled rows"):
        evaluate_sentiment([{"text": "a", "label": None}], KeywordBackend())
