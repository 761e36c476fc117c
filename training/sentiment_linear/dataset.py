"""Labelled rows from the shared data folder, split into train and held-out dev.

Dev rows come from a source's own validation file where it has one, else from a
seeded split (by movie for the Korean reviews, so one movie never sits on both
sides). Train rows whose normalized text also occurs in dev are dropped, and rows of the
project's hand-labelled real-comment dev set (data/devsets) are left out entirely.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from training.common import DEVSETS, TRAINSETS, label_batches, loose_key, proxy_keys, read_jsonl

DATA_DIR = Path(os.environ.get("ANALYZER_SHARED_DATA", "/work/shared/data"))
SEED = 13
# The project's hand-labelled real-comment dev set: its rows are never trained on.
DEVSET_LABELS = DEVSETS / "comments_dev.labels.jsonl"
# Hand-labelled real comments for TRAINING (disjoint from the dev set by (source, line) and sha1).
TRAINSET_LABELS = TRAINSETS / "comments_train.labels.jsonl"
TRAINSET_BATCHES = tuple(label_batches())  # every labelling batch
# The fast tier trains on the first two batches: retrains with the third and fourth gained
# nothing beyond noise on shared dev, real comments or the proxy (card: "Real comments").
# The real drama comments (comments_train_e) are left out too: retrains with them did not pass the
# ship rule (card, "Per-language bias terms": drama dev +0.010 but real comments -0.015), and the
# shipped weights were trained without them, so this recipe reproduces the shipped model. As their own
# class-balanced domain (train.py --drama-weight 10) they gave drama dev +0.012, real comments -0.005
# (models/sentiment-linear/runs/2026-12-06-stance-langs-s8.md): not shipped either. The shipped weights (s9) train on
# the same dramas' rows with stance read from the text (STANCE_DRAMA_LABELS below, train.py's defaults).
STANCE_BATCHES = (TRAINSET_LABELS, TRAINSET_LABELS.with_name("comments_train_b.labels.jsonl"))
# The real drama comments of the training dramas (狂飙, 陈情令, 小欢喜, 선재 업고 튀어; stance from the viewers'
# stars where they gave some): their own domain, one group per shared source, classes balanced inside
# (``train.py --drama-weight``; the weight is chosen by leave-one-drama-out CV, ``cv_drama_rows.py``).
DRAMA_TRAIN_LABELS = TRAINSET_LABELS.with_name("comments_train_e.labels.jsonl")
# Three-class stance read from the text (not the stars) for the same training-drama rows, plus a sample of
# Korean NSMC reviews (data/trainsets/README.md, "Drama stance, zh/ko"): ``train.py --drama-labels`` trains on
# these instead of comments_train_e's star-based stance; a row's group is still its shared source.
STANCE_DRAMA_LABELS = TRAINSET_LABELS.with_name("stance_drama_zh_ko.labels.jsonl")
DRAMA_PREFIX = "drama:"
# The held-out real drama comments (split by drama): never trained on either.
DRAMA_DEV_LABELS = DEVSET_LABELS.with_name("drama_dev.labels.jsonl")
DOMAIN_SOURCE = "comments_train"

# folder -> (kind, weight, dev fraction for a seeded split or None to use validation.jsonl)
SOURCES: dict[str, tuple[str, float, float | None]] = {
    "xlmt_umsab_tweets": ("3-class tweets", 1.0, None),
    "nsmc_raw_ko": ("3-class from stars", 1.0, 0.1),
    "wisesight_th": ("3-class social", 1.0, None),
    "indonlu_smsa_id": ("3-class reviews", 1.0, None),
    "indonlu_emot_id": ("emotion -> polarity", 0.5, None),
    "indonlu_absa_casa_car_id": ("aspects -> document", 0.5, None),
    "indonlu_absa_hoasa_hotel_id": ("aspects -> document", 0.5, None),
    "uit_vsfc_vi": ("3-class feedback", 1.0, None),
    "uit_visfd_vi_absa": ("3-class from stars", 1.0, None),
    "zh_reviews_chnsenticorp_shopping": ("binary reviews", 1.0, 0.1),
    "chabsa_ja": ("binary financial (weak proxy)", 0.5, 0.15),
    "filipino_tweets_tl": ("binary tweets (noisy)", 0.7, 0.15),
    "emoevent_es_en": ("emotion -> polarity", 0.5, None),
}

# Emotion sets give coarse polarity, but sadness and fear are mood, not stance: a viewer
# crying over a finale loves the drama. Those rows are left out (train and dev).
SKIP_EMOTIONS = frozenset({"sadness", "fear"})


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    lang: str
    source: str  # folder name
    weight: float = 1.0  # source weight (quality), before balancing


def _read(path: Path, exclude: frozenset[int] = frozenset()) -> list[dict]:
    """Rows of a JSONL file, leaving out the 1-based line numbers in ``exclude``."""
    return read_jsonl(path, exclude)


def excluded_lines() -> dict[str, frozenset[int]]:
    """``"folder/file.jsonl"`` -> line numbers used by the real-comment dev sets."""
    lines: dict[str, set[int]] = {}
    for path in (DEVSET_LABELS, DRAMA_DEV_LABELS):
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                label = json.loads(line)
                lines.setdefault(label["source"], set()).add(int(label["line"]))
    return {source: frozenset(numbers) for source, numbers in lines.items()}


def _in_dev(key: str, fraction: float) -> bool:
    return zlib.crc32(f"{SEED}:{key}".encode()) % 10_000 < fraction * 10_000


def load_split(data_dir: Path = DATA_DIR) -> tuple[list[Row], list[Row]]:
    """(train, dev) rows with a non-null label from every known source present."""
    train: list[Row] = []
    dev: list[Row] = []
    skip = excluded_lines()
    for folder, (_, weight, fraction) in SOURCES.items():
        base = data_dir / folder
        if not base.is_dir():
            continue
        if fraction is None:
            parts = [(r, False) for r in _read(base / "train.jsonl", skip.get(f"{folder}/train.jsonl", frozenset()))]
            parts += [(r, True) for r in _read(base / "validation.jsonl",
                                                 skip.get(f"{folder}/validation.jsonl", frozenset()))]
        else:
            parts = [(r, _in_dev(str(r.get("movie_id") or r["text"]), fraction))
                     for r in _read(base / "train.jsonl", skip.get(f"{folder}/train.jsonl", frozenset()))]
        for record, is_dev in parts:
            if record.get("label") is None or not record.get("text"):
                continue
            if record.get("emotion") in SKIP_EMOTIONS:
                continue
            row = Row(record["text"], record["label"], record.get("lang") or "und", folder, weight)
            (dev if is_dev else train).append(row)
    return train, dev


def excluded_texts(data_dir: Path = DATA_DIR) -> list[str]:
    """Texts of the real-comment dev set rows (so copies elsewhere can be dropped too)."""
    texts = []
    for source, numbers in excluded_lines().items():
        path = data_dir / source
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                texts += [json.loads(line)["text"] for n, line in enumerate(handle, 1) if n in numbers]
    return texts


def read_cues(path: Path) -> list[Row]:
    """The hand-written drama-stance cues (training only)."""
    return [Row(r["text"], r["label"], r["lang"], "drama_cues", 1.0) for r in _read(path)]


WRITTEN_DRAMA = TRAINSETS / "themes_synthetic_drama.jsonl"
CUES = TRAINSETS / "stance_drama_cues.jsonl"  # hand-written drama-stance cues (training only)
WRITTEN_DEV = DEVSETS / "stance_drama_dev.jsonl"  # 60 hand-written drama comments, never trained on
WRITTEN_SOURCE = "drama_written"
# Short opinion posts (it pt de es fr ar, everyday topics) and mixed / 3-star drama comments (ko zh) written and
# labelled for the fast stance tier in s12 (data/trainsets/README.md); train.py --stance-written-weight.
STANCE_WRITTEN = TRAINSETS / "stance_written_s12.jsonl"
STANCE_WRITTEN_SOURCE = "stance_written"
# Minimal pairs of issue #13's topic shortcut composed in s17 (counterfactual.py); only rows with held_out false are
# ever trained on (train.py --counterfactual-weight); the held-out rows are counterfactual.py's check.
COUNTERFACTUAL = TRAINSETS / "stance_counterfactual_s17.jsonl"
COUNTERFACTUAL_SOURCE = "counterfactual"


def read_written(path: Path = WRITTEN_DRAMA) -> list[Row]:
    """Drama comments we wrote and labelled (data/trainsets/themes_synthetic_drama.jsonl): stance -> label."""
    if not path.is_file():
        return []
    return [Row(r["text"], r["stance"], r.get("lang") or "und", WRITTEN_SOURCE, 1.0) for r in _read(path)]


def read_stance_written(path: Path = STANCE_WRITTEN) -> list[Row]:
    """The s12 written stance rows (``STANCE_WRITTEN``): stance -> label, source ``stance_written``."""
    if not path.is_file():
        return []
    return [Row(r["text"], r["stance"], r["lang"], STANCE_WRITTEN_SOURCE, 1.0) for r in _read(path)]


def read_counterfactual(path: Path = COUNTERFACTUAL) -> list[Row]:
    """The trained part of the s17 counterfactual rows (``held_out`` false): stance -> label, source
    ``counterfactual``; a row whose text is also a held-out row's is left out, so the held-out check stays unseen."""
    if not path.is_file():
        return []
    rows = _read(path)
    held = {r["text"] for r in rows if r["held_out"]}
    return [Row(r["text"], r["stance"], r["lang"], COUNTERFACTUAL_SOURCE, 1.0) for r in rows
            if not r["held_out"] and r["text"] not in held]


