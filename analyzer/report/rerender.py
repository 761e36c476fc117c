"""Re-rendering reads a run folder through the aggregate layer (no re-scoring)."""

from __future__ import annotations

from ..aggregate.rundir import aggregate_config, read_manifest, result_from_run

__all__ = ["aggregate_config", "read_manifest", "result_from_run"]
