"""CPU seconds per phase of the default run (reading, every stage, writing comments.parquet,
aggregating) on N real comments, for a baseline tree and the current tree, side by side.

The input is N real comments written by ``cli_speed.write_input`` (every text of the JSONL
files under ``--data``, cycled; drama, region, author, likes and time filled in; deleted after
the run). Each tree runs this script as a child process (``PYTHONPATH=TREE``), which reads
the file, streams it through ``default_stages`` in batches of 512 as ``analyzer run`` does,
writes the batches with ``CommentParquetWriter`` and feeds a ``ResonanceAccumulator``, timing
every phase with ``time.process_time`` (CPU time: moved less by other jobs on the machine
than wall time). The trees run one after the other, ``--repeat`` times, alternating; the
smaller of the repeats is kept. The two trees' annotations are compared row by row
(``same_rows``: the two comments.parquet hold the same rows).

    python benchmarks/prep_speed.py --n 30000 --baseline /tmp/base --out benchmarks/results/prep_speed

``--main``: the main process's share of ``analyzer run`` with worker processes instead (the
in-order stages before the stateless tail, by default normalize, dedup, link): reading, those
stages, pickling each batch for the workers (``send``) and, in a tree whose workers prepare the
batches (``stages.base.prepared_head``), unpickling what they prepared (``receive``); the
workers' own preparing and annotating with the main process's decisions are timed apart
(``workers_prepare``, ``workers_annotate``: not main-process time). The two
trees' batches after those stages are compared by digest (``same_rows``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = ("read", "normalize", "dedup", "link", "send", "receive")
MINE = ("read", "normalize", "dedup", "link", "region", "sentiment", "mentions", "write", "aggregate_update",
        "aggregate_result")


def _timer(seconds: dict[str, float]):
    """``timed(name, fn, *args)``: calls fn and adds its CPU seconds to ``seconds[name]``."""
    def timed(name, fn, *args):
        start = time.process_time()
        out = fn(*args)
        seconds[name] = seconds.get(name, 0.0) + time.process_time() - start
        return out
    return timed


def child(input_path: str, parquet: str) -> dict[str, float]:
    """Per-phase CPU seconds of one tree (run with PYTHONPATH=TREE)."""
    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.config import Config
    from analyzer.io import ReadStats, read_comments
    from analyzer.io.writers import CommentParquetWriter
    from analyzer.runner import _context
    from analyzer.schema import Comment
    from analyzer.stages import default_stages

    config = Config()
    seconds: dict[str, float] = {}
    timed = _timer(seconds)

    stages = timed("load", default_stages, config)
    comments = timed("read", lambda: [c for c in read_comments([input_path], _context(config), ReadStats())
                                      if isinstance(c, Comment)])
    writer, acc = CommentParquetWriter(parquet), ResonanceAccumulator()
    for i in range(0, len(comments), 512):
        batch = comments[i:i + 512]
        for stage in stages:
            batch = timed(stage.name, stage, batch)
        timed("write", writer.write, batch)
        timed("aggregate_update", acc.update, batch)
    timed("write", writer.close, True)
    timed("aggregate_result", acc.result)
    return {k: round(v, 3) for k, v in seconds.items()}


def main_child(input_path: str, digest_path: str) -> dict[str, float]:
    """Per-phase CPU seconds of the main process of one tree (run with PYTHONPATH=TREE)."""
    import hashlib
    import pickle

    from analyzer.config import Config
    from analyzer.io import ReadStats, read_comments
    from analyzer.pipeline import Pipeline
    from analyzer.runner import _context
    from analyzer.schema import FIELD_NAMES, Comment
    from analyzer.stages import base
    import operator

    _values = operator.attrgetter(*FIELD_NAMES)

    config = Config()
    seconds: dict[str, float] = {}
    timed = _timer(seconds)

    pipeline = timed("load", Pipeline.from_config, config)
    head = pipeline.stages[:base.stateless_tail(pipeline.stages)]
    ready = base.prepared_head(head) if hasattr(base, "prepared_head") else 0
    comments = timed("read", lambda: [c for c in read_comments([input_path], _context(config), ReadStats())
                                      if isinstance(c, Comment)])
    digest, dump = hashlib.sha256(), lambda x: pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)
    for i in range(0, len(comments), pipeline.batch_size):
        batch = comments[i:i + pipeline.batch_size]
        if ready:
            timed("send", dump, batch)
            prepared = pickle.dumps(timed("workers_prepare", _prepare_like_a_worker, head[:ready], batch))
            prepared = timed("receive", pickle.loads, prepared)
            decided = [timed(stage.name, stage.decide_batch, batch, made) for stage, made in zip(head, prepared)]
            if ready == len(head):  # the workers annotate the batch with the decisions
                timed("send", dump, (batch, decided))
                for stage, predictions in zip(head, decided):
                    batch = timed("workers_annotate", stage.annotate, batch, predictions)
                digest.update(repr([_values(c) for c in batch]).encode("utf-8"))
                continue
            for stage, predictions in zip(head, decided):
                batch = timed(stage.name, stage.annotate, batch, predictions)
        for stage in head[ready:]:
            batch = timed(stage.name, stage, batch)
        timed("send", dump, batch)
        digest.update(repr([_values(c) for c in batch]).encode("utf-8"))  # values, not pickle bytes (memo)
    Path(digest_path).write_text(digest.hexdigest(), encoding="utf-8")
    return {k: round(v, 3) for k, v in seconds.items()}


def _prepare_like_a_worker(stages, batch):
    """What ``engines.workers._prepare`` returns for a batch."""
    prepared = []
    for stage in stages:
        prepared.append(stage.prepare(batch))
        if stage.stateless:
            batch = stage.annotate(batch, prepared[-1])
    return prepared


def run_tree(tree: Path, input_path: Path, parquet: Path, nice: int, mode: str = "--child") -> dict[str, float]:
    from timing import run_child

    return run_child(__file__, tree, [mode, str(input_path), str(parquet)], nice)


def same_rows(a: Path, b: Path) -> bool:
    import pyarrow.parquet as pq

    return pq.read_table(a).equals(pq.read_table(b))


def main_markdown(result: dict) -> str:
    base, cur = result["baseline"], result["current"]
    lines = [
        "# The main process of `analyzer run` with workers: CPU seconds per phase, before and after",
        "",
        f"`python benchmarks/prep_speed.py --main --n {result['n']} --repeat {result['repeat']} --baseline "
        f"{result['baseline_tree']}` (baseline = {result['baseline_commit']}); {result['n']:,} real comments "
        f"(`cli_speed.write_input`), {result['cpus']} CPUs, load average {result['load_before']:.1f} before / "
        f"{result['load_after']:.1f} after; best of {result['repeat']} alternating runs per tree; CPU time "
        "(`time.process_time`). The current tree as with 3 or more workers, which prepare the batches "
        "(`engines.workers.PREPARE_MIN_WORKERS`). `send`: pickling batches for the workers; `receive`: "
        "unpickling what the workers prepared. Same batches after these stages in both trees (digest): "
        f"**{result['same_rows']}**.",
        "",
        "| phase (main process) | before s | after s | speed-up |",
        "|---|---:|---:|---:|",
    ]
    names = [k for k in MAIN if k in base or k in cur]
    for name in names:
        b, c = base.get(name, 0.0), cur.get(name, 0.0)
        lines.append(f"| {name} | {b:.2f} | {c:.2f} | {b / c:.2f}x |" if c else f"| {name} | {b:.2f} | {c:.2f} | |")
    b, c = sum(base.get(k, 0) for k in names), sum(cur.get(k, 0) for k in names)
    lines.append(f"| **main process together** | **{b:.2f}** | **{c:.2f}** | **{b / max(c, 1e-9):.2f}x** |")
    for name in ("workers_prepare", "workers_annotate"):
        lines.append(f"| {name} (on the workers, not main) | {base.get(name, 0):.2f} | {cur.get(name, 0):.2f} | |")
    return "\n".join(lines) + "\n"


def markdown(result: dict) -> str:
    base, cur = result["baseline"], result["current"]
    lines = [
        "# Preparation, writing and aggregation: CPU seconds per phase, before and after",
        "",
        f"`python benchmarks/prep_speed.py --n {result['n']} --baseline {result['baseline_tree']}` "
        f"(baseline = {result['baseline_commit']}); {result['n']:,} real comments (`cli_speed.write_input`), "
        f"{result['cpus']} CPUs, load average {result['load_before']:.1f} before / {result['load_after']:.1f} after; "
        f"best of {result['repeat']} alternating runs per tree; CPU time (`time.process_time`), so other jobs "
        "move it less than wall time. Same rows in both comments.parquet: "
        f"**{result['same_rows']}**.",
        "",
        "| phase | before s | after s | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for name in [*MINE, "langid", "themes"]:
        if name in base and name in cur:
            note = " (not this change)" if name in ("langid", "themes") else ""
            lines.append(f"| {name}{note} | {base[name]:.2f} | {cur[name]:.2f} | {base[name] / max(cur[name], 1e-9):.2f}x |")
    b, c = sum(base.get(k, 0) for k in MINE), sum(cur.get(k, 0) for k in MINE)
    lines.append(f"| **these phases together** | **{b:.2f}** | **{c:.2f}** | **{b / max(c, 1e-9):.2f}x** |")
    bt, ct = sum(v for k, v in base.items() if k != "load"), sum(v for k, v in cur.items() if k != "load")
    lines.append(f"| all phases (with langid, themes) | {bt:.2f} | {ct:.2f} | {bt / max(ct, 1e-9):.2f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--main-child":
        print(json.dumps(main_child(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from timing import baseline_pair_args

    baseline_pair_args(parser, ROOT, 30_000, 1)
    parser.add_argument("--main", action="store_true", help="the main process's phases with worker processes")
    args = parser.parse_args()
    from cli_speed import real_texts, write_input

    commit = subprocess.run(["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    mode = "--main-child" if args.main else "--child"
    result = {"mode": "main" if args.main else "one process", "n": args.n, "cpus": os.cpu_count(), "repeat": args.repeat, "baseline_tree": str(args.baseline),
              "baseline_commit": commit, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="prep_speed_") as tmp:
        input_path = Path(tmp) / "comments.jsonl"
        result["input"] = write_input(input_path, real_texts(args.data), args.n)
        runs: dict[str, list[dict]] = {"baseline": [], "current": []}
        for _ in range(args.repeat):
            for name, tree in (("baseline", args.baseline), ("current", args.current)):
                runs[name].append(run_tree(tree, input_path, Path(tmp) / f"{name}.parquet", args.nice, mode))
        for name, found in runs.items():
            result[name] = {k: min(r[k] for r in found) for k in found[0]}
        if args.main:  # digests of the batches after the main process's stages
            result["same_rows"] = (Path(tmp) / "baseline.parquet").read_text() == (Path(tmp) / "current.parquet").read_text()
        else:
            result["same_rows"] = same_rows(Path(tmp) / "baseline.parquet", Path(tmp) / "current.parquet")
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text((main_markdown if args.main else markdown)(result), encoding="utf-8")


if __name__ == "__main__":
    main()
