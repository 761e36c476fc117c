"""Comments in, cells out: read the columns topic discovery needs from a run
directory, a Parquet file, an Arrow table or Comment records, drop noise, and
group the rest by the ``by`` columns (e.g. drama x region)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..aggregate.rundir import read_comments
from ..errors import InputError
from ..schema import Comment

COLUMNS = ("id", "text", "clean_text", "drama", "region", "platform", "lang", "noise", "likes", "themes")
GROUP_COLUMNS = ("drama", "region", "platform", "lang")


def comments_path(source: str | os.PathLike) -> Path:
    """``RUN_DIR`` -> ``RUN_DIR/comments.parquet``; a Parquet file (or the dataset folder of that
    name that ``--engine ray`` writes) is used as it is."""
    path = Path(source)
    if path.is_dir() and path.name != "comments.parquet":
        path = path / "comments.parquet"
    if not path.exists():
        raise InputError(f"No comments at {path}: pass a run directory written by `analyzer run` or its comments.parquet.")
    return path


def read_rows(source: Any) -> list[dict[str, Any]]:
    """Rows (plain dicts with ``COLUMNS``) from any supported source."""
    if isinstance(source, (str, os.PathLike)):
        source = read_comments(comments_path(source), COLUMNS)
    if isinstance(source, pa.Table):
        rows = source.select([c for c in COLUMNS if c in source.column_names]).to_pylist()
        has_themes = "themes" in source.column_names
    elif isinstance(source, Sequence) and all(isinstance(c, Comment) for c in source):
        rows = [{c: getattr(comment, c) for c in COLUMNS} for comment in source]
        has_themes = True
    else:
        raise InputError(
            f"Cannot read comments from {type(source).__name__}: pass a run directory, a comments.parquet, "
            "an Arrow table or a list of Comment records."
        )
    for row in rows:
        row.setdefault("id", "")
        row["themes"] = tuple(row.get("themes") or ()) if has_themes else None
    return rows


def is_usable(row: dict[str, Any]) -> bool:
    """Noise and empty comments are left out of topics."""
    return not row.get("noise") and bool((row.get("clean_text") or row.get("text") or "").strip())


def group_cells(rows: list[dict[str, Any]], by: tuple[str, ...]) -> list[tuple[tuple, list[dict[str, Any]]]]:
    """``[(key, rows)]`` sorted by key (``None`` last), usable rows only."""
    cells: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        if is_usable(row):
            cells.setdefault(tuple(row.get(c) for c in by), []).append(row)
    order = sorted(cells, key=lambda key: [(v is None, str(v)) for v in key])
    return [(key, cells[key]) for key in order]
