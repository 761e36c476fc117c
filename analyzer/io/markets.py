"""Market codes: whatever a record says about its country -> the market code reports use
(ISO 3166-1 alpha-2).

``market_code`` accepts alpha-2 (``"kr"``), alpha-3 (``"KOR"``), numeric (``"410"``)
codes and country names (``"South Korea"``, ``"Korea, Republic of"``, ``"Viet Nam"``)
through pycountry's ISO 3166 tables, then the names of ``places`` (English and local
names, a few cities, flag emoji). The group markets of the market table
(``analyzer/lang/markets.csv``: ``Anglophone``, ``LATAM+ES``, ...) pass through.
Anything else is kept as given, so a user's own market label (``"EU"``) still forms
its own market.
"""

from __future__ import annotations

from functools import lru_cache

from ..lang import market_table
from .platforms.places import country_from_location

# Common codes that are not ISO 3166-1 but mean one country.
EXTRA_CODES = {"UK": "GB", "EL": "GR"}


def _countries():
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a core dependency
        return None
    return pycountry.countries


@lru_cache(maxsize=4096)
def market_code(value: str) -> str | None:
    """``"KOR"``/``"kr"``/``"South Korea"`` -> ``"KR"``; unknown text as given; empty -> None."""
    text = (value or "").strip()
    if not text:
        return None
    if text in market_table().notes():  # a group market of the market table
        return text
    if text.upper() in EXTRA_CODES:
        return EXTRA_CODES[text.upper()]
    countries = _countries()
    if countries is not None:
        try:
            return countries.lookup(text).alpha_2
        except LookupError:
            pass
    elif len(text) == 2 and text.isalpha():
        return text.upper()
    found = country_from_location(text)
    return found or text
