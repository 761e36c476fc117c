"""Input limits on hostile files, measured on the CLI path users run (`analyzer run`):
a 1 GB decompression bomb (.zst and .gz), one 5 MB comment, and a 54 MB JSON array
(reader only, against the same records as JSON Lines).

Every case runs in a fresh subprocess; its wall time and peak RSS (``ru_maxrss`` of the
child) are reported side by side with a baseline measured in the same run: `analyzer run`
on a one-comment file (model loading and imports only). With ``--before DIR`` (a checkout
of the code before the limits, e.g. /work/main) the 5 MB comment and the JSON array also
run on that code, for a before/after ratio.

    python benchmarks/input_limits.py [--before /work/main] [--out benchmarks/results/input_limits.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GiB = 1 << 30


def bomb(path: Path, kind: str, size: int = GiB) -> None:
    """``size`` zero bytes compressed with ``kind`` (written in 1 MiB steps, never held)."""
    chunk = bytes(1 << 20)
    if kind == "gz":
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    else:
        import zstandard

        packer = zstandard.ZstdCompressor(level=19).compressobj()
    with open(path, "wb") as handle:
        for _ in range(size >> 20):
            handle.write(packer.compress(chunk))
        handle.write(packer.flush())


def child(code_root: Path, args: list[str], timeout: float) -> dict:
    """Run ``python args...`` with ``code_root`` first on the path; wall seconds and peak RSS."""
    env = dict(os.environ, PYTHONPATH=str(code_root), RESONANCE_ANALYZER_AUTHOR_KEY="bench")
    script = ("import runpy, sys, time; t = time.perf_counter(); sys.argv = sys.argv[1:];\n"
              "try:\n    runpy.run_module(sys.argv[0], run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
              "else:\n    code = 0\n"
              "hwm = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
              "print('BENCH', time.perf_counter() - t, hwm, code, file=sys.stderr)")
    try:
        # cwd outside any checkout: `python -c` puts the cwd first on sys.path.
        done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                              timeout=timeout, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_rss_mib": None, "exit": f"timed out after {timeout:.0f} s"}
    line = next((l for l in done.stderr.splitlines() if l.startswith("BENCH")), None)
    if line is None:
        return {"seconds": None, "peak_rss_mib": None, "exit": f"failed: {done.stderr.strip()[-300:]}"}
    _, seconds, rss_kib, code = line.split()
    return {"seconds": round(float(seconds), 2), "peak_rss_mib": round(int(rss_kib) / 1024, 1), "exit": code,
            "stdout": done.stdout.strip().splitlines()[:1]}


READ_ONLY = ("import sys; from analyzer.io import read_comments, Reject;"
             "items = read_comments(sys.argv[1:]); n = sum(1 for i in items if not isinstance(i, Reject));"
             "print('accepted', n)")


def reader_args(path: Path) -> list[str]:
    return ["__bench_reader__", str(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="checkout of the code before the limits, for a before/after ratio")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "input_limits.md"))
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="input_limits_") as tmp:
        tmp = Path(tmp)
        (tmp / "reader").mkdir()
        (tmp / "reader" / "__bench_reader__.py").write_text(READ_ONLY)
        one = tmp / "one.jsonl"
        one.write_text(json.dumps({"text": "Loved the ending of The Untamed", "author": "a"}) + "\n")
        big = tmp / "comment_5mb.jsonl"
        big.write_text(json.dumps({"text": "the ending was so good I cried " * 170_000, "author": "a"}) + "\n")
        for kind in ("zst", "gz"):
            bomb(tmp / f"bomb.jsonl.{kind}", kind)
        records = [{"id": f"c{i}", "text": f"comment {i} the acting and the ost " * 12, "author": f"u{i}"}
                   for i in range(110_000)]
        (tmp / "array.json").write_text(json.dumps(records))
        (tmp / "array.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        del records

        def run_cli(root: Path, src: Path, name: str, code: str) -> None:
            out = tmp / f"out_{name}_{code}"
            result = child(root, ["analyzer", "run", str(src), "-o", str(out), "-q"], args.timeout)
            rows.append({"case": name, "code": code, "input_mib": round(src.stat().st_size / 2**20, 3), **result})

        def run_reader(root: Path, src: Path, name: str, code: str) -> None:
            path = f"{tmp / 'reader'}{os.pathsep}{root}"
            result = child(Path(path), reader_args(src), args.timeout)
            rows.append({"case": name, "code": code, "input_mib": round(src.stat().st_size / 2**20, 1), **result})

        here = ROOT
        run_cli(here, one, "baseline: analyzer run, 1 comment", "this")
        run_cli(here, tmp / "bomb.jsonl.zst", "1 GiB zero bomb .zst", "this")
        run_cli(here, tmp / "bomb.jsonl.gz", "1 GiB zero bomb .gz", "this")
        run_cli(here, big, "one 5 MB comment", "this")
        run_reader(here, one, "reader: 1 comment (baseline)", "this")
        run_reader(here, tmp / "bomb.jsonl.zst", "reader: 1 GiB zero bomb .zst", "this")
        run_reader(here, tmp / "bomb.jsonl.gz", "reader: 1 GiB zero bomb .gz", "this")
        run_reader(here, tmp / "array.jsonl", "reader: 110k records as JSON Lines (baseline)", "this")
        run_reader(here, tmp / "array.json", "reader: the same as one JSON array", "this")
        if args.before:
            before = Path(args.before)
            run_cli(before, one, "baseline: analyzer run, 1 comment", "before")
            run_cli(before, big, "one 5 MB comment", "before")
            run_reader(before, tmp / "array.jsonl", "reader: 110k records as JSON Lines (baseline)", "before")
            run_reader(before, tmp / "array.json", "reader: the same as one JSON array", "before")
    write_report(rows, Path(args.out), args)


def write_report(rows: list[dict], out: Path, args) -> None:
    base = {r["code"]: r for r in rows if r["case"].startswith("baseline")}
    lines = ["# input_limits", "",
             f"Command: `python benchmarks/input_limits.py{' --before ' + args.before if args.before else ''}` "
             f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, shared machine: timings indicative)", "",
             "| case | code | input MiB | seconds | x baseline seconds | peak RSS MiB | RSS above baseline MiB | exit | output |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = base.get(r["code"]) if "reader" not in r["case"] else next(
            (x for x in rows if x["code"] == r["code"] and x["case"].endswith("(baseline)")
             and ("bomb" in r["case"]) == ("1 comment" in x["case"])), None)
        ratio = f"{r['seconds'] / b['seconds']:.2f}" if b and r["seconds"] and b["seconds"] else "-"
        above = f"{r['peak_rss_mib'] - b['peak_rss_mib']:.1f}" if b and r["peak_rss_mib"] and b["peak_rss_mib"] else "-"
        lines.append(f"| {r['case']} | {r['code']} | {r['input_mib']} | {r['seconds']} | {ratio} | {r['peak_rss_mib']} "
                     f"| {above} | {r['exit']} | {' '.join(r.get('stdout') or [])} |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
