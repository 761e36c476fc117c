"""Shared by the training and evaluation scripts under ``models/``: load a sibling script
by path (the model folders reuse file names such as ``train.py``, so a script imports
another under a unique module name instead of through ``sys.path``), one JSONL reader, and
the texts of the held-out drama proxy set that no training file may contain."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

MODELS = Path(__file__).resolve().parent
DRAMA_PROXY = MODELS.parent / "data" / "devsets" / "drama_proxy.jsonl"
TRAINSETS = MODELS.parent / "data" / "trainsets"


def load_script(name: str, relative: str) -> ModuleType:
    """``models/<relative>`` as module ``name``, registered in ``sys.modules`` (so the
    dataclasses it defines resolve their own module)."""
    spec = importlib.util.spec_from_file_location(name, MODELS / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
