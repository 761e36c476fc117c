"""Draw the eighth labelling batch (``comments_train_h``): rows whose words cue a weak label (ids only).

Written before any model score of these rows was looked at (session 10, engineer "themes"). Two pools:

- the multilingual YouTube comments (``youtube_kvariety_comments_multilingual``) not yet labelled, not
  Korean/Japanese/Chinese script (the hidden test is mostly English comments): a row enters a group when
  its lower-cased text contains one of the group's cue words (English, Indonesian, Spanish, Portuguese,
  Tagalog) as a whole word or phrase;
- the NSMC Korean film reviews (20-140 characters) not yet labelled, with Korean cue substrings for the
  labels the earlier NSMC batches (``sample_cues.py``) did not target: romance, rewatch / binge /
  completed / waiting intents, and the wider character / culture / comparison words.

Per group, rows ordered by the sha1 of their text, the first ``--per-group`` not yet taken; rows of every
label file and dev set and texts naming a held-out drama are excluded. Every picked row is labelled
(none dropped or chosen by model error). Prints JSON lines {i, source, line, sha1, group}.

    python -m training.themes_hybrid.sample_cues_h --per-group 8 > /tmp/themes/h_sample.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.evaluation.devset import text_sha1
from training.common import label_batches
from training.themes_hybrid.sample_cues import DEV_FILES, HELD_OUT_NAMES, SHARED, draw
from training.themes_hybrid.sample_train import NSMC, YOUTUBE, excluded, read_rows

CJK = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u3131-\u318e\u4e00-\u9fff]")
YOUTUBE_CUES = {  # group -> whole-word cues, lower case
    "yt_characters": ("character", "characters", "persona", "villain", "role", "roles", "main character",
                      "karakter", "personaje", "personagem"),
    "yt_culture": ("culture", "cultural", "tradition", "traditional", "history", "korean food", "hanbok",
                   "budaya", "cultura", "learn korean", "korean language", "manners"),
    "yt_comparison": ("better than", "reminds me", "compared", "compare", "season 1", "first season",
                      "running man", "new journey to the west", "other show", "other shows", "like the previous"),
    "yt_access": ("where can i watch", "where to watch", "netflix", "weverse", "viki", "download", "link",
                  "uploaded", "upload", "full episode", "full episodes", "1080p", "quality", "ads", "vlive"),
    "yt_values": ("toxic", "rude", "sexist", "racist", "respect", "disrespect", "disrespectful", "bully",
                  "bullying", "hate comments", "mental health"),
    "yt_romance": ("couple", "ship", "shipping", "chemistry", "romance", "romantic", "kiss", "boyfriend",
                   "husband", "married"),
    "yt_intents": ("rewatch", "rewatching", "binge", "binged", "recommend", "finished", "watching again",
                   "watched it again", "second time", "times already", "season 2", "next episode", "next season"),
}
NSMC_CUES = {  # group -> Korean cue substrings
    "ko_romance": ("사랑", "로맨스", "멜로", "케미", "커플", "키스", "연애"),
    "ko_rewatch": ("다시 봐", "다시봐", "또 봐", "또봐", "재탕", "번째 보", "번 봤", "번봤", "몇번"),
    "ko_binge_completed": ("정주행", "몰아", "끝까지", "완결", "완주", "다 봤", "다봤"),
    "ko_waiting": ("기다리", "기다려", "기대된", "기대됩", "언제 나", "빨리 보고"),
    "ko_characters_culture": ("캐릭터", "악당", "조연", "역사", "문화", "시대극"),
    "ko_comparison": ("한국영화", "한국 영화", "미드", "일드", "헐리우드", "원작", "드라마판"),
}


def words_match(text: str, cues: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(c)}(?!\w)", low) for c in cues)


def pool(source: str, skip_keys: set, skip_shas: set, keep) -> list[tuple[str, int, str]]:
    out = []
    for line, row in read_rows(SHARED / source):
        text = row["text"]
        sha = text_sha1(text)
        if (source, line) in skip_keys or sha in skip_shas or any(n in text for n in HELD_OUT_NAMES):
            continue
        if keep(text):
            out.append((sha, line, text))
    return sorted(out)


def picks(per_group: int) -> list[dict]:
    skip_keys, skip_shas = excluded([str(p) for p in [*label_batches(), *DEV_FILES]])
    youtube = pool(YOUTUBE, skip_keys, skip_shas, lambda t: 8 <= len(t) <= 400 and not CJK.search(t))
    nsmc = pool(NSMC, skip_keys, skip_shas, lambda t: 20 <= len(t) <= 140)
    groups = [(g, YOUTUBE, youtube, lambda t, c=c: words_match(t, c)) for g, c in YOUTUBE_CUES.items()]
    groups += [(g, NSMC, nsmc, lambda t, c=c: any(x in t for x in c)) for g, c in NSMC_CUES.items()]
    return draw(groups, per_group, "h")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=8)
    args = ap.parse_args()
    for row in picks(args.per_group):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
