"""Speed of the language-ID stage on real comments: a baseline tree against this tree, same run.

    git archive HEAD~3 analyzer | tar -x -C /tmp/base      # any folder holding an ``analyzer`` package
    python benchmarks/langid_speed.py --baseline /tmp/base --n 200000 --json-out benchmarks/results/langid_speed.json

The input is what ``benchmarks/cli_speed.py`` feeds ``analyzer run``: every text of the
JSONL files under ``../shared/data``, shuffled with a fixed seed, cycled to N (repeats
included, as in real dumps), as ``Comment`` records with cli_speed's regions, in batches of
``--batch-size`` (``analyzer run``'s default 512). Each tree runs ``LanguageIdStage().pipe`` on
them in its own subprocess (after a warm-up on 200 texts, so model loading is not timed), in turns,
``--repeats`` times; the best CPU seconds and wall seconds of each are kept (CPU seconds move
less when other jobs share the machine). The two trees' answers are compared: ``lang``,
``lang_mixed`` and ``script`` must be identical, and so must the confidences unless
``--allow-confidence`` is given; ``--allow-changes`` (a baseline with another model) only
counts the texts whose language differs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
REGIONS = ("US", "VN", "TH", "ID", "PH", "KR", "JP", "BR", "MX", "FR", "DE", "IN", "SA", "TR", "RU", "ES")  # as cli_speed


def texts_for(n: int, data: Path) -> list[str]:
    spec = importlib.util.spec_from_file_location("cli_speed", ROOT / "benchmarks" / "cli_speed.py")
    cli_speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli_speed)  # its real_texts, without putting this tree on sys.path
    texts = cli_speed.real_texts(data)
    return [texts[i % len(texts)] for i in range(n)]


def worker(n: int, data: Path, batch_size: int) -> None:
    """Runs inside one tree (its ``analyzer`` first on sys.path): times and answers."""
    from analyzer.schema import Comment
    from analyzer.stages.langid import LanguageIdStage

    texts = texts_for(n, data)
    comments = [Comment(id=f"c{i}", text=text, region=REGIONS[(i // 7) % len(REGIONS)]) for i, text in enumerate(texts)]
    batches = [comments[i:i + batch_size] for i in range(0, len(comments), batch_size)]
    stage = LanguageIdStage()
    stage.predict_texts(texts[:200])
    cpu, wall = time.process_time(), time.perf_counter()
    done = [c for batch in stage.pipe(batches) for c in batch]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    labels = [[c.lang, list(c.lang_mixed), c.script] for c in done]
    confidences = [c.lang_confidence for c in done]
    json.dump({"cpu_s": cpu, "wall_s": wall, "labels": _digest(labels), "confidences": _digest(confidences),
               "langs": [c.lang for c in done]}, sys.stdout)


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()


def run_tree(tree: Path, n: int, data: Path, batch_size: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--worker", "--n", str(n), "--data", str(data), "--batch-size", str(batch_size)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=str(tree))
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="folder holding the baseline analyzer package")
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=512, help="comments per batch (analyzer run's run.batch_size)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--allow-confidence", action="store_true", help="confidences may differ (labels may not)")
    ap.add_argument("--allow-changes", action="store_true", help="answers may differ (a change of model): only report them")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.n, args.data, args.batch_size)
    if args.baseline is None:
        raise SystemExit("--baseline is required: a folder holding the analyzer package to compare with")
    trees = {"baseline": args.baseline.resolve(), "current": ROOT}
    best: dict[str, dict] = {}
    load = os.getloadavg()
    for _ in range(args.repeats):
        for name, tree in trees.items():
            res = run_tree(tree, args.n, args.data, args.batch_size)
            old = best.get(name)
            best[name] = res if old is None else {**res, "cpu_s": min(old["cpu_s"], res["cpu_s"]),
                                                  "wall_s": min(old["wall_s"], res["wall_s"])}
    base, cur = best["baseline"], best["current"]
    changed = sum(a != b for a, b in zip(base.pop("langs"), cur.pop("langs")))
    out = {
        "command": " ".join(["python benchmarks/langid_speed.py"] + sys.argv[1:]),
        "python": platform.python_version(), "cpus": os.cpu_count(), "load_before": [round(x, 1) for x in load],
        "n": args.n, "repeats": args.repeats,
        "baseline": {k: round(v, 3) if isinstance(v, float) else v for k, v in base.items()},
        "current": {k: round(v, 3) if isinstance(v, float) else v for k, v in cur.items()},
        "speedup_cpu": round(base["cpu_s"] / cur["cpu_s"], 2), "speedup_wall": round(base["wall_s"] / cur["wall_s"], 2),
        "same_labels": base["labels"] == cur["labels"], "same_confidences": base["confidences"] == cur["confidences"],
        "langs_changed": changed,
    }
    text = json.dumps(out, indent=1) + "\n"
    if args.json_out:
        args.json_out.write_text(text, encoding="utf-8")
    print(text)
    if args.allow_changes:
        return
    if not out["same_labels"] or not (out["same_confidences"] or args.allow_confidence):
        raise SystemExit("the two trees' answers differ (see above)")


if __name__ == "__main__":
    main()
