"""Choose the sure-base guard of ``langid.py3langid.v1`` on dev: when does py3langid keep its answer?

    python -m training.langid.guard                      # seed 0 (choose), seed 1 (check)
    python -m training.langid.guard --seeds 0 --out /tmp/guard.md

The guard: where py3langid alone is at least ``PY3_SURE`` sure and the lexicon's evidence is
thin (it lacks a word of the text, or knows ``THIN_KNOWN`` words or fewer), py3langid's answer
stands. For each seed a lexicon is counted on that seed's ``train`` part only (as
``train.py`` does while tuning) and each candidate (PY3_SURE, THIN_KNOWN) answers the ``dev``
texts plus a snippet cut from each longer Latin-script dev text (as ``benchmarks/langid.py``
cuts them from test). Each (language, length bucket) cell is compared with plain restricted
py3langid on the same texts, on the source labels and on the re-read ones
(``data/devsets/langid_relabel.jsonl``, train/dev rows). The chosen candidate is the one with
the fewest texts short of py3langid in cells where it is below (seed 0 only), then the best
summed average (<= 20, snippets, all). Test is never read.
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from pathlib import Path

import numpy as np

from analyzer.backends import langid as backend_module
from training.langid import train
from training.langid.crossval import length_bucket
from training.langid.data import read_rows, relabelled, snippet, split

SURE = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
THIN = (0, 1, 2, 3)
LATIN = train.LEXICON_LANGS + ("ms", "tr")


def dev_items(parts) -> list[tuple[str, str, str, str]]:
    """(source label, corrected label or 'und', text, bucket) of every dev text with letters, plus snippets."""
    fixed = {text: lang for lang, text, _ in relabelled(parts["dev"])}
    items = []
    for lang, text, _ in parts["dev"]:
        if lang == "hi" or not backend_module.clean_for_langid(text):
            continue
        items.append((lang, fixed.get(text, "und"), text, length_bucket(text)))
        cut = snippet(text) if lang in LATIN and len(text) > 60 else None
        if cut:
            items.append((lang, fixed.get(text, "und"), cut, "snippets"))
    return items


def cells(items, preds, which: int) -> dict[tuple[str, str], list[bool]]:
    out: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for item, pred in zip(items, preds):
        lang, bucket = item[which], item[3]
        if lang == "und":
            continue
        out[(lang, bucket)].append(pred == lang)
        if bucket != "snippets":
            out[(lang, "all")].append(pred == lang)
    return out


def compare(items, ours, plain) -> dict:
    """Texts short of py3langid (summed over the cells where ours is below), cells below, averages."""
    out = {}
    for which, name in ((0, "source"), (1, "corrected")):
        mine, base = cells(items, ours, which), cells(items, plain, which)
        short = {key: sum(base[key]) - sum(mine[key]) for key in mine if sum(mine[key]) < sum(base[key])}
        avgs = {}
        for bucket in ("<=20", "snippets", "all"):
            accs = [np.mean(v) for (lang, b), v in mine.items() if b == bucket and len(v) >= 20]
            avgs[bucket] = 100 * float(np.mean(accs))
        out[name] = {"short": sum(short.values()), "cells": sorted(short), **avgs}
    return out


def dev_lexicon(parts, seed: int, tmp: Path) -> Path:
    """A lexicon counted on ``train`` only, with the shipped weight and clip."""
    words, loglik = train.build(train.count_words(relabelled(parts["train"])), 2, 0.5)
    with np.load(backend_module.LEXICON_PATH, allow_pickle=False) as shipped:
        weight, clip = float(shipped["weight"]), float(shipped["clip"])
    path = tmp / f"lexicon-guard-{seed}.npz"
    train.save(path, words, loglik, weight=weight, clip=clip, margin=2.0, seed=seed, min_count=2, alpha=0.5)
    return path


def plain_py3langid(texts: list[str]) -> list[str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(backend_module.DEFAULT_LANGUAGES))
    return [ident.classify(t)[0] for t in texts]


def run_seed(seed: int, rows, tmp: Path) -> dict:
    """Every candidate scored on one seed's dev texts; the band table of the shipped one."""
    from analyzer.stages.langid import LanguageIdStage

    parts = split(rows, seed)
    path = dev_lexicon(parts, seed, tmp)
    items = dev_items(parts)
    texts = [item[2] for item in items]
    plain = plain_py3langid(texts)
    base = LanguageIdStage(backend=backend_module.Py3LangidBackend(lexicon=None)).predict_texts(texts)
    results = {}
    saved = backend_module.PY3_SURE, backend_module.THIN_KNOWN
    try:
        for sure, thin in itertools.product(SURE, THIN):
            backend_module.PY3_SURE, backend_module.THIN_KNOWN = sure, thin
            stage = LanguageIdStage(backend=backend_module.Py3LangidBackend(lexicon=path))
            ours = [p.lang for p in stage.predict_texts(texts)]
            results[(sure, thin)] = compare(items, ours, plain)
            if (sure, thin) == saved:
                kept = bands(items, ours, base)
    finally:
        backend_module.PY3_SURE, backend_module.THIN_KNOWN = saved
    return {"n": len(items), "results": results, "bands": kept}


