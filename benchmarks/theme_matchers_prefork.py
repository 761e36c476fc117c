"""Whether building every per-language theme-lexicon matcher in the main process before the
workers fork would pay: the CPU it costs there against what each forked worker then saves.

    python benchmarks/theme_matchers_prefork.py INPUT [--rounds 3] [--batches 60] [--json-out F]

Each round runs two fresh subprocesses, one per setting: "lazy" (as ``analyzer run`` does: the
first batch runs every stage in the main process, so only the matchers of that batch's languages
exist at the fork) and "prebuilt" (the same, then every lexicon's matcher built: the cost is timed
and the main process's VmRSS read before and after). Each then forks one child, which runs the
tail stages (langid, region, sentiment, mentions, themes) on the next ``--batches`` batches of 512
read from INPUT, as a worker does, and reports its CPU seconds per batch: the first batch's
excess over the median batch is what a worker pays for what it builds on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import itertools, json, os, sys, time
tree, inp, prebuilt, count = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
sys.path.insert(0, tree)
from analyzer.config import Config
from analyzer.io import ReadContext, Reject, read_comments
from analyzer.pipeline import run_stages
from analyzer.runner import build_pipeline
from analyzer.stages.base import stateless_tail

def rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

pipeline = build_pipeline(Config())
comments = (c for c in read_comments([inp], ReadContext()) if not isinstance(c, Reject))
split = stateless_tail(pipeline.stages)
head, tail = pipeline.stages[:split], pipeline.stages[split:]
run_stages(list(itertools.islice(comments, 512)), pipeline.stages, {})  # as Pipeline._pooled's first batch
lexicon = next(s for s in tail if s.name == "themes").backend.lexicon
built_before = len(lexicon._matchers)
row = {"setting": "prebuilt" if prebuilt else "lazy", "matchers_at_fork": built_before}
if prebuilt:
    before, start = rss_mib(), time.process_time()
    for lang in (*lexicon.languages, None):
        lexicon._matcher(lang)
    row.update(prebuild_cpu_s=round(time.process_time() - start, 3), prebuild_rss_mib=round(rss_mib() - before, 1),
               matchers_at_fork=len(lexicon._matchers))
batches = [run_stages(list(itertools.islice(comments, 512)), head, {}) for _ in range(count)]
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    seconds = []
    for batch in batches:
        start = time.process_time()
        run_stages(batch, tail, {})
        seconds.append(time.process_time() - start)
    os.write(write_end, json.dumps({"seconds": seconds, "built": len(lexicon._matchers)}).encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end) as handle:
    child = json.loads(handle.read())
os.waitpid(pid, 0)
seconds = child["seconds"]
median = sorted(seconds)[len(seconds) // 2]
row.update(worker_first_batch_s=round(seconds[0], 3), worker_median_batch_s=round(median, 3),
           worker_excess_s=round(sum(seconds) - median * len(seconds), 3), worker_built_after=child["built"])
print(json.dumps(row))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    rows = []
    for round_ in range(args.rounds):
        for prebuilt in ("0", "1"):
            load = os.getloadavg()[0]
            done = subprocess.run([sys.executable, "-c", CHILD, args.tree, args.input, prebuilt, str(args.batches)],
                                  capture_output=True, text=True, check=True)
            row = {"round": round_, **json.loads(done.stdout.strip().splitlines()[-1]),
                   "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    summary = {"input": args.input, "tree": args.tree, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "rows": rows}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
