"""Hit rate and CPU cost of the language-ID stage's answer cache (``stages.langid.AnswerCache``).

    python benchmarks/langid_cache.py --json-out benchmarks/results/langid_cache.json

Inputs: the texts ``benchmarks/langid_speed.py`` feeds the stage (every text of the JSONL
files under ``../shared/data``, shuffled with a fixed seed, cycled to ``--n``), and each of
those files alone, in file order (copies in a dump sit where its source put them). Texts go
through the cache as ``LanguageIdStage.predict_texts`` sends them: batches of
``--batch-size``, repeats inside a batch looked up once. ``hits`` counts texts answered
from an earlier batch. CPU: the best of ``--repeats`` turns of that bookkeeping with the
cache against the same loop without it (a batch's distinct texts only), per comment.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

from analyzer.stages.langid import CACHE_CHARS, CACHE_TEXTS, AnswerCache

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def _langid_speed():
    spec = importlib.util.spec_from_file_location("langid_speed", ROOT / "benchmarks" / "langid_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def through_cache(texts: list[str], batch_size: int, cached: bool = True) -> tuple[int, int]:
    """(texts answered from an earlier batch, repeats inside a batch)."""
    cache = AnswerCache(CACHE_TEXTS, CACHE_CHARS)
    hits = in_batch = 0
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        keys = dict.fromkeys(batch)
        in_batch += len(batch) - len(keys)
        if not cached:
            continue
        found = cache.get_many(keys)
        todo = [key for key, answer in found.items() if answer is None]
        hits += len(keys) - len(todo)
        cache.put_many(todo, [True] * len(todo))
    return hits, in_batch


def best_cpu(texts: list[str], batch_size: int, cached: bool, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        through_cache(texts, batch_size, cached)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    bench = _langid_speed().texts_for(args.n, args.data)
    hits, in_batch = through_cache(bench, args.batch_size)
    with_cache = best_cpu(bench, args.batch_size, True, args.repeats)
    without = best_cpu(bench, args.batch_size, False, args.repeats)
    files = {}
    for path in sorted(args.data.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            texts = [t for t in ((json.loads(line).get("text") or "").strip() for line in handle) if t]
        file_hits, file_in_batch = through_cache(texts, args.batch_size)
        files[f"{path.parent.name}/{path.name}"] = {"n": len(texts), "distinct": len(set(texts)), "hits": file_hits,
                                                    "hit_rate": round(file_hits / len(texts), 4), "in_batch": file_in_batch}
    out = {
        "command": "python benchmarks/langid_cache.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in
                                                                     (("n", args.n), ("batch_size", args.batch_size))),
        "cache": {"texts": CACHE_TEXTS, "chars": CACHE_CHARS}, "load_before": [round(x, 1) for x in os.getloadavg()],
        "benchmark_input": {"n": args.n, "hits": hits, "hit_rate": round(hits / args.n, 5), "in_batch": in_batch,
                            "cache_us_per_comment": round((with_cache - without) / args.n * 1e6, 3)},
        "files": files,
    }
    text = json.dumps(out, indent=1) + "\n"
    if args.json_out:
        args.json_out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
