"""CPU seconds of reading, of the normalize stage and of the link stage on N real comments (the
main process's share of ``analyzer run`` before dedup and after it), for a baseline tree and the
current tree, alternating, best of ``--repeat``; the two trees' Comments compared.

The input is N real comments written by ``cli_speed.write_input`` (every text of the JSONL
files under ``--data``, cycled; deleted after the run), or ``--input FILE`` as it is. Each tree
runs this script as a child process (``PYTHONPATH=TREE``) that reads the file with
``read_comments`` (the garbage-collector thresholds ``analyzer run`` sets) in batches of 512,
streamed, and runs ``NormalizeStage`` then ``DramaLinkStage`` over each (dedup, between them in
the default pipeline, is left out), timing each with ``time.process_time``. ``same``: the digest
of every Comment field after link agrees between the trees.

    python benchmarks/readnorm_speed.py --n 50000 --repeat 3 --baseline /tmp/base --out benchmarks/results/readnorm_speed
    python benchmarks/readnorm_speed.py --input /tmp/lead/in200k.jsonl --baseline /tmp/base --out OUT
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
PHASES = ("read", "normalize", "link")


def child(input_path: str) -> dict:
    import gc
    import hashlib
    import itertools

    from analyzer.config import Config
    from analyzer.io import ReadStats, read_comments
    from analyzer.runner import _context
    from analyzer.schema import FIELD_NAMES
    from analyzer.stages.link import DramaLinkStage
    from analyzer.stages.normalize import NormalizeStage

    gc.set_threshold(50_000, 20, 100)  # as analyzer run sets it
    stage, link, ctx = NormalizeStage(), DramaLinkStage(), _context(Config())
    items = read_comments([input_path], ctx, ReadStats())
    digest, read, normalize, linked = hashlib.sha256(), 0.0, 0.0, 0.0
    while True:  # batches of 512 streamed as analyzer run streams them (memory stays flat)
        start = time.process_time()
        batch = list(itertools.islice(items, 512))
        read += time.process_time() - start
        if not batch:
            break
        start = time.process_time()
        batch = stage(batch)
        normalize += time.process_time() - start
        start = time.process_time()
        batch = link(batch)
        linked += time.process_time() - start
        for c in batch:
            digest.update(repr([getattr(c, name) for name in FIELD_NAMES]).encode("utf-8", "surrogatepass"))
    return {"read": round(read, 3), "normalize": round(normalize, 3), "link": round(linked, 3),
            "digest": digest.hexdigest()}


def run_tree(tree: Path, input_path: Path, nice: int) -> dict:
    from timing import run_child

    return run_child(__file__, tree, ["--child", str(input_path)], nice)


def markdown(result: dict) -> str:
    base, cur = result["baseline"], result["current"]
    rows = [(name, base[name], cur[name]) for name in PHASES]
    rows.append(("**" + " + ".join(PHASES) + "**", sum(base[n] for n in PHASES), sum(cur[n] for n in PHASES)))
    given = f"--input {result['input_file']}" if result.get("input_file") else f"--n {result['n']}"
    lines = [f"`python benchmarks/readnorm_speed.py {given} --repeat {result['repeat']} --baseline "
             f"{result['baseline_tree']}` (baseline {result['baseline_commit']}, current {result['current_commit']}); "
             f"load average {result['load_before']:.1f} before / {result['load_after']:.1f} after; best of "
             f"{result['repeat']} alternating runs; CPU seconds. Same Comments after link: **{result['same']}**.",
             "", "| phase | baseline CPU s | current CPU s | speed-up |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {b:.3f} | {c:.3f} | {b / max(c, 1e-9):.2f}x |" for name, b, c in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from timing import baseline_pair_args

    baseline_pair_args(parser, ROOT, 50_000, 3)
    parser.add_argument("--input", type=Path, help="an existing JSONL file of comments (instead of --n)")
    args = parser.parse_args()
    from cli_speed import real_texts, write_input

    def commit(tree: Path) -> str:
        return subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "?"

    result = {"n": None if args.input else args.n, "repeat": args.repeat, "cpus": os.cpu_count(), "baseline_tree": str(args.baseline),
              "baseline_commit": commit(args.baseline), "current_commit": commit(args.current),
              "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="readnorm_speed_") as tmp:
        input_path = args.input or Path(tmp) / "comments.jsonl"
        if args.input:
            result["input_file"] = str(args.input)
        else:
            texts = real_texts(args.data)
            if not texts:
                raise SystemExit(f"no JSONL texts under {args.data}; pass --data")
            result["input"] = write_input(input_path, texts, args.n)
        runs: dict[str, list[dict]] = {"baseline": [], "current": []}
        for _ in range(args.repeat):
            for name, tree in (("baseline", args.baseline), ("current", args.current)):
                runs[name].append(run_tree(tree, input_path, args.nice))
    for name, found in runs.items():
        result[name] = {k: min(r[k] for r in found) for k in PHASES}
        result[name]["runs"] = found
    result["same"] = len({r["digest"] for found in runs.values() for r in found}) == 1
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: v for k, v in result.items() if k not in ("baseline", "current")}))
    print(markdown(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
