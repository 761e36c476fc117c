"""The drama and channel catalogs as one ``Catalog`` object, read once and shared.

``Catalog.load(dramas=None, channels=None)`` gives the same object to every stage that
asks for the same files (drama linking, mentions, region), so each CSV is parsed once per
run, and each index a stage builds from it (``catalog.index(name, build)``) is built once.

A custom drama catalog is merged onto the shipped one: a row with a new ``drama_id``
adds a drama; a row with a shipped ``drama_id`` fills that drama's fields (its
non-empty ``title``/``original_title``/``genre``/``year``/``episodes`` replace the
shipped values; its ``aliases``/``cast``/``characters`` are added to the shipped ones).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent.parent
# The catalog lives in the repository's data/catalog/; analyzer/_data/catalog links to it,
# so a wheel carries a copy.
CATALOG_DIRS = (_PACKAGE / "_data" / "catalog", _PACKAGE.parent / "data" / "catalog")
DRAMA_COLUMNS = "drama_id,title,original_title,aliases,genre,year,episodes,cast,characters"
CHANNEL_COLUMNS = "channel,platform,region,region_confidence,note"
LIST_COLUMNS = ("aliases", "cast", "characters")  # "|"-separated: merged, not replaced


def bundled(name: str) -> str:
    """The path of a shipped catalog file (``dramas.csv``, ``channels.csv``)."""
    for folder in CATALOG_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return str(CATALOG_DIRS[-1] / name)


@dataclass(frozen=True)
class Drama:
    """One catalog drama. ``cast``/``characters`` entries are ``Name=alias1/alias2``."""

    drama_id: str
    title: str  # as written in the catalog ("" when none)
    original_title: str
    aliases: tuple[str, ...]
    genre: str
    cast: tuple[str, ...]
    characters: tuple[str, ...]


@dataclass(frozen=True)
class Channel:
    """One row of the channel catalog: a regional channel, or a platform (name == platform)."""

    name: str
    platform: str
    region: str
    confidence: float


class Catalog:
    """Dramas (ids, titles, aliases, cast, characters, genres) and channels, each read on
    first use; ``index`` memoizes what stages derive from them."""

    def __init__(self, dramas: str | Path | None = None, channels: str | Path | None = None) -> None:
        self.dramas_path = str(dramas) if dramas else None  # None: the shipped catalog only
        self.channels_path = str(channels) if channels else None  # None: the shipped channels
        self._indexes: dict[str, Any] = {}

    @classmethod
    def load(cls, dramas: str | Path | None = None, channels: str | Path | None = None) -> Catalog:
        """The shared catalog of these files (one object per files and their contents)."""
        dramas = None if dramas is None or _same_file(dramas, bundled("dramas.csv")) else dramas
        channels = None if channels is None or _same_file(channels, bundled("channels.csv")) else channels
        return _load(_file_key(dramas), _file_key(channels), cls)

    @cached_property
    def dramas(self) -> tuple[Drama, ...]:
        return tuple(_drama(row) for row in read_dramas(self.dramas_path))

    @cached_property
    def channels(self) -> tuple[Channel, ...]:
        path = self.channels_path or bundled("channels.csv")
        rows = read_catalog_rows(path, "channel catalog", "channels", CHANNEL_COLUMNS)
        return tuple(_channel(row, f"{path}:{number}") for number, row in enumerate(rows, 2))

    @property
    def titles(self) -> dict[str, str]:
        """drama_id -> the title reports show (the id when the catalog gives none)."""
        return {d.drama_id: d.title or d.drama_id for d in self.dramas}

    def index(self, name: str, build: Callable[[Catalog], Any]) -> Any:
        """``build(self)``, once per ``name``: stages share what they derive from the catalog."""
        if name not in self._indexes:
            self._indexes[name] = build(self)
        return self._indexes[name]

    def __repr__(self) -> str:
        return f"Catalog(dramas={self.dramas_path or bundled('dramas.csv')!r}, " \
               f"channels={self.channels_path or bundled('channels.csv')!r})"


@lru_cache(maxsize=16)
def _load(dramas: tuple | None, channels: tuple | None, cls: type) -> Catalog:
    return cls(dramas[0] if dramas else None, channels[0] if channels else None)


def _file_key(path: str | Path | None) -> tuple | None:
    """(path, size, mtime) so an edited file is read again; a missing one fails when read."""
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return (str(path), None, None)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _same_file(path: str | Path, other: str) -> bool:
    try:
        return Path(path).resolve() == Path(other).resolve()
    except OSError:
        return False


def _drama(row: dict[str, str]) -> Drama:
    def items(column: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in (row.get(column) or "").split("|") if v.strip())

    def people(column: str) -> tuple[str, ...]:
        return tuple(v for v in (row.get(column) or "").split("|") if v.strip())

    return Drama(row["drama_id"], row.get("title") or "", row.get("original_title") or "", items("aliases"),
                 (row.get("genre") or "").strip(), people("cast"), people("characters"))


def _channel(row: dict[str, str], where: str) -> Channel:
    try:
        return Channel(row["channel"].strip(), row["platform"].strip(), row["region"].strip(),
                       float(row["region_confidence"]))
    except (KeyError, ValueError, AttributeError):
        raise ConfigError(f"{where}: expected channel,platform,region,region_confidence "
                          "with a numeric confidence") from None


def read_catalog_rows(path: str | Path, what: str, param: str, columns: str,
                      required: str | None = None) -> list[dict[str, str]]:
    """All rows of a catalog CSV; an unreadable file or a missing ``required`` column
    raises ConfigError saying which parameter and columns fix it."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} {path}: {exc.strerror}; pass {param}=PATH to a "
                          f"CSV with columns {columns}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"Cannot parse the {what} {path} ({exc}); save it as a UTF-8 CSV with columns {columns}") from None
    if required and rows and required not in rows[0]:
        raise ConfigError(f"{path} has no {required} column; expected {columns}")
    return rows


def read_dramas(path: str | Path | None = None) -> list[dict[str, str]]:
    """The shipped drama catalog with ``path`` (a custom catalog) merged onto it."""
    shipped = Path(bundled("dramas.csv"))
    rows = read_catalog_rows(shipped, "drama catalog", "catalog", DRAMA_COLUMNS, required="drama_id")
    if path is None or Path(path).resolve() == shipped.resolve():
        return rows
    custom = read_catalog_rows(path, "drama catalog", "--catalog", DRAMA_COLUMNS, required="drama_id")
    return merge_dramas(rows, custom, str(path))


def merge_dramas(shipped: list[dict[str, str]], custom: list[dict[str, str]], where: str) -> list[dict[str, str]]:
    merged = {row["drama_id"].strip(): dict(row) for row in shipped}
    for line, row in enumerate(custom, 2):
        drama = (row.get("drama_id") or "").strip()
        if not drama:
            raise ConfigError(f"{where}:{line}: empty drama_id; every catalog row needs one (columns {DRAMA_COLUMNS})")
        base = merged.setdefault(drama, {"drama_id": drama})
        for column, value in row.items():
            value = (value or "").strip() if isinstance(value, str) else ""
            if column is None or column == "drama_id" or not value:
                continue
            if column in LIST_COLUMNS and base.get(column):
                old = base[column].split("|")
                base[column] = "|".join(old + [v for v in value.split("|") if v not in old])
            else:
                base[column] = value
    return list(merged.values())
