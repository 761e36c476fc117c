"""A run that starts Ray itself spreads its end phase (aggregation, reports) over forked processes
once Ray is shut down, as the local engine does after its workers stop: the local run's results;
and ``engines.ray.end_spread`` forks only where that is safe (no Ray session, no other Python
thread, no torch, two CPUs or more)."""

from __future__ import annotations

import os
import sys
import threading
from types import SimpleNamespace

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'resonance-analyzer[ray]')")

import analyzer  # noqa: E402
import analyzer.engines.ray as ray_engine  # noqa: E402
from analyzer.engines.forked import forked_map  # noqa: E402
from tests.ray_corpus import write_corpus  # noqa: E402
from tests.test_engine_ray import CONFIG, assert_same_outputs  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked shares need os.fork")


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(ray_engine, "available_cpus", lambda: 2)
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: False))


def test_the_end_phase_is_forked_after_ray_shut_down(two_cpus):
    assert ray_engine.end_spread(2) == (2, forked_map) and ray_engine.end_spread(8) == (2, forked_map)


def test_not_forked_with_one_worker_a_live_ray_another_thread_or_torch(two_cpus, monkeypatch):
    assert ray_engine.end_spread(1) is None
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: True))  # e.g. ray.init by the caller
    assert ray_engine.end_spread(2) is None
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: False))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert ray_engine.end_spread(2) is None
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(ray_engine, "uses_torch", lambda: True)
    assert ray_engine.end_spread(2) is None


def test_a_run_that_starts_ray_spreads_its_end_phase_with_the_local_results(tmp_path, monkeypatch):
    if ray.is_initialized():
        pytest.skip("a Ray session is already up in this process: the run would not start its own")
    inputs = write_corpus(tmp_path / "corpus", n=4_000, files=2)
    analyzer.run(inputs, tmp_path / "local", config={**CONFIG, "run": {"workers": 2}})
    calls, pids = [], tmp_path / "pids"

    def recorded(fn, shares):
        calls.append(len(shares))
        return forked_map(lambda share: (_note_pid(pids), fn(share))[1], shares)

    monkeypatch.setattr(ray_engine, "available_cpus", lambda: 2)
    monkeypatch.setattr(ray_engine, "forked_map", recorded)
    analyzer.run(inputs, tmp_path / "ray", config=CONFIG, engine="ray", num_workers=2)
    assert not ray.is_initialized() and calls and set(calls) == {2}  # the passes and the report writes
    noted = pids.read_text().split()
    assert len(noted) == 2 * len(calls) and len(set(noted) - {str(os.getpid())}) == len(calls)  # each share 2 in a child
    assert_same_outputs(tmp_path / "local", tmp_path / "ray")
    for name in ("report.md", "resonance.json"):
        assert (tmp_path / "ray" / name).stat().st_size > 0


def _note_pid(path) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\n")
