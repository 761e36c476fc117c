"""Choose the default weights of ``sentiment.ensemble.v1`` on held-out TRAINING rows.

    OMP_NUM_THREADS=1 python -m training.sentiment_ensemble.choose_weights [--dry-run]

Both members are trained on the training side, so their scores on training rows are
not honest. This script cross-fits: it holds out the linear tier's own inner split of
the training rows (``data.ensemble_holdout``: crc32("inner13:" + text) % 10 == 0, the
split training/sentiment_linear/train.py uses to pick C; hand-written cues never held
out), refits the linear member on the rest with its shipped recipe (same featurizer, C
and cue weight as the shipped meta.json) and scores the e5 member on rows it never
trained on (the fine-tuned e5 of finetune.py leaves these rows out; a frozen-encoder
head is refitted without them on the cached fp32 embeddings), and scores a grid of weights (e5
weight 0..1 step 0.05) x (mean, log-space mean) by mean per-language macro-F1 on the
held-out rows that are in the e5 training sample. The dev split is never read for
the choice. Writes analyzer/_models/sentiment-ensemble/ensemble.json and
models/sentiment-ensemble/runs/<date>-choose-weights.json (the grid).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.embedding.lora import adapter_digest, has_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.backends.sentiment_ensemble import CHOICE_FILE, DEFAULT_MEMBERS, combine
from analyzer.backends.sentiment_linear import default_model_dir
from analyzer.backends.text_features import HashingFeaturizer
from analyzer.schema import SENTIMENT_LABELS
from training.common import run_path

GRID = [round(0.05 * i, 2) for i in range(21)]




def mean_lang_f1(probs: np.ndarray, gold: np.ndarray, langs: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    pred = probs.argmax(axis=1)
    scores = [f1_score(gold[langs == lang], pred[langs == lang], labels=sorted(set(gold[langs == lang])),
                       average="macro") for lang in sorted(set(langs))]
    return float(np.mean(scores))


def linear_probs(lin, data, held_texts: list[str]) -> np.ndarray:
    """Refit the linear tier without the inner split; probabilities on ``held_texts``."""
    meta = json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8"))
    featurizer = HashingFeaturizer.from_dict(meta["features"])
    train, dev = lin.load_split()
    train = lin.clean_train(featurizer, train, dev) + lin.read_cues(lin.CUES)
    keep = np.array([not data.ensemble_holdout(r, lin.SEED) for r in train])
    w = lin.sample_weights(train, meta["training"].get("cue_weight", lin.CUE_WEIGHT))
    rows = [r for r, k in zip(train, keep) if k]
    x = lin.featurize(featurizer, [r.text for r in rows])
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    print(f"linear: refitting on {len(rows)} of {len(train)} training rows", flush=True)
    model = lin.fit(x, y, w[keep], meta["training"]["C"])
    probs = model.predict_proba(lin.featurize(featurizer, held_texts))
    return probs[:, [list(model.classes_).index(k) for k in range(len(SENTIMENT_LABELS))]]


def e5_probs(e5_train, data, embed_cache, seed: int) -> tuple[list, np.ndarray]:
    """e5 probabilities on the held-out rows of its training sample: a fine-tuned e5
    (head folder with an adapter) never trained on them, so its shipped model scores them;
    a frozen-encoder head is refitted without them."""
    head_meta = json.loads((HEAD_DIR / "head.json").read_text(encoding="utf-8"))
    rows, _ = data.load()
    held = np.array([data.ensemble_holdout(r, seed) for r in rows])
    if has_adapter(HEAD_DIR):
        held_rows = [r for r, h in zip(rows, held) if h]
        cache = embed_cache.CACHE.with_name(f"embeddings-fp32-adapter-{adapter_digest(HEAD_DIR)[:10]}.npz")
        cached = embed_cache.CachedEncoder(E5Encoder(batch_size=32, threads=2, precision="fp32", adapter=HEAD_DIR), cache)
        print(f"e5 (fine-tuned, never trained on them): scoring {len(held_rows)} held-out rows", flush=True)
        backend = E5SentimentBackend(encoder_obj=cached)
        return held_rows, backend.predict_proba([r.text for r in held_rows])
    cached = embed_cache.CachedEncoder(E5Encoder(batch_size=32, threads=1, precision="fp32"))
    x = cached.embed([r.text[: data.TRAIN_CHARS] for r in rows])
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    fit_rows = [r for r, h in zip(rows, held) if not h]
    print(f"e5: refitting the head on {len(fit_rows)} rows, {int(held.sum())} held out", flush=True)
    weights, bias = e5_train.fit_logistic(x[~held], y[~held], e5_train.group_weights(fit_rows), head_meta["C"])
    z = x[held] @ weights + bias
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return [r for r, h in zip(rows, held) if h], p / p.sum(axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the choice, write nothing")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    from training.sentiment_linear import train as lin
    from training.sentiment_e5 import data
    from training.sentiment_e5 import embed_cache
    from training.sentiment_e5 import train as e5_train
    held_rows, p_e5 = e5_probs(e5_train, data, embed_cache, lin.SEED)
    p_lin = linear_probs(lin, data, [r.text for r in held_rows])
    gold = np.array([SENTIMENT_LABELS.index(r.label) for r in held_rows])
    langs = np.array([r.lang for r in held_rows])
    grid = {f"{'log' if log else 'mean'}:{w}": mean_lang_f1(combine([p_lin, p_e5], [1 - w, w], log), gold, langs)
            for log in (False, True) for w in GRID}
    best = max(grid, key=lambda k: (round(grid[k], 4), -abs(float(k.split(":")[1]) - 0.5)))
    mode, w_e5 = best.split(":")
    choice = {"members": list(DEFAULT_MEMBERS), "weights": [round(1 - float(w_e5), 2), float(w_e5)],
              "log_space": mode == "log", "held_out_mean_lang_f1": round(grid[best], 4),
              "chosen_on": f"{len(held_rows)} held-out training rows (cross-fitted members; never dev)"}
    report = {"choice": choice, "held_rows": len(held_rows), "langs": sorted(set(langs)),
              "members_alone": {"sentiment.linear.v1": round(grid["mean:0.0"], 4), "sentiment.e5.v1": round(grid["mean:1.0"], 4)},
              "grid": {k: round(v, 4) for k, v in grid.items()}, "seconds": round(time.perf_counter() - t0)}
    print(json.dumps({k: report[k] for k in ("choice", "held_rows", "members_alone", "seconds")}, indent=2))
    if not args.dry_run:
        CHOICE_FILE.parent.mkdir(parents=True, exist_ok=True)
        CHOICE_FILE.write_text(json.dumps(choice, indent=2) + "\n", encoding="utf-8")
        run_path("sentiment-ensemble", "choose-weights").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
