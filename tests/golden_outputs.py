"""Digests of a run's tables, so a refactor can show it changed no output.

    python -m tests.golden_outputs            # print the digests of the current code
    python -m tests.golden_outputs --update   # write them to tests/golden/outputs.json

The digests cover ``resonance.csv``, ``resonance.json``, ``rejects.jsonl``, every
``tables/*.csv`` and the *content* of ``comments.parquet`` (rows, not file bytes, so a
pyarrow upgrade that changes Parquet metadata is not a change of output). Reports and the
manifest are left out: they hold times and versions. Update the file only in a commit
whose message says which output change was intended and why.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "outputs.json"
SUITES = ("samples", "corpus20k")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows_digest(path: Path) -> str:
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    return _digest(json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str).encode())


def folder_digests(out: Path) -> dict[str, str]:
    names = ["resonance.csv", "resonance.json", "rejects.jsonl"]
    names += sorted(f"tables/{p.name}" for p in (out / "tables").glob("*.csv"))
    digests = {name: _digest((out / name).read_bytes()) for name in names}
    digests["comments.parquet#rows"] = _rows_digest(out / "comments.parquet")
    return digests


def suite_inputs(suite: str, scratch: Path) -> tuple[Path, list[str]]:
    """(folder to run from, input paths relative to it): rejects name their files
    relative to the working folder, so the digests do not depend on where it is."""
    if suite == "samples":
        return ROOT, ["data/samples"]
    from tests.ray_corpus import write_corpus

    paths = write_corpus(scratch / "corpus", n=20_000, files=4)
    return scratch, [str(Path(p).relative_to(scratch)) for p in paths]


def run_suite(suite: str, scratch: Path) -> dict[str, str]:
    from analyzer.runner import run

    out = scratch / f"out-{suite}"
    config = {"privacy": {"author_key": "golden-outputs"}}
    where, inputs = suite_inputs(suite, scratch)
    with contextlib.chdir(where):
        run(inputs, out_dir=out, config=config, progress=False)
    return folder_digests(out)


def current() -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        return {suite: run_suite(suite, Path(tmp)) for suite in SUITES}


def main(argv: list[str]) -> int:
    digests = current()
    text = json.dumps(digests, indent=1, sort_keys=True) + "\n"
    if "--update" in argv:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN.relative_to(ROOT)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
