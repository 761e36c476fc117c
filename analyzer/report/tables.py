"""Tidy tables: CSV, Parquet and JSON, each written atomically (temp file, then rename)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..io.writers import csv_safe

JSON_PIECES = 32  # pieces of JSON text joined per write (a piece is up to a whole row: ~2 KB)


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then move the finished file over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def columns_of(rows: list[dict[str, Any]], first: tuple[str, ...] = ()) -> list[str]:
    """``first``, then every other key of ``rows`` in the order first seen."""
    cols = dict.fromkeys(first)
    for row in rows:
        if not cols.keys() >= row.keys():
            cols.update(dict.fromkeys(k for k in row if k not in cols))
    return list(cols)


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def _guarded_cell(v: Any) -> Any:
    """``csv_safe(_cell(v))`` in one call (the cells of a table are most of a report's CSV time)."""
    if v is None:
        return ""
    if isinstance(v, float):
        v = f"{v:.6g}"
        return v if v[0] not in "+-" else csv_safe(v)  # inf/nan written as "-inf" are guarded
    return csv_safe(v) if isinstance(v, str) else v


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None, guard: bool = True) -> None:
    """Text cells that could run as spreadsheet formulas are neutralised (``csv_safe``) unless ``guard`` is off."""
    cols = columns or columns_of(rows)
    cell = _guarded_cell if guard else _cell

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            w.writerows([cell(row.get(c)) for c in cols] for row in rows)

    atomic_write(path, write)


def copy_file(source: Path, path: Path) -> None:
    """``path`` as a copy of the finished file ``source`` (a table written twice under two names)."""
    atomic_write(path, lambda tmp: shutil.copyfile(source, tmp))


def write_parquet(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    cols = columns or columns_of(rows)
    data = {c: [row.get(c) for row in rows] for c in cols}
    arrays = {}
    for c, values in data.items():
        kind = _type(values)
        if kind == pa.string():
            values = [v if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in values]
        arrays[c] = pa.array(values, type=kind)
    table = pa.table(arrays)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _type(values: list[Any]) -> pa.DataType:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, bool} and kinds:
        return pa.bool_() if kinds == {bool} else pa.int64()
    if kinds <= {int, float} and kinds:
        return pa.float64()
    return pa.string()


def write_json(path: Path, obj: Any) -> None:
    """``json.dumps(obj, indent=1, ensure_ascii=False, default=str)`` and a newline, written
    ``JSON_PIECES`` pieces at a time (the whole text at once, resonance.json ~10 MB at 50k
    comments, cost ~80 MB of pieces). Encoded by ``json_pieces``: the same text, ~3x less CPU than the
    standard library's indenting encoder (pure Python, a generator per nested value)."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as handle:
            buffer: list[str] = []

            def flush() -> None:
                if len(buffer) >= JSON_PIECES:
                    handle.write("".join(buffer))
                    buffer.clear()

            json_pieces(obj, buffer, flush)
            handle.write("".join(buffer) + "\n")

    atomic_write(path, write)


_INF = float("inf")


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _scalar_text(value: Any) -> str | None:
    """JSON text of a str, None, bool, int or float (as ``json`` writes it); None for anything else."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float_text(value)
    return None


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return _encode_str(key)
    if isinstance(key, (bool, int, float)) or key is None:
        return _encode_str(_scalar_text(key))  # type: ignore[arg-type]
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def json_pieces(obj: Any, out: list[str], flush: Any = None, level: int = 0) -> None:
    """Append the text of ``json.dumps(obj, indent=1, ensure_ascii=False, default=str)`` to
    ``out`` in pieces; ``flush()`` is called after each item of a list or dict (to write ``out``
    out when it is long). A dict or list of scalars only is one piece."""
    text = _scalar_text(obj)
    if text is not None:
        out.append(text)
        return
    if isinstance(obj, (list, tuple, dict)):
        if not obj:
            out.append("{}" if isinstance(obj, dict) else "[]")
            return
        inner = "\n" + " " * (level + 1)
        items = [(_key_text(k) + ": ", v) for k, v in obj.items()] if isinstance(obj, dict) else [("", v) for v in obj]
        texts = [_scalar_text(v) for _, v in items]
        if None not in texts:  # flat: one join
            out.append(("{" if isinstance(obj, dict) else "[") + inner
                       + ("," + inner).join(k + t for (k, _), t in zip(items, texts))  # type: ignore[operator]
                       + "\n" + " " * level + ("}" if isinstance(obj, dict) else "]"))
            return
        out.append("{" if isinstance(obj, dict) else "[")
        for i, ((key, value), text) in enumerate(zip(items, texts)):
            out.append(("," if i else "") + inner + key)
            if text is None:
                json_pieces(value, out, flush, level + 1)
            else:
                out.append(text)
            if flush is not None:
                flush()
        out.append("\n" + " " * level + ("}" if isinstance(obj, dict) else "]"))
        return
    json_pieces(str(obj), out, flush, level)  # default=str


def read_csv(path: Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
