"""Where the main process of ``analyzer run`` holds its memory: live Python objects against RSS.

    python benchmarks/memory_trace.py INPUT N OUT_DIR LOG.jsonl

Runs ``analyzer.runner.run`` in this process (default ``--workers auto``; the forked workers
stop tracing) with ``tracemalloc`` on (one frame). Every 3 s a line goes to LOG: ``VmRSS`` and
``VmHWM`` of this process, the bytes Python has allocated (``traced_mb``) and the most since the
last snapshot (``traced_peak_mb``), and Arrow's pool. Snapshots (the top 20 allocation sites by
line, and the difference against the previous snapshot) at 10%, 50% and 99% of the N/512
merged batches, before and after ``accumulator.result()`` and after ``write_reports``. RSS well
above the traced bytes (beside the libraries' own and tracemalloc's) is memory the allocator
keeps, not live objects. Slow (a snapshot of a few million blocks takes minutes on a busy
machine): a probe, not a benchmark of speed. Its figures: ``docs/speed.md`` (memory).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import tracemalloc

tracemalloc.start(1)
os.register_at_fork(after_in_child=tracemalloc.stop)

import pyarrow as pa  # noqa: E402

from analyzer import runner  # noqa: E402
import analyzer.report as report  # noqa: E402
from analyzer.aggregate import accumulator as accmod  # noqa: E402


def status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) // 1024
    return out


class Trace:
    def __init__(self, log: str, n: int) -> None:
        self.log, self.start, self.merges, self.phase = open(log, "w", encoding="utf-8"), time.time(), 0, "stream"
        self.marks = {int(n / 512 * f): f"stream_{int(f * 100)}%" for f in (0.1, 0.5, 0.99)}
        self.last = None

    def record(self, event: str, **more) -> None:
        traced, peak = tracemalloc.get_traced_memory()
        self.log.write(json.dumps({"t": round(time.time() - self.start, 1), "event": event, "phase": self.phase,
                                   "merges": self.merges, **status(), "traced_mb": round(traced / 2**20, 1),
                                   "traced_peak_mb": round(peak / 2**20, 1),
                                   "arrow_mb": round(pa.total_allocated_bytes() / 2**20, 1), **more}) + "\n")
        self.log.flush()

    def sample_forever(self) -> None:
        while True:
            self.record("sample")
            time.sleep(3)

    def snapshot(self, name: str) -> None:
        snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        top = [(str(s.traceback), round(s.size / 2**20, 2), s.count) for s in snap.statistics("lineno")[:20]]
        diff = [(str(s.traceback), round(s.size_diff / 2**20, 2), s.count_diff)
                for s in snap.compare_to(self.last, "lineno")[:20]] if self.last else []
        self.record("snapshot", name=name, top=top, diff_vs_prev=diff)
        self.last = snap
        tracemalloc.reset_peak()


def main() -> None:
    source, n, out, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    trace = Trace(log, n)
    threading.Thread(target=trace.sample_forever, daemon=True).start()
    merge, result, write_reports = accmod.ResonanceAccumulator.merge, accmod.ResonanceAccumulator.result, report.write_reports

    def traced_merge(self, other):
        done = merge(self, other)
        if self._spill is not None:  # the run's accumulator, not a batch's
            trace.merges += 1
            if trace.merges in trace.marks:
                trace.snapshot(trace.marks[trace.merges])
        return done

    def traced_result(self, progress=None):
        trace.snapshot("before_result")
        trace.phase = "result"
        done = result(self, progress)
        trace.snapshot("after_result")
        trace.phase = "reports"
        return done

    def traced_reports(*args, **kwargs):
        done = write_reports(*args, **kwargs)
        trace.snapshot("after_reports")
        trace.phase = "after"
        return done

    accmod.ResonanceAccumulator.merge, accmod.ResonanceAccumulator.result = traced_merge, traced_result
    report.write_reports = traced_reports
    runner.run([source], out, progress=False)
    trace.record("done")


if __name__ == "__main__":
    main()
