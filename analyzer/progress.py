"""Progress on stderr for long jobs: a bar with total, rate and ETA while comments stream
(the total estimated from the input files), and a line per later phase (aggregating,
writing reports). Everything here is off when stderr is not a terminal."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

LINE_FORMATS = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt")


def enabled(requested: bool) -> bool:
    return bool(requested) and sys.stderr.isatty()


def estimate_records(paths: list[str]) -> int | None:
    """About how many records the inputs hold: lines of line-based files (a C-level count,
    ~1 GB/s), rows of Parquet files from their footer; None when any input is unknown
    (stdin, other formats), so the bar then shows a count and rate without an ETA."""
    total = 0
    for name in paths:
        path = Path(name)
        if not path.is_file():
            return None
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                total += pq.ParquetFile(path).metadata.num_rows
            except (OSError, pa.ArrowException):  # not readable: its reader rejects it, the count is unknown
                return None
        elif suffix in LINE_FORMATS:
            total += _count_lines(path) - (suffix in (".csv", ".tsv"))  # the header
        else:
            return None
    return max(total, 0)


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def bar(items: Iterable, desc: str, total: int | None, unit: str = " comments") -> Iterable:
    """``items`` with a tqdm bar on stderr (total, rate and ETA when ``total`` is known)."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, mininterval=0.5,
                dynamic_ncols=True)


def cell_bar(show: bool):
    """For ``ResonanceAccumulator.result(progress=...)``: a bar over the cells being
    bootstrapped (the long part of aggregating), or None when progress is off."""
    if not show:
        return None
    return lambda cells: bar(cells, "aggregating", len(cells), unit=" cells")


@contextlib.contextmanager
def phase(name: str, show: bool) -> Iterator[None]:
    """``name…`` on stderr, then its seconds when it ends (only when ``show``)."""
    if not show:
        yield
        return
    start = time.perf_counter()
    print(f"{name}...", end="", file=sys.stderr, flush=True)
    try:
        yield
    finally:
        print(f" {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
