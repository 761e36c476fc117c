"""Train polarity.clause.v1: each theme's polarity from its own clause (multinomial LR).

Rows: every labelled (comment, theme, polarity) of the training files, i.e. the real-comment
labelling batches in data/trainsets (texts joined from ../shared/data at run time) and our
written drama comments (data/trainsets/themes_synthetic_drama.jsonl). The same loader as
themes.hybrid.v1 refuses any row of the dev sets or the drama proxy set; those files are
never read for training. A row's clause is the evidence ``themes.hybrid.v1`` gives for that
theme, or the whole comment when the backend did not find the theme (as for a theme a
named actor adds); its sentiment features come from ``sentiment.linear.v1``, as at run time.

Leakage: ``sentiment.linear.v1`` was itself trained on some of these comments (the files its
meta.json names under ``domain_rows``, and every NSMC row), so on them its sentiment features
are near the gold stance and a model fitted there learns to copy the stance. Cross-validation
(5 folds grouped by comment) therefore scores only the pairs of comments the sentiment model
never saw, as the mean accuracy over their domains (real comments of other kinds, real drama
comments), so no one domain outvotes the other; it chooses C, class balancing and whether
the seen comments join the training folds at all. The same folds also score today's rule (the
argmax of the clause's sentiment) and the comment's stance, as baselines. On the chosen grid
point's out-of-fold probabilities the same score then chooses the contrast rule's
``min_clause_prob`` (``analyzer.backends.aspect_polarity.contrast_rule``) or no rule; a rule
must gain at least 0.001 to be kept.

    OMP_NUM_THREADS=1 python -m training.aspect_polarity.train [--out DIR] [--shared DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.aspect_polarity import DENSE, NAME, contrast_rule, dense_features, make_item
from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.backends.text_features import HashingFeaturizer, to_csr
from training.common import read_jsonl, write_model_meta
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.schema import SENTIMENT_LABELS

OUT = ROOT / "analyzer" / "_models" / "aspect-polarity"
N_FEATURES = 1 << 16
SEED = 13
GRID = {"C": (0.3, 1.0, 3.0), "balanced": (False, True), "train_on_seen": (False, True)}
RULE_GRID = (None, 0.5, 0.6, 0.7, 0.8, 0.9)  # contrast rule: min_clause_prob (None: no rule)
from training.themes_hybrid import train as hybrid_train


def pair_rows(records: list[dict], domains: list[str]) -> tuple[list, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """(items, gold label index, group = comment index, domain, clause-argmax baseline) of every labelled pair."""
    texts, langs = [r["text"] for r in records], [r.get("lang") for r in records]
    matches = HybridThemeBackend().predict(texts, langs)
    sentiment = LinearSentimentBackend()
    clauses = sorted({(cl, lang) for m, lang in zip(matches, langs) for cls in m.evidence.values() for cl in cls}
                     | set(zip(texts, langs)), key=str)
    probs = dict(zip(clauses, np.asarray(sentiment.predict_proba([k[0] for k in clauses], [k[1] for k in clauses]))))
    items, gold, groups, doms, rule = [], [], [], [], []
    for i, (r, m) in enumerate(zip(records, matches)):
        comment = probs[(r["text"], langs[i])]
        for theme, label in (r.get("theme_polarity") or {}).items():
            found = m.evidence.get(theme) if theme in m.themes else None
            evidence = found or (r["text"],)
            rows = [probs[(cl, langs[i])] for cl in evidence]
            items.append(make_item(theme, evidence, r["text"], langs[i], rows, comment))
            gold.append(SENTIMENT_LABELS.index(label))
            groups.append(i)
            doms.append(domains[i])
            rule.append(int(np.mean(rows, axis=0).argmax()))
    return items, np.array(gold), np.array(groups), doms, np.array(rule)


def seen_by_sentiment(real: list[dict]) -> list[bool]:
    """Whether sentiment.linear.v1 trained on each real comment (its meta names its label files)."""
    meta = json.loads((ROOT / "analyzer" / "_models" / "sentiment-linear" / "meta.json").read_text(encoding="utf-8"))
    named = str(meta["training"].get("domain_rows", ""))
    seen_files = {f.name for f in hybrid_train.train_files() if f.name in named}
    source_file = {}
    for f in hybrid_train.train_files():
        for label in hybrid_train.read_labels(f):
            source_file[f"{label['source']}:{label['line']}"] = f.name
    return [source_file.get(r["id"]) in seen_files or r["id"].startswith("nsmc_raw_ko") for r in real]


def design(items, featurizer: HashingFeaturizer):
    hashed = to_csr(featurizer.transform([it.clause for it in items]), featurizer.n_features)
    return sparse.hstack([hashed, sparse.csr_matrix(dense_features(items))], format="csr")


def fit(X, y, *, C: float, balanced: bool) -> LogisticRegression:
    clf = LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=3000, random_state=SEED)
    return clf.fit(X, y)


def domain_accuracy(y, pred, doms: list[str]) -> dict[str, float]:
    d = np.array(doms)
    out = {name: round(float((y[d == name] == pred[d == name]).mean()), 4) for name in sorted(set(doms))}
    out["mean"] = round(float(np.mean(list(out.values()))), 4)
    out["pooled"] = round(float((y == pred).mean()), 4)
    return out


def cross_validate(items, y, groups, doms, seen, featurizer, always) -> tuple[dict, list[dict], np.ndarray]:
    """(best grid point, every point's scores, the best point's out-of-fold probabilities); ``always``: pairs in
    every training fold whatever ``train_on_seen`` says, never scored (``seen`` is true for them)."""
    folds = list(GroupKFold(n_splits=5).split(np.zeros(len(y)), y, groups))
    X, scored = design(items, featurizer), ~seen
    results, oofs = [], []
    for C, balanced, on_seen in itertools.product(GRID["C"], GRID["balanced"], GRID["train_on_seen"]):
        proba = np.zeros((len(y), 3))
        for train, test in folds:
            train = train if on_seen else train[~seen[train] | always[train]]
            clf = fit(X[train], y[train], C=C, balanced=balanced)
            proba[np.ix_(test, clf.classes_)] = clf.predict_proba(X[test])
        pred = proba.argmax(axis=1)
        score = domain_accuracy(y[scored], pred[scored], [d for d, s in zip(doms, scored) if s])
        results.append({"C": C, "balanced": balanced, "train_on_seen": on_seen, **score})
        oofs.append(proba)
        print(f"  C={C:<4} balanced={balanced!s:<5} train_on_seen={on_seen!s:<5}: {score}", flush=True)
    k = max(range(len(results)), key=lambda i: (results[i]["mean"], results[i]["pooled"]))
    return results[k], results, oofs[k]


def choose_rule(oof: np.ndarray, items, y, doms, seen) -> tuple[float | None, list[dict]]:
    """The contrast rule's min_clause_prob scored on the out-of-fold probabilities (unseen pairs)."""
    dense, scored = dense_features(items), ~seen
    sub_doms = [d for d, s in zip(doms, scored) if s]
    scores = []
    for t in RULE_GRID:
        pred = contrast_rule(oof, dense, t).argmax(axis=1)
        scores.append({"min_clause_prob": t, "changed": int((pred != oof.argmax(axis=1))[scored].sum()),
                       **domain_accuracy(y[scored], pred[scored], sub_doms)})
        print(f"  contrast rule min_clause_prob={t}: {scores[-1]}", flush=True)
    best = max(scores, key=lambda r: (r["mean"] - (0.001 if r["min_clause_prob"] is not None else 0), r["pooled"]))
    return best["min_clause_prob"], scores


