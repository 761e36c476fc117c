"""Would ``precision="auto"`` running the int8-then-fp32 cascade change what the accurate tier
writes? Every CLI command whose heads read the e5 encoder, with ``e5.AUTO_CASCADE`` off (fp32
ONNX, today's default) and on (the cascade), on the same rows, in one run:

    python benchmarks/e5_cascade_readers.py [--limit N] [--repeat 1] [--commands e5,ensemble,e5_themes_e5] [--json-out FILE]

The rows: the cascade's tuning rows (``training.sentiment_e5.cascade_margin.tuning_rows``: the
training side's held-out rows, never seen by the encoder's fine-tuning, benchmark comments
removed; never the drama dev set), written only to a temporary folder. Commands (``analyzer
annotate IN -o OUT``, the flag set in the child process before the CLI runs, so "auto" decides
exactly as it would with the flag flipped in the source):

- ``--sentiment sentiment.e5.v1``: the head's gate picks what fp32 encodes again; the default
  theme stage's per-theme polarity reads the comment's sentiment scores;
- ``--sentiment sentiment.ensemble.v1``: the blend of sentiment.linear.v1 and the e5 member,
  whose gate is the e5 member's own margin, not the blend's;
- ``--sentiment sentiment.e5.v1 --themes themes.e5.v1``: the theme head keeps the encoder in
  fp32 (``keep_fp32``), so both sides should be identical (a check).

Per command: sentiment label agreement between the two sides, accuracy of each side against the
rows' gold labels, theme sets and polarity maps identical (``accurate_cli.theme_agreement``),
the largest and mean change of ``sentiment_scores``, and CPU and wall seconds of each side
(the child's process time, ONNX Runtime's threads included; best of ``--repeat``, sides
interleaved). The load average is recorded: compare ratios within the run. The temporary folder
is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from accurate_cli import agreement, children_cpu, rows_of, theme_agreement  # noqa: E402
from timing import emit  # noqa: E402

from analyzer.schema import SENTIMENT_LABELS  # noqa: E402
from training.sentiment_e5.cascade_margin import tuning_rows  # noqa: E402

COMMANDS = {
    "e5": ["--sentiment", "sentiment.e5.v1"],
    "ensemble": ["--sentiment", "sentiment.ensemble.v1"],
    "e5_themes_e5": ["--sentiment", "sentiment.e5.v1", "--themes", "themes.e5.v1"],
}
# the CLI with e5.AUTO_CASCADE set first (argv[1]: "1" on, "0" off)
RUNNER = ("import sys; from analyzer.backends.embedding import e5; e5.AUTO_CASCADE = sys.argv[1] == '1'; "
          "from analyzer.cli import main; raise SystemExit(main(sys.argv[2:]))")


def annotate(inp: Path, out: Path, extra: list[str], cascade: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one ``analyzer annotate`` child with the flag set."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", RUNNER, "1" if cascade else "0", "annotate", str(inp), "-o", str(out),
                    "-q", *extra], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu


def compare(fp32: list[dict], cascade: list[dict], gold: list[str]) -> dict:
    """What the cascade changed in one command's output."""
    a, b = (np.array([[r["sentiment_scores"][k] for k in SENTIMENT_LABELS] for r in side], dtype=np.float64)
            for side in (fp32, cascade))
    moved = np.abs(a - b).max(axis=1)
    return {
        "label_agreement": agreement([r["sentiment"] for r in cascade], [r["sentiment"] for r in fp32]),
        "accuracy_fp32": agreement([r["sentiment"] for r in fp32], gold),
        "accuracy_cascade": agreement([r["sentiment"] for r in cascade], gold),
        "scores_moved_max": round(float(moved.max()), 4), "scores_moved_mean": round(float(moved.mean()), 4),
        "scores_unchanged_share": round(float(np.mean(moved == 0)), 4),
        "themes": theme_agreement(cascade, fp32),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N tuning rows (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated: " + ", ".join(COMMANDS))
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    load_start = round(os.getloadavg()[0], 2)
    rows = tuning_rows(args.limit)
    tmp = Path(tempfile.mkdtemp(prefix="e5_cascade_readers_"))
    inp = tmp / "rows.jsonl"
    inp.write_text("".join(json.dumps({"text": r.text}) + "\n" for r in rows), encoding="utf-8")
    gold = [r.label for r in rows]
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    result: dict = {"rows": len(rows), "origin": "cascade tuning rows (training-side hold-out)", "commands": {}}
    for name in args.commands.split(","):
        for k in range(args.repeat):
            for cascade in ((False, True) if k % 2 == 0 else (True, False)):  # alternate who goes first
                side = f"{name}_{'cascade' if cascade else 'fp32'}"
                seconds = annotate(inp, tmp / f"{side}.jsonl", COMMANDS[name], cascade)
                wall.setdefault(side, []).append(round(seconds[0], 3))
                cpu.setdefault(side, []).append(round(seconds[1], 3))
        out = compare(rows_of(tmp / f"{name}_fp32.jsonl"), rows_of(tmp / f"{name}_cascade.jsonl"), gold)
        out["cpu_fp32_over_cascade"] = round(min(cpu[f"{name}_fp32"]) / min(cpu[f"{name}_cascade"]), 3)
        out["wall_fp32_over_cascade"] = round(min(wall[f"{name}_fp32"]) / min(wall[f"{name}_cascade"]), 3)
        result["commands"][name] = {"args": COMMANDS[name], **out}
    result.update({"cpu_count": os.cpu_count(), "load_avg_1min_at_start": load_start,
                   "load_avg_1min_at_end": round(os.getloadavg()[0], 2), "wall_seconds": wall, "cpu_seconds": cpu,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    shutil.rmtree(tmp)  # the rows' texts: shared data, written only for the run
    emit(result)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
