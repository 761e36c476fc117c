"""Score the joint model side by side with the accurate and the fast tier, in one run.

    nice -n 5 python -m training.joint_e5.evaluate [--model analyzer/_models/joint-e5]
        [--tiers joint,accurate,default] [--stance-dev-per-group 60] [--out models/joint-e5/runs/DATE-compare.json]

Sets (none trained or tuned on): the held-out real drama comments
(data/devsets/drama_dev.labels.jsonl), the hand-labelled dev comments
(data/devsets/comments_dev.labels.jsonl), the drama proxy (data/devsets/drama_proxy.jsonl),
all scored with ``analyzer.evaluation.themes.evaluate_themes`` (theme / intent micro-F1,
stance macro-F1, aspect-polarity agreement), and the stance dev split of the shared sets
(mean over (source, language) of macro-F1, at most ``--stance-dev-per-group`` rows each).
Tiers: joint (``themes.joint-e5.v1`` + ``sentiment.joint-e5.v1``, one encoder pass),
accurate (``themes.e5.v1`` + ``sentiment.ensemble.v1``), default (``themes.hybrid.v1`` +
``sentiment.linear.v1``). Wall seconds per tier and set are recorded (same machine, same
run): the price of each tier next to its scores.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[2] / "models" / "joint-e5"  # its card and runs
ROOT = HERE.parents[1]

from analyzer.backends.joint_e5 import JointSentimentBackend, JointThemeBackend, default_model_dir
from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes
from analyzer.registry import select_backend
from analyzer.schema import SENTIMENT_LABELS
from training.common import DRAMA_PROXY, read_jsonl, run_path

DEVSETS = ROOT / "data" / "devsets"
KEYS = ("theme_micro_f1", "theme_macro_f1", "intent_micro_f1", "stance_macro_f1", "polarity_accuracy", "polarity_pairs")
BARS = {"theme_micro_f1": 0.75, "intent_micro_f1": 0.65, "stance_macro_f1": 0.75, "polarity_accuracy": 0.80}
STATIC = {"accurate": ("themes.e5.v1", "sentiment.ensemble.v1"), "default": ("themes.hybrid.v1", "sentiment.linear.v1")}


def tier(name: str, model: Path) -> tuple:
    """(theme backend, sentiment backend) instances, built once per run."""
    if name == "joint":
        return JointThemeBackend(path=model), JointSentimentBackend(path=model)
    themes, sentiment = STATIC[name]
    return select_backend(themes, "themes"), select_backend(sentiment, "sentiment")


def labelled_sets(shared: str) -> dict[str, list[dict]]:
    return {"drama_dev": load_devset(DEVSETS / "drama_dev.labels.jsonl", shared, on_error="raise"),
            "comments_dev": load_devset(DEVSETS / "comments_dev.labels.jsonl", shared, on_error="raise"),
            "drama_proxy": read_jsonl(DRAMA_PROXY)}


def macro_f1(gold: list[str], pred: list[str]) -> float:
    f1 = []
    for label in SENTIMENT_LABELS:
        tp = sum(g == label == p for g, p in zip(gold, pred))
        fp = sum(p == label != g for g, p in zip(gold, pred))
        fn = sum(g == label != p for g, p in zip(gold, pred))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1))


def stance_dev(per_group: int) -> dict[tuple[str, str], list]:
    from training.sentiment_e5 import data
    _, dev = data.load(1, per_group)
    groups = defaultdict(list)
    for row in dev:
        groups[(row.source, row.lang)].append(row)
    return dict(sorted(groups.items()))


def score_stance_dev(sentiment, groups: dict) -> dict:
    per = {}
    for (source, lang), rows in groups.items():
        probs = sentiment.predict_proba([r.text for r in rows], [r.lang for r in rows])
        pred = [SENTIMENT_LABELS[int(p.argmax())] for p in probs]
        per[f"{source}:{lang}"] = round(macro_f1([r.label for r in rows], pred), 4)
    return {"mean_macro_f1": round(float(np.mean(list(per.values()))), 4), "groups": per}


def per_language(records: list[dict], pair: tuple) -> dict:
    by_lang = defaultdict(list)
    for r in records:
        by_lang[r.get("lang") or "und"].append(r)
    return {lang: round(evaluate_themes(rows, *pair)["stance_macro_f1"], 4)
            for lang, rows in sorted(by_lang.items()) if len(rows) >= 20}


def score_set(pair: tuple, set_name: str, records: list[dict]) -> dict:
    t0 = time.perf_counter()
    result = evaluate_themes(records, *pair)
    out = {k: (round(result[k], 4) if isinstance(result[k], float) else result[k]) for k in KEYS}
    out["themes_f1"] = {k: round(v["f1"], 3) for k, v in result["themes"].items() if v["support"]}
    if set_name == "drama_dev":
        out["stance_by_language"] = per_language(records, pair)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def score_stance(pair: tuple, groups: dict) -> dict:
    t0 = time.perf_counter()
    out = score_stance_dev(pair[1], groups)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def render(results: dict, meta: dict) -> str:
    lines = ["# joint-e5 vs the accurate and fast tiers (same sets, same machine)", "",
             f"`python -m training.joint_e5.evaluate` — model trained {meta.get('train_seconds')} s on "
             f"{meta.get('device')} ({meta.get('rows_seen')} rows seen, {meta.get('steps_done')} of "
             f"{meta.get('steps_planned')} steps). Bars from issue #13 for the drama dev set. Seconds are wall "
             "time on a shared machine: compare them within one set only.", ""]
    for set_name in ("drama_dev", "comments_dev", "drama_proxy"):
        lines += [f"## {set_name}", "", "| tier | theme micro-F1 | intent micro-F1 | stance macro-F1 | aspect polarity | seconds |",
                  "|---|---:|---:|---:|---:|---:|"]
        if set_name == "drama_dev":
            lines.append("| bar | " + " | ".join(f">= {v:.2f}" for v in BARS.values()) + " | |")
        for name, r in results.items():
            if set_name not in r:
                continue
            s = r[set_name]
            pol = f"{s['polarity_accuracy']:.3f} ({s['polarity_pairs']})" if s["polarity_accuracy"] is not None else "n/a"
            lines.append(f"| {name} | {s['theme_micro_f1']:.3f} | {s['intent_micro_f1']:.3f} | "
                         f"{s['stance_macro_f1']:.3f} | {pol} | {s['seconds']} |")
        lines.append("")
    lines += ["## stance dev of the shared sets (mean macro-F1 over source x language)", "",
              "| tier | mean macro-F1 | seconds |", "|---|---:|---:|"]
    lines += [f"| {n} | {r['stance_dev']['mean_macro_f1']:.3f} | {r['stance_dev']['seconds']} |"
              for n, r in results.items() if "stance_dev" in r]
    lines += ["", "## drama dev stance macro-F1 per language (>= 20 rows)", ""]
    scored = {n: r["drama_dev"]["stance_by_language"] for n, r in results.items() if "drama_dev" in r}
    langs = list(next(iter(scored.values()), {}))
    lines += ["| tier | " + " | ".join(langs) + " |", "|---|" + "---:|" * len(langs)]
    lines += [f"| {n} | " + " | ".join(f"{by[lang]:.3f}" for lang in langs) + " |" for n, by in scored.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=default_model_dir())
    ap.add_argument("--tiers", default="joint,accurate,default")
    ap.add_argument("--stance-dev-per-group", type=int, default=60)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path, default=None, help="the JSON (.md beside it); default models/joint-e5/runs/<today>-compare.json")
    ap.add_argument("--sets", default="drama_dev,drama_proxy,comments_dev,stance_dev")
    ap.add_argument("--merge", action="store_true", help="keep the tiers and sets already in OUT")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    sets = labelled_sets(args.shared)
    sets = {k: sets[k] for k in args.sets.split(",") if k in sets}
    pairs = {name: tier(name, args.model) for name in args.tiers.split(",")}
    saved = args.out or run_path("joint-e5", "compare")
    saved.parent.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if args.merge and saved.is_file():  # tiers/sets scored by an earlier invocation (same sets, same machine)
        results = json.loads(saved.read_text(encoding="utf-8"))["results"]
    meta = json.loads((args.model / "meta.json").read_text(encoding="utf-8")) if (args.model / "meta.json").is_file() else {}
    jobs = [(set_name, lambda pair, r=records, n=set_name: score_set(pair, n, r)) for set_name, records in sets.items()]
    if "stance_dev" in args.sets.split(","):
        groups: dict = {}  # loaded when reached: the labelled sets come first

        def stance_job(pair):
            groups.update(groups or stance_dev(args.stance_dev_per_group))
            return score_stance(pair, groups)
        jobs.append(("stance_dev", stance_job))
    for set_name, job in jobs:  # every tier on one set, then the next set: each finished set is saved
        for name, pair in pairs.items():
            results.setdefault(name, {})[set_name] = job(pair)
            print(f"{name} {set_name}: {results[name][set_name]}", flush=True)
            saved.write_text(json.dumps({"model": str(args.model), "model_meta": {k: meta.get(k) for k in (
                "train_seconds", "rows_seen", "steps_done", "steps_planned", "device", "tuning", "thresholds")},
                "results": results}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    saved.with_suffix(".md").write_text(render(results, meta), encoding="utf-8")
    print(saved.with_suffix(".md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
