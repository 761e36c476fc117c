"""Starting Ray for ``--engine ray`` (engines/ray._start), without Ray: a stand-in module."""

import pytest

from analyzer.config import Config, RunConfig
from analyzer.engines.ray import SYSTEM_CONFIG, _readers, _start
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


class RefusingCluster(TimingOutRay):
    """A stand-in ``ray`` whose ``init`` fails as Ray 2.60's does when the cluster (``ray start``,
    token authentication on) refuses a driver that sent no token: the refusal is only in the
    cause's text, the error itself names the address."""

    def init(self, **kwargs) -> None:
        self.inits += 1
        try:
            raise RuntimeError("Failed to connect to GCS. Last connection error: Traceback (most recent call last):\n"
                               "ray.exceptions.AuthenticationError: RPC error: InvalidAuthToken: Authentication token "
                               "is missing or incorrect.")
        except RuntimeError as exc:
            raise ConnectionError(f"Failed to connect to Ray cluster at {kwargs['address']}") from exc


def test_a_cluster_that_refuses_the_token_says_how_to_send_it():
    with pytest.raises(ConfigError, match="Cannot start or reach Ray at 10.0.0.1:6379 .the cluster refused this "
                                          "driver's token: set RAY_AUTH_MODE=token") as caught:
        _start(RefusingCluster(), Config(run=RunConfig(engine="ray", address="10.0.0.1:6379")))
    assert "\n" not in str(caught.value)


def test_a_cluster_out_of_reach_keeps_rays_reason_in_one_line():
    class Unreachable(TimingOutRay):
        def init(self, **kwargs) -> None:
            raise ConnectionError(f"Failed to connect to Ray cluster at {kwargs['address']}\nsecond line")

    with pytest.raises(ConfigError, match=r"at auto \(Failed to connect to Ray cluster at auto\); check --address"):
        _start(Unreachable(), Config(run=RunConfig(engine="ray", address="auto")))


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
