"""Starting Ray for ``--engine ray`` (engines/ray._start), without Ray: a stand-in module."""

import threading

import pytest

from analyzer.config import Config, RunConfig
from analyzer.engines.ray import SYSTEM_CONFIG, _readers, _start, _started, starting
from analyzer.errors import ConfigError


class TimingOutRay:
    """A stand-in for the ``ray`` module whose ``init`` fails as Ray's own start-up does when its
    raylet does not register within 30 s (a bare ``Exception``)."""

    def __init__(self) -> None:
        self.inits = 0

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs) -> None:
        self.inits += 1
        raise Exception("The current node timed out during startup. This could happen because ...\nmore")


def test_a_ray_that_does_not_start_fails_the_run_in_one_line():
    ray = TimingOutRay()
    with pytest.raises(ConfigError, match="Ray did not start on this machine .*timed out during startup") as caught:
        _start(ray, Config())
    assert "\n" not in str(caught.value) and ray.inits == 1


class RecordingRay:
    """A stand-in ``ray`` module that starts and keeps the arguments ``init`` got."""

    def __init__(self) -> None:
        self.kwargs: dict = {}

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs) -> None:
        self.kwargs = kwargs


def test_ray_started_here_gets_the_system_config_and_a_cluster_keeps_its_own():
    # Ray refuses system config when connecting ("can only be set on the head node"): only a
    # Ray the run starts itself gets it.
    here, there = RecordingRay(), RecordingRay()
    assert _start(here, Config()) is True
    _start(there, Config(run=RunConfig(engine="ray", address="auto")))
    assert here.kwargs["_system_config"] == SYSTEM_CONFIG and here.kwargs["address"] is None
    assert there.kwargs["_system_config"] is None and there.kwargs["address"] == "auto"


@pytest.mark.parametrize(("workers", "files", "readers"), [(1, 4, 1), (2, 4, 1), (3, 4, 2), (4, 4, 2), (8, 2, 2),
                                                           (32, 100, 16), (2, 1, 1)])
def test_the_read_pool_grows_to_half_the_workers_and_one_actor_per_file(workers, files, readers):
    assert _readers(workers, files) == readers


class ThreadRecordingRay:
    """A stand-in ``ray`` module that records which thread starts and shuts it down, and how often."""

    def __init__(self, fails: bool = False) -> None:
        self.up, self.fails, self.calls = False, fails, []
        self.may_start = threading.Event()

    def is_initialized(self) -> bool:
        return self.up

    def init(self, **kwargs) -> None:
        self.may_start.wait(5)
        self.calls.append(("init", threading.current_thread().name))
        if self.fails:
            raise Exception("The current node timed out during startup.\nmore")
        self.up = True

    def shutdown(self) -> None:
        self.calls.append(("shutdown", threading.current_thread().name))
        self.up = False


def test_ray_starts_on_its_own_thread_while_the_run_builds_and_the_run_takes_it_over():
    ray = ThreadRecordingRay()
    with starting(Config(run=RunConfig(engine="ray")), ray):
        assert ray.calls == []  # the caller goes on (builds its stages) while Ray starts
        ray.may_start.set()
        here = _started(ray, Config())
        assert here is not None and ray.is_initialized()
        here.stop()  # as run_ray does when it ends
        assert not ray.is_initialized()
    assert ray.calls == [("init", "analyzer-ray"), ("shutdown", "analyzer-ray")]  # once each, on Ray's thread


def test_a_run_that_fails_before_it_takes_ray_over_shuts_it_down():
    ray = ThreadRecordingRay()
    ray.may_start.set()
    with pytest.raises(KeyError):
        with starting(Config(run=RunConfig(engine="ray")), ray):
            raise KeyError("the stages did not build")
    assert [call for call, _ in ray.calls] == ["init", "shutdown"] and not ray.is_initialized()


def test_a_ray_that_does_not_start_on_its_thread_fails_the_run_in_one_line():
    ray = ThreadRecordingRay(fails=True)
    ray.may_start.set()
    with starting(Config(run=RunConfig(engine="ray")), ray):
        with pytest.raises(ConfigError, match="Ray did not start on this machine .*timed out during startup") as caught:
            _started(ray, Config())
    assert "\n" not in str(caught.value) and [call for call, _ in ray.calls] == ["init"]


def test_without_an_early_start_the_run_starts_ray_in_its_own_thread():
    ray = ThreadRecordingRay()
    ray.may_start.set()
    here = _started(ray, Config())
    here.stop()
    main = threading.current_thread().name
    assert ray.calls == [("init", main), ("shutdown", main)]


def test_a_ray_client_address_is_not_connected_to_early():
    ray = ThreadRecordingRay()
    ray.may_start.set()
    with starting(Config(run=RunConfig(engine="ray", address="ray://head:10001")), ray):
        assert ray.calls == []
        _started(ray, Config(run=RunConfig(engine="ray", address="ray://head:10001"))).stop()
    assert ray.calls == [("init", threading.current_thread().name), ("shutdown", threading.current_thread().name)]


def test_a_ray_already_running_is_used_and_left_running():
    ray = ThreadRecordingRay()
    ray.up = True
    with starting(Config(run=RunConfig(engine="ray")), ray):
        assert _started(ray, Config()) is None
    assert ray.calls == [] and ray.is_initialized()
