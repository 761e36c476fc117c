"""Train sentiment.linear.v1 (hashed n-grams + multinomial logistic regression).

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.train [--select-c] [--lang-bias] [--out DIR]

The training dramas' real comments (``--drama-weight``, ``dataset.read_drama``) and a neutral offset on
the intercept (``--neutral-offset``, the neutral band) are chosen by leave-one-drama-out CV on training
rows (``cv_drama_rows.py``); ``--start`` begins the fit from saved weights (same optimum, fewer iterations).

Per-language bias terms (``--lang-bias``, ``lang_bias.py``; off for the shipped model, see the
card: they helped the balanced held-out sets and hurt real comments): a first fit on 90% of the training rows scores the
other 10% (the inner split, never dev rows); offsets per language are chosen there, then the
final fit on every row starts from the first fit's weights. Writes weights.npz (float16, no pickle), meta.json and backend.json into
analyzer/_models/sentiment-linear/ (the artifact shipped with the package).
Needs scikit-learn (dev dependency); inference needs numpy only.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.text_features import HashingFeaturizer, to_csr
from analyzer.schema import SENTIMENT_LABELS
from training.common import write_model_meta
from training.sentiment_linear import lang_bias
from training.sentiment_linear.dataset import (COUNTERFACTUAL_SOURCE, CUES, DATA_DIR, DOMAIN_SOURCE, DRAMA_PREFIX, DRAMA_TRAIN_LABELS, SEED, SOURCES, WRITTEN_SOURCE, Row,
                     excluded_texts, STANCE_BATCHES, STANCE_DRAMA_LABELS, STANCE_WRITTEN_SOURCE, TRAINSET_BATCHES, load_split, read_cues,
                     read_counterfactual, read_domain, read_drama, read_stance_written, read_written, refuse_proxy_overlap)

OUT_DIR = ROOT / "analyzer" / "_models" / "sentiment-linear"
CUE_WEIGHT = 15.0  # a hand-written drama cue counts as this many average rows
DOMAIN_WEIGHT = 10.0  # a labelled real comment (data/trainsets) counts this many (card.md: how chosen)
STANCE_WRITTEN_WEIGHT = 0.0  # weight of one s12 written stance row (stance_written_s12.jsonl; 0: left out; card.md)
COUNTERFACTUAL_WEIGHT = 0.0  # weight of one trained s17 counterfactual row (0: left out; chosen by cv_fast.py, card s19)
DRAMA_WEIGHT = 10.0  # mean weight of a training drama's real comment, classes balanced per drama source (0: left out)
SOURCE_WEIGHTS: dict[str, float] = {}  # overrides of SOURCES weights (none; see card.md)
FIXED = {"drama_cues": "cue", DOMAIN_SOURCE: "domain", WRITTEN_SOURCE: "domain", STANCE_WRITTEN_SOURCE: "stance_written",
         COUNTERFACTUAL_SOURCE: "counterfactual"}  # per-row weights, outside the group scheme
CLASS_CLIP = 3.0  # cap of the within-group class-balancing factor
C_GRID = (1.0, 3.0, 10.0)
DEFAULT_C = 3.0


def normalized(featurizer: HashingFeaturizer, texts: list[str]) -> list[str]:
    out: list[str] = []
    for i in range(0, len(texts), 20_000):
        out += featurizer.normalize_joined(texts[i:i + 20_000]).split("\x00")
    return [t.strip(" ") for t in out]


def clean_train(featurizer: HashingFeaturizer, train: list[Row], dev: list[Row]) -> list[Row]:
    """Drop train rows whose normalized text is in dev or in the real-comment dev set,
    and repeated (text, label) pairs."""
    dev_texts = set(normalized(featurizer, [r.text for r in dev] + excluded_texts()))
    seen: set[tuple[str, str]] = set()
    kept = []
    for row, norm in zip(train, normalized(featurizer, [r.text for r in train])):
        key = (norm, row.label)
        if norm in dev_texts or key in seen or not norm:
            continue
        seen.add(key)
        kept.append(row)
    return kept


def build_rows(featurizer: HashingFeaturizer, source_weights: dict[str, float],
               batches: tuple[Path, ...] = STANCE_BATCHES, drama: bool = False,
               drama_labels: Path = DRAMA_TRAIN_LABELS) -> tuple[list[Row], list[Row], list[Row]]:
    """(shared train rows + cues, in-domain comments (real, then written drama ones, then with ``drama`` the
    training dramas' real comments of ``drama_labels``, ``read_drama``), shared dev rows). Shared rows
    with the text of an in-domain comment are dropped (its stance label wins); in-domain
    rows whose text is in the shared dev split are dropped too."""
    from dataclasses import replace

    train, dev = load_split()
    train = [replace(r, weight=source_weights.get(r.source, r.weight)) for r in train]
    domain = clean_train(featurizer, read_domain(labels=batches) + read_written() + (read_drama(labels=drama_labels) if drama else []),
                         dev)
    domain_texts = set(normalized(featurizer, [r.text for r in domain]))
    train = clean_train(featurizer, train, dev)
    train = [r for r, n in zip(train, normalized(featurizer, [r.text for r in train])) if n not in domain_texts]
    return train + refuse_proxy_overlap(read_cues(CUES)), refuse_proxy_overlap(domain), dev


def stance_written_rows(featurizer: HashingFeaturizer, dev: list[Row]) -> list[Row]:
    """The s12 written stance rows (``read_stance_written``), without any whose normalized text is a dev text;
    appended after every other row, so a feature cache of the other rows stays a prefix (``cached_features``)."""
    return refuse_proxy_overlap(clean_train(featurizer, read_stance_written(), dev))


def counterfactual_rows(featurizer: HashingFeaturizer, dev: list[Row]) -> list[Row]:
    """The trained s17 counterfactual rows (``read_counterfactual``), without any whose normalized text is a dev text;
    appended after the s12 written rows, so a feature cache of the rows before them stays a prefix."""
    return refuse_proxy_overlap(clean_train(featurizer, read_counterfactual(), dev))


def drama_weights(rows: list[Row], drama_weight: float) -> np.ndarray:
    """Per row: ``drama_weight`` times the class-balancing factor inside its drama source (clipped),
    so each source's mass is drama_weight * n and its classes weigh alike; 0 for other rows."""
    sources = Counter(r.source for r in rows if r.source.startswith(DRAMA_PREFIX))
    classes = Counter((r.source, r.label) for r in rows if r.source.startswith(DRAMA_PREFIX))
    n_classes = Counter(s for s, _ in classes)
    out = np.zeros(len(rows))
    for i, r in enumerate(rows):
        if r.source in sources:
            balance = sources[r.source] / (n_classes[r.source] * classes[(r.source, r.label)])
            out[i] = drama_weight * min(max(balance, 1 / CLASS_CLIP), CLASS_CLIP)
    return out


def sample_weights(rows: list[Row], cue_weight: float = CUE_WEIGHT, domain_weight: float = DOMAIN_WEIGHT,
                   drama_weight: float = DRAMA_WEIGHT, stance_written_weight: float = STANCE_WRITTEN_WEIGHT,
                   counterfactual_weight: float = COUNTERFACTUAL_WEIGHT) -> np.ndarray:
    """Each (source, lang) group gets mass source_weight * sqrt(n); classes balanced inside.
    Cues, in-domain comments, written stance rows and counterfactual rows get a fixed weight each (mean shared row = 1); the training
    dramas' comments ``drama_weights``."""
    drama = np.array([r.source.startswith(DRAMA_PREFIX) for r in rows])
    groups = Counter((r.source, r.lang) for r, d in zip(rows, drama) if r.source not in FIXED and not d)
    classes = Counter((r.source, r.lang, r.label) for r, d in zip(rows, drama) if r.source not in FIXED and not d)
    n_classes = Counter((s, lang) for s, lang, _ in classes)
    weights = drama_weights(rows, drama_weight)
    fixed = np.array([r.source in FIXED for r in rows]) | drama
    per_kind = {"cue": cue_weight, "domain": domain_weight, "stance_written": stance_written_weight,
                "counterfactual": counterfactual_weight}  # FIXED's kinds
    for i, r in enumerate(rows):
        if drama[i]:
            continue
        if r.source in FIXED:
            weights[i] = per_kind[FIXED[r.source]]
            continue
        n = groups[(r.source, r.lang)]
        balance = n / (n_classes[(r.source, r.lang)] * classes[(r.source, r.lang, r.label)])
        weights[i] = r.weight * math.sqrt(n) / n * min(max(balance, 1 / CLASS_CLIP), CLASS_CLIP)
    weights[~fixed] /= weights[~fixed].mean()
    return weights


def featurize(featurizer: HashingFeaturizer, texts: list[str]):
    from scipy import sparse

    blocks = [to_csr(featurizer.transform(texts[i:i + 20_000]), featurizer.n_features)
              for i in range(0, len(texts), 20_000)]
    return sparse.vstack(blocks).tocsr()


def fit(x, y: np.ndarray, w: np.ndarray, c: float, start=None, solver: str = "sklearn", tol: float = 1e-4):
    """Multinomial LR; ``start`` (a fitted model) gives the initial weights (fewer iterations). ``solver="fast"``:
    the same objective and tolerance by ``fast_fit.fit`` (float32 products, transposed matrix built once)."""
    from sklearn.linear_model import LogisticRegression

    if solver == "fast":
        from training.sentiment_linear import fast_fit

        return fast_fit.fit(x, y, w, c, start, tol=tol)

    model = LogisticRegression(C=c, max_iter=400, tol=1e-4, warm_start=start is not None)
    if start is not None:
        model.coef_, model.intercept_, model.classes_ = start.coef_.copy(), start.intercept_.copy(), start.classes_
    model.fit(x, y, sample_weight=w)
    return model


def cached_features(folder: Path, rows: list[Row], featurizer: HashingFeaturizer | None = None):
    """The rows' features from a ``cv_fast.py cache`` folder, the rows after the cached ones featurized here;
    refuses if the cached rows are not the first of these rows."""
    from scipy import sparse

    from training.sentiment_linear.fast_fit import Features

    cached = Features.load(folder)
    n = len(cached.rows)
    if [(r.label, r.lang, r.source) for r in cached.rows] != [(r.label, r.lang, r.source) for r in rows[:n]]:
        raise SystemExit(f"{folder} holds other rows than this recipe's: rebuild it (cv_fast.py cache)")
    if n == len(rows):
        return cached.x
    rest = featurize(featurizer or HashingFeaturizer(), [r.text for r in rows[n:]]).astype(np.float32)
    return sparse.vstack([cached.x, rest]).tocsr()


def start_model(folder: Path):
    """A stand-in fitted model holding a saved model's weights (``fit(..., start=)``)."""
    from types import SimpleNamespace

    with np.load(folder / "weights.npz", allow_pickle=False) as data:
        return SimpleNamespace(coef_=data["weights"].astype(np.float64), intercept_=data["bias"].astype(np.float64),
                               classes_=np.arange(3))


def inner_split(rows: list[Row]) -> np.ndarray:
    """The seeded 10% of training rows held out for choices (C, per-language bias); cues never held."""
    import zlib

    return np.array([zlib.crc32(f"inner{SEED}:{r.text}".encode()) % 10 == 0 and r.source != "drama_cues"
                     for r in rows])


def choose_lang_bias(x, y: np.ndarray, w: np.ndarray, rows: list[Row], c: float):
    """(model fitted on the 90%, offsets chosen on the held 10%, their record)."""
    held = inner_split(rows)
    model = fit(x[~held], y[~held], w[~held], c)
    logits = x[held] @ model.coef_.T + model.intercept_
    langs = np.array([r.lang for r in rows])[held]
    offsets = lang_bias.choose(logits, y[held], langs)
    record = {"held_rows": int(held.sum()), "offsets": offsets,
              "two_fold_check": lang_bias.two_fold_check(logits, y[held], langs)}
    return model, offsets, record


def mean_lang_f1(model, x, rows: list[Row]) -> float:
    from sklearn.metrics import f1_score

    pred = model.predict(x)
    gold = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    langs = np.array([r.lang for r in rows])
    scores = []
    for lang in sorted(set(langs)):
        m = langs == lang
        scores.append(f1_score(gold[m], pred[m], labels=sorted(set(gold[m])), average="macro"))
    return float(np.mean(scores))


def select_c(featurizer: HashingFeaturizer, rows: list[Row], w: np.ndarray) -> float:
    """Pick C on an inner split of the TRAIN rows (never the dev rows)."""
    inner = inner_split(rows)
    x = featurize(featurizer, [r.text for r in rows])
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in rows])
    held = [r for r, m in zip(rows, inner) if m]
    best, best_c = -1.0, DEFAULT_C
    for c in C_GRID:
        model = fit(x[~inner], y[~inner], w[~inner], c)
        score = mean_lang_f1(model, x[inner], held)
        print(f"  C={c:<5} inner mean per-language macro-F1 {score:.4f}", flush=True)
        if score > best:
            best, best_c = score, c
    return best_c


