"""``RegionStage``: which market a comment speaks for: ``region``,
``region_confidence`` and ``region_source``, by precedence:

1. ``field``: an explicit country/region in the record (``Comment.region``, e.g. a
   tweet's place country code): confidence 1.0;
2. ``profile``: a country resolved from the author's profile location
   (``extra["user_country"]``): 0.7;
3. ``channel``: a regional official channel listed in ``channels.csv`` (matched on
   ``extra["channel_title"]``/``channel_id``/...): that row's confidence;
4. ``platform``: a platform-wide row of ``channels.csv`` (channel == platform,
   e.g. Bilibili -> CN). Rows whose region is ``Global`` only apply when nothing
   below gives a region;
5. ``language``: the comment's language (``lang``, or the platform's ``lang_hint``)
   through the market table (``analyzer/lang/markets.csv``, overridable with
   ``languages=``), times ``lang_confidence`` when known. Single-country languages give
   a country; shared ones a group such as ``LATAM+ES`` or ``Anglophone`` with lower
   confidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import check_param
from ..io.catalog import Catalog
from ..io.markets import market_code
from ..lang import language_regions
from ..schema import Comment, replacer
from . import bundled
from .base import Batch, Stage

DEFAULT_CHANNELS = Path(bundled("channels.csv"))
GLOBAL = "Global"
PROFILE_CONFIDENCE = 0.7
_WITH_REGION = replacer("region", "region_confidence", "region_source")  # c.with_(region=..., ...), ~2 us cheaper
CHANNEL_KEYS = ("channel_title", "channel_name", "channel_id", "uploader", "video_channel", "channelTitle", "channelId")


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def channel_regions(catalog: Catalog) -> tuple[dict, dict]:
    """(channel key -> (region, confidence), platform -> (region, confidence)) of the catalog's
    channels (built once per catalog: ``catalog.index``)."""
    channels, platforms = {}, {}
    for row in catalog.channels:
        entry = (row.region, row.confidence)
        if _key(row.name) == _key(row.platform):
            platforms[_key(row.platform)] = entry
        else:
            channels[_key(row.name)] = entry
    return channels, platforms


class RegionStage(Stage):
    name = "region"
    requires = ("lang",)
    assigns = ("region", "region_confidence", "region_source")
    stateless = True

    def __init__(self, *, channels: str | Path | Catalog | None = None,
                 languages: Mapping[str, str | tuple[str, float]] | None = None,
                 group_confidence: float = 0.4) -> None:
        owner = type(self).__name__
        check_param(owner, "channels", channels, channels is None or isinstance(channels, (str, Path, Catalog)),
                    "a path, a Catalog or None")
        check_param(owner, "languages", languages, languages is None or isinstance(languages, Mapping),
                    "a mapping of language code -> region or (region, confidence)")
        check_param(owner, "group_confidence", group_confidence,
                    isinstance(group_confidence, (int, float)) and 0 < group_confidence <= 1, "a number in (0, 1]")
        shared = channels if isinstance(channels, Catalog) else Catalog.load(channels=channels)
        self.channels_path = shared.channels_path if isinstance(channels, Catalog) else channels
        self.group_confidence = float(group_confidence)
        self.languages = language_regions()
        for lang, value in (languages or {}).items():
            region, conf = (value, self.group_confidence) if isinstance(value, str) else value
            check_param(owner, "languages", languages, isinstance(region, str) and 0 < float(conf) <= 1,
                        "a mapping of language code -> region or (region, confidence in (0, 1])")
            self.languages[lang.lower()] = (region, float(conf))
        self.overrides = dict(languages or {})
        self._channels, self._platforms = shared.index("channels", channel_regions)
        self.stats: Counter = Counter()

    def summary(self) -> dict[str, int]:
        return dict(self.stats)

    def predict(self, batch: Sequence[Comment]) -> list[tuple[str | None, float | None, str | None]]:
        out = [self._attribute(c) for c in batch]
        self.stats.update(source or "none" for _, _, source in out)
        return out

    def _attribute(self, c: Comment) -> tuple[str | None, float | None, str | None]:
        if c.region:
            return _region_code(c.region), c.region_confidence or 1.0, c.region_source or "field"
        extra = c.extra or {}
        if isinstance(extra.get("user_country"), str):
            return extra["user_country"], PROFILE_CONFIDENCE, "profile"
        fallback = None
        for key in CHANNEL_KEYS:
            found = self._channels.get(_key(extra[key])) if isinstance(extra.get(key), str) else None
            if found:
                if found[0] != GLOBAL:
                    return found[0], found[1], "channel"
                fallback = fallback or (found[0], found[1], "channel")
        found = self._platforms.get(_key(c.platform)) if c.platform else None
        if found:
            if found[0] != GLOBAL:
                return found[0], found[1], "platform"
            fallback = fallback or (found[0], found[1], "platform")
        return self._from_language(c) or fallback or (None, None, None)

    def _from_language(self, c: Comment):
        lang = c.lang or (c.extra or {}).get("lang_hint")
        if not isinstance(lang, str) or not lang:
            return None
        found = self.languages.get(lang.lower()) or self.languages.get(lang.lower().split("-")[0].split("_")[0])
        if not found:
            return None
        scale = c.lang_confidence if c.lang and c.lang_confidence is not None else 1.0
        return found[0], round(found[1] * scale, 3), "language"

    def annotate(self, batch: Sequence[Comment], predictions) -> Batch:
        return [_WITH_REGION(c, r, conf, src) for c, (r, conf, src) in zip(batch, predictions)]

    def describe(self) -> dict[str, Any]:
        return {"stage": self.name, "channels": str(self.channels_path or DEFAULT_CHANNELS),
                "language_overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in self.overrides.items()},
                "group_confidence": self.group_confidence}

    def __repr__(self) -> str:
        return f"RegionStage(channels={str(self.channels_path or DEFAULT_CHANNELS)!r})"


def _region_code(value: str) -> str:
    """``"vn"``/``"VNM"``/``"Viet Nam"`` -> ``"VN"`` (``io.markets``); anything else as given."""
    return market_code(value) or value
