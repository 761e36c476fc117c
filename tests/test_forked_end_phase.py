"""The end phase spread over forked processes (``engines.forked``, ``build_result``'s and
``write_reports``' ``spread``): the same result and files as one process, a failed child's
share computed by the parent, and no child left behind when the parent fails."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from analyzer.aggregate import ResonanceAccumulator
from analyzer.aggregate.result import split_by_size
from analyzer.engines.forked import forked_map
from analyzer.report import write_reports
from tests.test_aggregate import mk

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked shares need os.fork")


def comments(n: int = 1500) -> list:
    return [mk(f"u{i % 71}", ("positive", "neutral", "negative")[i % 3], drama=f"D{i % 4}",
               region=("VN", "TH", "US")[i % 3], themes=("story",) if i % 4 else ("acting", "music"),
               pol={"story": "negative"} if i % 5 == 0 else None, likes=i % 7, day=i % 23,
               lang=("vi", "th", "en")[i % 3])
            for i in range(n)]


def test_forked_map_answers_in_order_the_first_share_here_the_others_in_children():
    answers = forked_map(lambda share: (share * 10, os.getpid()), [1, 2, 3])
    assert [a for a, _ in answers] == [10, 20, 30]
    pids = [pid for _, pid in answers]
    assert pids[0] == os.getpid() and os.getpid() not in pids[1:] and len(set(pids)) == 3


def test_a_failed_child_has_its_share_computed_here():
    parent = os.getpid()

    def fn(share):
        if os.getpid() != parent and share == "b":
            raise RuntimeError("a child's failure")
        return share.upper(), os.getpid()

    assert forked_map(fn, ["a", "b", "c"])[:2] == [("A", parent), ("B", parent)]


def test_a_failing_parent_stops_its_children(tmp_path):
    parent = os.getpid()
    mark = tmp_path / "child.pid"

    def fn(share):
        if os.getpid() == parent:
            while not mark.exists():  # the child is running
                time.sleep(0.01)
            raise KeyboardInterrupt
        mark.write_text(str(os.getpid()))
        time.sleep(60)

    with pytest.raises(KeyboardInterrupt):
        forked_map(fn, [0, 1])
    with pytest.raises(ProcessLookupError):  # killed and waited for: no such process any more
        os.kill(int(mark.read_text()), 0)


@pytest.mark.parametrize("shares", [2, 3])
def test_spread_result_is_the_one_process_result(monkeypatch, tmp_path, shares):
    """Spilled rows (read by parent and children beside each other), every window, bootstrap on."""
    from analyzer.aggregate import state

    monkeypatch.setattr(state, "SPILL_ROWS", 50)
    monkeypatch.setattr(state, "MIN_COMPACT", 7)
    records = comments()
    acc = ResonanceAccumulator({"bootstrap": 60})
    with acc.spilling(tmp_path):
        for i in range(0, len(records), 64):
            acc.merge(ResonanceAccumulator({"bootstrap": 60}).update(records[i:i + 64]))
        assert any(cell._spilled for cell in acc._cells.values())
        one = acc.result()
        spread = acc.result(spread=(shares, forked_map))
    assert len(one.cells) > 20
    assert spread.to_rows() == one.to_rows()
    assert spread.theme_rows() == one.theme_rows()
    assert spread.quote_rows() == one.quote_rows()
    assert list(spread.sums) == list(one.sums)  # the order pooled() sums them in
    assert all(np.array_equal(a, b) for k in one.sums for a, b in zip(one.sums[k], spread.sums[k]))
    assert spread.pooled(region="VN") == one.pooled(region="VN")


def test_spread_reports_are_the_same_files(tmp_path, sample_manifest):
    result = ResonanceAccumulator({"bootstrap": 40}).update(comments(600)).result()
    one = write_reports(result, tmp_path / "one", sample_manifest)
    two = write_reports(result, tmp_path / "two", sample_manifest, spread=(2, forked_map))
    assert list(two) == list(one)
    for name, path in one.items():
        assert two[name].read_bytes() == path.read_bytes(), name
    assert not list((tmp_path / "two").rglob("*.tmp"))


def test_shares_are_balanced_by_size_and_keep_the_items_order():
    shares = split_by_size(list("abcdef"), [9, 1, 1, 5, 3, 1], 2)
    assert shares == [["a", "c"], ["b", "d", "e", "f"]]  # loads 10 and 10
    assert split_by_size(["x"], [1.0], 3) == [["x"]]
    assert split_by_size([], [], 2) == [[]]


@pytest.mark.skipif(sys.platform != "linux", reason="the workers fork on Linux")
def test_a_run_spreads_its_end_phase_only_over_forked_workers(monkeypatch):
    from analyzer.config import config_from_dict
    from analyzer.engines import workers as engine_workers

    monkeypatch.setattr(engine_workers, "available_cpus", lambda: 2)
    pool = engine_workers.WorkerPool(config_from_dict({"run": {"workers": 3}}), ["themes"], 3)
    assert pool.end_spread() is None  # not started: nothing forked
    pool.forked = True
    assert pool.end_spread() == (2, forked_map)  # one share per CPU, at most
    pool.workers = 1
    assert pool.end_spread() is None
