"""Train the frozen-encoder head: embed sampled rows once (cached), fit a multinomial
logistic regression or a one-hidden-layer ReLU head (picked on held-out training rows),
write models/sentiment-e5/frozen-head/head.{npz,json}: the baseline, and the head
finetune.py starts from (the shipped sentiment.e5.v1 is the fine-tuned one).

    OMP_NUM_THREADS=1 python -m training.sentiment_e5.train [--minutes 14] [--encoder DIR]

Embedding stops taking new training rows after ``--minutes``; the card reports the
rows actually used. Dev metrics are written to models/sentiment-e5/runs/<date>-train.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head
FROZEN_HEAD = HERE / "frozen-head"

from training.sentiment_e5.embed_cache import CachedEncoder

from training.common import run_path
from training.sentiment_e5 import data
from analyzer.backends.sentiment_e5 import E5SentimentBackend, head_logits
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.evaluation.sentiment import evaluate_sentiment, format_report
from analyzer.schema import SENTIMENT_LABELS

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)


def embed_within(cached: CachedEncoder, rows: list, minutes: float) -> tuple[list, np.ndarray]:
    """Embed training rows (cut to TRAIN_CHARS) in blocks until the time budget is spent."""
    deadline, kept, vectors = time.time() + minutes * 60, [], []
    for i in range(0, len(rows), 1024):
        if time.time() > deadline:
            print(f"time budget reached: training on {len(kept)} of {len(rows)} rows", flush=True)
            break
        block = rows[i : i + 1024]
        vectors.append(cached.embed([r.text[: data.TRAIN_CHARS] for r in block]))
        kept.extend(block)
    return kept, np.concatenate(vectors)


def group_weights(rows: list) -> np.ndarray:
    """Each (source, lang) group and each label inside it weigh the same in the loss."""
    from collections import Counter

    labels = Counter((r.source, r.lang, r.label) for r in rows)
    n_labels = Counter((s, lang) for s, lang, _ in labels)
    w = np.array([1.0 / (n_labels[(r.source, r.lang)] * labels[(r.source, r.lang, r.label)]) for r in rows])
    return w / w.mean()


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted multinomial logistic regression, L2 penalty 1/(2C) on W (L-BFGS)."""
    n, d = x.shape
    k = len(SENTIMENT_LABELS)
    onehot = np.eye(k)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = theta[: d * k].reshape(d, k), theta[d * k :]
        z = x @ weights + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        nll = -np.sum(w * np.log(np.sum(p * onehot, axis=1) + 1e-12)) / n
        g = (p - onehot) * w[:, None] / n
        reg = 0.5 / (c * n) * np.sum(weights**2)
        grad = np.concatenate([(x.T @ g + weights / (c * n)).ravel(), g.sum(axis=0)])
        return nll + reg, grad

    res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[: d * k].reshape(d, k).astype(np.float32), res.x[d * k :].astype(np.float32)


def fit_mlp(x: np.ndarray, y: np.ndarray, w: np.ndarray, hidden: int = 256, epochs: int = 20,
            seed: int = 13) -> dict[str, np.ndarray]:
    """One hidden ReLU layer (dropout 0.2, AdamW wd 0.01, one-cycle lr 2e-3, batch 256)."""
    import torch

    torch.manual_seed(seed)
    scale = 10.0  # unit-norm embeddings -> inputs of a useful size; folded into W1 below
    net = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(hidden, len(SENTIMENT_LABELS)))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.01)
    steps = epochs * ((len(y) + 255) // 256)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    xt, yt, wt = torch.tensor(x) * scale, torch.tensor(y), torch.tensor(w, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(yt), generator=gen)
        for i in range(0, len(yt), 256):
            b = perm[i : i + 256]
            loss = (torch.nn.functional.cross_entropy(net(xt[b]), yt[b], reduction="none") * wt[b]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    first, last = net[1], net[4]
    return {"W1": (first.weight.detach().numpy().T * scale).astype(np.float32), "b1": first.bias.detach().numpy(),
            "W2": last.weight.detach().numpy().T.astype(np.float32), "b2": last.bias.detach().numpy()}


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    f1s = [2 * np.sum((pred == c) & (y == c)) / (np.sum(pred == c) + np.sum(y == c)) for c in np.unique(y)]
    return float(np.mean(f1s))


def choose_head(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[str, float]:
    """Pick the head (logistic with C, or the ReLU layer) on a seeded 15% slice of the
    training rows (never the dev rows); returns (kind, C)."""
    rng = np.random.default_rng(data.SEED)
    hold = rng.random(len(y)) < 0.15
    scores = {}
    for c in C_GRID:
        weights, bias = fit_logistic(x[~hold], y[~hold], w[~hold], c)
        scores[("logistic", c)] = macro_f1(y[hold], np.argmax(x[hold] @ weights + bias, axis=1))
        print(f"logistic C={c}: held-out train macro-F1 {scores[('logistic', c)]:.3f}", flush=True)
    mlp = fit_mlp(x[~hold], y[~hold], w[~hold])
    scores[("mlp", 0.0)] = macro_f1(y[hold], np.argmax(head_logits(mlp, x[hold]), axis=1))
    print(f"mlp: held-out train macro-F1 {scores[('mlp', 0.0)]:.3f}", flush=True)
    return max(scores, key=scores.get)


def save_head(out: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "head.npz", **arrays)
    (out / "head.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=14.0, help="embedding budget for training rows")
    parser.add_argument("--encoder", default=None, help="encoder directory (default: resolved cache)")
    parser.add_argument("--per-group", type=int, default=1000, help="training rows per (source, lang)")
    parser.add_argument("--out", default=str(FROZEN_HEAD),
                        help="where head.npz/head.json go (the frozen-encoder head finetune.py starts from)")
    parser.add_argument("--head", choices=("auto", "mlp"), default="auto",
                        help="auto: logistic C grid and the ReLU layer, best on held-out training rows")
    args = parser.parse_args(argv)
    cached = CachedEncoder(E5Encoder(path=args.encoder, batch_size=32, threads=1, precision="fp32"))
    train_rows, dev_rows = data.load(args.per_group)
    print(f"dev rows {len(dev_rows)}, training rows offered {len(train_rows)}", flush=True)
    cached.embed([r.text for r in dev_rows])
    kept, x = embed_within(cached, train_rows, args.minutes)
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in kept])
    w = group_weights(kept)
    kind, c = (args.head, 0.0) if args.head == "mlp" else choose_head(x, y, w)
    if kind == "logistic":
        weights, bias = fit_logistic(x, y, w, c)
        arrays = {"W": weights, "b": bias}
    else:
        arrays = fit_mlp(x, y, w)
    meta = {"labels": list(SENTIMENT_LABELS), "encoder": "intfloat/multilingual-e5-small",
            "prefix": "query: ", "pooling": "mean over non-padding tokens, L2-normalized", "head": kind,
            "C": c, "train_rows": len(kept), "train_chars": data.TRAIN_CHARS, "seed": data.SEED}
    save_head(Path(args.out), arrays, meta)
    backend = E5SentimentBackend(path=args.out, encoder_obj=cached)
    records = [{"text": r.text, "lang": r.lang, "label": r.label} for r in dev_rows]
    result = evaluate_sentiment(records, backend)
    result["train_rows"], result["head"], result["C"] = len(kept), kind, c
    run_path("sentiment-e5", "train").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
