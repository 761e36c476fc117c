"""Platform dump formats, registered before the generic JSON Lines / JSON / CSV readers
so the most specific reader wins. Importing this package registers them (the field
tables are in the README, section "Input formats")."""

from __future__ import annotations

from ..formats import FORMATS, register_format
from .bilibili import BilibiliDanmaku
from .mydramalist import MyDramaList
from .reddit import Reddit
from .twitter import TwitterV2
from .viki import VikiTimedComments
from .youtube_api import YoutubeApi
from .youtube_downloader import YoutubeDownloader

# Tried in this order (most distinctive first).
PLATFORM_FORMATS = (YoutubeApi(), TwitterV2(), BilibiliDanmaku(), Reddit(), YoutubeDownloader(),
                    VikiTimedComments(), MyDramaList())

if not any(isinstance(f, YoutubeApi) for f in FORMATS):  # idempotent on re-import
    for _fmt in reversed(PLATFORM_FORMATS):
        register_format(_fmt)

__all__ = ["PLATFORM_FORMATS"]
