"""The Ray engine's replay step alone, in one process, on the key tables its read actors make:
how its memory moves past the dedup and link windows, with and without
``engines.memory.release_free_memory`` (what ``ReplayActor`` calls every 4 blocks).

The key tables (``rows.REPLAY_COLUMNS`` of ``rows.read_file``, the stages up to ``link``, the
read actors' own code) are made once per input folder and kept under ``--work``. Each variant
then runs in a fresh process: the tables, 3 chunks (~12,000 rows, about one 2 MiB Ray block)
at a time, in input order, through one ``rows.ReplayStep``, each ``Replayed`` pickled as Ray
would ship it; every 4 blocks the process reads its own USS (psutil) and, with ``trace``,
Python's traced bytes (``tracemalloc``, ``engines.memory.MemoryProbe``). Tables are read into
memory, not memory-mapped (a map's pages would count in USS). Variants: ``plain`` (the engine
before), ``release`` (the engine now), ``trace`` (plain, traced: slower, larger USS).

    nice -n 5 python benchmarks/ray_replay_memory.py --input /tmp/ray9/n1200000-f4 --limit 600000
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
CONFIG = '[privacy]\nauthor_key = "benchmark-key"\n\n[pipeline]\nstages = ["normalize", "dedup", "link"]\n'
CHUNKS_PER_BLOCK = 3


def head_stages(config_path: Path):
    from analyzer.engines.rows import Stages
    from analyzer.pipeline import Pipeline
    from analyzer.runner import _context, resolve_config

    config = resolve_config(str(config_path))
    return Stages(Pipeline.from_config(config)), _context(config)


def make_keys(folder: Path, keys: Path, config_path: Path) -> None:
    """The key tables of every ``part-*.jsonl`` under ``folder`` (once; kept under ``keys``)."""
    import pyarrow as pa

    from analyzer.engines.rows import REPLAY_COLUMNS, read_file

    if (keys / "done").exists():
        return
    stages, ctx = head_stages(config_path)
    keys.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(sorted(folder.glob("part-*.jsonl"))):
        tables = [t.select(REPLAY_COLUMNS) for t in read_file(index, str(path), ctx, stages)]
        with pa.OSFile(str(keys / f"keys-{index:02d}.arrow"), "wb") as sink, \
                pa.ipc.new_file(sink, tables[0].schema) as writer:
            for table in tables:
                writer.write_table(table)
    (keys / "done").write_text("")


def blocks(keys: Path):
    import pyarrow as pa

    for path in sorted(keys.glob("keys-*.arrow")):
        reader = pa.ipc.open_file(pa.OSFile(str(path)))  # read into memory: a map's pages count in USS
        for i in range(0, reader.num_record_batches, CHUNKS_PER_BLOCK):
            count = min(CHUNKS_PER_BLOCK, reader.num_record_batches - i)
            yield pa.Table.from_batches([reader.get_batch(i + j) for j in range(count)])


def replay(keys: Path, config_path: Path, variant: str, limit: int, trace: Path) -> dict:
    """One variant, in this process: USS (and traced bytes) every 4 blocks."""
    import psutil

    from analyzer.engines.memory import MemoryProbe, release_free_memory
    from analyzer.engines.rows import ReplayStep

    step = ReplayStep(head_stages(config_path)[0])
    probe = MemoryProbe(str(trace), "ReplayStep", every=4) if variant == "trace" else None
    process, points, calls, rows, started = psutil.Process(), [], 0, 0, time.process_time()
    for table in blocks(keys):
        pickle.dumps(step(table))  # what Ray ships (serialized only, never loaded)
        calls, rows = calls + 1, rows + table.num_rows
        if variant == "release" and calls % 4 == 0:
            release_free_memory()
        if probe:
            probe.called()
        if calls % 4 == 0:
            point = {"blocks": calls, "rows": rows, "uss_mib": round(process.memory_full_info().uss / 2**20, 1)}
            if probe:
                point["traced_mib"] = round(json.loads(sorted(trace.glob("*.json"))[-1].read_text())["traced_bytes"] / 2**20, 1)
            points.append(point)
        if limit and rows >= limit:
            break
    return {"variant": variant, "rows": rows, "blocks": calls, "cpu_seconds": round(time.process_time() - started, 1),
            "points": points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, help="a folder of part-*.jsonl (e.g. ray_overhead.py --memory-sizes' --work)")
    parser.add_argument("--limit", type=int, default=0, help="stop after this many rows (0: all)")
    parser.add_argument("--variants", nargs="+", default=["plain", "release"], choices=["plain", "release", "trace"])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ray_replay_memory")
    parser.add_argument("--out", default=str(RESULTS / "ray_replay_memory"))
    parser.add_argument("--report", nargs="+", metavar="JSON", help="only write OUT.json/.md from these sessions' JSON files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report:
        sessions = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.report]
        Path(args.out + ".json").write_text(json.dumps({"sessions": sessions}, indent=1) + "\n", encoding="utf-8")
        Path(args.out + ".md").write_text(markdown(sessions), encoding="utf-8")
        return
    keys, config = args.work / f"keys-{args.input.name}", args.work / "config.toml"
    if args.child:
        result = replay(keys, config, args.child, args.limit, args.work / f"trace-{os.getpid()}")
        print(json.dumps(result))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    make_keys(args.input, keys, config)
    record = {"command": " ".join(["python benchmarks/ray_replay_memory.py", *sys.argv[1:]]),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "input": str(args.input), "limit": args.limit, "chunks_per_block": CHUNKS_PER_BLOCK, "runs": []}
    for variant in args.variants:
        load = os.getloadavg()[0]
        child = subprocess.run([sys.executable, __file__, "--input", str(args.input), "--limit", str(args.limit),
                                "--work", str(args.work), "--child", variant],
                               capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        run = json.loads(child.stdout.strip().splitlines()[-1])
        run["load_before_after"] = [round(load, 2), round(os.getloadavg()[0], 2)]
        record["runs"].append(run)
        print(json.dumps(run), flush=True)
    Path(args.out + ".json").write_text(json.dumps({"sessions": [record]}, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown([record]), encoding="utf-8")


def markdown(sessions: list[dict]) -> str:
    lines = ["# ray_replay_memory: the replay step's memory past its windows, in one process\n",
             "Each session: `nice -n 5 python benchmarks/ray_replay_memory.py ...` (command below): the key tables "
             "the read actors make for the input (`--input`: a folder `ray_overhead.py --memory-sizes N --work DIR` "
             "writes, `DIR/nN-f4`: N real comments, `cli_speed.write_input`, 4 files in input order), 3 chunks (~12,000 rows, one ~2 MiB Ray "
             "block) per replayed block, each variant a fresh process on the shared 2-core machine. USS (private "
             "memory) of the process every 4 blocks to 16, then every 8, MiB; `trace`: Python's traced allocations (tracemalloc) in "
             "brackets (tracing makes USS larger). The dedup windows hold 50,000 ids and keys, the link window "
             "100,000 ids: both are full from about 100,000 rows. Variants: `plain` the replay before, `release` "
             "with `engines.memory.release_free_memory()` every 4 blocks (the engine now).\n"]
    for record in sessions:
        longest = max(record["runs"], key=lambda r: len(r["points"]))
        last = longest["points"][-1]["blocks"]
        shown = [p["blocks"] for p in longest["points"] if p["blocks"] <= 16 or p["blocks"] % 8 == 0 or p["blocks"] == last]
        rows = {p["blocks"]: p["rows"] for p in longest["points"]}
        lines += [f"## {record.get('date', '')} `{record['command']}`\n",
                  "| variant | CPU s | load before / after | " + " | ".join(f"{rows[b]:,}" for b in shown) + " |",
                  "|---" * (3 + len(shown)) + "|"]
        for run in record["runs"]:
            at = {p["blocks"]: p for p in run["points"]}
            cells = [(str(at[b]["uss_mib"]) + (f" ({at[b]['traced_mib']})" if "traced_mib" in at[b] else ""))
                     if b in at else "" for b in shown]
            lines.append(f"| {run['variant']} | {run['cpu_seconds']} | {run['load_before_after'][0]} / "
                         f"{run['load_before_after'][1]} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