def bands(items, ours, base) -> list[tuple[str, int, int, int]]:
    """Where the stage (shipped guard) and the stage without lexicon (py3langid on the same
    cleaned words) name different languages (Indonesian and Malay as one), per band of the
    latter's confidence: (band, texts, stage right, py3langid right), on the re-read labels."""
    one = lambda lang: "id" if lang == "ms" else lang
    edges = ((0.9, 1.01, ">= 0.9"), (0.7, 0.9, "0.7-0.9"), (0.5, 0.7, "0.5-0.7"), (0.0, 0.5, "< 0.5"))
    out = []
    for low, high, name in edges:
        rows = [(one(item[1]), one(mine), one(b.lang)) for item, mine, b in zip(items, ours, base)
                if item[1] != "und" and one(mine) != one(b.lang) and low <= b.confidence < high]
        out.append((name, len(rows), sum(g == m for g, m, _ in rows), sum(g == b for g, _, b in rows)))
    return out


def choose(results: dict) -> tuple[float, int]:
    def key(cand):
        r = results[cand]
        short = r["source"]["short"] + r["corrected"]["short"]
        total = sum(r[x][b] for x in ("source", "corrected") for b in ("<=20", "snippets", "all"))
        return (short, -round(total, 6), cand != (0.95, 0))
    return min(results, key=key)


def render(by_seed: dict, chosen: tuple[float, int]) -> str:
    lines = []
    for seed, res in by_seed.items():
        lines += [f"## seed {seed} dev ({res['n']} texts and snippets)", "",
                  "| PY3_SURE | THIN_KNOWN | short (source) | short (corrected) | <=20 src | snip src | all src "
                  "| <=20 corr | snip corr | all corr | cells below (source; corrected) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for (sure, thin), r in res["results"].items():
            s, c = r["source"], r["corrected"]
            mark = " **chosen**" if (sure, thin) == chosen else ""
            below = "; ".join(", ".join(f"{lang} {b}" for lang, b in x["cells"]) or "-" for x in (s, c))
            lines.append(f"| {sure}{mark} | {thin} | {s['short']} | {c['short']} | {s['<=20']:.2f} | {s['snippets']:.2f} | "
                         f"{s['all']:.2f} | {c['<=20']:.2f} | {c['snippets']:.2f} | {c['all']:.2f} | {below} |")
        lines += ["", "Where the stage (shipped guard) and py3langid on the same words disagree, by py3langid's "
                  "confidence (re-read labels; Indonesian and Malay as one):", "",
                  "| py3langid confidence | texts | stage right | py3langid right |", "|---|---|---|---|"]
        lines += [f"| {name} | {n} | {mine} | {theirs} |" for name, n, mine, theirs in res["bands"]]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1", help="the first seed chooses, the others check")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here (markdown)")
    args = ap.parse_args()
    rows = read_rows()
    seeds = [int(x) for x in args.seeds.split(",")]
    tmp = Path("/tmp")
    by_seed = {seed: run_seed(seed, rows, tmp) for seed in seeds}
    chosen = choose(by_seed[seeds[0]]["results"])
    report = (f"Sure-base guard on dev: `python -m training.langid.guard --seeds {args.seeds}`; "
              f"chosen on seed {seeds[0]}: PY3_SURE {chosen[0]}, THIN_KNOWN {chosen[1]}. "
              "`short`: texts by which ours is below plain restricted py3langid, summed over the "
              "(language, bucket) cells where it is below; averages over languages with >= 20 texts.\n\n"
              + render(by_seed, chosen))
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
