"""Choose the in-domain comment weight (and source weights) by cross-validation on the
TRAINING side only: 5 folds over data/trainsets comments + the shared held-out dev split.
The real-comment dev set (data/devsets) is never read here.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.cv_domain \
        [--weights 0 3 10 30] [--config default] [--json OUT]

For each configuration: out-of-fold mean per-language macro-F1 on the 616 in-domain rows
(each fold's model trained on the shared rows + cues + the other 4 folds), and the shared
dev mean per-language macro-F1 of the fold-0 model. Fits are warm-started from the
configuration's weight-0 model (same optimum, fewer iterations).
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from pathlib import Path

import numpy as np

from analyzer.backends.text_features import HashingFeaturizer
from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.train import DEFAULT_C, build_rows, featurize, sample_weights

FOLDS = 5
# Named source-weight overrides tried (see card.md): down-weight the off-domain sources
# whose vocabulary leaks negative onto drama words (financial Japanese, political tweets).
CONFIGS = {
    "default": {},
    "capped": {"chabsa_ja": 0.15, "xlmt_umsab_tweets": 0.5},
}


def mean_lang_f1(pred: np.ndarray, gold: np.ndarray, langs: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    scores = [f1_score(gold[langs == g], pred[langs == g], labels=sorted(set(gold[langs == g])), average="macro")
              for g in sorted(set(langs))]
    return float(np.mean(scores))


def fit_warm(x, y, w, init):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=DEFAULT_C, max_iter=400, tol=1e-4, warm_start=init is not None)
    if init is not None:
        model.coef_, model.intercept_ = init.coef_.copy(), init.intercept_.copy()
    return model.fit(x, y, sample_weight=w)


def run_config(name: str, weights: list[float], featurizer: HashingFeaturizer) -> list[dict]:
    from scipy import sparse

    pool, domain, dev = build_rows(featurizer, CONFIGS[name])
    x_pool, x_dom = featurize(featurizer, [r.text for r in pool]), featurize(featurizer, [r.text for r in domain])
    x_dev = featurize(featurizer, [r.text for r in dev])
    label = {k: i for i, k in enumerate(SENTIMENT_LABELS)}
    y_pool, y_dom = np.array([label[r.label] for r in pool]), np.array([label[r.label] for r in domain])
    y_dev, l_dev = np.array([label[r.label] for r in dev]), np.array([r.lang for r in dev])
    l_dom = np.array([r.lang for r in domain])
    fold = np.array([zlib.crc32(f"fold:{r.text}".encode()) % FOLDS for r in domain])
    t0 = time.perf_counter()
    base = fit_warm(x_pool, y_pool, sample_weights(pool), None)
    print(f"[{name}] base fit {time.perf_counter() - t0:.0f}s, {base.n_iter_[0]} it", flush=True)
    results = []
    for dw in weights:
        oof, dev_score, t0 = np.empty(len(domain), dtype=int), None, time.perf_counter()
        for k in range(FOLDS) if dw > 0 else [None]:
            if k is None:
                model = base
            else:
                keep = fold != k
                x = sparse.vstack([x_pool, x_dom[keep]]).tocsr()
                w = sample_weights(pool + [r for r, m in zip(domain, keep) if m], domain_weight=dw)
                model = fit_warm(x, np.concatenate([y_pool, y_dom[keep]]), w, base)
            held = np.ones(len(domain), bool) if k is None else fold == k
            oof[held] = model.predict(x_dom[held])
            if dev_score is None:
                dev_score = mean_lang_f1(model.predict(x_dev), y_dev, l_dev)
        row = {"config": name, "domain_weight": dw, "oof_domain_mean_lang_f1": mean_lang_f1(oof, y_dom, l_dom),
               "oof_domain_accuracy": float((oof == y_dom).mean()), "shared_dev_mean_lang_f1": dev_score}
        print(f"[{name}] w={dw:<5} in-domain OOF {row['oof_domain_mean_lang_f1']:.4f} "
              f"(acc {row['oof_domain_accuracy']:.3f})  shared dev {dev_score:.4f}  "
              f"({time.perf_counter() - t0:.0f}s)", flush=True)
        results.append(row)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 3.0, 10.0, 30.0])
    parser.add_argument("--config", nargs="+", default=["default"], choices=sorted(CONFIGS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    featurizer = HashingFeaturizer()
    results = [row for name in args.config for row in run_config(name, args.weights, featurizer)]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
