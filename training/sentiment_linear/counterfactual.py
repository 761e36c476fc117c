"""Counterfactual stance rows (issue #13, s17): a drama noun ("this drama", "the OST") must not carry the stance.

    python -m training.sentiment_linear.counterfactual write      # data/trainsets/stance_counterfactual_s17.jsonl
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.counterfactual build --lam L --out DIR
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.counterfactual score --tier NAME=DIR ... [--json OUT]

``write``: every topic phrase of ``counterfactual_phrases.py`` (15 concepts x 14 languages) with two negative, two
neutral and two positive frames of its language (rotating), so each topic appears with all three stances.
The rows of three concepts (``HELD_OUT``: the ending, the costumes, the villain) are never trained on.

``build``: an anchored fine-tune of the shipped weights (``cv_drama.fit_residual``: the shipped logits are a fixed
offset; a correction over the rows' hashed n-grams, L2 strength ``lam``, no intercept shift) fitted to the
trained counterfactual rows (one-hot) together with the 7,482 unlabelled YouTube comments of
``stance_distill_youtube.jsonl`` whose targets are the shipped model's own probabilities, so the correction learns
the minimal pairs while keeping the shipped behaviour on real comments. Written as a model folder (same format).

``score``: macro-F1 of each tier (the shipped one first) on the held-out counterfactual rows, overall and per
language, and on the six groups of labelled real comments the shipped model did not train on as such
(``cv_drama.training_groups``). No dev row is read.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from analyzer.backends.sentiment_linear import LinearSentimentBackend, default_model_dir
from analyzer.backends.text_features import to_csr
from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.counterfactual_phrases import CONCEPTS, HELD_OUT, PHRASES
from training.sentiment_linear.cv_drama import fit_residual, macro_f1, training_groups
from training.sentiment_linear.dataset import Row, refuse_proxy_overlap
from training.sentiment_linear.distill import LABELS, SHARED, read_labels

ROOT = Path(__file__).resolve().parents[2]
ROWS = ROOT / "data" / "trainsets" / "stance_counterfactual_s17.jsonl"
PER_STANCE = 2  # frames of each stance per topic


def compose(frame: str, topic: str) -> str:
    text = frame.replace("{t}", topic)
    return text[0].upper() + text[1:]


def rows_for(lang: str, table: dict) -> list[dict]:
    out = []
    for i, (concept, topic) in enumerate(zip(CONCEPTS, table["topics"])):
        theme = CONCEPTS[concept]
        for stance, key in (("negative", "neg"), ("neutral", "neu"), ("positive", "pos")):
            frames = table[key]
            for k in range(PER_STANCE):
                out.append({"text": compose(frames[(i + k * 2) % len(frames)], topic), "lang": lang, "stance": stance,
                            "themes": [theme] if theme else [], "theme_polarity": {theme: stance} if theme else {},
                            "intents": [], "noise": False, "concept": concept, "held_out": concept in HELD_OUT})
    return out


def write(path: Path) -> None:
    rows = [r for lang, table in PHRASES.items() for r in rows_for(lang, table)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows ({sum(r['held_out'] for r in rows)} held out) to {path}")


def read_rows(held_out: bool) -> list[dict]:
    rows = [json.loads(line) for line in ROWS.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["held_out"] == held_out]


def build(lam: float, out: Path) -> None:
    """The shipped model folder with its weights plus the anchored correction (float16, same format)."""
    backend = LinearSentimentBackend()
    model = backend.model
    pool, _ = read_labels(LABELS, SHARED)
    written = read_rows(held_out=False)
    refuse_proxy_overlap([Row(r["text"], r["stance"], r["lang"], "counterfactual", 1.0) for r in written])
    texts = [r["text"] for r in written] + pool
    langs = [r["lang"] for r in written] + [None] * len(pool)
    target = np.vstack([np.eye(3)[[SENTIMENT_LABELS.index(r["stance"]) for r in written]],
                        backend.predict_proba(pool)])
    x = to_csr(model.featurizer.transform(texts), model.featurizer.n_features)
    columns = np.unique(x.indices)  # CSR: the columns the rows use (a CSC matrix's indices are rows)
    W, _ = fit_residual(x[:, columns].tocsr(), np.log(backend.predict_proba(texts, langs) + 1e-12), target, lam, with_bias=False)
    source = default_model_dir()
    shutil.copytree(source, out, dirs_exist_ok=True)
    data = dict(np.load(source / "weights.npz", allow_pickle=False))
    weights = data["weights"].astype(np.float32)
    weights[:, columns] += W.astype(np.float32)
    data["weights"] = weights.astype(np.float16)
    np.savez(out / "weights.npz", **data)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    meta["counterfactual"] = {"rows": len(written), "anchor_rows": len(pool), "l2": lam, "bias": False,
                              "file": str(ROWS.relative_to(ROOT)), "anchor": str(LABELS.relative_to(ROOT)),
                              "recipe": f"python -m training.sentiment_linear.counterfactual build --lam {lam:g}"}
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(columns)} columns corrected)")


def held_scores(model: LinearSentimentBackend, rows: list[dict]) -> dict[str, float]:
    pred = model.predict_proba([r["text"] for r in rows], [r["lang"] for r in rows]).argmax(1)
    gold = np.array([SENTIMENT_LABELS.index(r["stance"]) for r in rows])
    langs = np.array([r["lang"] for r in rows])
    out = {"all": macro_f1(gold, pred), "negative_recall": float((pred[gold == 0] == 0).mean())}
    out.update({lang: macro_f1(gold[langs == lang], pred[langs == lang]) for lang in sorted(set(langs))})
    return {k: round(float(v), 4) for k, v in out.items()}


def group_scores(model: LinearSentimentBackend, shared: Path) -> dict[str, float]:
    texts, langs, gold, groups = training_groups(shared)
    pred = model.predict_proba(texts, langs).argmax(1)
    out = {g: round(macro_f1(gold[groups == g], pred[groups == g]), 4) for g in sorted(set(groups))}
    out["mean"] = round(float(np.mean(list(out.values()))), 4)
    return out


def score(tiers: list[str], out: Path | None) -> None:
    models = {"shipped": default_model_dir()} | {n: Path(d) for n, d in (t.split("=", 1) for t in tiers)}
    held = read_rows(held_out=True)
    result = {}
    for name, folder in models.items():
        model = LinearSentimentBackend(path=folder)
        result[name] = {"held_out_counterfactual": held_scores(model, held), "training_groups": group_scores(model, SHARED)}
        print(name, json.dumps(result[name], ensure_ascii=False), flush=True)
    if out:
        out.write_text(json.dumps({"held_out_rows": len(held), "held_out_concepts": list(HELD_OUT), "tiers": result},
                                  indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("write", "build", "score"))
    ap.add_argument("--lam", type=float, default=1e-4)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--tier", action="append", default=[], metavar="NAME=DIR")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.step == "write":
        return write(args.out or ROWS)
    if args.step == "build":
        return build(args.lam, args.out)
    return score(args.tier, args.json)


if __name__ == "__main__":
    main()
