"""Choose C, the drama rows' weight and the neutral band by CV on training rows only (fast: cached features).

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.cv_fast cache [--cache DIR]      # featurize once (~4 min)
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.cv_fast fit --c 1 3 --drama-weight 10 --save A.npz
    python -m training.sentiment_linear.cv_fast score A.npz B.npz [--json OUT]
    ... cache --cache NEW --base OLD      # OLD's rows are the first of NEW's: only the rest are featurized
    ... fit --stance-written-weight 0 5 15 --save W.npz   # the s12 written rows' weight (after the recipe's rows)
    ... fit --counterfactual-weight 0 3 10 --save CF.npz  # the s17 counterfactual rows' weight (last rows of the cache)

Rows: exactly ``train.py``'s (shared train rows, cues, the labelled real comments, the written drama comments and
the training dramas' text-read stance rows, then the s12 written stance rows, then the trained s17 counterfactual
rows), featurized once (``fast_fit.Features``). Two folds; each holds out
one Chinese drama source and one Korean one (狂飙 + the NSMC reviews; 陈情令/小欢喜 + 선재 업고 튀어), so the drama
score is always on a drama (or platform) the fit did not see, and an eighth of the other rows (seeded by row; cues
never held), so the
per-language score of the shared sources is on rows of the same sources. The real comments of batches c and d
(YouTube, NSMC reviews; never trained on by this recipe) are scored by every fold's model (mean logits).
For speed the shared groups bigger than ``--cap`` rows are subsampled (seeded) with their rows' weights scaled up so
each group keeps its mass (``sample_weights``), so C means the same as on all rows. Each fit is ``fast_fit.fit``
started from the shipped weights (same optimum). ``score`` merges the saved out-of-fold logits and scores every
candidate (the held s12 written rows and counterfactual rows are scored apart, as information, never in the rule) with neutral offsets
(the neutral band) added to the neutral logit, globally and per language (zh, ko:
the languages with drama rows). No dev row is read: not the shared dev split, the real-comment dev set or drama dev.
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from pathlib import Path

import numpy as np

from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.cv_drama import macro_f1
from training.sentiment_linear.dataset import COUNTERFACTUAL_SOURCE, DRAMA_PREFIX, STANCE_WRITTEN_SOURCE, Row
from training.sentiment_linear.fast_fit import Features, featurize32, fit
from training.sentiment_linear.train import OUT_DIR, sample_weights, start_model

CACHE = Path("/tmp/sentiment-linear-cv")
# fold k holds these drama sources out: each fold one Chinese drama (or pair) and one Korean platform
DRAMA_FOLDS = (("douban_knockout_drama_zh", "nsmc_raw_ko"), ("douban_cdrama_comments_unlabelled_zh", "kdrama_reviews_ko"))
HELD_SHARE = 8  # fold k also holds the rows whose seeded hash mod 8 is k
OFFSETS = tuple(round(float(v), 2) for v in np.arange(-1.0, 1.01, 0.25))
NEUTRAL = SENTIMENT_LABELS.index("neutral")
BAND_LANGS = ("zh", "ko")
MIN_BAND_GAIN = 0.005  # a neutral band is kept only if it adds this much to ``rule`` over no band (fixed before any run)


def build_cache(folder: Path, base: Path | None = None) -> None:
    """Featurize train.py's rows (with the s12 written rows, then the counterfactual rows, last) into ``folder``; ``base``: an older cache whose
    rows are the first of these (only the rest are featurized)."""
    from analyzer.backends.text_features import HashingFeaturizer
    from training.sentiment_linear.cv_drama_rows import other_groups
    from training.sentiment_linear.dataset import STANCE_DRAMA_LABELS
    from training.sentiment_linear.train import build_rows, cached_features, counterfactual_rows, stance_written_rows

    featurizer = HashingFeaturizer()
    if not (folder / "train" / "x.npz").is_file():
        train, domain, dev = build_rows(featurizer, {}, drama=True, drama_labels=STANCE_DRAMA_LABELS)
        rows = train + domain + stance_written_rows(featurizer, dev) + counterfactual_rows(featurizer, dev)
        x = cached_features(base / "train", rows, featurizer) if base else featurize32(featurizer, [r.text for r in rows])
        Features(x, rows).save(folder / "train")
    if base:  # the batch c/d comments do not depend on the training rows
        import shutil

        shutil.copytree(base / "other", folder / "other", dirs_exist_ok=True)
        return
    texts, gold, groups = other_groups()
    other = [Row("", SENTIMENT_LABELS[g], "", str(group)) for g, group in zip(gold, groups)]
    Features(featurize32(featurizer, texts), other).save(folder / "other")


def fold_of(rows) -> np.ndarray:
    """Per row: the fold that holds it out (-1: never held)."""
    out = np.full(len(rows), -1)
    for i, r in enumerate(rows):
        if r.source.startswith(DRAMA_PREFIX):
            out[i] = next(k for k, fold in enumerate(DRAMA_FOLDS) if r.source[len(DRAMA_PREFIX):] in fold)
        elif r.source != "drama_cues":
            share = zlib.crc32(f"cv13:{i}".encode()) % HELD_SHARE
            out[i] = share if share < len(DRAMA_FOLDS) else -1
    return out


def capped(rows, weights: np.ndarray, cap: int) -> np.ndarray:
    """Weights with each (source, lang) shared group above ``cap`` rows subsampled to ``cap`` (seeded; the
    others 0) and the kept rows scaled so the group keeps its mass."""
    out = weights.copy()
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r.source, r.lang), []).append(i)
    for index in groups.values():
        if len(index) <= cap:
            continue
        rank = sorted(index, key=lambda i: zlib.crc32(f"cap13:{i}".encode()))
        out[rank[cap:]] = 0.0
        out[rank[:cap]] *= weights[index].sum() / weights[rank[:cap]].sum()
    return out


def run_folds(args) -> None:
    t0 = time.perf_counter()
    data, other = Features.load(args.cache / "train"), Features.load(args.cache / "other")
    y, folds, start = data.y, fold_of(data.rows), start_model(OUT_DIR)
    if args.source_weight:
        from dataclasses import replace

        override = {k: float(v) for k, v in (item.split("=", 1) for item in args.source_weight)}
        data.rows = [replace(r, weight=override.get(r.source, r.weight)) for r in data.rows]
    tag = "".join(f", {item}" for item in args.source_weight)
    held = folds >= 0
    out = {"gold": data.y[held], "fold": folds[held], "source": data.column("source")[held],
           "lang": data.column("lang")[held], "other_gold": other.y, "other_group": other.column("source")}
    grid = [(d, s, f) for d in args.drama_weight for s in args.stance_written_weight for f in args.counterfactual_weight]
    for weight, written, counter in grid:
        base = capped(data.rows, sample_weights(data.rows, drama_weight=weight, stance_written_weight=written,
                                                counterfactual_weight=counter), args.cap)
        for c in args.c:
            name = (f"C={c:g}, drama weight {weight:g}" + (f", written weight {written:g}" if written else "")
                    + (f", counterfactual weight {counter:g}" if counter else "") + tag)
            oof, other_logits = np.zeros((int(held.sum()), 3), dtype=np.float32), np.zeros((len(other.rows), 3))
            for k in range(len(DRAMA_FOLDS)):
                w = np.where(folds == k, 0.0, base)
                model = fit(data.x, y, w, c, start, tol=args.tol)
                at = folds[held] == k
                oof[at] = model.logits(data.x[np.flatnonzero(held)[at]])
                other_logits += model.logits(other.x) / len(DRAMA_FOLDS)
                print(f"{name}, fold {k}: {int(model.n_iter_[0])} iterations ({time.perf_counter() - t0:.0f}s)", flush=True)
            out[f"oof {name}"], out[f"other {name}"] = oof, other_logits
    np.savez(args.save, **out)


def shifted(logits: np.ndarray, langs: np.ndarray, offsets: dict[str, float]) -> np.ndarray:
    z = logits.copy()
    for lang, offset in offsets.items():
        z[(langs == lang) if lang != "*" else slice(None), NEUTRAL] += offset
    return z


def group_scores(part: dict, name: str, offsets: dict[str, float]) -> dict[str, float]:
    """Macro-F1 of each held drama source, of each batch c/d group, and the mean per language of the other held
    rows (the shared sources and the labelled comments)."""
    pred = shifted(part[f"oof {name}"], part["lang"], offsets).argmax(1)
    gold, source, lang = part["gold"], part["source"], part["lang"]
    drama = np.char.startswith(source.astype(str), DRAMA_PREFIX)
    written = source.astype(str) == STANCE_WRITTEN_SOURCE  # scored apart (info), never in the rule
    counter = source.astype(str) == COUNTERFACTUAL_SOURCE  # the same
    out = {s: macro_f1(gold[source == s], pred[source == s]) for s in sorted(set(source[drama]))}
    other_lang = np.array(["zh" if g.endswith("douban_knockout_drama_zh") else "ko" if "nsmc" in g or "kdrama" in g
                           else "en" for g in part["other_group"].astype(str)])
    other_pred = shifted(part[f"other {name}"], other_lang, offsets).argmax(1)
    for g in sorted(set(part["other_group"].astype(str))):
        m = part["other_group"].astype(str) == g
        out[g] = macro_f1(part["other_gold"][m], other_pred[m])
    shared = ~drama & ~written & ~counter
    langs = sorted(set(lang[shared]))
    per_lang = {f"lang:{x}": macro_f1(gold[shared & (lang == x)], pred[shared & (lang == x)]) for x in langs
                if (shared & (lang == x)).sum() >= 100}
    out.update(per_lang)
    if written.any():
        out["written (info)"] = macro_f1(gold[written], pred[written])
    if counter.any():
        out["counterfactual (info)"] = macro_f1(gold[counter], pred[counter])
    out["drama_mean"] = float(np.mean([v for k, v in out.items() if k.startswith(DRAMA_PREFIX)]))
    out["real_mean"] = float(np.mean([v for k, v in out.items() if k.startswith(DRAMA_PREFIX) or ":" in k
                                      and not k.startswith("lang:")]))
    out["lang_mean"] = float(np.mean(list(per_lang.values())))
    return {k: round(v, 4) for k, v in out.items()}


def rule(row: dict[str, float]) -> float:
    """What the choice maximizes: mean macro-F1 over the real-comment groups (held drama sources, batch c/d)
    plus the mean per language of the held shared rows."""
    return row["real_mean"] + row["lang_mean"]


def score(paths: list[Path], out: Path | None) -> None:
    parts = [dict(np.load(p, allow_pickle=False)) for p in paths]
    results = {}
    for part in parts:
        for name in [k[4:] for k in part if k.startswith("oof ")]:
            results[f"{name}, neutral +0.00"] = group_scores(part, name, {})
            for offset in OFFSETS:
                results[f"{name}, neutral {offset:+.2f}"] = group_scores(part, name, {"*": offset})
                for lang in BAND_LANGS:
                    results[f"{name}, neutral {lang} {offset:+.2f}"] = group_scores(part, name, {lang: offset})
            both = {lang: max(OFFSETS, key=lambda o: rule(results[f"{name}, neutral {lang} {o:+.2f}"])) for lang in BAND_LANGS}
            label = " ".join(f"{lang} {o:+.2f}" for lang, o in both.items())
            results[f"{name}, neutral {label}"] = group_scores(part, name, both)
    best = max(results, key=lambda k: rule(results[k]))
    plain = best.split(", neutral")[0] + ", neutral +0.00"
    if rule(results[best]) - rule(results[plain]) < MIN_BAND_GAIN:  # a band must earn its place
        best = plain
    for name, row in results.items():
        print(f"{name:<45} real {row['real_mean']:.4f} drama {row['drama_mean']:.4f} lang {row['lang_mean']:.4f}")
    print(f"best (mean over the real-comment groups + mean per language; a band needs +{MIN_BAND_GAIN}): {best}\n{json.dumps(results[best])}")
    if out:
        out.write_text(json.dumps({"best": best, "rule": f"max real_mean + lang_mean; a band needs +{MIN_BAND_GAIN}", "results": results}, indent=1,
                                  ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("cache", "fit", "score"))
    ap.add_argument("npz", nargs="*", type=Path, help="score: the saved fold logits")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--c", type=float, nargs="+", default=[3.0])
    ap.add_argument("--drama-weight", type=float, nargs="+", default=[10.0])
    ap.add_argument("--source-weight", action="append", default=[], metavar="SOURCE=W",
                    help="override a shared source's weight (its groups' mass), as train.py --source-weight")
    ap.add_argument("--stance-written-weight", type=float, nargs="+", default=[0.0],
                    help="candidate weights of one s12 written stance row (train.py --stance-written-weight)")
    ap.add_argument("--counterfactual-weight", type=float, nargs="+", default=[0.0],
                    help="candidate weights of one trained s17 counterfactual row (train.py --counterfactual-weight)")
    ap.add_argument("--tol", type=float, default=1e-4, help="fast_fit tolerance (smaller: fits move further from the start)")
    ap.add_argument("--base", type=Path, default=None, help="cache: an older cache whose rows are the first of these")
    ap.add_argument("--cap", type=int, default=2000, help="shared group size above which rows are subsampled")
    ap.add_argument("--save", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.step == "cache":
        return build_cache(args.cache, args.base)
    if args.step == "fit":
        return run_folds(args)
    return score(args.npz, args.json)


if __name__ == "__main__":
    main()
