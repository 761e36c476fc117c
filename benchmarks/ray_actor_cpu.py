"""Where an annotation actor's CPU goes, beside a local worker's, on the same comments, in one process.

The Ray engine's annotation actor (``engines/rows.annotate_block``) and the local engine's worker
(``engines/workers._annotate`` with ``runner.BatchOutputs``) run the same stages on the same
comments; what differs is the work around them. This script prepares N real comments once as the
read and replay actors do (kept rows on disk, decisions replayed), warms the stages on them, then
times each piece of both paths with ``time.process_time`` (this process only, no Ray), ``--repeat``
times alternated, and prints CPU seconds per piece (best of the tries):

- actor: kept rows read back (LZ4 Arrow file, filtered), ``from_arrow``, the replayed decisions
  applied (``dedup.annotate`` / ``link.annotate``), the stages, ``to_arrow`` + Parquet part,
  accumulator and tally;
- local worker: a batch unpickled (it arrives pickled from the main process), the stages,
  ``BatchOutputs`` (``to_arrow``, accumulator, tally), the result pickled back; the main process's
  share (decisions applied in its dedup/link stages, the Parquet write) is timed beside it.

    nice -n 5 python benchmarks/ray_actor_cpu.py --input /tmp/lead/in20k.jsonl
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from analyzer.defaults import GC_THRESHOLDS  # noqa: E402
from analyzer.engines import rows  # noqa: E402
from analyzer.io import ReadContext  # noqa: E402
from analyzer.io.pseudonym import Pseudonymizer  # noqa: E402
from analyzer.runner import BatchOutputs, Tally, build_pipeline  # noqa: E402
from analyzer.schema import from_arrow, to_arrow  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, function, *args):
        start = time.process_time()
        out = function(*args)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - start
        return out


def prepare(path: str, kept: Path, stages: rows.Stages) -> list[rows.Replayed]:
    """The read and replay actors' work: rows kept under ``kept``, one ``Replayed`` per chunk."""
    step, ctx = rows.ReplayStep(stages), ReadContext(pseudonymize=Pseudonymizer("benchmark-key"))
    return [step(rows.store_prepared(kept, table)) for table in rows.read_file(0, path, ctx, stages)]


def actor_path(blocks, kept: Path, parts: Path, stages: rows.Stages, settings: dict) -> dict[str, float]:
    from analyzer.aggregate import ResonanceAccumulator

    clock, accumulator, tally = Clock(), ResonanceAccumulator(settings), Tally()
    for replayed in blocks:
        decision = lambda index, seq, d=replayed.decisions: d.get((index, seq))  # noqa: E731
        for index, first, last in replayed.ranges:
            for _, part in clock("read back", lambda: list(rows.load_prepared(kept, index, first, last))):
                comments = clock("from_arrow", from_arrow, part.select([n for n in rows.FIELD_NAMES
                                                                        if n in part.column_names]))
                linked = clock("decisions applied", rows.apply_decisions, part, comments, stages, decision)
                done = clock("stages", rows.run_rest, linked, stages)
                table = clock("to_arrow", to_arrow, done)
                clock("parquet part", pq.write_table, table, parts / "part.parquet")
                clock("accumulator + tally", lambda: (accumulator.update(done), tally.update(done)))
    return clock.seconds


def local_path(batches, stages: rows.Stages, settings: dict, parts: Path) -> dict[str, float]:
    """The local worker's pieces (batches as the main process sends them, pickled) and the main
    process's Parquet write of what comes back."""
    clock, then = Clock(), BatchOutputs(settings)
    for sent in batches:
        batch = clock("unpickle batch", pickle.loads, sent)
        done = clock("stages", rows.run_rest, batch, stages)
        part = clock("then (to_arrow, accumulator, tally)", then, done)
        back = clock("pickle result", pickle.dumps, part, pickle.HIGHEST_PROTOCOL)
        clock("main: unpickle result", pickle.loads, back)
        clock("main: parquet write", pq.write_table, part.table, parts / "local.parquet")
    return clock.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default="/tmp/lead/in20k.jsonl", help="a JSONL file of comments")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", help="write the JSON record here")
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as in the actors (engines/ray._settle) and the local workers
    pipeline = build_pipeline()
    stages, settings = rows.Stages(pipeline), dict(pipeline_settings())
    with tempfile.TemporaryDirectory(prefix="ray_actor_cpu_") as tmp:
        kept, parts = Path(tmp) / "kept", Path(tmp)
        blocks = prepare(args.input, kept, stages)
        linked = []  # the local main process's batches: decisions applied, as sent to a worker
        for replayed in blocks:
            decision = lambda index, seq, d=replayed.decisions: d.get((index, seq))  # noqa: E731
            for index, first, last in replayed.ranges:
                for _, part in rows.load_prepared(kept, index, first, last):
                    comments = from_arrow(part.select([n for n in rows.FIELD_NAMES if n in part.column_names]))
                    linked.extend(rows.apply_decisions(part, comments, stages, decision))
        sent = [pickle.dumps(linked[i:i + stages.batch_size], pickle.HIGHEST_PROTOCOL)
                for i in range(0, len(linked), stages.batch_size)]
        rows.run_rest(linked, stages)  # warm: caches filled, lazily built matchers built, for both paths alike
        tries = {"actor": [], "local": []}
        for _ in range(args.repeat):
            tries["actor"].append(actor_path(blocks, kept, parts, stages, settings))
            tries["local"].append(local_path(sent, stages, settings, parts))
    best = {path: {k: round(min(t[k] for t in runs), 3) for k in runs[0]} for path, runs in tries.items()}
    record = {"input": args.input, "comments": len(linked), "repeat": args.repeat, "best_cpu_seconds": best,
              "totals": {path: round(sum(v.values()), 3) for path, v in best.items()}}
    print(json.dumps(record, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def pipeline_settings() -> dict:
    from analyzer.config import Config

    return dict(Config().aggregate)


if __name__ == "__main__":
    main()
