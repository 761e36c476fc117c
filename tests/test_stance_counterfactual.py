"""Counterfactual topic rows and the anchored correction's model folder (training/sentiment_linear/counterfactual.py)."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

pytest.importorskip("scipy")

from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.backends.text_features import to_csr
from training.sentiment_linear.counterfactual import HELD_OUT, PHRASES, ROWS, held_sets, read_rows, rows_for, write
from training.sentiment_linear.distill import write_corrected


def test_the_rows_file_is_what_write_composes(tmp_path):
    write(tmp_path / "rows.jsonl")
    assert (tmp_path / "rows.jsonl").read_bytes() == ROWS.read_bytes()


def test_every_trained_topic_meets_all_three_stances_and_held_rows_are_never_trained():
    stances = defaultdict(set)
    for r in read_rows(held_out=False):
        stances[(r["lang"], r["concept"])].add(r["stance"])
    assert stances and all(s == {"negative", "neutral", "positive"} for s in stances.values())
    assert not {c for _, c in stances} & set(HELD_OUT)
    trained = {r["text"] for r in read_rows(held_out=False)}
    sets = held_sets()
    assert all(sets.values()) and not {r["text"] for rows in sets.values() for r in rows} & trained


def test_a_topic_alone_is_neutral_and_its_theme_takes_the_frame_stance():
    table = json.loads(PHRASES.read_text(encoding="utf-8"))["en"]
    rows = rows_for("en", table)
    bare = [r for r in rows if r["text"].lower() == "the acting"]
    assert [r["stance"] for r in bare] == ["neutral"]
    assert all(r["theme_polarity"] == {"acting": r["stance"]} for r in rows if r["concept"] == "acting")


def test_a_correction_moves_exactly_the_texts_ngram_columns(tmp_path):
    shipped = LinearSentimentBackend()
    texts = ["the ending made me cry", "다음 화 언제 나와요"]  # no n-gram in common
    x = to_csr(shipped.model.featurizer.transform(texts[:1]), shipped.model.featurizer.n_features)
    columns = np.unique(x.indices)
    W = np.zeros((3, len(columns)), dtype=np.float32)
    W[0] = 0.5  # every n-gram of the first text leans negative
    write_corrected(tmp_path, columns, W, np.zeros(3, dtype=np.float32), "test", {})
    before = np.log(shipped.predict_proba(texts))
    after = np.log(LinearSentimentBackend(path=tmp_path).predict_proba(texts))
    shift = (after - after[:, [2]]) - (before - before[:, [2]])  # logits relative to positive
    assert shift[0, 0] == pytest.approx(0.5 * x.sum(), abs=0.05)
    other = set(np.unique(to_csr(shipped.model.featurizer.transform(texts[1:]), x.shape[1]).indices))
    assert not other & set(columns) and np.allclose(shift[1], 0, atol=1e-3)


def test_the_pool_rows_fit_the_shipped_model_or_a_stored_teacher():
    from training.sentiment_linear.counterfactual import anchor_targets
    from training.sentiment_linear.distill import LABELS, SHARED

    if not (SHARED / "youtube_kvariety_comments_multilingual" / "comments.jsonl").is_file() or not LABELS.is_file():
        pytest.skip("needs the shared data and the stored teacher labels")
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    hard = anchor_targets(LinearSentimentBackend(), [], "e5", hard=True)
    assert hard.shape == (len(rows), 3) and (hard.sum(1) == 1).all()
    assert (hard.argmax(1) == np.array([r["e5"] for r in rows]).argmax(1)).all()
    shipped = anchor_targets(LinearSentimentBackend(), ["the ending made me cry"], "shipped", hard=False)
    assert shipped.shape == (1, 3) and shipped.sum() == pytest.approx(1, abs=1e-5)


def test_the_full_refit_reads_only_the_trained_rows_as_their_own_fixed_weight_source():
    from training.sentiment_linear.dataset import COUNTERFACTUAL_SOURCE, Row, read_counterfactual
    from training.sentiment_linear.train import sample_weights

    rows = read_counterfactual(ROWS)
    trained = read_rows(held_out=False)
    held = {r["text"] for r in read_rows(held_out=True)}
    assert [(r.text, r.label, r.lang) for r in rows] == [(r["text"], r["stance"], r["lang"]) for r in trained]
    assert {r.source for r in rows} == {COUNTERFACTUAL_SOURCE} and not {r.text for r in rows} & held
    shared = [Row("a", "positive", "en", "xlmt_umsab_tweets"), Row("b", "negative", "en", "xlmt_umsab_tweets"),
              Row("c", "negative", "en", "xlmt_umsab_tweets")]
    w = sample_weights(shared + rows[:3], counterfactual_weight=3.0)
    assert list(w[3:]) == [3.0, 3.0, 3.0] and w[:3].mean() == pytest.approx(1.0)
    assert np.allclose(w[:3], sample_weights(shared)) and not sample_weights(shared + rows[:3])[3:].any()  # default 0


def test_a_trained_row_that_repeats_a_held_out_text_is_left_out(tmp_path):
    from training.sentiment_linear.dataset import read_counterfactual

    base = {"lang": "en", "themes": [], "theme_polarity": {}, "intents": [], "noise": False, "concept": "work"}
    rows = [{**base, "text": "This drama", "stance": "neutral", "new_frame": False, "held_out": False},
            {**base, "text": "I loved this drama.", "stance": "positive", "new_frame": False, "held_out": False},
            {**base, "text": "I loved this drama.", "stance": "positive", "new_frame": True, "held_out": True}]
    path = tmp_path / "cf.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [r.text for r in read_counterfactual(path)] == ["This drama"]
