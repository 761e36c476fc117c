"""Starting Ray for ``--engine ray`` (engines/ray._start), without Ray: a stand-in module."""

import pytest

from analyzer.config import Config
from analyzer.engines.ray import START_TRIES, _start
from analyzer.errors import ConfigError


class FlakyRay:
    """A stand-in for the ``ray`` module whose ``init`` times out ``fails`` times, as Ray's own
    start-up does when its raylet does not register within 30 s."""

    def __init__(self, fails: int) -> None:
        self.fails, self.inits, self.shutdowns = fails, 0, 0

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs) -> None:
        self.inits += 1
        if self.inits <= self.fails:
            raise Exception("The current node timed out during startup. This could happen because ...")

    def shutdown(self) -> None:
        self.shutdowns += 1


def test_ray_start_is_tried_again_after_its_startup_timeout_and_fails_in_one_line():
    ray = FlakyRay(fails=START_TRIES - 1)
    assert _start(ray, Config()) is True and ray.inits == START_TRIES and ray.shutdowns == START_TRIES - 1
    with pytest.raises(ConfigError, match="Ray did not start on this machine after") as caught:
        _start(FlakyRay(fails=START_TRIES), Config())
    assert "\n" not in str(caught.value)
