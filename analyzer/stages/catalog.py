"""Reading the catalog CSVs (dramas, channels) that the linking stages use.

A custom drama catalog is merged onto the shipped one: a row with a new ``drama_id``
adds a drama; a row with a shipped ``drama_id`` fills that drama's fields (its
non-empty ``title``/``original_title``/``genre``/``year``/``episodes`` replace the
shipped values; its ``aliases``/``cast``/``characters`` are added to the shipped ones).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import ConfigError

DRAMA_COLUMNS = "drama_id,title,original_title,aliases,genre,year,episodes,cast,characters"
LIST_COLUMNS = ("aliases", "cast", "characters")  # "|"-separated: merged, not replaced


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
    from . import bundled

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
