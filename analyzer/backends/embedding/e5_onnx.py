"""ONNX Runtime path for the e5 encoder (``E5Encoder(runtime="onnx")``).

The transformers encoder is exported once (torch.onnx, TorchScript exporter, opset
17) with mean pooling inside the graph — inputs ``input_ids``/``attention_mask``
(batch x tokens, int64), output ``pooled`` (batch x hidden, not normalized) — into
``$RESONANCE_ANALYZER_CACHE/onnx/<name>-<hash>.onnx`` (never committed). With
``int8=True`` the export is then quantized by ``onnxruntime.quantization``
(dynamic, per-channel int8 weights of every MatMul with constant weights, stored in 7 bits
(``reduce_range``); embeddings stay float32). 7 bits because on a CPU without VNNI ONNX
Runtime's U8S8 kernel (VPMADDUBSW) saturates the 16-bit sums of two 8-bit products
(255 x 127 x 2 > 32767) and 7-bit weights cannot (255 x 63 x 2 < 32767): the same vectors
with or without VNNI, and closer to fp32 on AVX2 (``benchmarks/e5_int8.py``: mean cosine
0.9968 instead of 0.9956, 1.75x instead of 1.66x fp32's speed). The int8 file is the graph
only (~23 MB, protobuf, no code); it shares the fp32 export's memory-mapped word table.
A ``.json`` sidecar records the source (and the int8 recipe) so a rebuilt encoder is re-exported.
Everything runs offline; onnxruntime is part of the ``e5`` extra.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .resolve import cache_root, require
from .lora import adapter_digest, load_adapter, merge_adapter

OPSET = 17


def onnx_path(ref: str, cache_dir: str | os.PathLike | None, int8: bool, adapter: str | None = None) -> Path:
    """Where the export of encoder ``ref`` (with ``adapter`` merged, if any) lives in the cache."""
    source = str(Path(ref).expanduser().resolve() if Path(ref).exists() else ref) + f"+{adapter_digest(adapter)}"
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    name = Path(ref).name or "encoder"
    return cache_root(cache_dir) / "onnx" / f"{name}-{digest}{'-int8' if int8 else ''}.onnx"


def source_stamp(ref: str, adapter: str | None = None) -> dict[str, Any]:
    """What the export was made from (local weights: size and mtime; the adapter's sha1)."""
    stamp: dict[str, Any] = {"ref": ref, "adapter": adapter_digest(adapter)}
    weights = Path(ref) / "model.safetensors"
    if weights.is_file():
        stat = weights.stat()
        stamp.update(weights_bytes=stat.st_size, weights_mtime=int(stat.st_mtime))
    return stamp


FORMAT = 2  # 2: word embeddings outside the graph, in a memory-mapped .npy


def words_path(path: Path) -> Path:
    """The word-embedding table beside an export (float32 .npy, memory-mapped at load)."""
    return path.with_name(path.name.split(".")[0].removesuffix("-int8") + ".words.npy")


INT8_RECIPE = "dynamic per-channel int8, MatMul const-B only, reduce_range"  # in the int8 sidecar


def is_current(path: Path, ref: str, adapter: str | None = None) -> bool:
    sidecar = path.with_suffix(".json")
    if not (path.is_file() and sidecar.is_file() and words_path(path).is_file()):
        return False
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    recipe_ok = not meta.get("int8") or meta.get("recipe") == INT8_RECIPE  # an int8 file of another recipe is redone
    return meta.get("source") == source_stamp(ref, adapter) and meta.get("format") == FORMAT and recipe_ok


def _pooled_module(torch: Any, model: Any) -> Any:
    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds, attention_mask):
            hidden = self.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    return Pooled()


def export_onnx(ref: str, out: Path, local_only: bool = True, adapter: str | None = None) -> Path:
    """Export encoder ``ref`` (``adapter`` merged) with in-graph mean pooling to ``out`` (fp32)."""
    import warnings

    torch, transformers = require("torch", "transformers")
    require("onnx")
    model = transformers.AutoModel.from_pretrained(ref, local_files_only=local_only, trust_remote_code=False,
                                                   add_pooling_layer=False, attn_implementation="eager").eval()
    if adapter:
        merge_adapter(model, load_adapter(adapter))
    words = model.get_input_embeddings().weight.detach().float().numpy()
    embeds = torch.ones((2, 8, words.shape[1]), dtype=torch.float32)
    mask = torch.ones((2, 8), dtype=torch.long)
    axes = {"inputs_embeds": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".partial.onnx")
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(_pooled_module(torch, model), (embeds, mask), str(tmp), input_names=["inputs_embeds", "attention_mask"],
                          output_names=["pooled"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    words_tmp = out.with_name(out.stem + ".partial.npy")
    np.save(words_tmp, words)
    words_tmp.replace(words_path(out))
    tmp.replace(out)
    return out


def quantize_onnx(src: Path, out: Path) -> Path:
    """Dynamic int8 quantization of ``src`` (``INT8_RECIPE``: per-channel 7-bit weights of every
    MatMul with constant weights; see the module doc). Deterministic: the same file every time."""
    import logging

    require("onnxruntime")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = out.with_name(out.stem + ".partial.onnx")
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" advice is not for users
    try:
        quantize_dynamic(str(src), str(tmp), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
    finally:
        logging.getLogger().setLevel(quiet)
    tmp.replace(out)
    return out


def ensure_onnx(ref: str, cache_dir: str | os.PathLike | None, int8: bool, local_only: bool = True,
                adapter: str | None = None) -> Path:
    """The cached ONNX export of ``ref`` (fp32 or int8, ``adapter`` merged), exporting it
    when missing or stale."""
    fp32 = onnx_path(ref, cache_dir, int8=False, adapter=adapter)
    target = onnx_path(ref, cache_dir, int8, adapter=adapter)
    stamp = source_stamp(ref, adapter)
    if is_current(target, ref, adapter):
        return target
    if not is_current(fp32, ref, adapter):
        export_onnx(ref, fp32, local_only, adapter)
        fp32.with_suffix(".json").write_text(json.dumps({"source": stamp, "int8": False, "format": FORMAT}), encoding="utf-8")
    if int8:
        quantize_onnx(fp32, target)
        target.with_suffix(".json").write_text(json.dumps({"source": stamp, "int8": True, "format": FORMAT,
                                                           "recipe": INT8_RECIPE}), encoding="utf-8")
    return target


class OnnxPooler:
    """An ONNX Runtime session computing mean-pooled hidden states of padded batches. The word
    embeddings (250k x 384, most of the weights) are looked up in a memory-mapped table, so
    the session holds only the transformer layers and builds in a fraction of the time.

    The intra-op threads sleep between parallel sections instead of spinning (``spin=False``):
    a batch's GEMMs are long enough that waking a thread costs little, while spinning burns a
    core that the other thread, the rest of the pipeline or another process could use
    (``benchmarks/accurate_cli.py``: 1.3x fewer CPU seconds per comment on a loaded 2-core
    machine, identical vectors)."""

    def __init__(self, path: Path, threads: int | None = None, spin: bool = False) -> None:
        (ort,) = require("onnxruntime")
        self.path = Path(path)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.words = np.load(words_path(path), mmap_mode="r", allow_pickle=False)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        embeds = np.asarray(self.words[ids], dtype=np.float32)
        feeds = {"inputs_embeds": embeds, "attention_mask": mask.astype(np.int64, copy=False)}
        return self.session.run(["pooled"], feeds)[0].astype(np.float32, copy=False)
