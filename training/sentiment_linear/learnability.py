"""How learnable is each source x language's stance label from its own training rows?

For every (source, language) group of the training split, 5-fold cross-validation of an
in-group model: TF-IDF over character 2-5-grams (word-bounded) plus logistic regression,
trained and scored only on that group. It is a rough ceiling for what supervised text
features can get from the group's labels; a group near chance (0.33 macro-F1 for three
balanced classes) has labels its texts barely predict.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.learnability \
        --json models/sentiment-linear/runs/DATE-learnability.json

Train-time dependency: scikit-learn. Reads ``../shared/data`` (``ANALYZER_SHARED_DATA``).
"""
from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from training.sentiment_linear.dataset import SEED, load_split


def groups(per_group: int, min_rows: int) -> dict[tuple[str, str], list]:
    """Training rows per (source, lang), a seeded sample of at most ``per_group``."""
    train, _ = load_split()
    by_group = defaultdict(list)
    for row in train:
        by_group[(row.source, row.lang)].append(row)
    rng = random.Random(SEED)
    out = {}
    for key in sorted(by_group):
        rows = by_group[key]
        if len(rows) < min_rows or len({r.label for r in rows}) < 2:
            continue
        out[key] = rng.sample(rows, per_group) if len(rows) > per_group else rows
    return out


def cv_macro_f1(rows: list, folds: int) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
                          LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced"))
    texts, labels = [r.text for r in rows], [r.label for r in rows]
    split = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    predicted = cross_val_predict(model, texts, labels, cv=split)
    return float(f1_score(labels, predicted, average="macro"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=2000)
    parser.add_argument("--min-rows", type=int, default=300)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results = []
    for (source, lang), rows in groups(args.per_group, args.min_rows).items():
        score = cv_macro_f1(rows, args.folds)
        classes = len({r.label for r in rows})
        results.append({"source": source, "lang": lang, "n": len(rows), "classes": classes,
                        "cv_macro_f1": round(score, 3)})
        print(f"{source:38} {lang:3} n={len(rows):5} classes={classes} cv macro-F1 {score:.3f}", flush=True)
    if args.json:
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps({"per_group": args.per_group, "folds": args.folds, "groups": results},
                                  indent=1) + "\n", encoding="utf-8")
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
