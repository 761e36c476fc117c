"""CPU seconds of the main process of ``analyzer run`` apart from its worker processes'.

    python benchmarks/main_cpu.py TREE INPUT OUT [--cprofile STATS.txt] [--prepare-from N] [--pieces]

Runs ``python -m analyzer run INPUT -o OUT -q`` of the analyzer package in TREE inside this
process and prints one JSON line from ``getrusage``: the main process's own CPU seconds
(``RUSAGE_SELF``: reading, the in-order stages, writing, merging, aggregating, reports), the
workers' (``RUSAGE_CHILDREN``), and each side's peak RSS. Run two trees one after the other
on the same input (and twice each: the machine is shared) to compare where the CPU goes.
With ``--cprofile``, the main thread runs under cProfile and its top functions (by internal
and by cumulative time) are written to STATS.txt (the profiler slows it: compare shares, not
seconds, and take the CPU figures from a run without it). ``--prepare-from N`` sets
``engines.workers.PREPARE_MIN_WORKERS`` to N for this run (benchmark only): with N = 2 the two
workers of a 2-CPU machine also prepare the in-order stages' batches (normalize, dedup keys,
link's own evidence) and the main process only decides (docs/speed.md, "Ninth session").
``--pieces`` adds the main process's CPU by piece, without a profiler: batch-level functions timed
with ``time.thread_time`` (the main thread's own CPU: dedup keys/decisions/annotate, normalize,
link's own evidence/parents/annotate, merging the workers' parts and of it the quotes,
comments.parquet, the end phase's ``result()`` and reports), the main thread's total and what no
piece covers (``not_wrapped``: reading and pseudonymizing, the stream's loop); ``main_cpu`` minus
``main_thread`` is the pool's threads (pickling batches out, unpickling parts back).
"""

import collections
import cProfile
import io
import json
import pstats
import resource
import runpy
import sys
import time

tree, inp, out = sys.argv[1:4]
stats_path = sys.argv[sys.argv.index("--cprofile") + 1] if "--cprofile" in sys.argv else None
prepare_from = int(sys.argv[sys.argv.index("--prepare-from") + 1]) if "--prepare-from" in sys.argv else None
sys.path.insert(0, tree)
if prepare_from is not None:
    import analyzer.engines.workers

    analyzer.engines.workers.PREPARE_MIN_WORKERS = prepare_from
PIECES: collections.Counter = collections.Counter()


def timed(owner, name: str, label: str) -> None:
    """``owner.name`` with its main-thread CPU seconds added into ``PIECES[label]``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        begun = time.thread_time()
        made = original(*args, **kwargs)  # a run that raises is not measured
        PIECES[label] += time.thread_time() - begun
        return made

    setattr(owner, name, wrapper)


if "--pieces" in sys.argv:
    import analyzer.report
    from analyzer.aggregate.accumulator import ResonanceAccumulator
    from analyzer.io.writers import CommentParquetWriter
    from analyzer.stages.dedup import DedupStage
    from analyzer.stages.link import DramaLinkStage
    from analyzer.stages.normalize import NormalizeStage

    for spec in ((DedupStage, "keys_batch", "dedup_keys"), (DedupStage, "decide_batch", "dedup_decide"),
                 (DedupStage, "annotate", "dedup_annotate"), (NormalizeStage, "predict", "normalize_predict"),
                 (NormalizeStage, "annotate", "normalize_annotate"), (DramaLinkStage, "prepare", "link_own"),
                 (DramaLinkStage, "decide_batch", "link_parents"), (DramaLinkStage, "annotate", "link_annotate"),
                 (ResonanceAccumulator, "merge", "merge_parts"),
                 (ResonanceAccumulator, "_merge_quotes", "of_it_quotes"),
                 (CommentParquetWriter, "write_table", "parquet_write"),
                 (CommentParquetWriter, "close", "parquet_close"),
                 (ResonanceAccumulator, "result", "end_result"), (analyzer.report, "write_reports", "end_reports")):
        timed(*spec)
sys.argv = ["analyzer", "run", inp, "-o", out, "-q"]
profiler = cProfile.Profile() if stats_path else None
start, main_start = time.perf_counter(), time.thread_time()
try:
    if profiler:
        profiler.enable()
    runpy.run_module("analyzer", run_name="__main__")
except SystemExit:
    pass
finally:
    if profiler:
        profiler.disable()
main_thread = time.thread_time() - main_start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
pieces = {"main_thread": round(main_thread, 2), "pieces": {k: round(v, 2) for k, v in sorted(PIECES.items())},
          "not_wrapped": round(main_thread - sum(v for k, v in PIECES.items() if k != "of_it_quotes"), 2)}
print(json.dumps({"tree": tree, "prepare_from": prepare_from, "wall": round(time.perf_counter() - start, 1),
                  "main_cpu": round(me.ru_utime + me.ru_stime, 1), "workers_cpu": round(kids.ru_utime + kids.ru_stime, 1),
                  "main_maxrss_mb": me.ru_maxrss // 1024, "workers_maxrss_mb": kids.ru_maxrss // 1024,
                  **(pieces if PIECES else {})}))
if profiler:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(60)
    stats.sort_stats("cumulative").print_stats(120)
    with open(stats_path, "w") as handle:
        handle.write(text.getvalue())
