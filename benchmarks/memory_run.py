"""Peak memory of the whole `analyzer run` (the CLI users run) as the input grows, every author unique.

    python benchmarks/memory_run.py --n 100000 1000000 [--out benchmarks/results/memory_run.md]

Each size is a JSON Lines file of synthetic comments (templates written here, 7 catalog dramas,
13 markets, one author per comment, one day per 1,000 comments) run through
`python -m analyzer run FILE -o OUT -q` in a subprocess under `/usr/bin/time -v`; the table gives
its peak RSS and wall seconds, with the smallest size as the baseline of the ratios. Nothing is
timed in-process and no real comment text is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRAMAS = ("Love Between Fairy and Devil", "The Untamed", "Nirvana in Fire", "Hidden Love", "Story of Yanxi Palace",
          "Go Ahead", "Till the End of the Moon")
MARKETS = ("US", "PH", "ID", "VN", "TH", "MY", "BR", "MX", "ES", "KR", "JP", "SA", "FR")
TEMPLATES = (
    "episode {n} of {d} was so good, the ost is stuck in my head",
    "the acting in {d} is wooden and the plot drags after episode {n}",
    "where can I watch {d} with subtitles in my country?",
    "rewatching {d} for the {n}th time, the chemistry is unreal",
    "{d} ending ruined it for me, why did they rush it",
    "the costumes and sets in {d} are gorgeous, episode {n} looked like a painting",
)


def write_input(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            drama = DRAMAS[i % len(DRAMAS)]
            row = {"id": f"c{i}", "text": rng.choice(TEMPLATES).format(d=drama, n=rng.randint(2, 40)),
                   "drama": drama, "country": MARKETS[rng.randrange(len(MARKETS))], "author": f"user{i}",
                   "created_at": (start + timedelta(days=i // 1000 % 120)).isoformat(), "likes": rng.randint(0, 50)}
            out.write(json.dumps(row) + "\n")


def measure(path: Path, out: Path) -> dict:
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "analyzer", "run", str(path), "-o", str(out), "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"analyzer run failed: {done.stderr.strip().splitlines()[-1]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {"peak_mb": round(rss / 1024, 1), "seconds": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "memory_run.md")
    args = ap.parse_args()
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory_run_") as tmp:
        for n in sorted(args.n):
            path = Path(tmp) / f"comments_{n}.jsonl"
            write_input(path, n)
            result = measure(path, Path(tmp) / f"out_{n}")
            rows.append({"n": n, **result})
            print(json.dumps(rows[-1]), flush=True)
            path.unlink()
    base = rows[0]
    lines = ["# Peak memory of `analyzer run`, every author unique", "",
             f"`python benchmarks/memory_run.py --n {' '.join(map(str, args.n))}` on {platform.machine()}, "
             f"{os.cpu_count()} cores, load average {load[0]:.1f} at the start. Synthetic comments (templates in the "
             "script), one author each; peak RSS of the CLI process from `/usr/bin/time -v`.", "",
             "| comments | peak RSS MB | vs smallest | wall s | comments/s |", "|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['peak_mb']:,.0f} | {r['peak_mb'] / base['peak_mb']:.2f}x | {r['seconds']:,.0f} | "
                     f"{r['n'] / max(r['seconds'], 1e-9):,.0f} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
