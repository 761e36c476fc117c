"""Draw Korean movie reviews that mention the weak theme/intent labels, for labelling (ids only).

Every real drama comment of the training dramas (狂飙, 陈情令, 小欢喜, 선재 업고 튀어) is already labelled
(``comments_train_e``), so the sixth batch draws NSMC reviews (films, never a held-out drama)
picked by a keyword pre-filter that was written before any model score was looked at: per
group of cues below, rows of 20-140 characters whose text contains one of the group's cues,
ordered by sha1 of the text, the first ``--per-group`` not yet taken. Rows of every label file
and of the dev sets are excluded; texts naming a held-out drama are skipped. Every row the
filter picks is labelled (no choice by model error). Prints JSON lines {i, source, line, sha1, group}.

    python -m training.themes_hybrid.sample_cues --per-group 20 > /tmp/cue_sample.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation.devset import text_sha1
from training.common import label_batches
from training.themes_hybrid.sample_train import NSMC, excluded, read_rows

SHARED = ROOT.parent / "shared" / "data"
DEV_FILES = [ROOT / "data" / "devsets" / "comments_dev.labels.jsonl", ROOT / "data" / "devsets" / "drama_dev.labels.jsonl"]
HELD_OUT_NAMES = ("도깨비", "슬기로운", "굿파트너", "长安")
CUES = {  # group -> Korean cue substrings (the weak labels of the drama dev set)
    "characters": ("캐릭터", "주인공", "악역", "여주", "남주", "인물"),
    "culture": ("문화", "역사", "전통", "시대상", "고증", "한국적"),
    "access": ("극장", "개봉", "다운", "케이블", "재방", "상영관", "영화관"),
    "fandom": ("팬", "오빠", "알바", "평점"),
    "comparison": ("원작", "전작", "1편", "2편", "비하면", "비교", "리메이크", "할리우드", "헐리웃"),
    "values": ("메시지", "교훈", "폭력", "잔인", "선정", "가치관", "사회", "정치", "여성"),
    "intents": ("다시 보", "또 보", "두번", "재관람", "추천", "강추", "꼭 보", "끄고", "중간에", "보다가", "기대", "후속", "다음편"),
}


def picks(per_group: int) -> list[dict]:
    skip_keys, skip_shas = excluded([str(p) for p in [*label_batches(), *DEV_FILES]])
    pool = []
    for line, row in read_rows(SHARED / NSMC):
        text = row["text"]
        sha = text_sha1(text)
        if (NSMC, line) in skip_keys or sha in skip_shas or not 20 <= len(text) <= 140:
            continue
        if any(name in text for name in HELD_OUT_NAMES):
            continue
        pool.append((sha, line, text))
    pool.sort()
    return draw([(g, NSMC, pool, lambda t, c=c: any(x in t for x in c)) for g, c in CUES.items()], per_group, "f")


def draw(groups: list, per_group: int, prefix: str) -> list[dict]:
    """Up to ``per_group`` rows per cue group, in pool order, each row drawn once across groups.
    ``groups``: (group, source, pool rows (sha, line, text), match(text) -> bool)."""
    taken: set[str] = set()
    out = []
    for group, source, rows, match in groups:
        chosen = [(sha, line) for sha, line, text in rows if sha not in taken and match(text)][:per_group]
        for sha, line in chosen:
            taken.add(sha)
            out.append({"i": f"{prefix}{len(out):04d}", "source": source, "line": line, "sha1": sha, "group": group})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=20)
    args = ap.parse_args()
    for row in picks(args.per_group):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