def refuse_proxy_overlap(rows: list[Row]) -> list[Row]:
    """``rows`` unchanged; raises if any is a row of the held-out drama proxy set."""
    proxy = proxy_keys()
    clash = [r.text for r in rows if loose_key(r.text) in proxy]
    if clash:
        raise ValueError(f"{len(clash)} training rows are in data/devsets/drama_proxy.jsonl, e.g. {clash[0]!r}")
    return rows


def read_domain(data_dir: Path = DATA_DIR, labels: tuple[Path, ...] = TRAINSET_BATCHES) -> list[Row]:
    """In-domain real comments (data/trainsets, every batch present): stance -> label. Noise
    rows (bare timestamps, fragments) keep their protocol stance, neutral. Raises if a row
    overlaps the dev set."""
    from analyzer.evaluation.devset import devset_keys, load_devset

    files = [f for f in labels if f.is_file()]
    if not files or not data_dir.is_dir():
        return []
    records = [r for f in files for r in load_devset(f, data_dir, on_error="raise")]
    dev_keys = devset_keys(DEVSET_LABELS) if DEVSET_LABELS.is_file() else set()
    overlap = [r["id"] for r in records if tuple(r["id"].rsplit(":", 1)) in
               {(s, str(n)) for s, n in dev_keys}]
    if overlap:
        raise ValueError(f"{len(overlap)} training comments are in the dev set, e.g. {overlap[0]}")
    return [Row(r["text"], r["stance"], r.get("lang") or "und", DOMAIN_SOURCE, 1.0) for r in records]


