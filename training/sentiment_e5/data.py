"""Training and dev rows for the e5 head, sampled from the fast tier's split.

Uses ``training/sentiment_linear/dataset.py`` (the same held-out dev rows: each
source's own validation file, else a seeded split by source), then samples at most
``per_group`` rows per (source, language) with a fixed seed, balanced over labels.
Rows of the hand-labelled drama dev set (data/devsets, by text sha1) never enter training.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head



from training.sentiment_linear import dataset

SEED = 13
TRAIN_CHARS = 400  # training texts are cut here to bound embedding cost (dev/inference are not)


def _rank(row, seed: int) -> int:
    """A per-row pseudo-random rank: a row's place never depends on the other rows."""
    return zlib.crc32(f"{seed}:{row.source}:{row.text}".encode())


def sample(rows: list, per_group: int, seed: int = SEED) -> list:
    """At most ``per_group`` rows per (source, lang), labels as balanced as the data allow."""
    groups: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row.source, row.lang)][row.label].append(row)
    out = []
    for key in sorted(groups):
        by_label = groups[key]
        queues = [sorted(by_label[label], key=lambda r: _rank(r, seed), reverse=True) for label in sorted(by_label)]
        picked = []
        while len(picked) < per_group and any(queues):
            for queue in queues:
                if queue and len(picked) < per_group:
                    picked.append(queue.pop())
        out.extend(picked)
    return sorted(out, key=lambda r: _rank(r, seed + 1))


DRAMA_DEV = HERE.parents[1] / "data" / "devsets" / "comments_dev.labels.jsonl"


def drama_dev_hashes() -> set[str]:
    """sha1 of the texts in the hand-labelled drama dev set (kept out of training)."""
    if not DRAMA_DEV.is_file():
        return set()
    with DRAMA_DEV.open(encoding="utf-8") as handle:
        return {json.loads(line)["sha1"] for line in handle if line.strip()}


def ensemble_holdout(row, seed: int = SEED) -> bool:
    """The linear tier's inner split of the training rows (its train.py picks C on it):
    ``training/sentiment_ensemble/choose_weights.py`` chooses the ensemble weights there,
    so the fine-tuned encoder (finetune.py) never trains on these rows. Cues are never held."""
    return zlib.crc32(f"inner{seed}:{row.text}".encode()) % 10 == 0 and row.source != "drama_cues"


def load(train_per_group: int = 1000, dev_per_group: int = 150) -> tuple[list, list]:
    train, dev = dataset.load_split()
    held = drama_dev_hashes()
    train = [r for r in train if hashlib.sha1(r.text.encode("utf-8")).hexdigest() not in held]
    cues = dataset.read_cues(dataset.CUES)
    return sample(train, train_per_group) + cues, sample(dev, dev_per_group)
