"""A benchmark-only CPU probe of the Ray engine's actors (off unless asked for).

With ``ANALYZER_RAY_PROFILE=DIR`` set when the run starts (Ray's processes on this machine
inherit the driver's environment), each actor class decorated with ``profiled`` writes, after every
call, ``DIR/<role>-<pid>.json``: the CPU seconds its process used while building (models
and stages), those its calls used on the calling thread, and those of the whole process
so far (the difference is Ray's own threads in the actor: its core worker, gRPC, metrics).
With ``ANALYZER_RAY_PROFILE=DIR:cprofile`` it also keeps a ``cProfile`` of the calls in
``DIR/<role>-<pid>.prof`` (read it with ``pstats``; it slows the calls). JSON and
``marshal``-based pstats files only, written by the process itself; nothing is unpickled.
"""

from __future__ import annotations

import cProfile
import functools
import json
import os
import time
from pathlib import Path

PROFILE = "ANALYZER_RAY_PROFILE"


class CpuProbe:
    """One actor's CPU split (see the module); ``started`` once built, ``call`` around each call."""

    def __init__(self, spec: str, role: str) -> None:
        folder, _, mode = spec.partition(":")
        self.folder, self.role = Path(folder), role
        self.folder.mkdir(parents=True, exist_ok=True)
        self.profile = cProfile.Profile() if mode == "cprofile" else None
        self.record = {"role": role, "pid": os.getpid(), "build_cpu": 0.0, "call_cpu": 0.0, "calls": 0,
                       "process_cpu": 0.0}

    def started(self) -> None:
        self.record["build_cpu"] = round(time.process_time(), 3)  # the process so far: Ray's start, the build

    def call(self, function, *args, **kwargs):
        """``function(*args, **kwargs)``, counted (and profiled when asked for)."""
        start = time.thread_time()
        try:
            return self.profile.runcall(function, *args, **kwargs) if self.profile else function(*args, **kwargs)
        finally:
            self.record["call_cpu"] = round(self.record["call_cpu"] + time.thread_time() - start, 3)
            self.record["calls"] += 1
            self.record["process_cpu"] = round(time.process_time(), 3)
            self._write()

    def _write(self) -> None:
        stem = self.folder / f"{self.role}-{os.getpid()}"
        Path(f"{stem}.json").write_text(json.dumps(self.record), encoding="utf-8")
        if self.profile:
            self.profile.dump_stats(f"{stem}.prof")


def profiled(cls: type) -> type:
    """Class decorator: each instance's calls go through a ``CpuProbe`` when this process has
    ``ANALYZER_RAY_PROFILE`` set (looked up at the first call), else straight through."""
    call = cls.__call__

    @functools.wraps(call)
    def __call__(self, *args, **kwargs):
        probe = self.__dict__.get("_cpu_probe", False)
        if probe is False:
            spec = os.environ.get(PROFILE)
            probe = self.__dict__["_cpu_probe"] = CpuProbe(spec, cls.__name__) if spec else None
            if probe:
                probe.started()
        return probe.call(call, self, *args, **kwargs) if probe else call(self, *args, **kwargs)

    cls.__call__ = __call__
    return cls
