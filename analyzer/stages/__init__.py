"""Pipeline steps. Each is a ``Stage`` (see ``base``) with ``pipe(batches)``."""

from __future__ import annotations

from ..io.catalog import bundled  # noqa: F401  (the shipped catalog files)
from .base import Stage  # noqa: F401


def catalog_path(config) -> str:
    return config.run.catalog or bundled("dramas.csv")


def channels_path(config) -> str:
    return config.run.channels or bundled("channels.csv")


def default_stages(config) -> list[Stage]:
    """The stages of ``config`` (``[pipeline] stages``, by default normalize -> dedup -> link
    -> langid -> region -> sentiment -> mentions -> themes), built by ``build.build_stages``."""
    from .build import build_stages

    return build_stages(config)
