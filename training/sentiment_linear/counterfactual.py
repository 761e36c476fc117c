"""Counterfactual stance rows (issue #13, s17): a drama noun ("this drama", "the OST") must not carry the stance.

    python -m training.sentiment_linear.counterfactual write      # data/trainsets/stance_counterfactual_s17.jsonl
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.counterfactual build --lam L --out DIR
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.counterfactual score --tier NAME=DIR ... [--json OUT]

``write``: every topic phrase of ``PHRASES`` (written by hand in s17; 15 concepts x 14 languages) with every
negative, neutral and positive frame of its language, so each topic appears with all three stances, plus the topic alone
(a bare noun phrase states no verdict: neutral). Never trained on: the rows of three concepts (``HELD_OUT``: the
ending, the costumes, the villain) and the rows of each stance's last frame, so the check scores new topics, new
predicate wordings, and both.

``build``: an anchored fine-tune of the shipped weights (``cv_drama.fit_residual``: the shipped logits are a fixed
offset; a correction over the rows' hashed n-grams, L2 strength ``lam``, no intercept shift) fitted to the
trained counterfactual rows (one-hot) together with the 7,482 unlabelled YouTube comments of
``stance_distill_youtube.jsonl`` whose targets are the shipped model's own probabilities, so the correction learns
the minimal pairs while keeping the shipped behaviour on real comments. Written as a model folder (same format).
``--teacher ensemble|e5 [--hard]`` (s18) fits the pool rows to a stored teacher's probabilities instead (the
distillation of ``distill.py`` and the counterfactual rows in one correction); ``--weight W`` counts each trained
counterfactual row W times.

``score``: macro-F1 of each tier (the shipped one first) on the three held-out sets, overall and per language,
and on the six groups of labelled real comments the shipped model did not train on as such
(``cv_drama.training_groups``), and issue #13's two probe sentences' probabilities. No dev row is read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from analyzer.backends.sentiment_linear import LinearSentimentBackend, default_model_dir
from analyzer.backends.text_features import to_csr
from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.cv_drama import fit_residual, macro_f1, training_groups
from training.sentiment_linear.dataset import Row, refuse_proxy_overlap
from training.sentiment_linear.distill import LABELS, SHARED, read_labels, targets, write_corrected

ROOT = Path(__file__).resolve().parents[2]
ROWS = ROOT / "data" / "trainsets" / "stance_counterfactual_s17.jsonl"
# hand-written per language: 15 topic phrases (CONCEPTS' order) and negative / neutral / positive frames ({t}: topic)
PHRASES = ROOT / "data" / "trainsets" / "stance_counterfactual_s17.phrases.json"
# concept -> theme (TAXONOMY themes; the work as a whole has none)
CONCEPTS = {
    "work": None, "work2": None, "story": "story", "plot": "story", "ending": "story", "acting": "acting",
    "lead": "acting", "ost": "music", "costumes": "production", "cgi": "production", "subtitles": "subtitles",
    "pacing": "pacing", "romance": "romance", "villain": "characters", "characters": "characters",
}
PROBES = ("I hate this drama.", "this drama")  # issue #13's examples of the topic shortcut
HELD_OUT = ("ending", "costumes", "villain")  # 3 of 15 concepts: every row of these phrases is held out


def compose(frame: str, topic: str) -> str:
    text = frame.replace("{t}", topic)
    return text[0].upper() + text[1:]


def row(text: str, lang: str, stance: str, theme: str | None, concept: str, new_frame: bool) -> dict:
    return {"text": text, "lang": lang, "stance": stance, "themes": [theme] if theme else [],
            "theme_polarity": {theme: stance} if theme else {}, "intents": [], "noise": False,
            "concept": concept, "new_frame": new_frame, "held_out": concept in HELD_OUT or new_frame}


def rows_for(lang: str, table: dict) -> list[dict]:
    """Every topic with every frame of its language, and the topic alone (no verdict: neutral). Held out: the rows
    of the ``HELD_OUT`` concepts and the rows of each stance's last frame."""
    out = []
    for concept, topic in zip(CONCEPTS, table["topics"]):
        theme = CONCEPTS[concept]
        out.append(row(compose("{t}", topic), lang, "neutral", theme, concept, False))
        for stance, key in (("negative", "neg"), ("neutral", "neu"), ("positive", "pos")):
            for k, frame in enumerate(table[key]):
                out.append(row(compose(frame, topic), lang, stance, theme, concept, k == len(table[key]) - 1))
    return out


