"""Rebuild a run's numbers from its outputs (``comments.parquet`` + ``manifest.json``)
without re-scoring: the comments already carry their annotations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..manifest import RunManifest, load_manifest
from ..schema import FIELD_NAMES, from_arrow
from .accumulator import ResonanceAccumulator
from .result import ResonanceResult


def read_manifest(run_dir: Path) -> RunManifest | None:
    """The run folder's manifest through the one loader (``manifest.load_manifest``); None when
    the folder has none (a folder written by ``Result.save`` of an older version)."""
    path = Path(run_dir) / "manifest.json"
    return load_manifest(path) if path.is_file() else None


def aggregate_config(manifest: RunManifest | None) -> dict[str, Any] | None:
    """The ``aggregate`` settings recorded in the manifest's config, if any."""
    return manifest.aggregate_config if manifest is not None else None


def result_from_run(run_dir: Path, config: dict[str, Any] | None = None,
                    batch_size: int = 5000) -> ResonanceResult:
    """Stream ``comments.parquet`` through a fresh accumulator (memory stays bounded)."""
    run_dir = Path(run_dir)
    path = run_dir / "comments.parquet"
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such folder; give the output folder of `analyzer run` "
                         "(it holds comments.parquet).")
    if not path.exists():
        raise InputError(f"{path} not found; give the output folder of `analyzer run` (it holds comments.parquet).")
    if config is None:
        config = aggregate_config(read_manifest(run_dir))
    acc = ResonanceAccumulator(config)
    try:
        for batch in _comment_batches(path, batch_size):
            acc.update(from_arrow(batch))
    except (OSError, pa.ArrowException) as exc:  # ArrowInvalid (not Parquet at all) is no OSError
        raise unreadable(path, exc) from exc
    return acc.result()


def read_comments(path: Path, columns: Sequence[str]) -> pa.Table:
    """The ``columns`` (those it has) of a comments.parquet file, or of the partitioned dataset
    folder that ``--engine ray`` writes under the same name."""
    try:
        data = _dataset(path)
        return data.to_table(columns=[c for c in columns if c in data.schema.names])
    except (OSError, pa.ArrowException) as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path} is not a readable Parquet file ({exc}); re-run `analyzer run`.")


def _dataset(path: Path):
    """A comments.parquet file, or the dataset folder of that name (hive partitions), as a ``pyarrow.dataset``."""
    import pyarrow.dataset as pads

    return pads.dataset(path, format="parquet", partitioning="hive" if path.is_dir() else None)


def _comment_batches(path: Path, batch_size: int):
    """Record batches of a comments.parquet file (streamed by row group), or of the partitioned
    dataset folder that ``--engine ray`` writes under the same name."""
    if path.is_dir():
        data = _dataset(path)
        return data.to_batches(columns=[c for c in data.schema.names if c in FIELD_NAMES], batch_size=batch_size)
    pf = pq.ParquetFile(path)
    return pf.iter_batches(batch_size=batch_size, columns=[c for c in pf.schema_arrow.names if c in FIELD_NAMES])
