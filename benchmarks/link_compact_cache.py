"""CPU seconds of ``stages.link.compact`` on the ``drama`` field of N records, computed every
time (the function itself, ``compact.__wrapped__``) and through its cache, with the results
compared. The link stage calls it once per comment that has a ``drama`` field; a dump names a
few dramas again and again.

    python benchmarks/link_compact_cache.py /tmp/lead/in200k.jsonl [--n 200000] [--rounds 3]

Prints one JSON line (best of ``--rounds``, ``time.process_time``); no text is printed.
"""

import argparse
import itertools
import json
import os
import time

from analyzer.stages import link

parser = argparse.ArgumentParser()
parser.add_argument("input")
parser.add_argument("--n", type=int, default=200_000)
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()
with open(args.input, encoding="utf-8") as handle:
    names = [json.loads(line).get("drama") or "" for line in itertools.islice(handle, args.n)]
uncached, cached = [], []
for _ in range(args.rounds):
    start = time.process_time()
    every = [link.compact.__wrapped__(n) for n in names]
    uncached.append(time.process_time() - start)
    link.compact.cache_clear()
    start = time.process_time()
    through = [link.compact(n) for n in names]
    cached.append(time.process_time() - start)
print(json.dumps({"records": len(names), "distinct": len(set(names)), "uncached_s": round(min(uncached), 3),
                  "cached_s": round(min(cached), 3), "same": every == through,
                  "load": round(os.getloadavg()[0], 1)}))