def write(path: Path) -> None:
    phrases = json.loads(PHRASES.read_text(encoding="utf-8"))
    rows = [r for lang, table in phrases.items() for r in rows_for(lang, table)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows ({sum(r['held_out'] for r in rows)} held out) to {path}")


def read_rows(held_out: bool) -> list[dict]:
    rows = [json.loads(line) for line in ROWS.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["held_out"] == held_out]


def held_sets() -> dict[str, list[dict]]:
    """The held-out rows by what is new in them: the topic, the frame (predicate wording), or both."""
    held = read_rows(held_out=True)
    return {"new_topic": [r for r in held if r["concept"] in HELD_OUT and not r["new_frame"]],
            "new_frame": [r for r in held if r["concept"] not in HELD_OUT],
            "new_topic_and_frame": [r for r in held if r["concept"] in HELD_OUT and r["new_frame"]]}


def anchor_targets(backend: LinearSentimentBackend, pool: list[str], teacher: str, hard: bool) -> np.ndarray:
    """The pool rows' targets: the shipped model's own probabilities (``teacher="shipped"``, s17) or a stored
    teacher's (``ensemble`` / ``e5`` of ``stance_distill_youtube.jsonl``, s18), soft or hard."""
    if teacher == "shipped":
        return backend.predict_proba(pool)
    return targets(read_labels(LABELS, SHARED)[1][teacher], hard)


def build(lam: float, out: Path, teacher: str = "shipped", hard: bool = False, weight: float = 1.0) -> None:
    """The shipped model folder with its weights plus the anchored correction (float16, same format); each trained
    counterfactual row counts ``weight`` times against a pool row."""
    backend = LinearSentimentBackend()
    model = backend.model
    pool, _ = read_labels(LABELS, SHARED)
    written = read_rows(held_out=False)
    refuse_proxy_overlap([Row(r["text"], r["stance"], r["lang"], "counterfactual", 1.0) for r in written])
    texts = [r["text"] for r in written] + pool
    langs = [r["lang"] for r in written] + [None] * len(pool)
    target = np.vstack([np.eye(3)[[SENTIMENT_LABELS.index(r["stance"]) for r in written]],
                        anchor_targets(backend, pool, teacher, hard)])
    weights = np.r_[np.full(len(written), weight), np.ones(len(pool))]
    x = to_csr(model.featurizer.transform(texts), model.featurizer.n_features)
    columns = np.unique(x.indices)  # CSR: the columns the rows use (a CSC matrix's indices are rows)
    offset = np.log(backend.predict_proba(texts, langs) + 1e-12)
    W, _ = fit_residual(x[:, columns].tocsr(), offset, target, lam, with_bias=False, weights=weights)
    recipe = f"python -m training.sentiment_linear.counterfactual build --lam {lam:g}"
    if (teacher, hard, weight) != ("shipped", False, 1.0):
        recipe += f" --teacher {teacher}{' --hard' if hard else ''} --weight {weight:g}"
    write_corrected(out, columns, W, np.zeros(3, dtype=np.float32), "counterfactual",
                    {"rows": len(written), "anchor_rows": len(pool), "l2": lam, "bias": False, "row_weight": weight,
                     "anchor_targets": teacher if teacher == "shipped" else f"sentiment.{teacher}.v1 {'hard' if hard else 'soft'}",
                     "file": str(ROWS.relative_to(ROOT)), "anchor": str(LABELS.relative_to(ROOT)), "recipe": recipe})


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


def probe_scores(model: LinearSentimentBackend) -> dict[str, list[float]]:
    """Issue #13's sentences (information only): their (negative, neutral, positive) probabilities."""
    probs = model.predict_proba(list(PROBES), ["en"] * len(PROBES))
    return {text: [round(float(v), 4) for v in p] for text, p in zip(PROBES, probs)}


def score(tiers: list[str], out: Path | None) -> None:
    models = {"shipped": default_model_dir()} | {n: Path(d) for n, d in (t.split("=", 1) for t in tiers)}
    held = held_sets()
    result = {}
    for name, folder in models.items():
        model = LinearSentimentBackend(path=folder)
        result[name] = {**{k: held_scores(model, rows) for k, rows in held.items()},
                        "training_groups": group_scores(model, SHARED), "issue_13_probes": probe_scores(model)}
        print(name, json.dumps(result[name], ensure_ascii=False), flush=True)
    if out:
        record = {"held_out_rows": {k: len(v) for k, v in held.items()}, "held_out_concepts": list(HELD_OUT),
                  "tiers": result}
        out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("write", "build", "score"))
    ap.add_argument("--lam", type=float, default=1e-4)
    ap.add_argument("--teacher", choices=("shipped", "ensemble", "e5"), default="shipped",
                    help="whose probabilities the pool rows are fitted to (build)")
    ap.add_argument("--hard", action="store_true", help="the teacher's argmax as one-hot targets (build)")
    ap.add_argument("--weight", type=float, default=1.0, help="each trained counterfactual row counts this many times (build)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--tier", action="append", default=[], metavar="NAME=DIR")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.step == "write":
        return write(args.out or ROWS)
    if args.step == "build":
        return build(args.lam, args.out, args.teacher, args.hard, args.weight)
    return score(args.tier, args.json)


if __name__ == "__main__":
    main()
