"""Shared by the benchmark scripts: best-of-N wall-clock timing and the one JSON object
each script prints (and writes, with ``--json-out``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best_seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` timed calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def emit(result: dict, json_out: str | Path | None = None) -> None:
    """Print ``result`` as indented JSON; also write it to ``json_out`` (atomically) when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if json_out:
        path = Path(json_out)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)
