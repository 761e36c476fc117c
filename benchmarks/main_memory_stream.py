"""What the main process of ``analyzer run`` holds as the stream goes on: one probe line every
``--every`` comments written, and what Python allocated between two marks and still holds.

    python benchmarks/main_memory_stream.py TREE INPUT OUT --json-out FILE [--every 10000]
        [--trace-from 120000 --trace-to 480000]

Runs ``python -m analyzer run INPUT -o OUT -q`` of the analyzer package in TREE inside this
process (as ``main_cpu.py`` does; the workers are forked as usual). Each probe, taken when
comments.parquet has been given another ``--every`` rows, reads: the process's VmRSS and VmHWM
(``/proc/self/status``), Python's allocated blocks (``sys.getallocatedblocks``), pymalloc's
arenas and the bytes in their used and free blocks (``sys._debugmallocstats``), glibc's heap
(``mallinfo2``: bytes in use, free bytes it keeps, bytes in mmapped chunks) and Arrow's pool. With
``--trace-from A --trace-to B``, ``tracemalloc`` (5 frames) starts at A rows and at B rows the
allocations made since A and still alive are grouped by their innermost frames in the analyzer
package (the top 40 written; tracemalloc's own memory reported beside). Read those as what holds
memory, not as growth: a full window's entries made since A replace older ones tracemalloc never
saw freed; and while it traces, pymalloc's statistics are not available and its own tables (in
glibc's heap) inflate the RSS, so compare probes of a run without it. Benchmark only: nothing in
the package changes.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import runpy
import sys
import tempfile
import time
import tracemalloc


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo() -> dict[str, int]:
    try:
        call = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return {}
    call.restype = MallInfo2
    info = call()
    return {"glibc_in_use": info.uordblks, "glibc_free": info.fordblks, "glibc_mmapped": info.hblkhd}


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon"):
                out[key + "_kb"] = int(value.split()[0])
    return out


def _pymalloc() -> dict[str, int]:
    """pymalloc's arenas and block bytes, parsed from ``sys._debugmallocstats`` (it writes to fd 2)."""
    wanted = {"# arenas allocated current": "pymalloc_arenas", "# bytes in allocated blocks": "pymalloc_used",
              "# bytes in available blocks": "pymalloc_free_blocks", "unused pools": "pymalloc_unused_pools"}
    with tempfile.TemporaryFile("w+") as scratch:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(scratch.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        scratch.seek(0)
        out = {}
        for line in scratch:
            for prefix, name in wanted.items():
                if line.startswith(prefix):
                    out[name] = int(line.rsplit("=", 1)[1].replace(",", "").split()[0])
    return out


def probe(rows: int, started: float) -> dict:
    import pyarrow as pa

    return {"rows": rows, "seconds": round(time.perf_counter() - started, 1), **_status(),
            "allocated_blocks": sys.getallocatedblocks(), **_pymalloc(), **_mallinfo(),
            "arrow_bytes": pa.total_allocated_bytes()}


def top_sites(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, limit: int = 40) -> list[dict]:
    """The allocations alive at ``after`` made since ``before``, by their innermost analyzer frames."""
    keep = [tracemalloc.Filter(True, "*analyzer*"), tracemalloc.Filter(True, "*pyarrow*"),
            tracemalloc.Filter(True, "*concurrent*"), tracemalloc.Filter(True, "*multiprocessing*")]
    diff = after.filter_traces(keep).compare_to(before.filter_traces(keep), "traceback")
    out = []
    for stat in diff[:limit]:
        frames = [f"{os.path.relpath(f.filename) if 'analyzer' in f.filename else os.path.basename(f.filename)}:{f.lineno}"
                  for f in stat.traceback]
        out.append({"size_diff": stat.size_diff, "count_diff": stat.count_diff, "frames": frames})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree")
    parser.add_argument("input")
    parser.add_argument("out")
    parser.add_argument("--json-out", required=True)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--trace-from", type=int)
    parser.add_argument("--trace-to", type=int)
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    from analyzer.io import writers

    started, state = time.perf_counter(), {"rows": 0, "next": args.every, "snapshot": None}
    probes, result = [], {"tree": args.tree, "input": args.input, "every": args.every}
    write_table = writers.CommentParquetWriter.write_table
    main_pid = os.getpid()

    def counted(self, table):
        write_table(self, table)
        if os.getpid() != main_pid:
            return
        state["rows"] += table.num_rows
        rows = state["rows"]
        if args.trace_from and state["snapshot"] is None and rows >= args.trace_from:
            tracemalloc.start(5)
            state["snapshot"] = tracemalloc.take_snapshot()
            result["trace_from_rows"] = rows
        if args.trace_to and state["snapshot"] is not None and "sites" not in result and rows >= args.trace_to:
            after = tracemalloc.take_snapshot()
            result.update(trace_to_rows=rows, traced_bytes=tracemalloc.get_traced_memory()[0],
                          tracemalloc_own_bytes=tracemalloc.get_tracemalloc_memory(),
                          sites=top_sites(state["snapshot"], after))
            state["snapshot"] = "done"  # the snapshots are not kept: later probes see the run alone
            del after
            tracemalloc.stop()
        if rows >= state["next"]:
            state["next"] += args.every
            probes.append(probe(rows, started))

    writers.CommentParquetWriter.write_table = counted
    sys.argv = ["analyzer", "run", args.input, "-o", args.out, "-q"]
    try:
        runpy.run_module("analyzer", run_name="__main__")
    except SystemExit:
        pass
    result.update(probes=probes, end=probe(state["rows"], started))
    with open(args.json_out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    print(json.dumps(result["end"]))


if __name__ == "__main__":
    main()
