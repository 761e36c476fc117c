"""The config builds the stages: ``[pipeline] stages`` names them in order, each
``[stages.<name>]`` table holds its constructor keywords, and ``[models.<kind>]`` the
backends, each built once and handed to every stage that uses it (``Pipeline.from_config``)."""

from __future__ import annotations

import inspect
from typing import Any

from ..config import Config
from ..errors import ConfigError
from ..registry import select_backend
from .base import Stage


def stage_classes() -> dict[str, type[Stage]]:
    """Stage name (as in ``[pipeline] stages``) -> class."""
    from .dedup import DedupStage
    from .langid import LanguageIdStage
    from .link import DramaLinkStage
    from .mentions import MentionStage
    from .normalize import NormalizeStage
    from .region import RegionStage
    from .sentiment import SentimentStage
    from .themes import ThemeStage

    return {c.name: c for c in (NormalizeStage, DedupStage, DramaLinkStage, LanguageIdStage, RegionStage,
                                SentimentStage, MentionStage, ThemeStage)}


# Keywords a stage takes from another part of the config, not from its [stages.<name>] table.
WIRED = {
    "link": {"catalog": "[run] catalog", "link_by_cast": "[run] link_by_cast"},
    "langid": {"backend": "[models.langid]"},
    "region": {"channels": "[run] channels"},
    "sentiment": {"backend": "[models.sentiment]", "device": "[models] device", "embedders": "the run's one embedder pool"},
    "mentions": {"catalog": "[run] catalog"},
    "themes": {"backend": "[models.themes]", "sentiment": "[models.sentiment]", "polarity": "[models.polarity]",
               "embedders": "the run's one embedder pool"},
}


def stage_keywords(cls: type[Stage]) -> list[str]:
    """The keywords a ``[stages.<name>]`` table may set for ``cls``."""
    params = inspect.signature(cls.__init__).parameters
    wired = WIRED.get(cls.name, {})
    return [p for p in params if p != "self" and p not in wired]


def check_stage_table(name: str, cls: type[Stage], table: dict[str, Any]) -> None:
    for key in table:
        if key in WIRED.get(name, {}):
            raise ConfigError(f"'{key}' of [stages.{name}] comes from {WIRED[name][key]}; set it there.")
    unknown = sorted(set(table) - set(stage_keywords(cls)))
    if unknown:
        raise ConfigError(f"Unknown key {unknown[0]!r} in [stages.{name}]; valid keys: "
                          f"{', '.join(stage_keywords(cls)) or '(none)'}.")


class Models:
    """Each ``[models.<kind>]`` backend, built on first use and then shared by reference; every
    head that embeds gets its encoder from the one ``Embedders`` pool (one e5 pass per batch)."""

    def __init__(self, config: Config, languages: Any = None) -> None:
        from ..backends.embedding import Embedders

        self.config, self.languages, self.built = config, languages, {}
        self.embedders = Embedders(device=config.models.device)

    def __getitem__(self, kind: str) -> Any:
        if kind not in self.built:
            name = getattr(self.config.models, kind)
            kwargs = {"device": self.config.models.device, "embedders": self.embedders,
                      **self.config.models.settings.get(kind, {})}
            if kind == "polarity" and name.lower() == "none":
                self.built[kind] = None
            else:
                if kind == "langid" and self.languages is not None:
                    kwargs = {"languages": tuple(self.languages), **kwargs}
                self.built[kind] = select_backend(name, kind, **kwargs)
        return self.built[kind]


def build_stages(config: Config) -> list[Stage]:
    """The stages of ``[pipeline] stages``, in order, from the config."""
    _load_early(config)
    classes = stage_classes()
    languages = config.stages.get("langid", {}).get("languages")
    if languages is None:
        from .langid import DEFAULT_LANGUAGES

        languages = DEFAULT_LANGUAGES
    models = Models(config, languages)
    stages = []
    for name in config.pipeline.stages:
        table = dict(config.stages.get(name, {}))
        check_stage_table(name, classes[name], table)
        stages.append(classes[name](**table, **_wired(name, config, models)))
    return stages


def _load_early(config: Config) -> None:
    """Start loading the slowest model to load, py3langid's, on a thread while the stages
    before it are built (``backends.langid.load_model_early``), when the langid stage uses it."""
    if "langid" in config.pipeline.stages and config.models.langid == "langid.py3langid.v1":
        from ..backends.langid import load_model_early

        load_model_early()


def _wired(name: str, config: Config, models: Models) -> dict[str, Any]:
    from . import catalog_path, channels_path

    if name == "link":
        return {"catalog": catalog_path(config), "link_by_cast": config.run.link_by_cast}
    if name == "mentions":
        return {"catalog": catalog_path(config)}
    if name == "region":
        return {"channels": channels_path(config)}
    if name == "langid":
        return {"backend": models["langid"]}
    if name == "sentiment":
        return {"backend": models["sentiment"], "device": config.models.device, "embedders": models.embedders}
    if name == "themes":
        return {"backend": models["themes"], "sentiment": models["sentiment"], "polarity": models["polarity"],
                "embedders": models.embedders}
    return {}
