"""Labelled language-ID texts from ../shared/data and the seeded split shared by
``train.py`` and ``benchmarks/langid.py``.

Only rows whose ``lang`` comes from the source are used (``lang_is_auto`` rows are
skipped). Texts are de-duplicated by their letters (``clean_for_langid``, lower-cased:
"ang cute...." and "ang cute" are one text, so no near-copy sits on both sides of the
split), then each text goes to ``test`` (20%), ``dev`` (10%) or ``train`` (70%) by a
hash of ``seed:key``, so the split is stable and a different seed gives an independent
hold-out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from analyzer.backends.langid import clean_for_langid

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RELABEL = Path(__file__).resolve().parents[2] / "data" / "devsets" / "langid_relabel.jsonl"


def read_rows(data_dir: Path | str = DEFAULT_DATA) -> list[tuple[str, str, str]]:
    """(lang, text, folder) for every source-labelled row, first occurrence of each ``dedup_key``."""
    seen: set[str] = set()
    rows = []
    for path in sorted(Path(data_dir).glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text, lang = row.get("text"), row.get("lang")
                if row.get("lang_is_auto") or not lang or not text or dedup_key(text) in seen:
                    continue
                seen.add(dedup_key(text))
                rows.append((lang, text, path.parent.name))
    return rows


def dedup_key(text: str) -> str:
    """A text's letters, lower-cased (the text itself when it has none)."""
    return clean_for_langid(text).lower() or text


def part_of(text: str, seed: int) -> str:
    """'test', 'dev' or 'train' for one text under ``seed`` (by its ``dedup_key``)."""
    digest = hashlib.blake2b(f"{seed}:{dedup_key(text)}".encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "little") % 10
    return "test" if bucket < 2 else ("dev" if bucket < 3 else "train")


def split(rows, seed: int) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list] = {"train": [], "dev": [], "test": []}
    for row in rows:
        out[part_of(row[1], seed)].append(row)
    return out


def snippet(text: str) -> str | None:
    """A window of whole words of 8-20 characters cut from a longer text, at a place
    chosen by the text's hash (short comments in Latin script are rare in the data)."""
    words = text.split()
    start = int(hashlib.blake2b(text.encode(), digest_size=4).hexdigest(), 16) % len(words)
    kept: list[str] = []
    for word in words[start:]:
        if len(" ".join(kept + [word])) > 20:
            break
        kept.append(word)
    cut = " ".join(kept)
    return cut if len(cut) >= 8 and clean_for_langid(cut) else None


def relabelled(rows, path: Path | str = RELABEL) -> list[tuple[str, str, str]]:
    """``rows`` with the re-read labels of ``langid_relabel.jsonl`` (its train and dev rows;
    the test rows are the benchmark's): a text re-read as another language gets that
    language, one with no single language of ours (``und``: names, mixed, outside our
    languages) is dropped, every other row keeps its source label."""
    table = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("part", "test") != "test":
                table[(row["sha1"], row["source"])] = row["corrected"]
    out = []
    for lang, text, folder in rows:
        new = table.get((hashlib.sha1(text.encode()).hexdigest(), lang), lang)
        if new != "und":
            out.append((new, text, folder))
    return out
