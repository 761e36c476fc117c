"""The CPU of what a worker makes of an annotated batch (``runner.BatchOutputs``: the Arrow table and
the batch's accumulator), replayed for several source trees in one process, alternating (benchmark only).

    python benchmarks/batch_outputs_speed.py RUN_DIR --tree base=/tmp/base --tree cur=. \
        [--n 100000] [--rounds 3] [--json-out F]

The annotated comments are read back from RUN_DIR/comments.parquet (a default run of real comments),
cut into parts of ``GROUP * batch`` comments as the workers make them, and each tree's ``to_arrow``
and ``ResonanceAccumulator.update`` run over all parts, ``--rounds`` times in turn per tree (the least
CPU seconds of each kept: the machine is shared). The outputs are compared between trees: the tables
(``equals`` and schema) and the accumulators' pickled states (under PYTHONHASHSEED=0, set by this
script for itself: the slot order of quotes follows the themes' set order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys

from timing import least_cpu

if os.environ.get("PYTHONHASHSEED") != "0":  # the accumulators' digests compare across trees only then
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

PART = 4 * 512  # engines.workers.GROUP batches of the default [run] batch_size


def load(tree: str):
    """The analyzer package of ``tree`` (a fresh import: every module of it)."""
    for name in [m for m in sys.modules if m == "analyzer" or m.startswith("analyzer.")]:
        del sys.modules[name]
    sys.path.insert(0, tree)
    try:
        import analyzer.aggregate
        import analyzer.schema
    finally:
        sys.path.remove(tree)
    return analyzer.schema, analyzer.aggregate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--tree", action="append", required=True, help="NAME=TREE; the first is the baseline")
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the trees, in turn")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    import pyarrow.parquet as pq

    with open(os.path.join(args.run_dir, "manifest.json"), encoding="utf-8") as handle:
        settings = json.load(handle)["config"]["aggregate"]
    table = pq.read_table(os.path.join(args.run_dir, "comments.parquet")).slice(0, args.n)
    rows, first = [], {}
    for repeat in range(args.repeat):
        for spec in args.tree:
            name, tree = spec.split("=", 1)
            schema, aggregate = load(tree)
            comments = schema.from_arrow(table)
            parts = [comments[i:i + PART] for i in range(0, len(comments), PART)]
            arrow_s, tables = least_cpu(lambda: [schema.to_arrow(p) for p in parts], args.rounds)
            update_s, accs = least_cpu(lambda: [aggregate.ResonanceAccumulator(settings).update(p) for p in parts],
                                   args.rounds)
            digest = hashlib.sha256(b"".join(pickle.dumps(a.__getstate__(), protocol=5) for a in accs)).hexdigest()
            base = first.setdefault(repeat, (tables, digest))
            same = all(a.equals(b) and a.schema == b.schema for a, b in zip(base[0], tables)) and base[1] == digest
            row = {"repeat": repeat, "name": name, "tree": tree, "comments": len(comments),
                   "to_arrow_cpu_s": round(arrow_s, 3), "update_cpu_s": round(update_s, 3),
                   "load": round(os.getloadavg()[0], 1), "same_as_first": same}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump({"run_dir": args.run_dir, "rows": rows}, handle, indent=1)
            handle.write("\n")


if __name__ == "__main__":
    main()
