"""Turn labelled batches of real drama comments into a train file and a dev file, split by drama.

    python -m training.devsets.drama_split --labels DIR --index index.json

Input: the labellers' outputs (``DIR/batch*.labels.jsonl``: ``{"i", "lang", "stance", "themes",
"theme_polarity", "intents", "noise", "note"?}``) and the index that maps each ``i`` to its
``source``, 1-based ``line`` and ``sha1`` under ``../shared/data``. Output (no comment text):

- ``data/devsets/drama_dev.labels.jsonl``: the held-out dramas in ``DEV_DRAMAS``;
- ``data/trainsets/comments_train_e.labels.jsonl``: every other drama (read by the trainers
  with the other labelling batches).

The split is by drama, never by row, so the dev score is the score on dramas no model saw.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation.devset import LABEL_FIELDS, label_problems

SHARED = ROOT.parent / "shared" / "data"
DEV_OUT = ROOT / "data" / "devsets" / "drama_dev.labels.jsonl"
TRAIN_OUT = ROOT / "data" / "trainsets" / "comments_train_e.labels.jsonl"
# Held-out dramas: one Chinese drama of the unlabelled Douban set and three of the four
# Korean dramas. Training keeps 狂飙 (the only star-rated Chinese set), 陈情令, 小欢喜 and 선재 업고 튀어.
DEV_DRAMAS = ("长安十二时辰", "도깨비", "슬기로운 의사생활 시즌 1", "굿파트너")


@functools.cache
def _lines(source: str) -> list[str]:
    return (SHARED / source).read_text(encoding="utf-8").splitlines()


def drama_of(source: str, line: int) -> str:
    """The drama a shared row is about (its ``title``, or the file's one drama)."""
    row = json.loads(_lines(source)[line - 1])
    title = row.get("title") or ("狂飙" if "knockout" in source else "")
    return title.split(" (")[0]


def rows(labels_dir: Path, index: dict) -> list[dict]:
    out = []
    for path in sorted(labels_dir.glob("batch*.labels.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            label = json.loads(line)
            ref = index[label["i"]]
            row = {"source": ref["source"], "line": ref["line"], "sha1": ref["sha1"],
                   **{k: label[k] for k in LABEL_FIELDS if k in label}}
            problems = label_problems(row)
            if problems:
                raise SystemExit(f"{path.name} {label['i']}: {'; '.join(problems)}")
            out.append(row)
    return sorted(out, key=lambda r: (r["source"], r["line"]))


def write(path: Path, rows_: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows_), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, required=True, help="folder of batch*.labels.jsonl")
    ap.add_argument("--index", type=Path, required=True, help="index.json: id -> source, line, sha1")
    args = ap.parse_args()
    index = json.loads(args.index.read_text(encoding="utf-8"))
    labelled = rows(args.labels, index)
    held_out = [any(name in drama_of(r["source"], r["line"]) for name in DEV_DRAMAS) for r in labelled]
    dev = [r for r, out in zip(labelled, held_out) if out]
    train = [r for r, out in zip(labelled, held_out) if not out]
    write(DEV_OUT, dev)
    write(TRAIN_OUT, train)
    print(f"{len(labelled)} labelled rows: dev {len(dev)} ({', '.join(DEV_DRAMAS)}), train {len(train)}")


if __name__ == "__main__":
    main()
