"""Reading the catalog CSVs (dramas, channels) that the linking stages use."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import ConfigError


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
    if required and rows and required not in rows[0]:
        raise ConfigError(f"{path} has no {required} column; expected {columns}")
    return rows
