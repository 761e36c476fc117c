"""Pipeline steps. Each is a ``Stage`` (see ``base``) with ``pipe(batches)``."""

from __future__ import annotations

from pathlib import Path

from .base import Stage  # noqa: F401

_PACKAGE = Path(__file__).resolve().parent.parent
# The catalog lives in the repository's data/catalog/; analyzer/_data/catalog links to it,
# so a wheel carries a copy.
CATALOG_DIRS = (_PACKAGE / "_data" / "catalog", _PACKAGE.parent / "data" / "catalog")


def bundled(name: str) -> str:
    for folder in CATALOG_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return str(CATALOG_DIRS[-1] / name)


def catalog_path(config) -> str:
    return config.run.catalog or bundled("dramas.csv")


def channels_path(config) -> str:
    return config.run.channels or bundled("channels.csv")


def default_stages(config) -> list[Stage]:
    """The stages of ``config`` (``[pipeline] stages``, by default normalize -> dedup -> link
    -> langid -> region -> sentiment -> mentions -> themes), built by ``build.build_stages``."""
    from .build import build_stages

    return build_stages(config)
