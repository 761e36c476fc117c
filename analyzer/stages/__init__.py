"""Pipeline steps. Each is a ``Stage`` (see ``base``) with ``pipe(batches)``."""

from __future__ import annotations

from ..io.catalog import bundled  # noqa: F401  (the shipped catalog files)
from .base import Stage  # noqa: F401


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

    sentiment = SentimentStage(backend=config.models.sentiment, device=config.models.device)
    return [
        NormalizeStage(),
        DedupStage(),
        DramaLinkStage(catalog=catalog_path(config), link_by_cast=config.run.link_by_cast),
        LanguageIdStage(backend=config.models.langid),
        RegionStage(channels=channels_path(config)),
        sentiment,
        MentionStage(catalog=catalog_path(config)),
        ThemeStage(backend=config.models.themes, sentiment=sentiment.backend,
                   polarity=None if config.models.polarity.lower() == "none" else config.models.polarity),
    ]
