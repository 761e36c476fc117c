"""What varies by language lives with the language: one folder per language
(``analyzer/lang/<code>/profile.toml`` + ``stopwords.txt``) and one market table
(``analyzer/lang/markets.csv``). See docs/languages.md.

    >>> from analyzer import lang
    >>> lang.profile("vi").region
    ('VN', 0.8)
    >>> lang.supported()[:3]
    ('ar', 'de', 'en')

Profiles are read on first use (nothing happens on import) and cached.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError
from .markets import MARKETS_PATH, MarketRow, MarketTable, read_markets
from .profile import Contrast, Negation, Profile, check_profile, load_profile

ROOT = Path(__file__).resolve().parent

__all__ = [
    "Contrast", "MarketRow", "MarketTable", "Negation", "Profile", "check_profile", "language_regions",
    "languages_of", "load_profile", "load_profiles", "market_table", "markets_for", "profile", "profiles",
    "read_markets", "supported", "MARKETS_PATH",
]


def load_profiles(root: str | Path, markets: MarketTable) -> dict[str, Profile]:
    """Every language folder under ``root`` (a folder holding ``profile.toml``), by code."""
    folders = sorted(p.parent for p in Path(root).glob("*/profile.toml"))
    return {p.code: p for p in (load_profile(folder, markets) for folder in folders)}


@lru_cache(maxsize=1)
def market_table() -> MarketTable:
    """The shipped market table."""
    return read_markets(MARKETS_PATH)


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    """The shipped profiles, by code (sorted)."""
    return load_profiles(ROOT, market_table())


def supported() -> tuple[str, ...]:
    """The codes of the languages with a profile, sorted."""
    return tuple(profiles())


def profile(code: str) -> Profile:
    """The profile of ``code`` (or of a language it is an alias of, e.g. "fil" -> tl)."""
    found = profiles().get(code) or _aliases().get(code)
    if found is None:
        raise ConfigError(f"No language profile for {code!r}; supported: {', '.join(supported())} "
                          "(add one as a folder under analyzer/lang/, see docs/languages.md)")
    return found


@lru_cache(maxsize=1)
def _aliases() -> dict[str, Profile]:
    return {alias: p for p in profiles().values() for alias in p.aliases}


def markets_for(code: str) -> list[tuple[str, float]]:
    """(market, prior) a comment in language ``code`` most likely speaks for, likeliest first."""
    return market_table().markets_for(code)


def languages_of(market: str) -> tuple[str, ...]:
    """The languages spoken for ``market`` (directly, or as a member of a group market)."""
    return market_table().languages_of(market)


def language_regions() -> dict[str, tuple[str, float]]:
    """language code (and alias) -> (likeliest market, prior): the region stage's language table."""
    out = {}
    for p in profiles().values():
        if p.region is not None:
            out.update({code: p.region for code in (p.code, *p.aliases)})
    return out