def write_artifact(out: Path, featurizer: HashingFeaturizer, model, info: dict,
                   offsets: dict[str, list[float]] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    order = [list(model.classes_).index(k) for k in range(3)]
    weights = model.coef_[order].astype(np.float16)
    bias = model.intercept_[order].astype(np.float32)
    langs = sorted(offsets or {})
    table = np.array([offsets[lang] for lang in langs], dtype=np.float32).reshape(len(langs), 3)
    np.savez_compressed(out / "weights.npz", weights=weights, bias=bias, lang_bias=table)
    meta = {"name": "sentiment.linear.v1", "labels": list(SENTIMENT_LABELS),
            "features": featurizer.to_dict(), "training": info,
            "lang_bias": {"langs": langs, "how": lang_bias.__doc__.split("\n\n")[1].replace("\n", " ")}}
    write_model_meta(out, meta, "sentiment.linear.v1")


def shift_neutral(folder: Path, offset: float) -> None:
    """Add ``offset`` to a saved model's neutral intercept (what ``--neutral-offset`` does after a fit),
    without refitting: for an offset chosen by ``cv_drama_rows.py`` after the fit was made."""
    import json

    with np.load(folder / "weights.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["bias"][SENTIMENT_LABELS.index("neutral")] += np.float32(offset)
    np.savez_compressed(folder / "weights.npz", **arrays)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["training"]["neutral_offset"] = round(meta["training"].get("neutral_offset", 0.0) + offset, 4)
    write_model_meta(folder, meta, "sentiment.linear.v1")


def neutral_band(folder: Path, offsets: dict[str, float], how: str) -> None:
    """Per-language neutral offsets (the neutral band of a language, chosen by ``cv_fast.py score``) written into a
    saved model's ``lang_bias`` table (the backend adds a row to the logits of texts in that language)."""
    import json

    with np.load(folder / "weights.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    table = {lang: row for lang, row in zip(meta["lang_bias"]["langs"], arrays["lang_bias"].tolist())}
    for lang, offset in offsets.items():
        row = table.setdefault(lang, [0.0, 0.0, 0.0])
        row[SENTIMENT_LABELS.index("neutral")] += offset
    langs = sorted(table)
    arrays["lang_bias"] = np.array([table[lang] for lang in langs], dtype=np.float32).reshape(len(langs), 3)
    np.savez_compressed(folder / "weights.npz", **arrays)
    meta["lang_bias"] = {"langs": langs, "how": how}
    write_model_meta(folder, meta, "sentiment.linear.v1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--all-batches", action="store_true",
                        help="train on every labelling batch in data/trainsets (the shipped model: the first two)")
    parser.add_argument("--c", type=float, default=None, help=f"L2 inverse strength (default {DEFAULT_C})")
    parser.add_argument("--select-c", action="store_true", help=f"choose C from {C_GRID} on an inner train split")
    parser.add_argument("--n-features", type=int, default=1 << 20)
    parser.add_argument("--cue-weight", type=float, default=CUE_WEIGHT, help="weight of one hand-written cue")
    parser.add_argument("--domain-weight", type=float, default=DOMAIN_WEIGHT,
                        help="weight of one labelled real comment from data/trainsets (0 leaves them out)")
    parser.add_argument("--drama-weight", type=float, default=DRAMA_WEIGHT,
                        help="mean weight of a training drama's real comment (comments_train_e, classes balanced per "
                             "source; 0 leaves them out; chosen by cv_drama_rows.py)")
    parser.add_argument("--stance-written-weight", type=float, default=STANCE_WRITTEN_WEIGHT,
                        help="weight of one s12 written stance row (data/trainsets/stance_written_s12.jsonl; 0 leaves "
                             "them out; chosen by cv_fast.py)")
    parser.add_argument("--counterfactual-weight", type=float, default=COUNTERFACTUAL_WEIGHT,
                        help="weight of one trained s17 counterfactual row (data/trainsets/stance_counterfactual_s17.jsonl, "
                             "held_out false only; 0 leaves them out; chosen by cv_fast.py)")
    parser.add_argument("--drama-labels", type=Path, default=STANCE_DRAMA_LABELS,
                        help="the drama rows' stance file (default: stance_drama_zh_ko.labels.jsonl, read from the text; "
                             "data/trainsets/comments_train_e.labels.jsonl: the s8 rows, stars where given)")
    parser.add_argument("--neutral-offset", type=float, default=0.0,
                        help="added to the neutral intercept after the fit (chosen by cv_drama_rows.py on training rows)")
    parser.add_argument("--start", type=Path, default=None,
                        help="a model folder whose weights start the fit (fewer iterations; same optimum)")
    parser.add_argument("--lang-bias", action="store_true",
                        help="also choose per-language bias terms on the inner 10%% split (two fits; off when shipped)")
    parser.add_argument("--source-weight", action="append", default=[], metavar="SOURCE=W",
                        help="override a source's weight (repeatable)")
    parser.add_argument("--solver", choices=("fast", "sklearn"), default="fast",
                        help="fast: fast_fit.fit (same objective and tol as scikit-learn's lbfgs, float32, ~4x faster "
                             "per iteration); sklearn: LogisticRegression (the recipe of the weights before s10)")
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="fast solver: stop when the scaled gradient is below this (scikit-learn's 1e-4; a smaller "
                             "one lets a warm start from saved weights move to a new rows' optimum)")
    parser.add_argument("--features", type=Path, default=None, metavar="DIR",
                        help="features cached by `cv_fast.py cache` (DIR/train) instead of featurizing (same rows)")
    parser.add_argument("--band", nargs="+", default=None, metavar="LANG=OFFSET",
                        help="no fit: add these per-language neutral offsets to the saved model in --out (its lang_bias)")
    parser.add_argument("--shift-neutral", type=Path, default=None, metavar="DIR",
                        help="no fit: add --neutral-offset to the saved model in DIR (its neutral intercept)")
    args = parser.parse_args()
    if args.shift_neutral:
        return shift_neutral(args.shift_neutral, args.neutral_offset)
    if args.band:
        offsets = {lang: float(v) for lang, v in (item.split("=", 1) for item in args.band)}
        return neutral_band(args.out, offsets, "neutral band per language (offset added to the neutral logit of texts "
                                               "in that language), chosen by leave-two-dramas-out CV on training rows "
                                               "(training/sentiment_linear/cv_fast.py)")

    source_weights = dict(SOURCE_WEIGHTS)
    source_weights.update({k: float(v) for k, v in (item.split("=", 1) for item in args.source_weight)})
    featurizer = HashingFeaturizer(n_features=args.n_features)
    t0 = time.perf_counter()
    batches = TRAINSET_BATCHES if args.all_batches else STANCE_BATCHES
    train, domain, dev = build_rows(featurizer, source_weights, batches, drama=args.drama_weight > 0,
                                    drama_labels=args.drama_labels)
    train += [r for r in domain if args.domain_weight > 0 or r.source.startswith(DRAMA_PREFIX)]
    train += stance_written_rows(featurizer, dev) if args.stance_written_weight > 0 else []
    train += counterfactual_rows(featurizer, dev) if args.counterfactual_weight > 0 else []
    w = sample_weights(train, args.cue_weight, args.domain_weight, args.drama_weight, args.stance_written_weight,
                       args.counterfactual_weight)
    print(f"train {len(train)} rows, dev {len(dev)} rows ({time.perf_counter() - t0:.0f}s)", flush=True)
    c = args.c or (select_c(featurizer, train, w) if args.select_c else DEFAULT_C)
    x = cached_features(args.features, train, featurizer) if args.features else featurize(featurizer, [r.text for r in train])
    y = np.array([SENTIMENT_LABELS.index(r.label) for r in train])
    start, offsets, bias_record = (start_model(args.start) if args.start else None), {}, None
    if args.lang_bias:
        print(f"features {x.shape} nnz {x.nnz}; fitting C={c} on 90% for the per-language bias", flush=True)
        start, offsets, bias_record = choose_lang_bias(x, y, w, train, c)
        print(f"per-language bias {offsets} ({time.perf_counter() - t0:.0f}s)", flush=True)
    print(f"features {x.shape} nnz {x.nnz}; fitting C={c} ({time.perf_counter() - t0:.0f}s)", flush=True)
    model = fit(x, y, w, c, start, args.solver, args.tol)
    model.intercept_[list(model.classes_).index(SENTIMENT_LABELS.index("neutral"))] += args.neutral_offset
    import sklearn

    info = {
        "data_dir": str(DATA_DIR), "seed": SEED, "C": c, "solver": "lbfgs multinomial" + (" (fast_fit.py, float32)" if args.solver == "fast" else " (scikit-learn)"),
        "iterations": int(np.max(model.n_iter_)), "tol": args.tol, "scikit_learn": sklearn.__version__,
        "cue_weight": args.cue_weight, "domain_weight": args.domain_weight, "class_clip": CLASS_CLIP,
        "drama_weight": args.drama_weight, "stance_written_weight": args.stance_written_weight,
        "counterfactual_weight": args.counterfactual_weight, "neutral_offset": args.neutral_offset,
        "started_from": str(args.start) if args.start else None,
        "domain_rows": " + ".join(f"data/trainsets/{b.name}" for b in batches) + " (stance; noise rows neutral)"
                       " + data/trainsets/themes_synthetic_drama.jsonl (written drama comments, stance)"
                       + (f" + {args.drama_labels.name} (training dramas' real comments, own groups)"
                          if args.drama_weight > 0 else "")
                       + (" + data/trainsets/stance_written_s12.jsonl (written stance rows, s12)" if args.stance_written_weight > 0 else "")
                       + (" + data/trainsets/stance_counterfactual_s17.jsonl (held_out false rows, s17)"
                          if args.counterfactual_weight > 0 else ""),
        "weighting": "per (source, lang): source_weight*sqrt(n), classes balanced (clipped)",
        "sources": {s: {"kind": k, "weight": source_weights.get(s, wt), "dev": "validation.jsonl" if f is None else f"seeded {f:.0%}"}
                    for s, (k, wt, f) in SOURCES.items()},
        "train_rows": dict(Counter(f"{r.source}/{r.lang}" for r in train)),
        "dev_rows": dict(Counter(f"{r.source}/{r.lang}" for r in dev)),
        "lang_bias": bias_record,
    }
    write_artifact(args.out, featurizer, model, info, offsets)
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f}s (iterations {info['iterations']})")


if __name__ == "__main__":
    main()
