"""The one market table (``markets.csv`` beside this file), one row per market and local
language. Both directions are derived from it:

- language -> markets: the rows with a ``prior`` (the region confidence a comment in
  that language gets with no better evidence): ``markets_for("es")`` ->
  ``[("LATAM+ES", 0.5)]``; the region stage uses the first;
- market -> languages: every row of the market, in order (its local languages, for the
  "localness" metric): ``languages_of("MY")`` -> ``("ms", "id")``; case-insensitive, and
  the market's ``aliases`` ("malaysia") work too.

Columns: ``market`` (an ISO 3166-1 alpha-2 code or a group name), ``language`` (empty
for markets without one, e.g. ``Global``), ``prior``, ``aliases`` (``|``-separated other
names of the market) and ``note`` (what a group market holds, printed by reports).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ConfigError

MARKETS_PATH = Path(__file__).resolve().parent / "markets.csv"
COLUMNS = "market,language,prior,aliases,note"


@dataclass(frozen=True)
class MarketRow:
    market: str
    language: str | None
    prior: float | None
    aliases: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class MarketTable:
    rows: tuple[MarketRow, ...]

    def markets_for(self, language: str) -> list[tuple[str, float]]:
        """(market, prior) of ``language``, most likely first."""
        found = [(r.market, r.prior) for r in self.rows if r.language == language and r.prior is not None]
        return sorted(found, key=lambda pair: -pair[1])

    def languages_of(self, market: str) -> tuple[str, ...]:
        """The local languages of ``market`` (code, group or alias, any case), in table order."""
        return self.local_languages().get(market.strip().lower(), ())

    @cached_property
    def _local(self) -> dict[str, tuple[str, ...]]:
        aliases: dict[str, list[str]] = {}  # a market's aliases, from any of its rows
        for r in self.rows:
            aliases.setdefault(r.market, []).extend(r.aliases)
        out: dict[str, list[str]] = {}
        for r in self.rows:
            if r.language:
                for key in (r.market, *aliases[r.market]):
                    langs = out.setdefault(key.lower(), [])
                    if r.language not in langs:
                        langs.append(r.language)
        return {key: tuple(langs) for key, langs in out.items()}

    def local_languages(self) -> dict[str, tuple[str, ...]]:
        """lower-cased market code, group or alias -> its local languages."""
        return self._local

    def market_named(self, alias: str) -> str | None:
        """The market an alias names, any case (``"Indonesia"`` -> ``"ID"``); None for no alias."""
        return next((r.market for r in self.rows if alias.strip().lower() in map(str.lower, r.aliases)), None)

    def notes(self) -> dict[str, str]:
        """market -> what it holds, for the markets that are groups rather than countries."""
        return {r.market: r.note for r in self.rows if r.note}


def read_markets(path: str | Path | None = None) -> MarketTable:
    """The market table at ``path`` (the shipped one by default); a bad row raises ConfigError
    naming its file and line."""
    path = Path(path) if path else MARKETS_PATH
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ConfigError(f"Cannot read the market table {path}: {exc.strerror}; it needs columns {COLUMNS}") from None
    return MarketTable(tuple(_row(row, f"{path}:{number}") for number, row in enumerate(rows, 2)))


def _row(row: dict[str, str], where: str) -> MarketRow:
    try:
        market = row["market"].strip()
        language = (row["language"] or "").strip() or None
        prior = float(row["prior"]) if (row["prior"] or "").strip() else None
        aliases = tuple(a.strip() for a in (row["aliases"] or "").split("|") if a.strip())
        note = (row["note"] or "").strip()
    except (KeyError, ValueError, AttributeError):
        raise ConfigError(f"{where}: expected {COLUMNS} with a numeric prior") from None
    if not market or (prior is not None and not (0 < prior <= 1 and language)):
        raise ConfigError(f"{where}: a row needs a market, and a prior must be in (0, 1] and have a language")
    return MarketRow(market, language, prior, aliases, note)
