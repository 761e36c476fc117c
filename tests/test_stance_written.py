"""The s12 written stance rows (data/trainsets/stance_written_s12.jsonl): format, reading, weighting."""

from __future__ import annotations

import json
from collections import Counter

from training.common import loose_key, proxy_keys
from training.sentiment_linear.dataset import STANCE_WRITTEN, STANCE_WRITTEN_SOURCE, Row, read_stance_written
from training.sentiment_linear.train import sample_weights


def test_the_file_holds_three_class_rows_in_the_languages_it_was_written_for():
    rows = [json.loads(line) for line in STANCE_WRITTEN.read_text(encoding="utf-8").splitlines()]
    assert rows and all(set(r) == {"text", "lang", "stance", "kind"} and r["text"].strip() for r in rows)
    assert len({r["text"] for r in rows}) == len(rows)
    by_lang = Counter((r["lang"], r["stance"]) for r in rows)
    for lang in ("it", "pt", "de", "es", "fr", "ar", "ko", "zh"):
        assert all(by_lang[(lang, s)] >= 20 for s in ("negative", "neutral", "positive")), lang


def test_no_written_row_is_a_drama_proxy_row():
    proxy = proxy_keys()
    assert not [r.text for r in read_stance_written() if loose_key(r.text) in proxy]


def test_rows_are_read_as_their_own_source_and_weighted_per_row(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"text": "Bof, c'est moyen", "lang": "fr", "stance": "neutral", "kind": "everyday"}) + "\n",
                    encoding="utf-8")
    written = read_stance_written(path)
    assert [(r.text, r.label, r.lang, r.source) for r in written] == [("Bof, c'est moyen", "neutral", "fr", STANCE_WRITTEN_SOURCE)]
    shared = [Row("a", "positive", "fr", "xlmt_umsab_tweets"), Row("b", "negative", "fr", "xlmt_umsab_tweets")]
    w = sample_weights(shared + written, stance_written_weight=7.0)
    assert w[-1] == 7.0 and abs(w[:2].mean() - 1.0) < 1e-9
    assert sample_weights(shared + written, stance_written_weight=0.0)[-1] == 0.0
