"""Draw the rows to label for the theme training set (ids only; texts stay in ../shared/data).

Rows of the dev set are excluded by (source, line) and by sha1 of the text. YouTube rows
are bucketed by script first (Hangul, Thai, kana, Han, Arabic) and then by the file's
automatic ``lang`` tag, and drawn per bucket with a fixed seed; NSMC movie reviews of
15-140 characters are drawn the same way. Prints JSON lines {source, line, sha1, bucket}.
``--exclude FILE`` keeps rows of further label files out too; ``--quota-scale`` and
``--nsmc`` size a smaller extra draw.

    python -m training.themes_hybrid.sample_train > /tmp/train_sample.jsonl
    python -m training.themes_hybrid.sample_train --seed 29 \\
        --exclude data/trainsets/comments_train.labels.jsonl --quota-scale 0.45 --nsmc 0
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation.devset import devset_keys, read_labels, text_sha1

YOUTUBE = "youtube_kvariety_comments_multilingual/comments.jsonl"
NSMC = "nsmc_raw_ko/train.jsonl"
QUOTAS = {"en": 190, "ko": 105, "id": 50, "es": 35, "tl": 30, "pt": 25, "ja": 25, "zh": 10,
          "th": 20, "vi": 25, "ar": 15, "other": 40}
NSMC_N = 70
SCRIPTS = (("th", re.compile(r"[\u0e00-\u0e7f]")), ("ja", re.compile(r"[\u3040-\u30ff]")),
           ("ko", re.compile(r"[\uac00-\ud7af\u3131-\u318e]")), ("zh", re.compile(r"[\u4e00-\u9fff]")),
           ("ar", re.compile(r"[\u0600-\u06ff]")))
VI = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


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


def excluded(label_files: list[str]) -> tuple[set, set]:
    """(source, line) keys and text sha1s of every given label file."""
    keys: set = set()
    shas: set = set()
    for path in label_files:
        keys |= devset_keys(path)
        shas |= {label["sha1"] for label in read_labels(path)}
    return keys, shas


def youtube_pools(shared: Path, keys: set, shas: set) -> dict[str, list]:
    pools: dict[str, list] = {}
    for number, row in read_rows(shared / YOUTUBE):
        sha = text_sha1(row["text"])
        if (YOUTUBE, number) in keys or sha in shas:
            continue
        pools.setdefault(bucket(row["text"], row.get("lang")), []).append((YOUTUBE, number, sha))
    return pools


def draw_youtube(pools: dict[str, list], rng: random.Random, scale: float) -> list:
    chosen = []
    for name, quota in QUOTAS.items():
        pool = pools.get(name, [])
        wanted = round(quota * scale)
        chosen += [(*item, name) for item in rng.sample(pool, min(wanted, len(pool)))]
    return chosen


def draw_nsmc(shared: Path, keys: set, shas: set, rng: random.Random, n: int) -> list:
    nsmc = [(NSMC, k, text_sha1(r["text"])) for k, r in read_rows(shared / NSMC)
            if 15 <= len(r["text"]) <= 140 and (NSMC, k) not in keys]
    nsmc = [item for item in nsmc if item[2] not in shas]
    return [(*item, "nsmc") for item in rng.sample(nsmc, min(n, len(nsmc)))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--dev", default=str(ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"))
    parser.add_argument("--exclude", action="append", default=[], metavar="FILE",
                        help="another label file whose rows must not be drawn (repeatable)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--quota-scale", type=float, default=1.0,
                        help="multiply each YouTube bucket quota (rounded)")
    parser.add_argument("--nsmc", type=int, default=NSMC_N, help="number of NSMC reviews")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    shared = Path(args.shared)
    keys, shas = excluded([args.dev, *args.exclude])
    rng = random.Random(args.seed)
    chosen = draw_youtube(youtube_pools(shared, keys, shas), rng, args.quota_scale)
    chosen += draw_nsmc(shared, keys, shas, rng, args.nsmc)
    for source, line, sha, name in chosen:
        print(json.dumps({"source": source, "line": line, "sha1": sha, "bucket": name}))


if __name__ == "__main__":
    main()
