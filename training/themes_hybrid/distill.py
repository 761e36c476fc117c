"""Teacher labels for the default theme tier (issue #13, s18): the accurate tier's themes and intents on
unlabelled real comments, for ``train.py --distill`` / ``cv_compare.py --distill``.

    python -m training.themes_hybrid.distill [--out data/trainsets/themes_distill_e5.jsonl] [--nsmc 4000]

The pool: every comment of ``youtube_kvariety_comments_multilingual`` and a fixed sample of ``nsmc_raw_ko``
(the ``--nsmc`` rows of at least 10 characters with the smallest text sha1) whose sha1 no file of
``data/trainsets`` or ``data/devsets`` names and whose text is not a drama proxy text (``loose_key``); first
occurrence of each text. The held-out drama sources (Douban drama comments, Korean drama reviews) and the
training dramas' own files are not read. Each row is scored by ``themes.e5.v1`` as shipped: written are
source, line, sha1, lang, ``noise`` (the lexicon's call; noise rows have no heads), ``probs`` (21 head
probabilities, HEADS order) and ``labels`` (the heads the e5 tier fires at its thresholds, union with the
lexicon included). No text: ``read_distill`` joins the texts back from the shared data, sha1 checked.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from analyzer.evaluation.devset import text_sha1
from training.common import DEVSETS, ROOT, TRAINSETS, loose_key, proxy_keys

SHARED = ROOT.parent / "shared" / "data"
OUT = TRAINSETS / "themes_distill_e5.jsonl"
POOLS = ("youtube_kvariety_comments_multilingual/comments.jsonl", "nsmc_raw_ko/train.jsonl")
BATCH = 256


TEACHER_FILES = ("stance_distill_youtube.jsonl", OUT.name)  # model outputs, not labels: their rows stay in the pool


def named_sha1s() -> set[str]:
    """sha1 of every text a label file of data/trainsets or data/devsets names (not the teacher files)."""
    out = set()
    for folder in (TRAINSETS, DEVSETS):
        for path in sorted(p for p in folder.glob("*.jsonl") if p.name not in TEACHER_FILES):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and "sha1" in (row := json.loads(line)):
                    out.add(row["sha1"])
    return out


def source_rows(shared: Path, source: str, used: set[str], proxy: set[str]) -> list[dict]:
    """Rows of one pool file no label file names, first occurrence of each text (marks them used)."""
    out = []
    with (shared / source).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            row = json.loads(line)
            text = row.get("text") or ""
            sha1 = text_sha1(text)
            if text.strip() and sha1 not in used and loose_key(text) not in proxy:
                used.add(sha1)
                out.append({"source": source, "line": number, "sha1": sha1, "lang": row.get("lang") or "und",
                            "text": text})
    return out


def pool(shared: Path, n_nsmc: int) -> list[dict]:
    used, proxy = named_sha1s(), proxy_keys()
    youtube = source_rows(shared, POOLS[0], used, proxy)
    nsmc = [r for r in source_rows(shared, POOLS[1], used, proxy) if len(r["text"].strip()) >= 10]
    return youtube + sorted(nsmc, key=lambda r: r["sha1"])[:n_nsmc]


def score(rows: list[dict]):
    """(noise flags, probabilities, fired) of themes.e5.v1 as shipped; noise rows get zeros."""
    from analyzer.backends.themes_e5 import E5ThemeBackend, decide
    from analyzer.backends.themes_hybrid import HEADS, lexicon_features

    teacher = E5ThemeBackend()
    n = len(rows)
    noise = np.zeros(n, dtype=bool)
    probs = np.zeros((n, len(HEADS)), dtype=np.float32)
    fired = np.zeros((n, len(HEADS)), dtype=bool)
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        chunk = rows[start:start + BATCH]
        matches = teacher.hybrid.lexicon.predict([r["text"] for r in chunk], [r["lang"] for r in chunk])
        keep = [i for i, m in enumerate(matches) if not m.noise]
        noise[start:start + len(chunk)] = [m.noise for m in matches]
        if keep:
            lex = lexicon_features([matches[i] for i in keep])
            p = teacher.probabilities([chunk[i]["text"] for i in keep], lex)
            idx = np.array(keep) + start
            probs[idx], fired[idx] = p, decide(p, lex, teacher.model.thresholds, teacher.model.union)
        done = start + len(chunk)
        print(f"{done}/{n} in {time.perf_counter() - started:.0f}s", flush=True)
    return noise, probs, fired


def write(rows: list[dict], noise, probs, fired, out: Path) -> None:
    from analyzer.backends.themes_hybrid import HEADS

    with out.open("w", encoding="utf-8") as handle:
        for row, no, p, f in zip(rows, noise, probs, fired):
            keep = {k: row[k] for k in ("source", "line", "sha1", "lang")}
            handle.write(json.dumps({**keep, "noise": bool(no), "probs": [round(float(v), 4) for v in p],
                                     "labels": [h for h, on in zip(HEADS, f) if on]}) + "\n")


def read_distill(path: str | Path, shared: str | Path, weight: float) -> list[dict]:
    """The teacher rows of ``path`` as training records (text joined back, sha1 checked; noise rows left out):
    themes / intents = the teacher's labels, ``weight`` = the rows' sample weight."""
    from analyzer.schema import INTENTS

    lines: dict[str, list[str]] = {}
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        if row["noise"]:
            continue
        if row["source"] not in lines:
            lines[row["source"]] = (Path(shared) / row["source"]).read_text(encoding="utf-8").splitlines()
        text = json.loads(lines[row["source"]][row["line"] - 1])["text"]
        if text_sha1(text) != row["sha1"]:
            raise SystemExit(f"{path} line {number}: {row['source']} line {row['line']} changed (sha1 mismatch)")
        out.append({"id": f"{row['source']}:{row['line']}", "text": text, "lang": row["lang"], "weight": weight,
                    "themes": [h for h in row["labels"] if h not in INTENTS],
                    "intents": [h for h in row["labels"] if h in INTENTS]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(SHARED))
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--nsmc", type=int, default=4000, help="how many NSMC reviews (smallest sha1 first)")
    args = ap.parse_args()
    rows = pool(Path(args.shared), args.nsmc)
    print(f"pool: {len(rows)} rows", flush=True)
    write(rows, *score(rows), Path(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
