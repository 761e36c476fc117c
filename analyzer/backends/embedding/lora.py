"""LoRA adapters for the e5 encoder: stored as arrays, merged into the weights at load.

An adapter folder holds ``adapter.npz`` (float16, never pickle) and ``adapter.json``.
For each adapted ``Linear`` named ``encoder.layer.{i}.{target}`` the npz has
``{name}.lora_A`` (r x in) and ``{name}.lora_B`` (out x r, the ``alpha / r`` scale
already folded in); merging sets ``W <- W + B @ A``. A merged encoder runs exactly as
fast as the base one. Written by ``training/sentiment_e5/finetune.py``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError

TARGETS = (
    "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
    "intermediate.dense", "output.dense",
)
ADAPTER_FILE, ADAPTER_META = "adapter.npz", "adapter.json"


def has_adapter(folder: str | Path) -> bool:
    return (Path(folder) / ADAPTER_FILE).is_file()


def adapter_digest(folder: str | Path | None) -> str | None:
    """sha1 of a folder's ``adapter.npz`` (None without an adapter): which embeddings a
    head downstream was trained on."""
    if not folder or not has_adapter(folder):
        return None
    path = (Path(folder) / ADAPTER_FILE).resolve()
    stat = path.stat()
    return _digest(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    """sha1 of a file, once per (path, size, mtime): every head asks at start-up."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def save_adapter(folder: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write ``adapter.npz`` (float16) and ``adapter.json``, each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "adapter.tmp.npz"
    np.savez(tmp, **{k: v.astype(np.float16) for k, v in arrays.items()})
    tmp.replace(folder / ADAPTER_FILE)
    text = json.dumps(meta, indent=2) + "\n"
    (folder / "adapter.tmp.json").write_text(text, encoding="utf-8")
    (folder / "adapter.tmp.json").replace(folder / ADAPTER_META)


def load_adapter(folder: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Linear name -> (A, B) as float32; raises ModelError on a malformed adapter."""
    folder = Path(folder)
    try:
        with np.load(folder / ADAPTER_FILE, allow_pickle=False) as data:
            arrays = {k: data[k].astype(np.float32) for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the adapter in {folder}: {exc}; retrain or reinstall it.") from exc
    names = sorted({k.rsplit(".lora_", 1)[0] for k in arrays})
    missing = [n for n in names if f"{n}.lora_A" not in arrays or f"{n}.lora_B" not in arrays]
    if missing or not names:
        raise ModelError(f"The adapter in {folder} is incomplete (e.g. {missing[:1] or 'no arrays'}); retrain it.")
    return {n: (arrays[f"{n}.lora_A"], arrays[f"{n}.lora_B"]) for n in names}


def merge_adapter(model: Any, adapter: dict[str, tuple[np.ndarray, np.ndarray]]) -> int:
    """Add ``B @ A`` to each named Linear's weight of a torch model (in place); returns
    how many layers were merged. Shapes must match the model's."""
    import torch

    with torch.no_grad():
        for name, (a, b) in adapter.items():
            try:
                linear = model.get_submodule(name)
            except AttributeError as exc:
                raise ModelError(f"The adapter names {name}, which this encoder does not have; "
                                 "use the encoder it was trained on (multilingual-e5-small).") from exc
            delta = torch.from_numpy(b @ a)
            if tuple(delta.shape) != tuple(linear.weight.shape):
                raise ModelError(f"Adapter shape {tuple(delta.shape)} for {name} does not match the encoder's "
                                 f"{tuple(linear.weight.shape)}; use the encoder it was trained on.")
            linear.weight += delta.to(linear.weight.dtype)
    return len(adapter)
