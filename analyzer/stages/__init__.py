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
    """normalize -> dedup -> link -> langid -> region -> sentiment -> mentions -> themes.

    Mentions run before themes so that a named actor adds `acting` and a named
    character adds `characters`."""
    from .dedup import DedupStage
    from .langid import LanguageIdStage
    from .link import DramaLinkStage
    from .mentions import MentionStage
    from .normalize import NormalizeStage
    from .region import RegionStage
    from .sentiment import SentimentStage
    from .themes import ThemeStage
    from ..backends.embedding import Embedders

    embedders = Embedders(device=config.models.device)  # every e5 head of the run gets the same encoder (one pass per batch)
    sentiment = SentimentStage(backend=config.models.sentiment, device=config.models.device, embedders=embedders)
    return [
        NormalizeStage(),
        DedupStage(),
        DramaLinkStage(catalog=catalog_path(config), link_by_cast=config.run.link_by_cast),
        LanguageIdStage(backend=config.models.langid),
        RegionStage(channels=channels_path(config)),
        sentiment,
        MentionStage(catalog=catalog_path(config)),
        ThemeStage(backend=config.models.themes, sentiment=sentiment.backend, embedders=embedders,
                   polarity=None if config.models.polarity.lower() == "none" else config.models.polarity),
    ]
