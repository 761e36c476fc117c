"""Evaluate ``sentiment.ensemble.v1`` side by side with each member, in one run.

    OMP_NUM_THREADS=1 python -m training.sentiment_ensemble.evaluate [--precision fp32|bf16]
                                                                           [--shared /work/shared/data] [--json]

Data sets: the held-out dev rows of training/sentiment_e5/evaluate.py (never training
rows) and the 611 hand-labelled real comments of data/devsets joined with their
texts from the shared data folder (skipped when it is absent). Member probabilities
are computed once per data set (e5 embeddings come from training/sentiment_e5's cache)
and every row of the table is scored from them: each member alone, the shipped
ensemble (analyzer/_models/sentiment-ensemble/ensemble.json) and two fixed
references (0.5/0.5 mean and log-space mean). Writes models/sentiment-ensemble/runs/<date>-evaluate-<precision>.json
(DATE-evaluate-bf16.json with --precision bf16) and the shipped ensemble's held-out scores to
analyzer/_models/sentiment-ensemble/dev_scores.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.sentiment_e5 import HEAD_DIR
from training.common import run_path
from analyzer.backends.sentiment_ensemble import EnsembleSentimentBackend, combine
from analyzer.backends.sentiment_linear import LinearSentimentBackend
from analyzer.evaluation.sentiment import (
    evaluate_sentiment,
    format_report,
    write_dev_scores,
)

DEVSET_LABELS = ROOT / "data" / "devsets" / "comments_dev.labels.jsonl"
ENSEMBLE_DIR = ROOT / "analyzer" / "_models" / "sentiment-ensemble"


class TableBackend:
    """Serves probabilities computed beforehand, looked up by text."""

    def __init__(self, name: str, texts: list[str], probs: np.ndarray) -> None:
        self.name, self.index, self.probs = name, {t: i for i, t in enumerate(texts)}, probs

    def predict_proba(self, texts, langs=None):
        return self.probs[[self.index[t] for t in texts]]


def datasets(shared: Path) -> dict[str, list[dict]]:
    from training.sentiment_e5 import data
    out = {"heldout_dev": [{"text": r.text, "lang": r.lang, "label": r.label} for r in data.load()[1]]}
    if shared.is_dir() and DEVSET_LABELS.is_file():
        from analyzer.evaluation.devset import load_devset

        out["drama_devset"] = [{"text": r["text"], "lang": r.get("lang") or "und", "label": r["stance"]}
                               for r in load_devset(DEVSET_LABELS, shared, on_error="warn")]
    return out


def score_all(ensemble: EnsembleSentimentBackend, records: list[dict]) -> dict[str, dict]:
    texts = list(dict.fromkeys(r["text"] for r in records))
    p_lin, p_e5 = ensemble.member_probas(texts)
    weights, log_space = ensemble.choice()
    rows = {
        "sentiment.linear.v1": p_lin,
        "sentiment.e5.v1": p_e5,
        f"ensemble shipped ({weights[0]:.2f}/{weights[1]:.2f}, {'log' if log_space else 'mean'})":
            combine([p_lin, p_e5], weights, log_space),
        "ensemble 0.5/0.5 mean": combine([p_lin, p_e5], [0.5, 0.5], False),
        "ensemble 0.5/0.5 log": combine([p_lin, p_e5], [0.5, 0.5], True),
    }
    return {name: evaluate_sentiment(records, TableBackend(name, texts, probs)) for name, probs in rows.items()}


def summary_table(results: dict[str, dict[str, dict]]) -> str:
    lines = [f"{'data set':<14}{'backend':<42}{'n':>6}{'mean lang F1':>14}{'macro-F1':>10}{'acc':>7}"]
    for dataset, by_backend in results.items():
        for name, r in by_backend.items():
            o = r["overall"]
            lines.append(f"{dataset:<14}{name:<42}{o['n']:>6}{r['mean_macro_f1']:>14.3f}{o['macro_f1']:>10.3f}{o['accuracy']:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32", help="e5 CPU arithmetic")
    parser.add_argument("--shared", default="/work/shared/data", help="shared data folder (for the drama dev set)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from training.sentiment_e5 import compare
    e5 = compare.e5_backend(HEAD_DIR, args.precision, args.threads)  # its adapter merged, embeddings cached
    ensemble = EnsembleSentimentBackend(members=[LinearSentimentBackend(), e5],
                                        path=str(ENSEMBLE_DIR))
    results = {name: score_all(ensemble, records) for name, records in datasets(Path(args.shared)).items()}
    weights, log_space = ensemble.choice()
    shipped = next(name for name in results["heldout_dev"] if name.startswith("ensemble shipped"))
    write_dev_scores(results["heldout_dev"][shipped], ENSEMBLE_DIR)  # numbers beside ensemble.json
    out = {"precision": args.precision, "weights": weights, "log_space": log_space, "results": results}
    run_path("sentiment-ensemble", f"evaluate-{args.precision}").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(summary_table(results))
    for dataset, by_backend in results.items():
        shipped = next(name for name in by_backend if name.startswith("ensemble shipped"))
        print(f"\n== {dataset}: {shipped}\n" + format_report(by_backend[shipped]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
