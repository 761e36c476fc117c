"""Shared by the benchmark scripts: best-of-N wall-clock timing and the one JSON object
each script prints (and writes, with ``--json-out``)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best_seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` timed calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def least_cpu(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """The least process CPU seconds of ``rounds`` calls of ``fn``, and what the last call made."""
    best, made = float("inf"), None
    for _ in range(rounds):
        begun = time.process_time()
        made = fn()
        best = min(best, time.process_time() - begun)
    return best, made


def first_texts(doc: str) -> tuple[argparse.Namespace, list[str]]:
    """The options of a benchmark over the ``text`` fields of the first ``--n`` records of a JSONL
    (INPUT, ``--n``, ``--rounds``, ``--json-out``; ``doc``: the script's docstring), and those texts."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    with open(args.input, encoding="utf-8") as handle:
        return args, [json.loads(line)["text"] for line, _ in zip(handle, range(args.n))]


def emit_least_cpu(args: argparse.Namespace, n: int, names: tuple[str, str],
                   one_round: Callable[[dict[str, float]], None], checks: Callable[[], dict]) -> None:
    """``args.rounds`` calls of ``one_round(spent)``, which adds each of the two names' CPU seconds
    to ``spent`` (timed in turn, interleaved, inside it); emits every round's seconds, each name's
    least, their ratio and ``checks()`` (whether the two agreed), as ``first_texts``' scripts do."""
    every, best = [], dict.fromkeys(names, float("inf"))
    for _ in range(args.rounds):
        spent = dict.fromkeys(names, 0.0)
        one_round(spent)
        every.append({k: round(v, 4) for k, v in spent.items()})
        best = {k: min(best[k], spent[k]) for k in names}
    first, second = names
    emit({"input": args.input, "n": n, "load_average": [round(x, 2) for x in os.getloadavg()], **checks(),
          "rounds": every, "least_cpu_s": {k: round(v, 4) for k, v in best.items()},
          f"{first}_over_{second}": round(best[first] / best[second], 3)}, args.json_out)


def emit(result: dict, json_out: str | Path | None = None) -> None:
    """Print ``result`` as indented JSON; also write it to ``json_out`` (atomically) when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if json_out:
        path = Path(json_out)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)


def baseline_pair_args(parser: argparse.ArgumentParser, root: Path, n: int, repeat: int) -> None:
    """The options of a benchmark that runs a baseline tree beside this one in child processes."""
    parser.add_argument("--n", type=int, default=n)
    parser.add_argument("--baseline", type=Path, required=True, help="folder holding the baseline analyzer package")
    parser.add_argument("--current", type=Path, default=root)
    parser.add_argument("--data", type=Path, default=root.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--nice", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write OUT.json and OUT.md")


def run_child(script: str | Path, tree: Path, args: list[str], nice: int) -> dict:
    """Run ``script args`` against the analyzer package in ``tree`` (one BLAS thread, niced) and
    return the JSON its last output line holds; a failure stops the benchmark with its stderr."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(script).resolve()), *args]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
