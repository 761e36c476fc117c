"""The benchmark-only CPU probe of the Ray actors (engines/profiling.py): off unless asked for."""

import json

from analyzer.engines.profiling import PROFILE, profiled


@profiled
class Doubler:
    def __call__(self, x):
        return 2 * x


def test_the_probe_is_off_without_its_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(PROFILE, raising=False)
    assert Doubler()(3) == 6
    assert not list(tmp_path.iterdir())


def test_the_probe_counts_calls_and_cpu_and_keeps_a_profile_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv(PROFILE, f"{tmp_path}:cprofile")
    actor = Doubler()
    assert [actor(1), actor(2)] == [2, 4]
    [record] = [json.loads(p.read_text()) for p in tmp_path.glob("Doubler-*.json")]
    assert record["role"] == "Doubler" and record["calls"] == 2
    assert record["process_cpu"] >= record["build_cpu"] >= 0 and record["call_cpu"] >= 0
    assert list(tmp_path.glob("Doubler-*.prof"))

