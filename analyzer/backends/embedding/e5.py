"""The e5 encoder (multilingual-e5-small): ``E5Encoder.embed(texts) -> (n, dim)`` float32,
L2-normalized rows, in input order.

Recipe (the preprocessing every e5 head was trained with): the text gets the ``query: ``
prefix, is tokenized with the XLM-R Unigram tokenizer, run through the encoder,
mean-pooled over all non-padding tokens and L2-normalized.

Long texts are never silently truncated: a text whose tokens do not fit the
encoder's 512-token limit is split into consecutive chunks of at most
``512 - 2 - len(prefix)`` content tokens; each chunk is encoded as
``<s> query: chunk </s>``, and the text's vector is the token-count-weighted mean
of the chunks' mean-pooled vectors, then L2-normalized (this equals mean pooling
over the whole text, except that attention stays within a chunk).

Speed: identical texts (after whitespace normalization) are encoded once; chunks
are sorted by length and batched (``batch_size``: at most 64 rows on CPU, cut where the
padding would cost more than another batch, see ``plan_buckets``; on CUDA 1024 chunks but
at most 131,072 padded tokens per batch), then results are restored to input order. On
CUDA, batches are queued without waiting for each other: inputs go through pinned memory,
pooling runs on the GPU, and pooled vectors come back to the host once per 32 batches, so
the host prepares the next batches while the GPU works.
``precision`` sets the CPU arithmetic: ``"bf16"`` stores the linear
layers' weights in bfloat16 and runs them under ``torch.autocast`` (LayerNorm,
softmax and pooling stay float32); ``"fp32"`` runs everything in float32;
``"auto"`` (default) picks bf16 when the CPU has bfloat16 matrix instructions
(AMX or AVX512-BF16), where it is 2-3x faster at cosine >= 0.9999 to fp32, else
fp32 (emulated bf16 is slower). ``quantize=True`` (int8 dynamic quantization of the
linear layers, CPU) takes precedence over ``precision``; CUDA runs in fp16.
``runtime="onnx"`` runs the encoder in ONNX Runtime instead (CPU; fp32, or int8
per-channel with ``quantize=True``; exported once into the cache, see ``e5_onnx``).

``precision="int8-cascade"`` (CPU, ONNX Runtime): every text is encoded by the int8 export,
then the texts that a head's *gate* flags are encoded again in fp32 and their int8 vectors
replaced. A head registers its gate with ``add_gate(name, gate)``, ``gate(vectors) -> bool
mask`` over int8 vectors (``sentiment.e5.v1``: its top-two probability margin under the margin
chosen on tuning rows); every head sharing the encoder reads the same mixed vectors. Without a
gate the cascade encodes in fp32 only (nothing decides what int8 may keep), and so it does once
a reader that int8 vectors would change and that has no gate says ``keep_fp32(name)``
(``themes.e5.v1``: on int8-cascade vectors its theme sets differed from fp32's on 11% of 600
tuning rows). ``"auto"`` picks
the cascade on a CPU without bf16 instructions when ``AUTO_CASCADE`` is on and ``analyzer models
build`` wrote both exports (see docs/accurate-tier.md for the measurement that decides it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError, check_param
from .cache import text_key
from .lora import adapter_digest, load_adapter, merge_adapter
from .resolve import MAX_TOKENS, quiet_loading, require, resolve_encoder

QUERY_PREFIX = "query: "


normalize_key = text_key  # the dedup key: whitespace runs collapsed, ends stripped


PRECISIONS = ("auto", "fp32", "bf16", "int8-cascade")
CASCADE = "int8-cascade"
# Whether precision="auto" runs the int8-then-fp32 cascade on a CPU without bf16 instructions
# (when both ONNX exports are built): chosen by benchmarks/accurate_cli.py and e5_cascade_readers.py, see
# docs/accurate-tier.md (off: under it the default tier's per-theme polarities agreed 0.965-0.985 with fp32's).
AUTO_CASCADE = False
RUNTIMES = ("auto", "torch", "onnx")
BF16_FLAGS = ("amx_tile", "avx512_bf16")  # /proc/cpuinfo names of the bf16 matrix instructions


def cpu_has_bf16(torch: Any = None) -> bool:
    """Whether this CPU has bfloat16 matrix instructions (AMX tiles or AVX512-BF16): from
    /proc/cpuinfo where there is one (no torch import), else asked of torch."""
    flags = _cpu_flags()
    if flags is not None:
        return any(f in flags for f in BF16_FLAGS)
    if torch is None:
        (torch,) = require("torch")
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def _cpu_flags() -> set[str] | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        return None
    return None


def resolve_precision(precision: str, device: str, quantize: bool, torch: Any) -> str:
    """The arithmetic actually used: "fp16" (CUDA), "int8", "bf16" or "fp32"."""
    if device != "cpu":
        return "fp16"
    if quantize:
        return "int8"
    if precision == "auto":
        return "bf16" if cpu_has_bf16(torch) else "fp32"
    return precision


CPU_BATCH = 64
CUDA_BATCH = 1024
CUDA_BATCH_TOKENS = 131072  # padded tokens per CUDA batch: bounds activation memory
CUDA_FLUSH = 32  # batches queued on the GPU before their pooled vectors are copied back
CUDA_BLOCK = 8192  # texts per block on CUDA: the next block is tokenized while the GPU works


def plan_batches(lengths: Sequence[int], size: int, max_tokens: int | None = None) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most ``size`` rows and (when
    given) ``max_tokens`` padded tokens; a single longer row still gets its own batch."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for j in order:
        full = len(current) >= size or (max_tokens and (len(current) + 1) * lengths[j] > max_tokens)
        if current and full:
            batches.append(current)
            current = []
        current.append(j)
    if current:
        batches.append(current)
    return batches


CPU_BATCH_OVERHEAD = 64  # a batch's fixed cost in padded-token equivalents (one session call, small GEMMs)


def plan_buckets(lengths: Sequence[int], size: int, overhead: int = CPU_BATCH_OVERHEAD) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most ``size`` rows where the cuts
    minimize the padded tokens plus ``overhead`` per batch (an exact dynamic program over the
    sorted lengths): short texts share wide batches, the long tail gets narrow ones."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    n = len(order)
    best, cut = np.zeros(n + 1, dtype=np.int64), [0] * (n + 1)
    for end in range(1, n + 1):  # best[end]: cheapest plan of the `end` shortest rows
        start = max(0, end - size)
        costs = best[start:end] + (end - np.arange(start, end)) * lengths[order[end - 1]]
        k = int(costs.argmin())
        best[end], cut[end] = costs[k] + overhead, start + k
    batches, end = [], n
    while end > 0:
        batches.append(order[cut[end] : end])
        end = cut[end]
    return batches[::-1]


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Float32 mean of the last hidden states over the non-padding positions of ``mask``."""
    m = mask.unsqueeze(-1).float()
    return (hidden.float() * m).sum(1) / m.sum(1).clamp(min=1.0)


