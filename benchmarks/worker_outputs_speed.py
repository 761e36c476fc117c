"""CPU seconds of what a worker of ``analyzer run`` does to its annotated batches outside the
stages (``runner.BatchOutputs``: Arrow rows, the batch accumulator, the tally; pickling the
``BatchPart``) and of the main process's unpickling and merging of it, for a baseline tree and
this tree in the same run, on the same annotated batches, and whether their outputs are identical.

    python benchmarks/worker_outputs_speed.py --input /tmp/lead/in20k.jsonl --n 20000 \\
        --baseline /tmp/s13base --repeat 3 --json-out benchmarks/results/x.json

The comments are read and annotated once (every stage of the default pipeline, by the baseline
tree, batches of the run's size) and kept in a temporary pickle that both trees load (a Comment
pickles as its field values). Each tree then runs in its own subprocess (``PYTHONPATH=TREE``), the
trees in turns, ``--repeat`` processes each; a process makes ``--passes`` passes over the batches,
``engines.workers.GROUP`` batches per call as the pool sends them, and keeps the least CPU
(``time.process_time``) of each phase: ``unpickle`` (the call's batches, fresh objects),
``arrow`` (``schema.to_arrow``), ``accumulate`` (a fresh accumulator's ``update``), ``tally``,
``then`` (the whole ``BatchOutputs`` call), ``pickle`` (the ``BatchPart``) and ``merge`` (the main
process: unpickle the part, merge its accumulator and tally, cut its table into batches). The
garbage collector runs with the run's thresholds. Each process also prints a digest of what
came out: the tables' Arrow IPC bytes, the merged accumulator's cells (every window's rows),
quote candidates, noise and duplicate counts, and the tally; the parent compares the trees'.
Texts are never written anywhere but the temporary pickle, removed at the end (``--keep FILE``:
kept there, and reused by the next run that names it).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("unpickle", "arrow", "accumulate", "tally", "then", "pickle", "merge")


def annotate(path: str, n: int, out: str) -> None:
    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.io import ReadStats, read_comments
    from analyzer.runner import _aggregate_settings, _context, build_pipeline, resolve_config

    config = resolve_config(None)
    pipeline = build_pipeline(config)
    read = (c for c in read_comments([path], _context(config), ReadStats()) if not hasattr(c, "reason"))
    batches = list(pipeline.batches(itertools.islice(read, n)))
    settings = ResonanceAccumulator(_aggregate_settings(config, pipeline) or None).config
    with open(out, "wb") as handle:
        pickle.dump((batches, settings), handle, protocol=pickle.HIGHEST_PROTOCOL)


def timed(spent: dict[str, float], phase: str, function, *args):
    start = time.process_time()
    made = function(*args)
    spent[phase] += time.process_time() - start
    return made


def one_pass(calls: list[bytes], settings: dict) -> tuple[dict[str, float], str]:
    from multiprocessing.reduction import ForkingPickler

    import pyarrow as pa

    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.runner import BatchOutputs, Tally
    from analyzer.schema import to_arrow

    spent, digest = dict.fromkeys(PHASES, 0.0), hashlib.sha256()
    outputs, run_acc, run_tally = BatchOutputs(settings), ResonanceAccumulator(settings), Tally()
    for call in calls:
        batches = timed(spent, "unpickle", pickle.loads, call)
        rows = list(itertools.chain.from_iterable(batches))
        timed(spent, "arrow", to_arrow, rows)
        timed(spent, "accumulate", lambda: ResonanceAccumulator(settings).update(rows))
        timed(spent, "tally", lambda: Tally().update(rows))
        part = timed(spent, "then", outputs, *batches)
        blob = timed(spent, "pickle", ForkingPickler.dumps, part)
        start = time.process_time()
        back = pickle.loads(blob)
        run_acc.merge(back.accumulator)
        run_tally.merge(back.tally)
        tables = list(back.tables())
        spent["merge"] += time.process_time() - start
        for table in tables:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            digest.update(sink.getvalue().to_pybytes())
    return spent, _digest(digest, run_acc, run_tally)


def _digest(digest, acc, tally) -> str:
    for pair in acc.pairs():
        for key, rows in sorted(acc.cell_windows(*pair).items()):
            digest.update(repr(key).encode())
            for col in rows:
                digest.update(col.dtype.str.encode() + col.tobytes())
    digest.update(repr(sorted(acc.quote_candidates().items())).encode())
    digest.update(repr((sorted(acc._noise.items()), sorted(acc._dups.items()), tally.counts)).encode())
    return digest.hexdigest()


def worker(cache: str, passes: int) -> dict:
    from multiprocessing.reduction import ForkingPickler

    from analyzer.defaults import GC_THRESHOLDS
    from analyzer.engines.workers import GROUP

    import pyarrow as pa

    pa.array([0])  # pyarrow's first conversion imports pandas: not part of any phase
    gc.set_threshold(*GC_THRESHOLDS)
    with open(cache, "rb") as handle:
        batches, settings = pickle.load(handle)
    calls = [bytes(ForkingPickler.dumps(batches[i:i + GROUP])) for i in range(0, len(batches), GROUP)]
    del batches
    best, digests = dict.fromkeys(PHASES, float("inf")), set()
    for _ in range(passes):
        spent, digest = one_pass(calls, settings)
        digests.add(digest)
        best = {k: min(best[k], spent[k]) for k in PHASES}
    return {"cpu_s": {k: round(v, 4) for k, v in best.items()}, "digest": sorted(digests), "group": GROUP}


def run_tree(tree: Path, cache: str, passes: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--worker", "--cache", cache, "--passes", str(passes)]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", help="JSONL comments (e.g. cli_speed.write_input's /tmp/lead/in20k.jsonl)")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--current", type=Path, default=ROOT)
    parser.add_argument("--repeat", type=int, default=3, help="processes per tree, in turns")
    parser.add_argument("--passes", type=int, default=3, help="passes per process")
    parser.add_argument("--keep", help="keep the annotated batches in this file (reused when it exists)")
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.cache, args.passes)))
        return
    trees = {"baseline": args.baseline, "current": args.current}
    cache = args.keep
    if cache is None:
        handle, cache = tempfile.mkstemp(prefix="worker_outputs_", suffix=".pkl")
        os.close(handle)
    try:
        if args.keep is None or not os.path.exists(args.keep):
            _annotate_in(args.baseline, args.input, args.n, cache)
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        loads = [os.getloadavg()[0]]
        for _ in range(args.repeat):
            for name, tree in trees.items():
                runs[name].append(run_tree(tree, cache, args.passes))
                loads.append(os.getloadavg()[0])
    finally:
        if args.keep is None:
            os.unlink(cache)
    result = summarize(runs, args, loads)
    print(json.dumps(result, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def _annotate_in(tree: Path, path: str, n: int, cache: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import worker_outputs_speed as w; " \
           f"w.annotate({path!r}, {n}, {cache!r})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def summarize(runs: dict[str, list[dict]], args, loads: list[float]) -> dict:
    best = {name: {k: min(r["cpu_s"][k] for r in rs) for k in PHASES} for name, rs in runs.items()}
    scale = 200_000 / args.n
    out = {"command": " ".join(sys.argv), "comments": args.n, "group": runs["current"][0]["group"],
           "load_average": [round(x, 2) for x in loads],
           "identical": len({d for rs in runs.values() for r in rs for d in r["digest"]}) == 1,
           "cpu_s_least": best,
           "cpu_s_per_200k": {name: {k: round(v * scale, 2) for k, v in b.items()} for name, b in best.items()},
           "ratio_baseline_over_current": {k: round(best["baseline"][k] / max(best["current"][k], 1e-9), 2)
                                           for k in PHASES},
           "runs": runs}
    worker_phases = ("unpickle", "then", "pickle")
    for name in runs:
        out[f"{name}_worker_cpu_s"] = round(sum(best[name][k] for k in worker_phases), 3)
    out["worker_ratio"] = round(out["baseline_worker_cpu_s"] / out["current_worker_cpu_s"], 3)
    return out


if __name__ == "__main__":
    main()
