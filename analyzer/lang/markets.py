"""The one market table (``markets.csv`` beside this file): which market a language
points to, with the prior the region stage gives it, which countries a group market
holds, and what a group means in reports. Both directions are derived from it:
``markets_for("es")`` -> ``[("LATAM+ES", 0.5)]``; ``languages_of("MX")`` -> ``("es",)``.

Columns: ``market`` (an ISO 3166-1 alpha-2 code or a group name), ``language`` (empty
for markets no language points to, e.g. ``Global``), ``prior`` (0-1, the region
confidence of a comment in that language with no other evidence), ``members``
(``|``-separated country codes of a group) and ``note`` (what a group holds, for reports).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

MARKETS_PATH = Path(__file__).resolve().parent / "markets.csv"
COLUMNS = "market,language,prior,members,note"


@dataclass(frozen=True)
class MarketRow:
    market: str
    language: str | None
    prior: float | None
    members: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class MarketTable:
    rows: tuple[MarketRow, ...]

    def markets_for(self, language: str) -> list[tuple[str, float]]:
        """(market, prior) of ``language``, most likely first."""
        found = [(r.market, r.prior) for r in self.rows if r.language == language and r.prior is not None]
        return sorted(found, key=lambda pair: -pair[1])

    def languages_of(self, market: str) -> tuple[str, ...]:
        """The languages that point to ``market`` directly, then those of groups that hold it."""
        direct = [r.language for r in self.rows if r.language and r.market == market]
        grouped = [r.language for r in self.rows if r.language and market in r.members]
        return tuple(dict.fromkeys(direct + grouped))

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
        members = tuple(m.strip() for m in (row["members"] or "").split("|") if m.strip())
        note = (row["note"] or "").strip()
    except (KeyError, ValueError, AttributeError):
        raise ConfigError(f"{where}: expected {COLUMNS} with a numeric prior") from None
    if not market or (prior is not None and not 0 < prior <= 1) or (language and prior is None):
        raise ConfigError(f"{where}: a row needs a market, and a language needs a prior in (0, 1]")
    return MarketRow(market, language, prior, members, note)
