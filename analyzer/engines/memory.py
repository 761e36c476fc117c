"""Memory of long-lived processes: the Ray engine's actors, and the main process and workers
of a local ``analyzer run``.

``release_free_memory``: what an actor has freed goes back to the system. The replay's
windows are bounded (their Python objects stay at the same size once full, tracemalloc
shows), but their churn leaves freed memory that glibc's heap and Arrow's pool keep, so
without it the replay process grows slowly for as long as the run lasts (see docs/ray.md,
"Memory per worker").

A benchmark-only probe (off unless asked for): with ``ANALYZER_RAY_MEMTRACE=DIR`` set when
the run starts, each read and replay actor traces its Python allocations (``tracemalloc``,
one frame) and, every ``every`` calls, writes ``DIR/<role>-<pid>-<call>.json``: the bytes Python has allocated
(traced), the bytes Arrow's pool has allocated, the process's RSS and USS, and the
allocation sites by line (those of at least 16 KiB). ``benchmarks/ray_overhead.py
--memtrace`` diffs the first checkpoint past a quarter of the run against the last. JSON,
never pickle: a snapshot file is read back as data only.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import tracemalloc
from pathlib import Path

MEMTRACE = "ANALYZER_RAY_MEMTRACE"
MIN_SITE_BYTES = 16 * 2**10
M_ARENA_MAX = -8  # glibc's ``mallopt`` parameter (malloc.h)


def release_free_memory() -> None:
    """Hand the memory this process has freed back to the system: glibc's ``malloc_trim``
    (where there is one) and Arrow's pool. Changes no result; a few milliseconds."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def bound_heap() -> bool:
    """One glibc arena for every thread of this process (and of the ones it forks from now on):
    the worker pool's result thread, which unpickles every batch, would otherwise get an arena
    of its own, whose freed memory the main thread never reuses. Changes no result; False where
    there is no glibc. (Fixed mmap/trim thresholds were measured too: 1.31x the CPU seconds.)"""
    mallopt = _libc("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, 1) == 1


def _malloc_trim():
    """glibc's ``malloc_trim``, or None (macOS, musl without it, Windows)."""
    return _libc("malloc_trim")


@functools.lru_cache(maxsize=None)
def _libc(function: str):
    """A C library function of this process (``mallopt``, ``malloc_trim``: glibc's), or None.
    The process's own symbols, not ``ctypes.util.find_library``, which forks ``ldconfig``."""
    try:
        return getattr(ctypes.CDLL(None), function)
    except (OSError, AttributeError, TypeError):
        return None


class MemoryProbe:
    """Checkpoints of one actor's memory, every ``every`` calls (see the module)."""

    def __init__(self, folder: str, role: str, every: int = 4) -> None:
        self.folder, self.role, self.every, self.calls = Path(folder), role, every, 0
        self.folder.mkdir(parents=True, exist_ok=True)
        tracemalloc.start(1)

    def called(self) -> None:
        """Count one call; write a checkpoint every ``every`` calls."""
        self.calls += 1
        if self.calls % self.every == 0:
            self.write()

    def write(self) -> None:
        import psutil
        import pyarrow as pa

        traced, peak = tracemalloc.get_traced_memory()
        memory = psutil.Process().memory_full_info()
        stats = tracemalloc.take_snapshot().statistics("lineno")
        sites = {f"{s.traceback[0].filename}:{s.traceback[0].lineno}": [s.size, s.count]
                 for s in stats if s.size >= MIN_SITE_BYTES}
        record = {"role": self.role, "pid": os.getpid(), "call": self.calls, "traced_bytes": traced,
                  "traced_peak_bytes": peak, "arrow_bytes": pa.total_allocated_bytes(), "rss_bytes": memory.rss,
                  "uss_bytes": memory.uss, "sites": sites}
        target = self.folder / f"{self.role}-{os.getpid()}-{self.calls:05d}.json"
        target.write_text(json.dumps(record), encoding="utf-8")


def probe(folder: str | None, role: str, every: int) -> MemoryProbe | None:
    """A probe when ``folder`` (the driver's ``ANALYZER_RAY_MEMTRACE``) is set, else None."""
    return MemoryProbe(folder, role, every) if folder else None


class Upkeep:
    """One actor's memory upkeep, counted per call: freed memory handed back every
    ``release_every`` calls and, when ``folder`` is set (the benchmark-only probe), a checkpoint
    every ``trace_every`` calls."""

    def __init__(self, folder: str | None, role: str, trace_every: int, release_every: int) -> None:
        self.calls, self.release_every = 0, release_every
        self.probe = probe(folder, role, trace_every)

    def called(self) -> None:
        self.calls += 1
        if self.calls % self.release_every == 0:
            release_free_memory()
        if self.probe:
            self.probe.called()
