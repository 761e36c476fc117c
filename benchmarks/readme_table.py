"""Rewrite the end-to-end speed table of ``docs/speed.md`` (the README links it) from
``benchmarks/results/cli_speed.json``.

The table sits between the ``<!-- speed-table:start -->`` and ``<!-- speed-table:end -->``
markers; tests/test_speed_table.py checks that it matches the results file.

    python benchmarks/readme_table.py            # rewrite docs/speed.md
    python benchmarks/readme_table.py --check    # exit 1 when the table is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "cli_speed.json"
DOC = ROOT / "docs" / "speed.md"
sys.path.insert(0, str(ROOT))  # run as a script, like the other benchmarks
from training.common import replace_block  # noqa: E402
START, END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _threads(setting: str) -> str:
    if setting == "unset":
        return "OMP_NUM_THREADS left out, as in a user's shell (BLAS uses every core)"
    return f"OMP_NUM_THREADS={setting}"


def _yes(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def render(results: dict) -> str:
    """The Markdown table: one row per input size, current beside baseline, same run."""
    lines = [
        f"`{results['command']}` on N real comments (`benchmarks/cli_speed.py`; baseline: the code before "
        f"the speed work, run on the same input in the same run; {results['cpus']} cores shared with other jobs, "
        "load average given per row; BLAS threads: "
        f"{_threads(results.get('blas_threads', '1'))}). Wall-clock rates follow the machine's load, which changed "
        "between the two trees' minutes; comments per CPU-second (user + system time of the CLI process) is the "
        "comparable figure.",
        "",
        "| comments | comments/s (baseline) | speed-up | comments per CPU-s (baseline) | speed-up (CPU) "
        "| peak RSS MB (baseline) | annotations identical | resonance.csv identical | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["runs"]:
        cur, base = row["current"], row.get("baseline")
        n = row["input"]["n"]
        if base:
            lines.append(
                f"| {n:,} | {_rate(cur['comments_per_s'])} ({_rate(base['comments_per_s'])}) | {row['speedup']:.2f}× "
                f"| {_rate(cur['comments_per_cpu_s'])} ({_rate(base['comments_per_cpu_s'])}) | {row['cpu_speedup']:.2f}× "
                f"| {cur['peak_rss_mb']:.0f} ({base['peak_rss_mb']:.0f}) | {row['agreement']['all_columns']:.4f} "
                f"| {_yes(row.get('resonance_csv_identical'))} | {row['load_before']:.1f}–{row['load_after']:.1f} |")
        else:
            lines.append(
                f"| {n:,} | {_rate(cur['comments_per_s'])} | – | {_rate(cur['comments_per_cpu_s'])} | – "
                f"| {cur['peak_rss_mb']:.0f} | – | – | {row['load_before']:.1f}–{row['load_after']:.1f} |")
    return "\n".join(lines)


def rewrite(doc: str, table: str) -> str:
    return replace_block(doc, START, END, table, DOC.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    doc = DOC.read_text(encoding="utf-8")
    updated = rewrite(doc, render(json.loads(RESULTS.read_text(encoding="utf-8"))))
    if args.check:
        sys.exit(0 if updated == doc else 1)
    DOC.write_text(updated, encoding="utf-8")


if __name__ == "__main__":
    main()
