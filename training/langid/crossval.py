"""5-fold cross-validation of the language-ID stage over the train+dev parts (test never read).

    python -m training.langid.crossval                       # the shipped weight and clip
    python -m training.langid.crossval --weight 3 --clip 4   # another setting

Each text of train+dev goes to one of ``--folds`` folds by a hash of its letters; for each
fold a lexicon is counted on the other folds (``train.build``) and the stage, built with it,
answers the fold's texts, so every text is scored by a lexicon that never saw it. Up to
``--per-cell`` texts per (language, length bucket), plus a "snippets" bucket cut from the
longer Latin-script texts as in ``benchmarks/langid.py``. Prints per-cell accuracy of the
stage and of the stage without lexicon, and the averages over cells with >= 20 texts:
a second, larger look at a change than dev alone, without touching test.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from analyzer.backends.langid import LEXICON_PATH, Py3LangidBackend, clean_for_langid
from training.langid import train
from training.langid.data import dedup_key, read_rows, snippet, split

BUCKETS = ("<=20", "21-60", ">60", "snippets")


def fold_of(text: str, folds: int) -> int:
    digest = hashlib.blake2b(f"crossval:{dedup_key(text)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % folds


def length_bucket(text: str) -> str:
    return "<=20" if len(text) <= 20 else ("21-60" if len(text) <= 60 else ">60")


def sample(rows, folds: int, per_cell: int) -> list[tuple[str, str, int, str]]:
    """(lang, text, fold, bucket) for up to ``per_cell`` texts per (language, bucket)."""
    cells: dict[tuple[str, str], list] = defaultdict(list)
    for lang, text, _ in rows:
        if lang == "hi" or not clean_for_langid(text):
            continue
        fold = fold_of(text, folds)
        cells[(lang, length_bucket(text))].append((lang, text, fold, length_bucket(text)))
        cut = snippet(text) if lang in train.LEXICON_LANGS and len(text) > 60 else None
        if cut:
            cells[(lang, "snippets")].append((lang, cut, fold, "snippets"))
    return [item for key in sorted(cells) for item in cells[key][:per_cell]]


def predict(rows, items, folds: int, weight: float | None, clip: float | None, tmp: Path) -> dict[str, list[str]]:
    from analyzer.stages.langid import LanguageIdStage

    out = {"ours": [""] * len(items), "no lexicon": [""] * len(items)}
    plain = LanguageIdStage(backend=Py3LangidBackend(lexicon=None))
    for fold in range(folds):
        words, loglik = train.build(train.count_words([r for r in rows if fold_of(r[1], folds) != fold]), 2, 0.5)
        path = tmp / f"lexicon-fold{fold}.npz"
        train.save(path, words, loglik, weight=weight, clip=clip, margin=2.0, seed=0, min_count=2, alpha=0.5)
        stage = LanguageIdStage(backend=Py3LangidBackend(lexicon=path))
        idx = [i for i, item in enumerate(items) if item[2] == fold]
        texts = [items[i][1] for i in idx]
        for name, st in (("ours", stage), ("no lexicon", plain)):
            for i, pred in zip(idx, st.predict_texts(texts)):
                out[name][i] = pred.lang
    return out


def report(items, preds: dict[str, list[str]]) -> None:
    names = list(preds)
    hits = {name: defaultdict(list) for name in names}
    for name in names:
        for (lang, _, _, bucket), pred in zip(items, preds[name]):
            hits[name][(lang, bucket)].append(pred == lang)
            if bucket != "snippets":
                hits[name][(lang, "all")].append(pred == lang)
    print("cell".ljust(18), "n".rjust(6), *(n.rjust(11) for n in names))
    for key in sorted(hits[names[0]], key=lambda k: (k[1], k[0])):
        print(f"{key[0] + ' ' + key[1]:18} {len(hits[names[0]][key]):6}", *(f"{100 * np.mean(hits[n][key]):11.2f}" for n in names))
    for bucket in BUCKETS + ("all",):
        avgs = [100 * np.mean([np.mean(v) for (_, b), v in hits[n].items() if b == bucket and len(v) >= 20]) for n in names]
        print(f"{'AVG ' + bucket:18} {'':6}", *(f"{a:11.2f}" for a in avgs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0, help="split seed (its test part is left out)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--per-cell", type=int, default=1500)
    ap.add_argument("--weight", type=float, default=None, help="default: the shipped lexicon's")
    ap.add_argument("--clip", type=float, default=None, help="default: the shipped lexicon's")
    args = ap.parse_args()
    with np.load(LEXICON_PATH, allow_pickle=False) as shipped:
        weight = float(shipped["weight"]) if args.weight is None else args.weight
        clip = float(shipped["clip"]) if args.clip is None else args.clip
    parts = split(read_rows(), args.seed)
    rows = parts["train"] + parts["dev"]
    items = sample(rows, args.folds, args.per_cell)
    print(f"{len(items)} texts of train+dev (seed {args.seed}), {args.folds} folds, weight {weight:g}, clip {clip:g}")
    with tempfile.TemporaryDirectory() as tmp:
        report(items, predict(rows, items, args.folds, weight, clip, Path(tmp)))


if __name__ == "__main__":
    main()
