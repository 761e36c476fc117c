"""Shared by the training and evaluation scripts under ``models/``: load a sibling script
by path (the model folders reuse file names such as ``train.py``, so a script imports
another under a unique module name instead of through ``sys.path``), and the texts of the
held-out drama proxy set that no training file may contain."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

MODELS = Path(__file__).resolve().parent
DRAMA_PROXY = MODELS.parent / "data" / "devsets" / "drama_proxy.jsonl"


def load_script(name: str, relative: str) -> ModuleType:
    """``models/<relative>`` as module ``name``, registered in ``sys.modules`` (so the
    dataclasses it defines resolve their own module)."""
    spec = importlib.util.spec_from_file_location(name, MODELS / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def loose_key(text: str) -> str:
    """Lower-cased words only, so near-identical short comments count as the same text."""
    return " ".join(re.findall(r"\w+", text.lower())) or text.strip()


def proxy_keys() -> set[str]:
    """``loose_key`` of every drama proxy text (empty when the file is absent)."""
    if not DRAMA_PROXY.is_file():
        return set()
    lines = DRAMA_PROXY.read_text(encoding="utf-8").splitlines()
    return {loose_key(json.loads(line)["text"]) for line in lines if line.strip()}
