"""The demo sample: written by make_samples.py (deterministic), big and varied enough to show
differences, and read the way it was meant by the default models."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from analyzer.runner import build_pipeline, resolve_config
from analyzer.schema import Comment

# (language, template key, the stance and theme it was written to carry)
HANDFUL = [
    ("en", "romance+", "positive", "romance"), ("es", "acting+", "positive", "acting"),
    ("pt", "music+", "positive", "music"), ("fr", "subtitles-", "negative", "subtitles"),
    ("vi", "production+", "positive", "production"), ("th", "music+", "positive", "music"),
    ("id", "romance+", "positive", "romance"), ("tl", "production-", "negative", "production"),
    ("ja", "acting+", "positive", "acting"), ("ko", "story-", "negative", "story"),
    ("zh", "production-", "negative", "production"), ("ar", "music+", "positive", "music"),
]
SLOTS = {"title": "Hidden Love", "actor": "Zhao Lusi", "character": "Duan Jiaxu", "couple": "Zhizhi & Duan Jiaxu",
         "ep": 12, "eps": 25}


@pytest.fixture
def make_samples(monkeypatch, samples):
    monkeypatch.syspath_prepend(str(samples))
    import make_samples

    return make_samples


def test_demo_file_is_what_make_samples_writes(make_samples, samples):
    shipped = (samples / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.dumps(r, ensure_ascii=False) for r in make_samples.demo_rows()] == shipped


def test_demo_is_big_and_varied(make_samples, samples):
    rows = make_samples.demo_rows()
    assert len(rows) >= 2500
    assert len({r["drama"] for r in rows}) == 7
    assert len({r["author"] for r in rows}) >= 1000
    assert len({m[1] for m in make_samples.MARKETS}) >= 12  # languages
    weeks = Counter(r["created_at"][:7] for r in rows)
    assert len(weeks) >= 3  # months
    catalog = (samples.parent / "catalog" / "dramas.csv").read_text(encoding="utf-8")
    assert all(drama in catalog for drama in make_samples.DRAMAS)


@pytest.mark.parametrize(("lang", "key", "stance", "theme"), HANDFUL)
def test_sample_clauses_read_as_written_with_the_default_models(make_samples, lang, key, stance, theme):
    text = make_samples.CLAUSES[lang][key][0].format(**SLOTS)
    [out] = list(_pipeline().pipe([Comment(id="t", text=text, drama="Hidden Love")]))
    assert out.sentiment == stance, text
    assert theme in out.themes, text


_PIPELINE = []


def _pipeline():
    if not _PIPELINE:
        _PIPELINE.append(build_pipeline(resolve_config(None)))
    return _PIPELINE[0]
