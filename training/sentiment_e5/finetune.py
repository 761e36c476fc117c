"""Fine-tune multilingual-e5-small for stance with LoRA adapters and a logistic head.

    python -m training.sentiment_e5.finetune [--per-group 1500] [--epochs 1] [--rank 16]
                                           [--device cpu|cuda] [--out DIR]

Why: frozen e5 embeddings plus a head reach 0.62 mean per-language macro-F1 (card.md);
the encoder has to learn stance. Full fine-tuning would ship a 470 MB encoder; LoRA
(low-rank updates ``W + (alpha/r) B A`` on every attention and feed-forward linear
layer, embeddings and LayerNorms frozen) ships ~2.6 MB (``adapter.npz``,
float16) that ``analyzer.backends.embedding.lora`` merges into the base encoder at load time,
so inference costs exactly what the frozen encoder costs.

Recipe (fixed before looking at dev): training rows from ``data.load`` (at most
``--per-group`` per (source, language), labels round-robin balanced, the hand-written
drama cues) plus the labelled real comments of data/trainsets, less the rows the
ensemble's weights are chosen on (``data.ensemble_holdout``); loss weights make every
(source, language) group and every label inside it weigh the same (cues and real
comments each count as one group); texts cut to 128 tokens for training only;
length-bucketed batches of 32; AdamW (LoRA lr 3e-4, head lr 1e-3, no weight decay on
the head), 6% warm-up then linear decay; bf16 autocast (CPU AMX or CUDA); dropout
0.1 as the encoder was pre-trained. The head starts from the shipped frozen-encoder
head. Dev rows are never read here; evaluate with evaluate.py.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head
ROOT = HERE.parents[1]

from training.sentiment_e5 import data
from analyzer.backends.embedding.resolve import resolve_encoder
from analyzer.backends.embedding.lora import TARGETS, save_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, load_head
from analyzer.schema import SENTIMENT_LABELS
from training.common import read_jsonl

GROUPED_BY_SOURCE = {"drama_cues", data.dataset.DOMAIN_SOURCE}
TRAIN_TOKENS = 128


def training_rows(per_group: int, packed: str | None = None) -> list:
    """The sampled rows and real comments, less the ensemble's held-out rows (or, with
    ``packed``, the same rows as device_pack.py wrote them for a machine without the data)."""
    if packed:
        return read_packed(packed, per_group)
    rows, _ = data.load(per_group)
    return [r for r in rows + data.dataset.read_domain() if not data.ensemble_holdout(r)]


def read_packed(path: str, per_group: int) -> list:
    rows = read_jsonl(path)
    picked = [data.dataset.Row(r["text"], r["label"], r["lang"], r["source"], 1.0) for r in rows if per_group in r["groups"]]
    if not picked:
        raise SystemExit(f"{path} holds no rows for --per-group {per_group}; rerun device_pack.py with that value.")
    return picked


def loss_weights(rows: list) -> np.ndarray:
    """Every group and every label inside it weigh the same; mean weight 1."""
    def group(r):
        return (r.source,) if r.source in GROUPED_BY_SOURCE else (r.source, r.lang)

    labels = Counter((*group(r), r.label) for r in rows)
    n_labels = Counter(group(r) for r in {(*group(r), r.label): r for r in rows}.values())
    w = np.array([1.0 / (n_labels[group(r)] * labels[(*group(r), r.label)]) for r in rows])
    return w / w.mean()


class LoRALinear:
    """Factory of a torch module wrapping a frozen Linear with a trainable low-rank update."""

    @staticmethod
    def wrap(torch, base, rank: int, alpha: float):
        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.base = base
                for p in base.parameters():
                    p.requires_grad_(False)
                self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
                self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
                self.scale = alpha / rank
                self.drop = torch.nn.Dropout(0.05)

            def forward(self, x):
                return self.base(x) + (self.drop(x) @ self.A.t() @ self.B.t()) * self.scale

        return Wrapped()


def add_lora(torch, model, rank: int, alpha: float) -> dict[str, object]:
    """Replace every target Linear by a LoRA wrapper; returns name -> wrapper."""
    for p in model.parameters():
        p.requires_grad_(False)
    wrappers = {}
    for i, layer in enumerate(model.encoder.layer):
        for target in TARGETS:
            parent_path, attr = target.rsplit(".", 1)
            parent = layer.get_submodule(parent_path)
            wrapper = LoRALinear.wrap(torch, getattr(parent, attr), rank, alpha)
            setattr(parent, attr, wrapper)
            wrappers[f"encoder.layer.{i}.{target}"] = wrapper
    return wrappers


def batches(lengths: list[int], size: int, seed: int) -> list[list[int]]:
    """Shuffled, then sorted by length inside windows of 50 batches; batch order shuffled."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    window = size * 50
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: lengths[i])
        out += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def pad(ids: list[list[int]], pad_id: int):
    width = max(len(x) for x in ids)
    arr = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for r, x in enumerate(ids):
        arr[r, : len(x)], mask[r, : len(x)] = x, 1
    return arr, mask