def plan_chunks(ids: list[int], limit: int) -> list[list[int]]:
    """Split content token ids into consecutive chunks of at most ``limit`` ids (never empty)."""
    if not ids:
        return [[]]
    return [ids[i : i + limit] for i in range(0, len(ids), limit)]


class E5Encoder:
    """The e5 encoder: ``embed(texts) -> (n, dim)`` float32, L2-normalized rows."""

    def __init__(self, *, path: str | None = None, cache_dir: str | None = None, device: str = "cpu",
                 batch_size: int | None = None, quantize: bool = False, prefix: str = QUERY_PREFIX,
                 max_tokens: int = MAX_TOKENS, threads: int | None = None, precision: str = "auto",
                 runtime: str = "auto", adapter: str | Path | None = None) -> None:
        owner = "E5Encoder"
        check_param(owner, "device", device, device in {"cpu", "cuda"} or str(device).startswith("cuda:"), '"cpu" or "cuda"')
        check_param(owner, "batch_size", batch_size, batch_size is None or (isinstance(batch_size, int) and batch_size > 0),
                    "a positive int or None (64 on CPU, 1024 on CUDA)")
        check_param(owner, "max_tokens", max_tokens, isinstance(max_tokens, int) and max_tokens >= 16, "an int >= 16")
        check_param(owner, "quantize", quantize, isinstance(quantize, bool), "a bool")
        check_param(owner, "precision", precision, precision in PRECISIONS, '"auto", "fp32", "bf16" or "int8-cascade"')
        check_param(owner, "runtime", runtime, runtime in RUNTIMES, '"auto", "torch" or "onnx"')
        if runtime == "onnx":
            check_param(owner, "device", device, device == "cpu", '"cpu" with runtime="onnx"')
            check_param(owner, "precision", precision, precision != "bf16", '"auto", "fp32" or "int8-cascade" with runtime="onnx"')
        if precision == CASCADE:
            check_param(owner, "precision", precision, device == "cpu" and runtime != "torch" and not quantize,
                        '"auto", "fp32" or "bf16" on CUDA, with runtime="torch" or with quantize=True ("int8-cascade" runs ONNX Runtime on CPU)')
        self.precision, self.runtime = precision, runtime
        self.path, self.cache_dir, self.device = path, cache_dir, device
        self.quantize, self.prefix = quantize, prefix
        self.batch_size = batch_size or (CUDA_BATCH if self.on_cuda else CPU_BATCH)
        self.block_size = CUDA_BLOCK if self.on_cuda else 0  # 0: one block
        self.max_tokens, self.threads = max_tokens, threads
        self.adapter = str(adapter) if adapter else None
        self.adapter_sha1 = adapter_digest(self.adapter)
        if self.adapter and self.adapter_sha1 is None:
            raise ModelError(f"No adapter.npz in {self.adapter}; pass the folder finetune.py wrote, or adapter=None.")
        self._model = self._tokenizer = self._prefix_ids = self._fast = None
        self._specials: tuple[int, int] = (0, 2)
        self._dim = 0
        self.arithmetic: str | None = None  # resolved precision, set by load()
        self.runtime_used: str | None = None  # "torch" or "onnx", set by load()
        self._pad_id = 0
        self.cascade = False  # set by load(): int8 first, fp32 again where a gate asks
        self.gates: dict[str, Any] = {}
        self.cascade_counts = {"texts": 0, "fp32_again": 0}
        self._int8: Any = None
        self._ref: tuple[str, bool] | None = None
        self.fp32_readers: list[str] = []  # readers that turned the cascade off (keep_fp32)

    # ------------------------------------------------------------------ loading
    def load(self) -> E5Encoder:
        if self._model is not None:
            return self
        ref, local_only = resolve_encoder(self.path, self.cache_dir)
        self._ref = (ref, local_only)
        self.cascade = not self.fp32_readers and (self.precision == CASCADE or (self.precision == "auto" and self._auto_cascade(ref)))
        onnx_file = self.onnx_export(ref)
        if onnx_file is not None and Path(ref, "tokenizer.json").is_file():  # no torch, no transformers
            self._load_light(ref, onnx_file)
            return self
        torch, transformers = require("torch", "transformers")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError("device='cuda' was asked for but no CUDA GPU is visible; use device='cpu'.")
        if self.threads:
            torch.set_num_threads(self.threads)
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(ref, local_files_only=local_only, trust_remote_code=False)
        if self._onnx_only:
            self._model = self._load_onnx(ref, local_only, transformers)
        else:
            self._model = self._load_torch(ref, local_only, torch, transformers)
        self.runtime_used = "onnx" if self._onnx_only else "torch"
        self._prefix_ids = self._tokenizer(self.prefix.rstrip(), add_special_tokens=False)["input_ids"] if self.prefix.strip() else []
        self._specials = (self._tokenizer.cls_token_id, self._tokenizer.sep_token_id)
        self._pad_id = self._tokenizer.pad_token_id
        fast = getattr(self._tokenizer, "backend_tokenizer", None)
        if fast is not None and hasattr(fast, "encode_batch_fast"):  # tokenize() calls it directly
            fast.no_truncation()
            fast.no_padding()
            self._fast = fast
        return self

    def onnx_export(self, ref: str) -> Path | None:
        """The ONNX file to run without torch: with ``runtime="onnx"`` or the cascade, or with ``"auto"`` (and
        precision "auto", no ``quantize``) on a CPU without bf16 instructions with onnxruntime
        installed, the current fp32 export of this encoder (adapter merged; written by
        ``analyzer models build`` or an earlier ``runtime="onnx"`` run). None means torch."""
        import importlib.util

        if self.runtime == "torch" or self.on_cuda or not Path(ref).is_dir():
            return None
        if not self._onnx_only and (self.precision != "auto" or self.quantize
                                    or importlib.util.find_spec("onnxruntime") is None or cpu_has_bf16()):
            return None
        from .e5_onnx import is_current, onnx_path

        path = onnx_path(ref, self.cache_dir, self.quantize, self.adapter)
        return path if is_current(path, ref, self.adapter) else None

    @property
    def _onnx_only(self) -> bool:
        """ONNX Runtime asked for, or implied: the cascade (even when a reader turned it off)."""
        return self.runtime == "onnx" or self.precision == CASCADE or self.cascade

    def _auto_cascade(self, ref: str) -> bool:
        """precision="auto" runs the cascade: ``AUTO_CASCADE`` on, CPU without bf16 instructions,
        runtime not torch, no ``quantize``, onnxruntime installed and both exports current."""
        import importlib.util

        if not AUTO_CASCADE or self.runtime == "torch" or self.on_cuda or self.quantize or not Path(ref).is_dir():
            return False
        if importlib.util.find_spec("onnxruntime") is None or cpu_has_bf16():
            return False
        from .e5_onnx import is_current, onnx_path

        return all(is_current(onnx_path(ref, self.cache_dir, int8, self.adapter), ref, self.adapter) for int8 in (False, True))

    def add_gate(self, name: str, gate: Any) -> None:
        """Register (or replace) ``gate(int8_vectors) -> bool mask``: the texts to encode again in
        fp32 when the cascade runs (see the module doc); ignored by the other arithmetics."""
        self.gates[name] = gate

    def keep_fp32(self, reader: str) -> None:
        """``reader`` reads these vectors, int8 would change its decisions and it has no gate: the
        cascade (if any) then encodes every text in fp32, the int8 session is never built."""
        if reader not in self.fp32_readers:
            self.fp32_readers.append(reader)
        if self.cascade:
            self.cascade = False
            self.arithmetic = "fp32"

    def _int8_model(self) -> Any:
        """The int8 ONNX session of the cascade, built on first use (exported if missing)."""
        if self._int8 is None:
            from .e5_onnx import OnnxPooler, ensure_onnx

            ref, local_only = self._ref
            self._int8 = OnnxPooler(ensure_onnx(ref, self.cache_dir, True, local_only, self.adapter), self.threads)
        return self._int8

    def _load_light(self, ref: str, onnx_file: Path) -> None:
        """ONNX Runtime + the ``tokenizers`` tokenizer read from tokenizer.json: loads in about
        a second, without importing torch or transformers."""
        import json
        from concurrent.futures import ThreadPoolExecutor

        from .e5_onnx import OnnxPooler

        (tokenizers,) = require("tokenizers")
        with ThreadPoolExecutor(1) as pool:  # both release the GIL: read the tokenizer while the session builds
            reading = pool.submit(tokenizers.Tokenizer.from_file, str(Path(ref, "tokenizer.json")))
            self._model = OnnxPooler(onnx_file, self.threads)
            fast = reading.result()
        fast.no_truncation()
        fast.no_padding()
        config = json.loads(Path(ref, "config.json").read_text(encoding="utf-8"))
        names = _special_names(Path(ref))
        ids = {k: fast.token_to_id(v) for k, v in names.items()}
        if None in ids.values():
            raise ModelError(f"The tokenizer in {ref} lacks {names}; rebuild it with `analyzer models build`.")
        self._fast, self._tokenizer = fast, None
        self._specials, self._pad_id = (ids["cls"], ids["sep"]), ids["pad"]
        self._prefix_ids = fast.encode(self.prefix.rstrip(), add_special_tokens=False).ids if self.prefix.strip() else []
        self._dim = int(config["hidden_size"])
        self.arithmetic = self._onnx_arithmetic()
        self.runtime_used = "onnx"

    def _onnx_arithmetic(self) -> str:
        return CASCADE if self.cascade else "int8" if self.quantize else "fp32"

    def _load_torch(self, ref: str, local_only: bool, torch: Any, transformers: Any) -> Any:
        with quiet_loading():
            model = transformers.AutoModel.from_pretrained(ref, local_files_only=local_only, trust_remote_code=False,
                                                          add_pooling_layer=False)
        model.eval()
        if self.adapter:
            merge_adapter(model, load_adapter(self.adapter))
        self._dim = int(model.config.hidden_size)
        self.arithmetic = resolve_precision(self.precision, self.device, self.quantize, torch)
        if self.arithmetic == "int8":
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.arithmetic == "bf16":
            for module in model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.to(torch.bfloat16)
        elif self.arithmetic == "fp16":
            model = model.to(self.device).half()
        return model

    def _load_onnx(self, ref: str, local_only: bool, transformers: Any) -> Any:
        from .e5_onnx import OnnxPooler, ensure_onnx

        config = transformers.AutoConfig.from_pretrained(ref, local_files_only=local_only, trust_remote_code=False)
        self._dim = int(config.hidden_size)
        self.arithmetic = self._onnx_arithmetic()
        return OnnxPooler(ensure_onnx(ref, self.cache_dir, self.quantize, local_only, self.adapter), self.threads)

    @property
    def on_cuda(self) -> bool:
        return str(self.device).startswith("cuda")

    @property
    def dim(self) -> int:
        return self.load()._dim

    # ---------------------------------------------------------------- embedding
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids of each text, prefix included, no specials, no truncation."""
        self.load()
        queries = [self.prefix + t for t in texts]
        if self._fast is not None:  # the same ids, without offsets
            return [e.ids for e in self._fast.encode_batch_fast(queries, add_special_tokens=False)]
        body = self._tokenizer(queries, add_special_tokens=False, verbose=False)["input_ids"]  # slow tokenizers
        return [list(ids) for ids in body]

    def chunk(self, ids: list[int]) -> list[list[int]]:
        """Windows of ``<s> prefix chunk </s>`` that fit ``max_tokens`` (see module doc)."""
        pre, (cls, sep) = self._prefix_ids, self._specials
        limit = self.max_tokens - 2 - len(pre)
        body = ids[len(pre):] if ids[: len(pre)] == pre else ids
        if len(body) <= limit:
            return [[cls, *pre, *body, sep]]
        return [[cls, *pre, *part, sep] for part in plan_chunks(body, limit)]

    def embed(self, texts: str | Sequence[str]) -> np.ndarray:
        """L2-normalized embeddings in input order; a str gives a (dim,) vector."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [normalize_key(t) for t in items]
        unique = list(dict.fromkeys(keys))
        vectors = self._embed_unique(unique)
        index = {k: i for i, k in enumerate(unique)}
        out = vectors[[index[k] for k in keys]]
        return out[0] if single else out

    def _embed_unique(self, texts: list[str]) -> np.ndarray:
        """On CUDA, blocks of texts are tokenized one block ahead in a thread (the tokenizer
        releases the GIL) while the GPU encodes the block before."""
        size = self.block_size or max(1, len(texts))
        blocks = [texts[i : i + size] for i in range(0, len(texts), size)]
        if len(blocks) == 1:
            return self._embed_block(self.tokenize(texts))
        from concurrent.futures import ThreadPoolExecutor

        out = []
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(self.tokenize, blocks[0])
            for k in range(len(blocks)):
                ids = ahead.result()
                if k + 1 < len(blocks):
                    ahead = pool.submit(self.tokenize, blocks[k + 1])
                out.append(self._embed_block(ids))
        return np.concatenate(out)

    def _embed_block(self, token_ids: list[list[int]]) -> np.ndarray:
        if not (self.cascade and self.gates):
            return self._encode(token_ids, self._model)
        vectors = self._encode(token_ids, self._int8_model())
        again = np.flatnonzero(np.logical_or.reduce([np.asarray(g(vectors), dtype=bool) for g in self.gates.values()]))
        if len(again):
            vectors[again] = self._encode([token_ids[i] for i in again], self._model)
        self.cascade_counts["texts"] += len(token_ids)
        self.cascade_counts["fp32_again"] += len(again)
        return vectors

    def _encode(self, token_ids: list[list[int]], model: Any) -> np.ndarray:
        """L2-normalized vectors of tokenized texts through ``model`` (the session or module)."""
        windows, starts = [], []
        for ids in token_ids:
            starts.append(len(windows))
            windows.extend(self.chunk(ids))
        lengths = np.fromiter(map(len, windows), dtype=np.int64, count=len(windows))
        batches = self.plan(lengths.tolist())
        pooled = np.empty((len(windows), self.dim), dtype=np.float32)
        for batch, vecs in zip(batches, self._pooled_batches(windows, batches, model)):
            pooled[batch] = vecs
        if len(windows) == len(token_ids):  # one window per text: the weights cancel in the norm
            sums = pooled
        else:
            sums = np.add.reduceat(pooled * lengths[:, None].astype(np.float32), starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def plan(self, lengths: Sequence[int]) -> list[list[int]]:
        """Length-sorted batches of window indices: on CUDA capped in rows and padded tokens,
        on CPU cut where padding costs more than another batch (``plan_buckets``)."""
        if self.on_cuda:
            return plan_batches(lengths, self.batch_size, CUDA_BATCH_TOKENS)
        return plan_buckets(lengths, self.batch_size)

    def _pooled_batches(self, windows: list[list[int]], batches: list[list[int]], model: Any = None) -> Iterator[np.ndarray]:
        """Mean-pooled vectors of each batch, in batch order."""
        if not (self.on_cuda and self.runtime_used == "torch"):
            for batch in batches:
                yield self._forward([windows[j] for j in batch], model)
            return
        for start in range(0, len(batches), CUDA_FLUSH):
            group = batches[start : start + CUDA_FLUSH]
            yield from self._forward_cuda_group([[windows[j] for j in batch] for batch in group])

    def _padded(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(w) for w in windows)
        ids = np.full((len(windows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for r, w in enumerate(windows):
            ids[r, : len(w)] = w
            mask[r, : len(w)] = 1
        return ids, mask

    def _forward(self, windows: list[list[int]], model: Any = None) -> np.ndarray:
        """Mean-pooled (not normalized) last hidden states of one padded batch."""
        ids, mask = self._padded(windows)
        if self.runtime_used == "onnx":
            return (model or self._model)(ids, mask)
        (torch,) = require("torch")
        ids_t, mask_t = torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)
        bf16 = self.arithmetic == "bf16"
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pooled = mean_pool(self._model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state, mask_t)
        return pooled.cpu().numpy()

    def _to_device(self, torch: Any, array: np.ndarray) -> Any:
        """Pinned host memory, then an asynchronous copy (a plain copy off CUDA)."""
        tensor = torch.from_numpy(array)
        if self.on_cuda:
            tensor = tensor.pin_memory()
        return tensor.to(self.device, non_blocking=True)

    def _forward_cuda_group(self, groups: list[list[list[int]]]) -> list[np.ndarray]:
        """Queue every batch of ``groups`` on the GPU, then copy the pooled vectors back once."""
        (torch,) = require("torch")
        pooled = []
        with torch.inference_mode():
            for windows in groups:
                ids, mask = self._padded(windows)
                ids_t, mask_t = (self._to_device(torch, a) for a in (ids, mask))
                pooled.append(mean_pool(self._model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state, mask_t))
            flat = torch.cat(pooled).cpu().numpy()
        return np.split(flat, np.cumsum([len(w) for w in groups])[:-1])


def _special_names(folder: Path) -> dict[str, str]:
    """cls/sep/pad token strings from tokenizer_config.json (XLM-R's <s>, </s>, <pad> otherwise)."""
    import json

    names = {"cls": "<s>", "sep": "</s>", "pad": "<pad>"}
    config = folder / "tokenizer_config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        for key in names:
            value = data.get(f"{key}_token")
            value = value.get("content") if isinstance(value, dict) else value
            if isinstance(value, str):
                names[key] = value
    return names
