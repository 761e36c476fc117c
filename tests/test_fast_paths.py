"""The fast paths (single-scan cue matching, batched MinHash, ftfy shortcut, slot copies,
vectorized theme heads) give exactly what the reference implementations give; runs record
per-stage timings; the progress bar knows its total."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.config import Config
from analyzer.io import ReadContext, read_comments
from analyzer.progress import estimate_records
from analyzer.runner import _progress, build_pipeline, run
from analyzer.schema import Comment
from analyzer.stages.dedup import MinHasher
from analyzer.text.matching import fold

from .fast_path_reference import reference_find, reference_signature, use_reference_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [str(ROOT / "data/samples/comments_mixed.jsonl"), str(ROOT / "data/samples/platform_export.csv")]

# Written for these tests: cues, blockers, negations and mixed scripts in several languages.
TEXTS = [
    ("The OST is amazing but the ending ruined the whole story for me", "en"),
    ("can't wait for episode 12!! where can I watch it with english subtitles?", "en"),
    ("I don't recommend it, dropped after ep 3. story of my life lol", "en"),
    ("Xiao Zhan's acting 😭😭 #TheUntamed rewatching for the 5th time", "en"),
    ("연기 너무 잘하고 OST 최고인데 결말이 아쉽지만 재밌게 봤어요", "ko"),
    ("剧情拖沓，但是演员演技很好，配乐也好听", "zh"),
    ("หนังสนุกมาก แต่ตอนจบไม่ชอบเลย ซับไทยดีมาก", "th"),
    ("Phim hay quá, diễn viên đẹp, nhạc phim hay nhưng kết thúc buồn. phu de tieng viet o dau?", "vi"),
    ("Dramanya bagus banget, nonton di mana ya? subtitle indonesia ada?", "id"),
    ("最終回まで一気見した！でも字幕が遅い", "ja"),
    ("La trama es lenta pero la química entre los protagonistas es increíble", "es"),
    ("first!!", "en"),
    ("12:34", None),
    ("check my channel for more edits https://example.com/x", "en"),
    ("", None),
]


@pytest.fixture(scope="module")
def lexicon():
    return LexiconThemeBackend(threshold=0.4)


@pytest.mark.parametrize("lang", ["en", "ko", "zh", "th", "vi", "id", "ja", "es"])
def test_single_scan_find_matches_reference(lexicon, lang):
    matcher, _ = lexicon._matcher(lang)
    for text, _ in TEXTS:
        low = fold(text)
        assert matcher.find(low) == reference_find(matcher, low), text


def test_batched_minhash_matches_reference():
    hasher = MinHasher(32)
    texts = [fold(t) for t, _ in TEXTS if len(t) >= 4] + ["👨\u200d👩\u200d👧" * 3 + "é" * 5]
    batch = hasher.signatures(texts)
    assert np.array_equal(batch, np.stack([reference_signature(hasher, t) for t in texts]))
    assert np.array_equal(hasher.signature("ab"), reference_signature(hasher, "ab"))
    hasher.CHUNK_GRAMS = 7  # many chunks, some of one text longer than a chunk: the same signatures
    assert np.array_equal(hasher.signatures(texts), batch)


def _annotated(comments):
    pipeline = build_pipeline(Config())
    return [c for batch in pipeline.batches(comments) for c in batch]


def test_pipeline_annotations_match_reference_paths(monkeypatch):
    comments = [c for c in read_comments(SAMPLES, ReadContext()) if isinstance(c, Comment)]
    comments += [Comment(id=f"t{i}", text=text, extra={"lang": lang} if lang else {}, drama="The Untamed")
                 for i, (text, lang) in enumerate(TEXTS)]
    comments += [c.with_(id=c.id + "-copy") for c in comments[:5]]  # duplicates for dedup
    fast = _annotated(comments)
    with monkeypatch.context() as patched:
        use_reference_paths(patched)
        slow = _annotated(comments)
    assert len(fast) == len(slow) == len(comments)
    assert fast == slow
    assert any(c.themes for c in fast) and any(c.duplicate_of for c in fast) and any(c.noise for c in fast)


def test_run_records_timings_per_stage(tmp_path):
    summary = run(SAMPLES, tmp_path / "out", config=Config())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    timings = manifest["timings"]
    assert set(timings["per_stage"]) == set(build_pipeline(Config()).names)
    assert {"read", "stages", "load", "write", "aggregate", "report", "total"} <= set(timings)
    assert all(v >= 0 for k, v in timings.items() if k not in ("per_stage", "started_at"))
    assert timings["total"] >= timings["stages"] >= max(timings["per_stage"].values())
    assert summary.timings == timings


def test_cli_profile_prints_the_table(tmp_path, capsys):
    from analyzer.cli import main

    assert main(["run", *SAMPLES, "-o", str(tmp_path / "out"), "-q", "--profile"]) == 0
    err = capsys.readouterr().err
    assert "phase/stage" in err and "themes" in err and "total" in err


def test_estimate_records(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}', encoding="utf-8")
    (tmp_path / "b.csv").write_text("text\nx\ny\n", encoding="utf-8")
    (tmp_path / "c.xml").write_text("<x/>", encoding="utf-8")
    assert estimate_records([str(tmp_path / "a.jsonl"), str(tmp_path / "b.csv")]) == 5
    assert estimate_records([str(tmp_path / "c.xml")]) is None
    assert estimate_records(["-"]) is None


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_total_only_on_a_terminal(monkeypatch):
    items = list(range(5))
    assert _progress(items, True, "run", total=5) is items  # stderr is not a terminal under pytest
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    assert list(_progress(items, True, "run", total=5)) == items
    assert "5/5" in fake.getvalue() and "run" in fake.getvalue()
    assert _progress(items, False, "run", total=5) is items  # --quiet
