"""`analyzer compare` of one run folder by two source trees, side by side: how many authors each
side has and the net sentiment difference with its interval. Written for session 18's change
that pools a compare side by person (an author of several of its cells counts once).

    python -m benchmarks.compare_people RUN_DIR --run base=/tmp/s18base --run cur=.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PAIRS = [("drama", "The Untamed", "Nirvana in Fire"), ("drama", "Hidden Love", "Eternal Love"),
         ("region", "VN", "TH"), ("region", "Anglophone", "US")]


def _compare(tree: str, run_dir: str, by: str, a: str, b: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "analyzer", "compare", run_dir, a, b, "--by", by],
                         cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--run", action="append", required=True, help="NAME=TREE (a checkout to run compare from)")
    args = ap.parse_args()
    trees = dict(r.split("=", 1) for r in args.run)
    for by, a, b in PAIRS:
        for name, tree in trees.items():
            r = _compare(tree, args.run_dir, by, a, b)
            m = r["metrics"]["net_sentiment"]
            print(f"{by:6} {a} vs {b} [{name}]: authors {r['authors']['a']} vs {r['authors']['b']}; "
                  f"net sentiment {m['a']:.3f} vs {m['b']:.3f}, difference {m['difference']:+.3f} "
                  f"[{m['ci_low']:+.3f}, {m['ci_high']:+.3f}]")


if __name__ == "__main__":
    main()
