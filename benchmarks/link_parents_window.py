"""The link stage's parents window: the C kernel (``parents_new`` / ``parents_decide``) against the
Python reference (``LRU`` + ``resolve`` per comment) on the same comments, in one process.

    python benchmarks/link_parents_window.py INPUT [--n 200000] [--rounds 5] [--json-out F]

Reads the first N comments of INPUT, computes each one's own evidence once (``link_own``, as the
main process does), then, alternating (``--rounds`` times each), gives every batch of 512 to
``decide_batch`` of a fresh stage with each window: CPU seconds (``time.process_time``) of the
decisions; then once more each under ``tracemalloc`` (slower: not timed) for the bytes the window
holds at the end (its table, nodes and (drama, confidence) values; the ids it keys are the comments').
The decisions and counts of the two are compared.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.io import ReadContext, read_comments  # noqa: E402
from analyzer.schema import Comment  # noqa: E402
from analyzer.stages.link import DramaLinkStage  # noqa: E402


class PythonWindow(DramaLinkStage):
    """The reference: ``resolve`` overridden (the same code), so the C window is not used."""

    def resolve(self, ident, reply_to, found):
        return super().resolve(ident, reply_to, found)


def decide_all(cls: type, batches: list, owns: list, traced: bool) -> tuple[float, int, list, list]:
    """(CPU seconds, bytes the window holds at the end (``traced``; else 0), decisions, counts)."""
    stage = cls()
    if traced:
        tracemalloc.start()
    start = time.process_time()
    found = [stage.decide_batch(batch, list(own)) for batch, own in zip(batches, owns)]
    took = time.process_time() - start
    held = 0
    if traced:
        del found[:]  # what is left traced is the window's
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return took, held, found, list(stage.stats.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    read = itertools.islice(read_comments([args.input], ReadContext()), args.n)
    comments = [c for c in read if isinstance(c, Comment)]
    batches = [comments[i:i + 512] for i in range(0, len(comments), 512)]
    own = DramaLinkStage()
    owns = [own.prepare(batch) for batch in batches]
    rows, results = [], {}
    for round_ in range(args.rounds):
        for name, cls in (("python", PythonWindow), ("compiled", DramaLinkStage)):
            load = os.getloadavg()[0]
            took, _, found, stats = decide_all(cls, batches, owns, traced=False)
            results[name] = (found, stats)
            rows.append({"round": round_, "window": name, "cpu_s": round(took, 4),
                         "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)})
            print(json.dumps(rows[-1]), flush=True)
    held = {name: round(decide_all(cls, batches, owns, traced=True)[1] / 2**20, 2)
            for name, cls in (("python", PythonWindow), ("compiled", DramaLinkStage))}
    best = {name: min(r["cpu_s"] for r in rows if r["window"] == name) for name in ("python", "compiled")}
    summary = {"input": args.input, "comments": len(comments), "replies": sum(1 for c in comments if c.reply_to),
               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "best_cpu_s": best,
               "ratio_compiled_over_python": round(best["compiled"] / best["python"], 3),
               "window_mib": held,
               "same_decisions_and_counts": results["python"] == results["compiled"], "runs": rows}
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
