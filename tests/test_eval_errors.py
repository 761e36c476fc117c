"""Error analysis (`analyzer eval ... --errors`): counts agree with the scores they explain."""

import json
import subprocess
import sys

from analyzer.evaluation.errors import label_errors, pair_confusions
from analyzer.evaluation.themes import evaluate_themes

RECORDS = [
    {"text": "The acting is wooden and the plot is a mess", "lang": "en", "stance": "negative",
     "themes": ["acting", "story"], "theme_polarity": {"acting": "negative", "story": "negative"}, "intents": []},
    {"text": "Love the OST so much", "lang": "en", "stance": "positive", "themes": ["music"],
     "theme_polarity": {"music": "positive"}, "intents": []},
    {"text": "Where can I watch this in Brazil?", "lang": "en", "stance": "neutral", "themes": ["access", "intent"],
     "theme_polarity": {"access": "neutral", "intent": "neutral"}, "intents": ["where_to_watch"]},
    {"text": "Her character is so annoying", "lang": "en", "stance": "negative", "themes": ["characters"],
     "theme_polarity": {"characters": "negative"}, "intents": []},
    {"text": "Rewatching it for the third time", "lang": "en", "stance": "positive", "themes": ["intent"],
     "theme_polarity": {"intent": "positive"}, "intents": ["rewatch"]},
]


def test_label_errors_counts_and_instead():
    rows = [("a", ["story"], ["acting"]), ("b", ["acting"], ["acting"]), ("c", [], ["acting"]), ("d", ["acting"], [])]
    acting = next(e for e in label_errors(rows, ["acting", "story"]) if e["label"] == "acting")
    assert (acting["false_positives"], acting["false_negatives"]) == (2, 1)
    assert acting["fp_gold_instead"] == {"story": 1, "(none)": 1}
    assert acting["fn_predicted_instead"] == {"(none)": 1}


def test_pair_confusions_sorted_by_count():
    pairs = [("en", "positive", "negative", "x"), ("en", "positive", "negative", "y"),
             ("ko", "neutral", "positive", "z"), ("en", "positive", "positive", "w")]
    out = pair_confusions(pairs)
    assert [(e["group"], e["gold"], e["predicted"], e["count"]) for e in out] == [
        ("en", "positive", "negative", 2), ("ko", "neutral", "positive", 1)]


def test_theme_errors_match_the_per_label_scores():
    result = evaluate_themes(RECORDS, "themes.lexicon.v1", "sentiment.linear.v1", errors=True)
    by_label = {e["label"]: e for e in result["errors"]["themes"]}
    for label, score in result["themes"].items():
        entry = by_label.get(label, {"false_positives": 0, "false_negatives": 0})
        assert (entry["false_positives"], entry["false_negatives"]) == (score["fp"], score["fn"])
    stance_wrong = sum(e["count"] for e in result["errors"]["stance"])
    assert stance_wrong == round(result["stance_n"] * (1 - result["stance_accuracy"]))


def test_cli_eval_errors(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS), encoding="utf-8")
    for task in ("themes", "sentiment"):
        out = subprocess.run([sys.executable, "-m", "analyzer", "eval", task, str(path), "--errors"],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "worst" in out.stdout or "no errors" in out.stdout
