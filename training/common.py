"""Shared by the training and evaluation modules of the ``training`` package: where the
repository's folders are, one JSONL reader, and the texts of the held-out drama proxy set
that no training file may contain. Modules import each other as ``training.<model>.<module>``
(``python -m training.themes_hybrid.train``); nothing edits ``sys.path`` or loads by path."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"  # model cards and their runs/<date>-<tag>.json results
SHIPPED = ROOT / "analyzer" / "_models"  # the trained artifacts the package loads
DEVSETS = ROOT / "data" / "devsets"
TRAINSETS = ROOT / "data" / "trainsets"
DRAMA_PROXY = DEVSETS / "drama_proxy.jsonl"


def model_dir(name: str) -> Path:
    """``models/<name>``: the card and runs of one model (``"sentiment-linear"``)."""
    return MODELS / name


def run_path(name: str, tag: str, suffix: str = ".json") -> Path:
    """``models/<name>/runs/<UTC date>-<tag><suffix>``: where one run's results go (the one
    layout for results; a rendering for the card, if any, takes the same stem and ``.md``)."""
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    folder = MODELS / name / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{day}-{tag}{suffix}"


def read_jsonl(path: str | Path, skip: frozenset[int] = frozenset()) -> list[dict]:
    """Objects of a JSONL file (``.gz`` too), blank lines and the 1-based line numbers in
    ``skip`` left out; a missing file reads as empty."""
    path = Path(path)
    if not path.is_file():
        return []
    if path.suffix == ".gz":
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for number, line in enumerate(lines, 1) if line.strip() and number not in skip]


def label_batches() -> list[Path]:
    """Every labelling batch of real comments in data/trainsets, in name order
    (comments_train.labels.jsonl, comments_train_b.labels.jsonl, ...)."""
    return sorted(TRAINSETS.glob("comments_train*.labels.jsonl"))


def loose_key(text: str) -> str:
    """Lower-cased words only, so near-identical short comments count as the same text."""
    return " ".join(re.findall(r"\w+", text.lower())) or text.strip()


def proxy_keys() -> set[str]:
    """``loose_key`` of every drama proxy text (empty when the file is absent)."""
    return {loose_key(row["text"]) for row in read_jsonl(DRAMA_PROXY)}


def replace_block(text: str, start: str, end: str, block: str, where: str) -> str:
    """``text`` with what lies between the ``start`` and ``end`` markers replaced by ``block``
    (the generated tables of the README and docs/speed.md); ``where`` names the file in the error."""
    head, found_start, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise SystemExit(f"{where} has no {start} ... {end} block")
    return f"{head}{start}\n{block}\n{end}{tail}"


def write_model_meta(out: Path, meta: dict, factory: str) -> None:
    """A trained model folder's ``meta.json`` (what it was trained on and how) and ``backend.json``
    (the registered factory that loads it: ``select_backend`` reads it for a local path)."""
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "backend.json").write_text(json.dumps({"factory": factory}) + "\n", encoding="utf-8")
