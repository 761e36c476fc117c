"""Whether two analyzer trees write the same ``analyzer annotate`` output: the command run from each tree on
the same input (absolute paths outside both trees, so the sources read alike), for each output kind, and
the SHA-256 of the output (and its rejects file, where one is written) compared; the stdout lines are
printed beside, to show what the user is told.

    python benchmarks/annotate_identity.py INPUT... --tree base=/tmp/base --tree cur=. [--out FILE.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("jsonl", "csv", "parquet")


def _annotate(tree: str, source: str, out: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "analyzer", "annotate", source, "-o", str(out), "-q"],
                          cwd=tree, check=True, capture_output=True, text=True)
    return done.stdout


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH; the first is the baseline")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree)
    record, same = {"trees": trees, "inputs": args.inputs, "checks": []}, True
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.inputs:
            for kind in KINDS:
                digests, stdout = {}, {}
                for name, tree in trees.items():
                    out = Path(tmp) / name / f"{Path(source).name}.{kind}"
                    out.parent.mkdir(exist_ok=True)
                    stdout[name] = _annotate(str(Path(tree).resolve()), str(Path(source).resolve()), out)
                    digests[name] = [_digest(out), _digest(Path(str(out) + ".rejects.jsonl"))]
                ok = len({json.dumps(d) for d in digests.values()}) == 1
                same &= ok
                record["checks"].append({"input": source, "kind": kind, "identical": ok, "stdout": stdout})
                print(f"{source} .{kind}: {'identical' if ok else 'DIFFER'}")
    record["identical"] = same
    if args.out:
        args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
