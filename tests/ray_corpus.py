"""A generated comment corpus for the engine tests and benchmarks/ray_scaling.py:
deterministic (seeded), written by us from templates, with what makes an engine
differ from the local loop: copies across files (same id, same author, exact and
near copies), replies whose drama comes from a parent (earlier, later, in another
file), malformed records, several dramas, markets, platforms, days and authors.

    write_corpus(folder, n=20_000, files=4) -> list of paths
"""

from __future__ import annotations

import json
import random
from pathlib import Path

DRAMAS = ["The Untamed", "Hidden Love", "Nirvana in Fire", "Love Between Fairy and Devil"]
PLATFORMS = ["youtube", "reddit", "viki", "bilibili"]
REGIONS = ["US", "VN", "TH", "ID", "BR", "KR", None, None, None]
EN = [
    "{d} is so good, the chemistry between the leads is unreal",
    "I binged {d} in {n} days and the ending made me cry",
    "Where can I watch {d} with English subtitles? Not on Netflix here",
    "Dropped {d} after episode {n}, the pacing is way too slow",
    "The OST of {d} is stuck in my head, episode {n} was beautiful",
    "The acting in {d} is wooden and the plot makes no sense",
    "Rewatching {d} for the {n}th time, still the best drama ever",
    "Waiting for the next episode of {d}, I can't wait",
]
OTHER = [
    "Phim {d} hay quá, diễn xuất đỉnh thật sự, tập {n} xúc động",
    "{d} สนุกมาก นางเอกน่ารัก ดูซ้ำรอบที่ {n}",
    "Me encanta {d}, la química de la pareja es increíble, capítulo {n}",
    "Drama {d} ini bagus banget, alur ceritanya seru, episode {n}",
    "{d} 剧情太好看了，演技绝了，第{n}集哭了",
    "{d} 너무 재밌어요 배우들 연기 최고 {n}화",
]
REPLIES = ["totally agree with you", "same here, episode {n} hit hard", "no way, it was boring for me",
           "this!!", "I felt the same about the music", "cried at the same scene"]
TAILS = ("honestly", "wow", "lol", "omg", "fr", "tbh", "again", "tonight", "with my sister", "at 3am",
         "no spoilers", "10/10", "so far", "this week", "after work", "on the train", "part two", "finally")
NOISE = ["first!", "12:34", "check my channel https://spam.example.invalid/x{n}"]


def _text(rng: random.Random, drama: str) -> str:
    template = rng.choice(EN if rng.random() < 0.6 else OTHER)
    tail = " ".join(rng.sample(TAILS, rng.randint(1, 4)))
    return f"{template.format(d=drama, n=rng.randint(2, 40))} {tail}"


def records(n: int, seed: int = 7) -> list[dict]:
    """``n`` records (before malformed lines are added), in input order."""
    rng = random.Random(seed)
    out: list[dict] = []
    for i in range(n):
        drama = rng.choice(DRAMAS)
        rec = {"id": f"g{i:07d}", "text": _text(rng, drama), "drama": drama,
               "platform": rng.choice(PLATFORMS), "author": f"viewer{rng.randint(0, max(1, n // 6))}",
               "likes": rng.choice([0, 0, 1, 2, 5, 12, 40, 300]),
               "created_at": f"2024-06-{1 + rng.randint(0, 29):02d}T{rng.randint(0, 23):02d}:00:00Z"}
        region = rng.choice(REGIONS)
        if region:
            rec["country"] = region
        roll = rng.random()
        if out and roll < 0.04:  # exact copy by another author (copy-paste bots)
            rec["text"] = rng.choice(out[-2000:])["text"]
        elif out and roll < 0.06:  # the same author posting the same text again
            src = rng.choice(out[-2000:])
            rec["text"], rec["author"] = src["text"], src["author"]
        elif out and roll < 0.08:  # a near copy: one word changed
            words = rng.choice(out[-2000:])["text"].split()
            words[rng.randrange(len(words))] = rng.choice(["really", "truly", "so", "very"])
            rec["text"] = " ".join(words)
        elif out and roll < 0.09:  # the same platform id read again (overlapping dumps)
            src = rng.choice(out)
            rec = dict(src)
        elif out and roll < 0.20:  # a reply: no drama of its own, the parent names it
            del rec["drama"]
            rec["text"] = rng.choice(REPLIES).format(n=rng.randint(2, 40))
            forward = rng.random() < 0.1
            rec["parent_id"] = f"g{min(i + 3, n - 1):07d}" if forward else rng.choice(out[-5000:])["id"]
        elif roll < 0.23:
            rec["text"] = rng.choice(NOISE).format(n=i % 50)
        out.append(rec)
    return out


def write_corpus(folder: str | Path, n: int = 20_000, files: int = 4, seed: int = 7) -> list[str]:
    """Write ``n`` records over ``files`` JSONL files, with a few malformed lines in each."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = records(n, seed)
    size = -(-n // files)
    paths = []
    for f in range(files):
        path = folder / f"part{f:02d}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for j, rec in enumerate(rows[f * size:(f + 1) * size]):
                handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
                if j % 997 == 500:
                    handle.write('{"id": "bad", "text": "never closed"\n')
                if j % 1999 == 1000:
                    handle.write(json.dumps({"id": f"nt{f}-{j}", "likes": 3}) + "\n")
        paths.append(str(path))
    return paths
