"""A run that starts Ray itself spreads its end phase (aggregation, reports) over forked processes
once Ray is shut down, as the local engine does after its workers stop: the local run's results;
and ``engines.ray.end_spread`` forks only where that is safe (no Ray session, no other Python
thread, no torch, two CPUs or more)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install 'resonance-analyzer[ray]')")

import analyzer  # noqa: E402
import analyzer.engines.ray as ray_engine  # noqa: E402
from analyzer.engines.forked import forked_map  # noqa: E402
from tests.ray_corpus import write_corpus  # noqa: E402
from tests.test_engine_ray import CONFIG, assert_same_outputs  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked shares need os.fork")
ROOT = Path(__file__).resolve().parent.parent
# A fresh process (no Ray session or thread left by other tests) runs the Ray job, noting the pid
# that computes each share of each map call.
RAY_RUN = """
import json, os, sys
import analyzer, analyzer.engines.ray as ray_engine
from analyzer.engines.forked import forked_map
inputs, out, pids, config = sys.argv[1].split(os.pathsep), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
calls = []

def note(fn, share):
    with open(pids, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\\n")
    return fn(share)

def recorded(fn, shares):
    calls.append(len(shares))
    return forked_map(lambda share: note(fn, share), shares)

ray_engine.available_cpus = lambda: 2
ray_engine.forked_map = recorded
analyzer.run(inputs, out, config=config, engine="ray", num_workers=2)
import ray
print(json.dumps({"calls": calls, "pid": os.getpid(), "ray_up": ray.is_initialized()}))
"""


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(ray_engine, "available_cpus", lambda: 2)
    monkeypatch.setattr(ray_engine, "uses_torch", lambda: False)  # an earlier test may have imported torch
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: False))


def test_the_end_phase_is_forked_after_ray_shut_down(two_cpus, monkeypatch):
    monkeypatch.setattr(ray_engine, "_alone", lambda: True)
    assert ray_engine.end_spread(2) == (2, forked_map) and ray_engine.end_spread(8) == (2, forked_map)


def test_not_forked_with_one_worker_a_live_ray_another_thread_or_torch(two_cpus, monkeypatch):
    monkeypatch.setattr(ray_engine, "_alone", lambda: True)
    assert ray_engine.end_spread(1) is None
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: True))  # e.g. ray.init by the caller
    assert ray_engine.end_spread(2) is None
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(is_initialized=lambda: False))
    monkeypatch.setattr(ray_engine, "uses_torch", lambda: True)
    assert ray_engine.end_spread(2) is None
    monkeypatch.undo()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not ray_engine._alone()
    finally:
        stop.set()
        other.join()


def test_a_run_that_starts_ray_spreads_its_end_phase_with_the_local_results(tmp_path):
    inputs = write_corpus(tmp_path / "corpus", n=4_000, files=2)
    analyzer.run(inputs, tmp_path / "local", config={**CONFIG, "run": {"workers": 2}})
    pids = tmp_path / "pids"
    done = subprocess.run([sys.executable, "-c", RAY_RUN, os.pathsep.join(map(str, inputs)), str(tmp_path / "ray"),
                           str(pids), json.dumps(CONFIG)], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert not got["ray_up"] and got["calls"] and set(got["calls"]) == {2}  # the passes and the report writes
    noted = pids.read_text().split()  # each call: share 1 here, share 2 in a child (none computed twice)
    assert len(noted) == 2 * len(got["calls"]) and noted.count(str(got["pid"])) == len(got["calls"])
    assert_same_outputs(tmp_path / "local", tmp_path / "ray")