def write(out: Path, featurizer: HashingFeaturizer, clf: LogisticRegression, info: dict,
          min_clause_prob: float | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    order = [list(clf.classes_).index(k) for k in range(3)]
    coef, bias = clf.coef_[order], clf.intercept_[order]
    n_hash = featurizer.n_features
    hashed = coef[:, :n_hash]
    cols = np.flatnonzero(np.abs(hashed).max(axis=0) > 1e-6)
    np.savez_compressed(out / "weights.npz", cols=cols.astype(np.int32), hash_weights=hashed[:, cols].astype(np.float16),
                        dense_weights=coef[:, n_hash:].astype(np.float32), bias=bias.astype(np.float32))
    meta = {"name": NAME, "labels": list(SENTIMENT_LABELS), "dense": list(DENSE), "features": featurizer.to_dict(),
            "contrast_rule": {"min_clause_prob": min_clause_prob}, "training": info}
    write_model_meta(out, meta, NAME)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--written", type=Path, action="append", default=[], metavar="JSONL",
                    help="also train on these written rows' theme_polarity (rows marked held_out are skipped; "
                         "e.g. data/trainsets/stance_counterfactual_s17.jsonl)")
    args = ap.parse_args()
    started = time.perf_counter()
    real, drama, _ = hybrid_train.load_records(args.shared)
    extra = [r for path in args.written for r in read_jsonl(path) if not r.get("held_out")]
    records = real + drama + extra
    domains = (["real_drama" if hybrid_train.is_real_drama(r) else "real" for r in real]
               + ["written_drama"] * (len(drama) + len(extra)))
    items, y, groups, doms, rule = pair_rows(records, domains)
    seen = np.array(seen_by_sentiment(real) + [True] * (len(drama) + len(extra)))[groups]
    always = (groups >= len(real) + len(drama))
    stance = np.array([int(np.argmax(it.comment_probs)) for it in items])
    print(f"{len(items)} labelled pairs from {len(records)} comments ({int(seen.sum())} pairs of comments the "
          f"sentiment model saw); labels {np.bincount(y, minlength=3).tolist()}")
    unseen_doms = [d for d, s in zip(doms, seen) if not s]
    baselines = {"clause_sentiment_argmax": domain_accuracy(y[~seen], rule[~seen], unseen_doms),
                 "comment_stance": domain_accuracy(y[~seen], stance[~seen], unseen_doms)}
    print(f"baselines on the unseen pairs (no fitting): {baselines}", flush=True)
    featurizer = HashingFeaturizer(n_features=N_FEATURES)
    best, grid, oof = cross_validate(items, y, groups, doms, seen, featurizer, always)
    print(f"chosen by grouped 5-fold CV: {best}")
    min_clause_prob, rule_scores = choose_rule(oof, items, y, doms, seen)
    print(f"contrast rule chosen by the same CV: min_clause_prob={min_clause_prob}")
    keep = np.ones(len(y), dtype=bool) if best["train_on_seen"] else ~seen | always
    clf = fit(design([it for it, k in zip(items, keep) if k], featurizer), y[keep], C=best["C"], balanced=best["balanced"])
    info = {"pairs": int(keep.sum()), "pairs_labelled": len(items), "comments": len(records),
            "labels": hybrid_train.labels_info()["labels"],
            "written": " + ".join(["data/trainsets/themes_synthetic_drama.jsonl", *map(str, args.written)]),
            "label_counts": np.bincount(y[keep], minlength=3).tolist(),
            "chosen": best, "baselines_cv": baselines, "grid": grid, "contrast_rule_cv": rule_scores,
            "seconds": round(time.perf_counter() - started, 1)}
    write(args.out, featurizer, clf, info, min_clause_prob)
    print(f"wrote {args.out} in {info['seconds']} s")


if __name__ == "__main__":
    main()