def dev_records(dev: list[Row]) -> list[dict]:
    return [{"text": r.text, "lang": r.lang, "label": r.label, "source": r.source} for r in dev]


def join_stance(labels: Path, data_dir: Path = DATA_DIR) -> list[dict]:
    """Stance label rows (``source``, ``line``, ``sha1``, ``lang``, ``stance``) with their ``text`` joined from
    the shared data; raises if a line is missing or its text's sha1 no longer matches."""
    import hashlib

    out, files = [], {}
    for label in read_jsonl(labels):
        lines = files.setdefault(label["source"], (data_dir / label["source"]).read_text(encoding="utf-8").splitlines())
        if not 0 < label["line"] <= len(lines):
            raise ValueError(f"{labels.name}: {label['source']} has no line {label['line']}")
        text = json.loads(lines[label["line"] - 1])["text"]
        if hashlib.sha1(text.encode("utf-8")).hexdigest() != label["sha1"]:
            raise ValueError(f"{labels.name}: {label['source']}:{label['line']} text changed (sha1 mismatch)")
        out.append({**label, "text": text})
    return out


def read_drama(data_dir: Path = DATA_DIR, labels: Path = DRAMA_TRAIN_LABELS) -> list[Row]:
    """The training dramas' labelled real comments, source ``drama:<shared folder>`` (one group each)."""
    if not labels.is_file() or not data_dir.is_dir():
        return []
    return [Row(r["text"], r["stance"], r.get("lang") or "und", DRAMA_PREFIX + r["source"].split("/")[0], 1.0)
            for r in join_stance(labels, data_dir)]
