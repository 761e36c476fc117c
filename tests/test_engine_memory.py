"""The Ray engine's memory helpers: handing freed memory back between replayed blocks
changes no decision, and the benchmark-only probe writes its checkpoints as JSON."""

from __future__ import annotations

import json
import tracemalloc

from analyzer.engines.memory import MemoryProbe, release_free_memory
from analyzer.engines.rows import CHUNK, ReplayStep, Stages, prepare, store_prepared
from analyzer.io import ReadContext, read_comments
from analyzer.io.pseudonym import Pseudonymizer
from analyzer.runner import build_pipeline
from tests.ray_corpus import write_corpus


def _replay(keys, release: bool) -> list:
    step, out = ReplayStep(Stages(build_pipeline())), []
    for block in keys:
        replayed = step(block)
        out.append((replayed.ranges, replayed.decisions, [r.to_dict() for r in replayed.rejects], replayed.summaries))
        if release:
            release_free_memory()
    return out


def test_releasing_free_memory_between_blocks_changes_no_decision(tmp_path):
    paths = write_corpus(tmp_path / "corpus", n=3_000, files=2)
    items = list(read_comments(paths, ReadContext(pseudonymize=Pseudonymizer("memory-test-key"))))
    stages = Stages(build_pipeline())
    keys = [store_prepared(tmp_path / "kept", prepare(0, start, items[start:start + CHUNK // 4], stages))
            for start in range(0, len(items), CHUNK // 4)]
    plain, released = _replay(keys, release=False), _replay(keys, release=True)
    assert released == plain
    assert sum(len(decisions) for _, decisions, _, _ in plain) > 0  # some duplicates or parent links decided


def test_memory_probe_writes_json_checkpoints(tmp_path):
    probe = MemoryProbe(str(tmp_path), "ReplayActor", every=2)
    try:
        kept = []
        for _ in range(4):
            kept.append(bytearray(64 * 1024))  # a site of at least 16 KiB
            probe.called()
    finally:
        tracemalloc.stop()
    points = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("ReplayActor-*.json"))]
    assert [p["call"] for p in points] == [2, 4]
    assert points[1]["traced_bytes"] >= 4 * 64 * 1024 and points[1]["uss_bytes"] > 0
    assert any(site.endswith("test_engine_memory.py:" + str(_line_of("bytearray(64"))) for site in points[1]["sites"])


def _line_of(text: str) -> int:
    with open(__file__, encoding="utf-8") as source:
        return next(i for i, line in enumerate(source, 1) if text in line and "_line_of" not in line)


def test_upkeep_releases_every_n_calls_and_probes_only_when_asked(monkeypatch, tmp_path):
    import analyzer.engines.memory as memory

    released = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: released.append(True))
    plain = memory.Upkeep(None, "ReadActor", trace_every=16, release_every=4)
    for _ in range(9):
        plain.called()
    assert len(released) == 2 and plain.probe is None
    traced = memory.Upkeep(str(tmp_path), "ReplayActor", trace_every=2, release_every=4)
    try:
        for _ in range(4):
            traced.called()
    finally:
        tracemalloc.stop()
    assert len(released) == 3 and len(list(tmp_path.glob("ReplayActor-*.json"))) == 2


class _Blocks:
    """What ``_merge`` reads from Ray Data: rows of (replayed, accumulator, tally, summaries, kept files)."""

    def __init__(self, states: list) -> None:
        self.states = states

    def iter_rows(self):
        for state in self.states:
            yield {"state": state}


def test_the_drivers_merge_releases_every_n_blocks_and_keeps_the_merged_counts(monkeypatch, tmp_path):
    import analyzer.engines.memory as memory
    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.config import config_from_dict
    from analyzer.engines.ray import RELEASE_EVERY, _merge
    from analyzer.engines.rows import Replayed
    from analyzer.io import ReadStats
    from analyzer.runner import Tally

    released = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: released.append(True))
    blocks = 2 * RELEASE_EVERY + 1
    states = [(Replayed([], {}), ResonanceAccumulator(), {"unlinked": 0, "noise": 1, "duplicates": 2,
                                                           "unlinked_by_reason": {}}, {}, []) for _ in range(blocks)]
    upkeep = memory.Upkeep(None, "driver", trace_every=16, release_every=RELEASE_EVERY)
    merged = _merge(_Blocks(states), tmp_path, config_from_dict(None), ReadStats(), ResonanceAccumulator(), Tally,
                    upkeep)
    assert merged.blocks == blocks and upkeep.calls == blocks and len(released) == 2
    assert merged.tally.counts["noise"] == blocks and merged.tally.counts["duplicates"] == 2 * blocks


def test_bound_heap_applies_where_there_is_glibc_and_is_a_no_op_elsewhere(monkeypatch):
    import platform

    import analyzer.engines.memory as memory

    assert memory.bound_heap() is (platform.libc_ver()[0] == "glibc")
    monkeypatch.setattr(memory, "_libc", lambda name: None)  # macOS, musl, Windows
    assert memory.bound_heap() is False
    memory.release_free_memory()  # and handing memory back still works (Arrow's pool alone)


def test_run_bounds_the_heap_and_hands_memory_back_in_the_stream_and_before_each_end_phase(monkeypatch, tmp_path):
    import analyzer.engines.memory as memory
    from analyzer import runner
    from tests.conftest import SAMPLES

    calls = []
    monkeypatch.setattr(runner, "bound_heap", lambda: calls.append("bound") or True)
    monkeypatch.setattr(runner, "release_free_memory", lambda: calls.append("phase"))
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append("stream"))
    monkeypatch.setattr(runner, "RELEASE_EVERY", 1)
    summary = runner.run([str(SAMPLES / "comments_mixed.jsonl")], tmp_path / "out", config={"run": {"batch_size": 16}})
    assert summary.reconciles and calls[0] == "bound"
    assert calls[-2:] == ["phase", "phase"]  # before the result, before the reports
    assert calls.count("stream") == -(-summary.counts["accepted"] // 16)  # one per batch merged


def test_a_ray_actor_settles_its_process_as_the_local_workers_are(monkeypatch):
    import gc

    import analyzer.engines.ray as engine
    from analyzer.defaults import GC_THRESHOLDS

    calls = []
    monkeypatch.setattr(engine, "bound_heap", lambda: calls.append("bound") or True)
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        engine._settle()
        assert calls == ["bound"] and gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() >= frozen  # what the actor built is out of the collector's passes
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
