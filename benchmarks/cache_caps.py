"""Per-worker caches at their caps: fill, hit rate, CPU and held memory on real comments.

    python benchmarks/cache_caps.py --input /tmp/lead/in200k.jsonl --memo 50000 500000 --pseudonyms 10000 50000

The caches are pure caches (an answer is the same found or remembered), so a cap trades memory
for CPU only. For each cap, in a fresh subprocess: the language-ID word memo
(``backends/langid.py`` ``MEMO_WORDS``) and the stage's answer cache (``stages/langid.py``
``CACHE_TEXTS``) over ``LanguageIdStage().pipe`` on the input's comments in 512-record batches
(the memo's size every 20,480 comments, the words looked up past it, the answer cache's hit rate,
CPU seconds, a digest of every answer, which must not change with the cap); the pseudonym cache (``io/pseudonym.py``
``CACHE_SIZE``) over the input's (platform, author) pairs (CPU seconds, and the bytes the cache
holds, by tracemalloc, after 60,000 calls). Prints JSON lines; one run per cap, so CPU seconds
carry the machine's load (compare caps run in the same invocation).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def langid_worker(path: str, memo_words: int, texts_cap: int) -> dict:
    import analyzer.backends.langid as backend
    import analyzer.stages.langid as stage_module
    from analyzer.schema import Comment

    backend.MEMO_WORDS, stage_module.CACHE_TEXTS = memo_words, texts_cap
    with open(path, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    comments = [Comment(id=r["id"], text=r["text"], region=r.get("region")) for r in rows]
    stage = stage_module.LanguageIdStage()
    stage.predict_texts([c.text for c in comments[:200]])
    stage._cache = stage_module.AnswerCache(texts_cap, stage_module.CACHE_CHARS)  # empty after the warm-up
    lexicon = next(v for v in vars(stage.backend).values() if hasattr(v, "_memo"))
    asked, hits, get_many = [0], [0], stage._cache.get_many

    def counted(keys):
        found = get_many(keys)
        asked[0] += len(keys)
        hits[0] += sum(v is not None for v in found.values())
        return found

    stage._cache.get_many = counted
    lookups, lookup = [0], lexicon._lookup

    def looked_up(word):  # a word the memo did not answer: looked up (with its fallbacks) again
        lookups[0] += 1
        return lookup(word)

    lexicon._lookup = looked_up
    batches = [comments[i:i + 512] for i in range(0, len(comments), 512)]
    memo_sizes, done = {}, []
    cpu = time.process_time()
    for k, batch in enumerate(stage.pipe(batches)):
        done.extend(batch)
        if (k + 1) % 40 == 0:
            memo_sizes[len(done)] = len(lexicon._memo)
    cpu = time.process_time() - cpu
    answers = [[c.lang, list(c.lang_mixed), c.script, c.lang_confidence] for c in done]
    return {"memo_words_cap": memo_words, "answer_cache_cap": texts_cap, "comments": len(done),
            "lexicon_words": len(lexicon.index), "memo_words_by_comments": memo_sizes, "lookups": lookups[0], "cpu_s": round(cpu, 2),
            "answer_cache_hit_rate": round(hits[0] / max(1, asked[0]), 5),
            "answers_sha256": hashlib.sha256(json.dumps(answers).encode()).hexdigest()}


def pseudonym_worker(path: str, cap: int) -> dict:
    import analyzer.io.pseudonym as pseudonym

    with open(path, encoding="utf-8") as lines:
        pairs = [(r.get("author"), r.get("platform")) for r in map(json.loads, lines)]
    pseudonym.CACHE_SIZE = cap
    make = pseudonym.Pseudonymizer(key="benchmark-key")
    cpu = time.process_time()
    for author, platform in pairs:
        make(author, platform)
    cpu = time.process_time() - cpu
    make = pseudonym.Pseudonymizer(key="benchmark-key")
    tracemalloc.start()
    for author, platform in pairs[:60_000]:
        make(author, platform)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {"pseudonym_cap": cap, "calls": len(pairs), "distinct": len(set(pairs)), "cpu_s": round(cpu, 3),
            "held_mib_after_60k_calls": round(held / 2**20, 2)}


def run_child(tree: Path, argv: list[str]) -> dict:
    env = {"PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="JSONL records (benchmarks/cli_speed.write_input)")
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--memo", type=int, nargs="*", default=[50_000, 500_000], help="MEMO_WORDS caps")
    ap.add_argument("--answers", type=int, default=20_000, help="the answer cache's CACHE_TEXTS for the memo runs")
    ap.add_argument("--answer-caps", type=int, nargs="*", default=[], help="CACHE_TEXTS caps (memo at its default)")
    ap.add_argument("--pseudonyms", type=int, nargs="*", default=[10_000, 50_000], help="CACHE_SIZE caps")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *values = args.child
        out = langid_worker(args.input, int(values[0]), int(values[1])) if kind == "langid" else \
            pseudonym_worker(args.input, int(values[0]))
        json.dump(out, sys.stdout)
        return
    for cap in args.memo:
        print(json.dumps(run_child(args.tree, ["--input", args.input, "--child", "langid", str(cap), str(args.answers)])), flush=True)
    for cap in args.answer_caps:
        print(json.dumps(run_child(args.tree, ["--input", args.input, "--child", "langid", "50000", str(cap)])), flush=True)
    for cap in args.pseudonyms:
        print(json.dumps(run_child(args.tree, ["--input", args.input, "--child", "pseudonym", str(cap)])), flush=True)


if __name__ == "__main__":
    main()
