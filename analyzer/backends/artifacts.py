"""Reading a shipped model folder: ``meta.json`` plus ``weights.npz`` (never pickle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError


def read_artifact(folder: str | Path, name: str, trainer: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a model folder; a missing or unreadable one raises ModelError
    naming ``trainer``, the script that writes such a folder."""
    folder = Path(folder)
    meta_file, weights_file = folder / "meta.json", folder / "weights.npz"
    if not meta_file.is_file() or not weights_file.is_file():
        raise ModelError(f"No {name} model in {folder} (need meta.json and weights.npz); "
                         f"pass path= a folder written by {trainer}.")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        with np.load(weights_file, allow_pickle=False) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot load the {name} model in {folder}: {exc}; retrain or reinstall it.") from exc
    return meta, arrays


def read_dev_scores(folder: str | Path) -> dict[str, Any] | None:
    """A sentiment model's ``dev_scores.json`` (held-out per-language macro-F1 and confusion
    matrices, written by its evaluate script beside the weights), or None when absent."""
    path = Path(folder) / "dev_scores.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read {path}: {exc}; rerun the model's evaluate script.") from exc
