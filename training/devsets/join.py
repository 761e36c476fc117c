"""Join the dev-set labels with their texts from the shared data folder.

    python -m training.devsets.join --shared ../shared/data -o /tmp/dev.jsonl

Prints how many rows were joined and every row that could not be (sha1 mismatch,
missing file or line); exits 1 when any row was rejected, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.errors import AnalyzerError
from analyzer.evaluation.devset import write_joined

DEFAULT_LABELS = ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default=str(DEFAULT_LABELS), help="label file (JSONL)")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"),
                        help="shared data folder holding the source files")
    parser.add_argument("-o", "--output", required=True, help="joined JSONL to write")
    args = parser.parse_args(argv)
    rejects: list[dict] = []
    try:
        written = write_joined(args.labels, args.shared, args.output,
                               on_error="collect", rejects=rejects)
    except AnalyzerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for row in rejects:
        print(f"rejected {row['source']}:{row['line']}: {row['reason']}", file=sys.stderr)
    print(f"read {written + len(rejects)} labels: joined {written}, rejected {len(rejects)}"
          f" -> {args.output}")
    return 1 if rejects else 0


if __name__ == "__main__":
    sys.exit(main())
