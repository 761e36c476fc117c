"""What the Ray engine's kept-rows round trip costs: the read step keeps each chunk's comment rows
in an Arrow file under the run's temporary folder (``rows.store_prepared``) and the annotation
step reads them back (``rows.load_prepared``), so that only the key columns travel through the
replay. Measured in one process, on the stages the read actors run (up to ``link``), as CPU
seconds (``time.process_time``) beside the read itself, on N real comments (``cli_speed``'s input,
one file):

- read + prepare: ``rows.read_file`` (our reader, normalize, dedup keys, own link), per chunk;
- store: ``store_prepared`` (the comment rows written, LZ4, and the key columns selected);
- load: ``load_prepared`` of every chunk (what the annotation actors read back);
- in memory: selecting the same rows without the file (what a block carrying its rows through
  the replay would select instead; Ray's serialization of those rows is not counted here).

    python benchmarks/ray_kept_rows.py --n 50000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from cli_speed import real_texts, write_input  # noqa: E402

from analyzer.config import Config, PrivacyConfig  # noqa: E402
from analyzer.engines import rows  # noqa: E402
from analyzer.engines.ray import _head  # noqa: E402
from analyzer.runner import _context, build_pipeline  # noqa: E402


def one_try(path: Path, folder: Path) -> dict:
    config = Config(privacy=PrivacyConfig(author_key="benchmark-key"))
    stages, ctx = rows.Stages(_head(build_pipeline(config))), _context(config)
    cpu = {"read + prepare": 0.0, "store": 0.0, "load": 0.0, "in memory": 0.0}
    tables = rows.read_file(0, str(path), ctx, stages)
    count = 0
    while True:
        start = time.process_time()
        table = next(tables, None)
        cpu["read + prepare"] += time.process_time() - start
        if table is None:
            break
        start = time.process_time()
        rows.store_prepared(folder, table)
        cpu["store"] += time.process_time() - start
        start = time.process_time()
        rows.comments_only(table).select(rows.STORED_COLUMNS)
        cpu["in memory"] += time.process_time() - start
        count += table.num_rows
    start = time.process_time()
    loaded = sum(part.num_rows for chunk in range(count // rows.CHUNK + 1)
                 for _, part in rows.load_prepared(folder, 0, chunk * rows.CHUNK, (chunk + 1) * rows.CHUNK - 1))
    cpu["load"] = time.process_time() - start
    return {"rows": count, "loaded": loaded, "cpu_s": {k: round(v, 3) for k, v in cpu.items()}}


def markdown(record: dict) -> str:
    lines = ["# The Ray engine's kept-rows round trip (`benchmarks/ray_kept_rows.py`)\n",
             f"`{record['command']}`: {record['n']:,} real comments in one file, the read actors' stages (up to "
             "`link`), CPU s in one process (`time.process_time`), on the shared 2-core machine.\n",
             "| try | load before | read + prepare | store (write kept rows) | load (read them back) | "
             "round trip / read | in memory instead |", "|---|---|---|---|---|---|---|"]
    for i, one in enumerate(record["tries"], 1):
        cpu = one["cpu_s"]
        share = (cpu["store"] + cpu["load"]) / cpu["read + prepare"]
        lines.append(f"| {i} | {one['load_before']} | {cpu['read + prepare']} | {cpu['store']} | {cpu['load']} | "
                     f"{share:.1%} | {cpu['in memory']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ray_kept_rows"))
    args = parser.parse_args()
    record = {"command": " ".join(["python benchmarks/ray_kept_rows.py", *sys.argv[1:]]), "n": args.n, "tries": []}
    with tempfile.TemporaryDirectory(prefix="ray_kept_rows_") as tmp:
        path = Path(tmp) / "input.jsonl"
        write_input(path, real_texts(args.data), args.n)
        for i in range(args.repeat):
            load = round(os.getloadavg()[0], 2)
            one = {"load_before": load, **one_try(path, Path(tmp) / f"kept-{i}")}
            record["tries"].append(one)
            print(json.dumps(one), flush=True)
    Path(args.out + ".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(record), encoding="utf-8")


if __name__ == "__main__":
    main()
