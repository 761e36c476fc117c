"""Whether two analyzer trees write the same run folder: ``analyzer run INPUT... --engine ray``
(and ``--engine local``) from each tree on the same input, then the SHA-256 of every file of each
run folder compared; manifest.json compared without what varies from run to run (``timings``,
the engine's seconds and CPU figures, also in the copy of the manifest that report.html shows), and
every file with the tree's own path (the catalog paths that manifest.json and report.html name)
written as TREE.

    python benchmarks/ray_identity.py INPUT... --tree base=/tmp/s18base --tree cur=. \\
        [--engines ray local] [--workers 2] [--out benchmarks/results/ray_identity_s18.json] [--keep DIR]
    python benchmarks/ray_identity.py --from-kept DIR --tree ... --out ...   # digests of kept run folders only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = '[privacy]\nauthor_key = "benchmark-key"\n'
VARYING_ENGINE = ("phase_seconds", "replay_cpu_seconds", "driver_stream_cpu_seconds")
VARYING_TOP = ("timings",)
# the engine's varying figures as report.html prints them (its manifest, HTML-escaped)
VARYING_HTML = re.compile(rb"(&quot;(?:streamed|replay_cpu_seconds|driver_stream_cpu_seconds)&quot;: )[0-9.]+")


def run(tree: str, inputs: list[str], out: Path, engine: str, workers: int, config: Path) -> float:
    flags = ["--engine", "ray", "--num-workers", str(workers)] if engine == "ray" else ["--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": tree, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analyzer", "run", *inputs, "-o", str(out), "--config", str(config), *flags],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - start, 1)


def digests(folder: Path, tree: str) -> dict[str, str]:
    out, root = {}, str(Path(tree).resolve()).encode()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == "manifest.json":
            manifest = json.loads(path.read_bytes().replace(root, b"TREE"))
            for key in VARYING_TOP:
                manifest.pop(key, None)
            for key in VARYING_ENGINE:
                manifest.get("engine", {}).pop(key, None)
            data = json.dumps(manifest, sort_keys=True).encode()
        else:
            data = VARYING_HTML.sub(rb"\1X", path.read_bytes().replace(root, b"TREE"))
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*")
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH (two or more)")
    parser.add_argument("--engines", nargs="+", default=["ray", "local"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--from-kept", type=Path, help="no runs: digest the run folders --keep wrote here")
    parser.add_argument("--keep", type=Path, help="copy each run folder here (ENGINE/TREE), to read what differs")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree)
    record = {"inputs": args.inputs, "trees": trees, "from_kept": str(args.from_kept or ""), "engines": {}}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(CONFIG, encoding="utf-8")
        for engine in args.engines:
            runs = {}
            for name, tree in trees.items():  # the same output path for each tree (reports name it)
                if args.from_kept:
                    runs[name] = {"seconds": None, "files": digests(args.from_kept / engine / name, tree)}
                    continue
                out = Path(tmp) / engine / "run"
                seconds = run(str(Path(tree).resolve()), [str(Path(i).resolve()) for i in args.inputs], out, engine,
                              args.workers, config)
                runs[name] = {"seconds": seconds, "files": digests(out, tree)}
                if args.keep:
                    shutil.copytree(out, args.keep / engine / name, dirs_exist_ok=True)
                shutil.rmtree(out)
            first = next(iter(runs.values()))["files"]
            differ = sorted({rel for r in runs.values() for rel in set(r["files"]) ^ set(first)} |
                            {rel for r in runs.values() for rel in first if r["files"].get(rel) != first[rel]})
            record["engines"][engine] = {"seconds": {n: r["seconds"] for n, r in runs.items()}, "files": len(first),
                                         "differ": differ, "identical": not differ}
            print(engine, json.dumps(record["engines"][engine]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
