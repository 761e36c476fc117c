"""Draw the rows to label for the theme training set (ids only; texts stay in ../shared/data).

Rows of the dev set are excluded by (source, line) and by sha1 of the text. YouTube rows
are bucketed by script first (Hangul, Thai, kana, Han, Arabic) and then by the file's
automatic ``lang`` tag, and drawn per bucket with a fixed seed; NSMC movie reviews of
15-140 characters are drawn the same way. Prints JSON lines {source, line, sha1, bucket}.

    .venv/bin/python models/themes-hybrid/sample_train.py > /tmp/train_sample.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analyzer.evaluation.devset import devset_keys, read_labels, text_sha1  # noqa: E402

YOUTUBE = "youtube_kvariety_comments_multilingual/comments.jsonl"
NSMC = "nsmc_raw_ko/train.jsonl"
QUOTAS = {"en": 190, "ko": 105, "id": 50, "es": 35, "tl": 30, "pt": 25, "ja": 25, "zh": 10,
          "th": 20, "vi": 25, "ar": 15, "other": 40}
NSMC_N = 70
SCRIPTS = (("th", re.compile(r"[\u0e00-\u0e7f]")), ("ja", re.compile(r"[\u3040-\u30ff]")),
           ("ko", re.compile(r"[\uac00-\ud7af\u3131-\u318e]")), ("zh", re.compile(r"[\u4e00-\u9fff]")),
           ("ar", re.compile(r"[\u0600-\u06ff]")))
VI = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def bucket(text: str, auto: str | None) -> str:
    for name, pattern in SCRIPTS:
        if pattern.search(text):
            return name
    if VI.search(text):
        return "vi"
    auto = (auto or "").split("-")[0]
    return auto if auto in QUOTAS else "other"


def read_rows(path: Path):
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            yield number, json.loads(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--dev", default=str(ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"))
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    shared = Path(args.shared)
    dev_keys = devset_keys(args.dev)
    dev_sha = {label["sha1"] for label in read_labels(args.dev)}
    rng = random.Random(args.seed)
    pools: dict[str, list] = {}
    for number, row in read_rows(shared / YOUTUBE):
        sha = text_sha1(row["text"])
        if (YOUTUBE, number) in dev_keys or sha in dev_sha:
            continue
        pools.setdefault(bucket(row["text"], row.get("lang")), []).append((YOUTUBE, number, sha))
    chosen = []
    for name, quota in QUOTAS.items():
        pool = pools.get(name, [])
        chosen += [(*item, name) for item in rng.sample(pool, min(quota, len(pool)))]
    nsmc = [(NSMC, n, text_sha1(r["text"])) for n, r in read_rows(shared / NSMC)
            if 15 <= len(r["text"]) <= 140 and (NSMC, n) not in dev_keys]
    nsmc = [item for item in nsmc if item[2] not in dev_sha]
    chosen += [(*item, "nsmc") for item in rng.sample(nsmc, NSMC_N)]
    for source, line, sha, name in chosen:
        print(json.dumps({"source": source, "line": line, "sha1": sha, "bucket": name}))


if __name__ == "__main__":
    main()
