"""Starting Ray for ``--engine ray`` (engines/ray._start), without Ray: a stand-in module."""

import pytest

from analyzer.config import Config
from analyzer.engines.ray import _start
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