def save(out: Path, wrappers: dict, head_w, head_b, meta: dict) -> None:
    arrays = {}
    for name, w in wrappers.items():
        arrays[f"{name}.lora_A"] = w.A.detach().float().cpu().numpy()
        arrays[f"{name}.lora_B"] = (w.B.detach().float() * w.scale).cpu().numpy()  # scale folded into B
    save_adapter(out, arrays, {**meta, "scale_folded": True})
    head = {"W": head_w.detach().float().cpu().numpy().astype(np.float32),
            "b": head_b.detach().float().cpu().numpy().astype(np.float32)}
    tmp = out / "head.tmp.npz"
    np.savez(tmp, **head)
    tmp.replace(out / "head.npz")
    head_meta = {"labels": list(SENTIMENT_LABELS), "encoder": "intfloat/multilingual-e5-small", "prefix": "query: ",
                 "pooling": "mean over non-padding tokens, L2-normalized", "head": "logistic",
                 "adapter": "adapter.npz", **{k: meta[k] for k in ("train_rows", "seed")}}
    (out / "head.json").write_text(json.dumps(head_meta, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=1500)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoder", default=None)
    parser.add_argument("--out", default=str(HEAD_DIR))
    parser.add_argument("--init-head", default=str(HERE / "frozen-head"), help="the frozen-encoder head to start from")
    parser.add_argument("--seed", type=int, default=data.SEED)
    parser.add_argument("--rows", default=None, help="train.jsonl.gz from device_pack.py instead of ../shared/data")
    args = parser.parse_args(argv)
    import torch
    import transformers

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    ref, local_only = resolve_encoder(args.encoder)
    tok = transformers.AutoTokenizer.from_pretrained(ref, local_files_only=local_only)
    model = transformers.AutoModel.from_pretrained(ref, local_files_only=local_only, add_pooling_layer=False)
    wrappers = add_lora(torch, model, args.rank, args.alpha)
    model.to(args.device).train()
    start_head = load_head(args.init_head)
    head_w = torch.nn.Parameter(torch.tensor(start_head["W"], device=args.device))
    head_b = torch.nn.Parameter(torch.tensor(start_head["b"], device=args.device))

    rows = training_rows(args.per_group, args.rows)
    weights = loss_weights(rows)
    labels = [SENTIMENT_LABELS.index(r.label) for r in rows]
    ids = tok(["query: " + r.text[: data.TRAIN_CHARS] for r in rows], truncation=True, max_length=TRAIN_TOKENS,
              verbose=False)["input_ids"]
    print(f"{len(rows)} training rows; {sum(map(len, ids)) / len(ids):.1f} tokens on average", flush=True)
    plan = []
    for epoch in range(math.ceil(args.epochs)):
        plan += batches([len(x) for x in ids], args.batch_size, args.seed + epoch)
    plan = plan[: int(len(plan) * args.epochs / math.ceil(args.epochs))]
    lora_params = [p for w in wrappers.values() for p in (w.A, w.B)]
    opt = torch.optim.AdamW([{"params": lora_params, "lr": args.lr, "weight_decay": 0.01},
                             {"params": [head_w, head_b], "lr": 1e-3, "weight_decay": 0.0}])
    warm = max(1, int(0.06 * len(plan)))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / (len(plan) - warm))))
    cuda = args.device.startswith("cuda")
    meta = {"base": "intfloat/multilingual-e5-small", "rank": args.rank, "alpha": args.alpha, "targets": list(TARGETS),
            "train_rows": len(rows), "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
            "train_tokens": TRAIN_TOKENS, "seed": args.seed}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started, seen, running = time.time(), 0, 0.0
    for step, batch in enumerate(plan):
        arr, mask = pad([ids[i] for i in batch], tok.pad_token_id)
        x, m = torch.from_numpy(arr).to(args.device), torch.from_numpy(mask).to(args.device)
        y = torch.tensor([labels[i] for i in batch], device=args.device)
        w = torch.tensor(weights[batch], dtype=torch.float32, device=args.device)
        with torch.autocast("cuda" if cuda else "cpu", dtype=torch.bfloat16):  # bf16 needs no loss scaling
            hidden = model(input_ids=x, attention_mask=m).last_hidden_state
        mf = m.unsqueeze(-1).float()
        pooled = (hidden.float() * mf).sum(1) / mf.sum(1)
        z = torch.nn.functional.normalize(pooled, dim=-1)
        loss = (torch.nn.functional.cross_entropy(z @ head_w + head_b, y, reduction="none") * w).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lora_params, 1.0)
        opt.step()
        sched.step()
        seen += len(batch)
        value = loss.detach()  # no float(): a host sync every step would stall a GPU
        running = 0.98 * running + 0.02 * value if step else value
        if step % 50 == 0 or step == len(plan) - 1:
            rate = seen / (time.time() - started)
            print(f"step {step + 1}/{len(plan)} loss {float(running):.3f} {rate:.1f} rows/s", flush=True)
        if (step + 1) % 300 == 0 or step == len(plan) - 1:
            save(out, wrappers, head_w, head_b, {**meta, "steps_done": step + 1, "steps": len(plan)})
    print(f"done: {seen} rows in {time.time() - started:.0f} s; wrote {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
