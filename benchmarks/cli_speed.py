"""End-to-end speed and peak memory of ``analyzer run`` (the CLI users run) on real comments,
for a baseline tree and the current tree, in the same run.

The input is N real comments: every text of the JSONL files under ``--data`` (default
``../shared/data``: YouTube, Douban, tweets, reviews in 10+ languages), cycled when N exceeds
them (the repeats are what dedup sees in real dumps). Each record gets a drama title from
the bundled catalog, a region and a platform, so linking and every stage run. The file is
written to a temporary folder and deleted after the run; no text is kept.

Each tree runs ``python -m analyzer run INPUT -o OUT -q`` as a subprocess under
``/usr/bin/time -v`` (peak RSS, CPU seconds), with ``nice`` when asked. Rates are given per
wall second and per CPU second (the latter moves less when other jobs share the machine);
the load average before and after is recorded. The two trees' ``comments.parquet`` are
compared column by column (``agreement``: share of identical annotations). The baseline tree is any folder
holding an ``analyzer`` package, e.g. ``git worktree add /tmp/base 4f5159e``.

    python benchmarks/cli_speed.py --n 200000 --baseline /tmp/base --json-out benchmarks/results/cli_speed.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("US", "VN", "TH", "ID", "PH", "KR", "JP", "BR", "MX", "FR", "DE", "IN", "SA", "TR", "RU", "ES")


def real_texts(data: Path) -> list[str]:
    """Every non-empty ``text`` of the JSONL files under ``data``, shuffled with a fixed seed."""
    texts = []
    for path in sorted(data.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                text = (json.loads(line).get("text") or "").strip()
                if text:
                    texts.append(text)
    random.Random(0).shuffle(texts)  # sources interleaved, as in a mixed dump
    return texts


def dramas() -> list[str]:
    with open(ROOT / "data" / "catalog" / "dramas.csv", encoding="utf-8") as handle:
        return [row["title"] for row in csv.DictReader(handle)]


def write_input(path: Path, texts: list[str], n: int) -> dict:
    """N records cycling over ``texts``; returns the character statistics of what was written."""
    titles = dramas()
    lengths = []
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            text = texts[i % len(texts)]
            lengths.append(len(text))
            record = {"id": f"c{i}", "text": text, "drama": titles[i % len(titles)],
                      "region": REGIONS[(i // 7) % len(REGIONS)], "platform": "youtube",
                      "author": f"u{i % 50021}", "likes": i % 37, "created_at": f"2024-{1 + i % 12:02d}-01T00:00:00Z"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    lengths.sort()
    return {"n": n, "distinct_texts": min(n, len(texts)), "mean_chars": round(sum(lengths) / n, 1),
            "p90_chars": lengths[int(0.9 * (n - 1))]}


BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_cli(tree: Path, args: list[str], nice: int, blas_threads: str = "1") -> dict:
    """Run ``python -m analyzer ARGS`` from ``tree``; wall seconds and peak RSS (MB).

    ``blas_threads``: "1" sets OMP_NUM_THREADS=1; "unset" leaves the BLAS thread variables
    out, as a user's shell does (BLAS then uses every core)."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env["PYTHONPATH"] = str(tree)
    if blas_threads != "unset":
        env["OMP_NUM_THREADS"] = blas_threads
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "analyzer", *args]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: analyzer {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", proc.stderr).group(1)) for kind in ("User", "System"))
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def measure(tree: Path, input_path: Path, out: Path, n: int, nice: int, blas_threads: str = "1") -> dict:
    result = run_cli(tree, ["run", str(input_path), "-o", str(out), "-q"], nice, blas_threads)
    result["comments_per_s"] = round(n / result["seconds"], 1)
    result["comments_per_cpu_s"] = round(n / result["cpu_seconds"], 1)  # less sensitive to other load
    from analyzer.manifest import load_manifest

    timings = load_manifest(out).timings
    if timings:
        result["timings"] = timings
    return result


COMPARED = ("clean_text", "noise", "dup_count", "duplicate_of", "drama", "region", "lang", "sentiment",
            "themes", "theme_scores", "theme_polarity", "intents", "mentions")


def agreement(base: Path, current: Path) -> dict:
    """Share of comments whose annotations are identical in the two runs, per column."""
    import pyarrow.parquet as pq

    a = pq.read_table(base / "comments.parquet", columns=["id", *COMPARED])
    b = pq.read_table(current / "comments.parquet", columns=["id", *COMPARED])
    if a.column("id").to_pylist() != b.column("id").to_pylist():
        return {"same_ids": False}
    out, all_same = {}, None
    for name in COMPARED:
        same = [x == y for x, y in zip(a.column(name).to_pylist(), b.column(name).to_pylist())]
        out[name] = round(sum(same) / max(1, len(same)), 6)
        all_same = same if all_same is None else [p and q for p, q in zip(all_same, same)]
    out["all_columns"] = round(sum(all_same) / max(1, len(all_same)), 6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[200_000], help="comment counts to run (each once per tree)")
    parser.add_argument("--baseline", type=Path, help="folder with the baseline analyzer package (e.g. a worktree of main)")
    parser.add_argument("--current", type=Path, default=ROOT, help="folder with the tree to measure (default: this one)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--nice", type=int, default=5)
    parser.add_argument("--skip-baseline-above", type=int, default=None,
                        help="run the baseline only for N up to this (it is slow)")
    parser.add_argument("--blas-threads", default="1",
                        help='OMP_NUM_THREADS for both trees, or "unset" to leave it out as a user\'s shell does')
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    texts = real_texts(args.data)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cli_speed_") as tmp:
        for n in args.n:
            input_path = Path(tmp) / f"comments_{n}.jsonl"
            stats = write_input(input_path, texts, n)
            row = {"input": stats, "load_before": os.getloadavg()[0]}
            row["current"] = measure(args.current, input_path, Path(tmp) / f"cur_{n}", n, args.nice, args.blas_threads)
            if args.baseline and (args.skip_baseline_above is None or n <= args.skip_baseline_above):
                row["baseline"] = measure(args.baseline, input_path, Path(tmp) / f"base_{n}", n, args.nice, args.blas_threads)
                row["speedup"] = round(row["current"]["comments_per_s"] / row["baseline"]["comments_per_s"], 2)
                row["cpu_speedup"] = round(row["current"]["comments_per_cpu_s"] / row["baseline"]["comments_per_cpu_s"], 2)
                row["agreement"] = agreement(Path(tmp) / f"base_{n}", Path(tmp) / f"cur_{n}")
                row["resonance_csv_identical"] = ((Path(tmp) / f"base_{n}" / "resonance.csv").read_bytes()
                                                  == (Path(tmp) / f"cur_{n}" / "resonance.csv").read_bytes())
            row["load_after"] = os.getloadavg()[0]
            input_path.unlink()
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"command": "python -m analyzer run INPUT -o OUT -q", "python": sys.version.split()[0],
              "cpus": os.cpu_count(), "blas_threads": args.blas_threads, "baseline": str(args.baseline) if args.baseline else None,
              "current": str(args.current), "runs": rows}
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
