"""Peak memory of read -> normalize -> dedup on synthetic dumps of 10x and 100x the
sample size: streaming must keep memory flat.

Each measurement runs in a fresh subprocess (peak RSS = ``ru_maxrss``). The baseline,
measured in the same run, is the same subprocess that imports everything and stops.
Synthetic records are youtube-comment-downloader JSON Lines (so the platform reader
is exercised) with made-up multilingual texts, unique authors, ~5% exact copies,
~2% edited copies and ~3% noise.

    python benchmarks/memory_stream.py [--sample-size 2000] [--out benchmarks/results/memory_stream.md]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_SAMPLE = 2000
WORDS = {
    "en": "the ending was so good I cried acting chemistry leads story pacing slow ost music costumes "
          "subtitles rewatch episode finale villain second lead season waiting".split(),
    "vi": "phim hay quá diễn xuất cốt truyện nhạc phim tập cuối nữ chính nam chính xem lại chờ".split(),
    "th": "สนุกมาก นางเอก พระเอก เพลงประกอบ ตอนจบ ซับไทย ดูซ้ำ ฉาก".split(),
    "es": "me encanta la historia actuación final capítulo química subtítulos pareja".split(),
    "id": "drama ini bagus banget alur cerita pemeran episode terakhir nonton lagi".split(),
    "zh": "剧情 好看 演技 结局 配乐 服化道 二刷 男主 女主 太甜了".split(),
}


def synth_line(i: int, rng: random.Random, recent: list[str]) -> str:
    roll = rng.random()
    if roll < 0.05 and recent:
        text = rng.choice(recent)  # exact copy-paste
    elif roll < 0.07 and recent:
        text = rng.choice(recent) + " " + rng.choice(WORDS["en"])  # edited copy
    elif roll < 0.10:
        text = rng.choice(["12:34", "first!", "check my channel https://spam.example.invalid/x"])
    else:
        words = WORDS[rng.choice(list(WORDS))]
        text = " ".join(rng.choice(words) for _ in range(rng.randint(4, 40))) + f" #{i % 997}"
        if len(recent) < 500:
            recent.append(text)
        else:
            recent[rng.randrange(500)] = text
    record = {"cid": f"Ugx{i:09d}", "text": text, "time": "1 day ago", "author": f"@viewer{i}",
              "channel": f"UCsynthetic{i:012d}", "votes": str(rng.randint(0, 999)), "replies": "0",
              "heart": False, "reply": False, "time_parsed": 1_700_000_000 + i}
    return json.dumps(record, ensure_ascii=False)


def write_dump(path: Path, n: int, seed: int = 7) -> None:
    rng, recent = random.Random(seed), []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(synth_line(i, rng, recent) + "\n")


def child(path: str, mode: str) -> None:
    """Run in a subprocess: stream the dump, print one JSON line of results."""
    import analyzer.io.platforms  # noqa: F401
    from analyzer.io import ReadContext, Reject, read_comments
    from analyzer.stages.dedup import DedupStage
    from analyzer.stages.normalize import NormalizeStage

    start, count, dups, noise, checkpoints = time.perf_counter(), 0, 0, 0, {}
    total = sum(1 for _ in open(path, "rb"))
    marks = {int(total * q) for q in (0.1, 0.25, 0.5, 0.75)}
    if mode == "stream":
        normalize, dedup = NormalizeStage(), DedupStage()
        batch = []
        for item in read_comments(path, ReadContext()):
            if isinstance(item, Reject):
                continue
            batch.append(item)
            if len(batch) == 256:
                for c in dedup(normalize(batch)):
                    count += 1
                    dups += "duplicate_of" in c.extra
                    noise += c.noise
                    if count in marks:
                        checkpoints[count] = current_rss_mib()
                batch = []
        for c in dedup(normalize(batch)):
            count += 1
            dups += "duplicate_of" in c.extra
            noise += c.noise
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"comments": count, "duplicates": dups, "noise": noise,
                      "seconds": round(time.perf_counter() - start, 1), "peak_rss_mib": round(peak_mib, 1),
                      "rss_at": checkpoints}))


def current_rss_mib() -> float:
    """Resident memory now (Linux /proc), to show where the curve flattens."""
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def measure(path: Path, mode: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, __file__, "--child", str(path), mode], capture_output=True,
                         text=True, check=True, env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample-size", type=int, default=DEFAULT_SAMPLE)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "memory_stream.md"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (10, 100):
            path = Path(tmp) / f"synthetic_{factor}x.jsonl"
            write_dump(path, args.sample_size * factor)
            size_mib = path.stat().st_size / 2**20
            base = measure(path, "baseline")
            run = measure(path, "stream")
            rows.append((factor, args.sample_size * factor, size_mib, base, run))
    lines = ["| input | records | file MiB | baseline peak RSS MiB (imports only) | read+normalize+dedup peak RSS MiB "
             "| above baseline MiB | duplicates | noise | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for factor, n, size, base, run in rows:
        lines.append(f"| {factor}x | {n} | {size:.1f} | {base['peak_rss_mib']} | {run['peak_rss_mib']} | "
                     f"{run['peak_rss_mib'] - base['peak_rss_mib']:.1f} | {run['duplicates']} | {run['noise']} | "
                     f"{run['seconds']} |")
    growth = rows[1][4]["peak_rss_mib"] - rows[0][4]["peak_rss_mib"]
    lines.append("")
    for factor, n, _, _, run in rows:
        curve = ", ".join(f"{k} comments: {v}" for k, v in sorted(run["rss_at"].items(), key=lambda kv: int(kv[0])))
        lines.append(f"RSS MiB during the {factor}x run: {curve}, end (peak): {run['peak_rss_mib']}.  ")
    lines.append("")
    lines.append(f"10x -> 100x: input grows {rows[1][2] / rows[0][2]:.0f}-fold, peak RSS grows by {growth:.1f} MiB.")
    report = "\n".join(lines)
    print(report)
    header = (f"# memory_stream\n\nCommand: `python benchmarks/memory_stream.py --sample-size {args.sample_size}`"
              f" (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)\n\n")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(header + report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
