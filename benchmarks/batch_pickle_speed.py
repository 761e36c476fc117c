"""CPU of sending batches of Comments to the worker processes: pickling (main process) and
unpickling (worker) a list of Comments Comment by Comment, as before, against ``schema.ByColumns``
(one list per field), on the same batches, in turn (benchmark only).

    python benchmarks/batch_pickle_speed.py RUN_DIR [--n 100000] [--rounds 5] [--json-out F]

The batches are the comments of RUN_DIR/comments.parquet with only the fields they carry when
they leave the main process (reader, normalize, dedup, link), in batches of 512 (the default
``[run] batch_size``), one list per call as ``engines.workers`` sends them. The least CPU seconds
of ``--rounds`` are kept, and the loaded comments compared.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle

import pyarrow.parquet as pq

from analyzer.schema import ByColumns, Comment, from_arrow
from timing import least_cpu

SENT = ("id", "text", "source", "drama", "platform", "region", "author", "created_at", "likes", "reply_to",
        "title", "video_time", "extra", "clean_text", "noise", "dup_count", "duplicate_of", "drama_confidence")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    table = pq.read_table(os.path.join(args.run_dir, "comments.parquet")).slice(0, args.n)
    comments = [Comment(**{f: getattr(c, f) for f in SENT}) for c in from_arrow(table)]
    batches = [comments[i:i + 512] for i in range(0, len(comments), 512)]
    dump_list, by_list = least_cpu(lambda: [pickle.dumps([b], protocol=5) for b in batches], args.rounds)
    dump_cols, by_cols = least_cpu(lambda: [pickle.dumps([ByColumns(b)], protocol=5) for b in batches], args.rounds)
    load_list, list_back = least_cpu(lambda: [pickle.loads(s)[0] for s in by_list], args.rounds)
    load_cols, cols_back = least_cpu(lambda: [pickle.loads(s)[0] for s in by_cols], args.rounds)
    row = {"comments": len(comments), "dump_list_cpu_s": round(dump_list, 3), "dump_by_columns_cpu_s": round(dump_cols, 3),
           "load_list_cpu_s": round(load_list, 3), "load_by_columns_cpu_s": round(load_cols, 3),
           "bytes_list": sum(map(len, by_list)), "bytes_by_columns": sum(map(len, by_cols)),
           "same_comments": list_back == cols_back == batches, "load": round(os.getloadavg()[0], 1)}
    print(json.dumps(row))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump(row, handle, indent=1)
            handle.write("\n")


if __name__ == "__main__":
    main()
