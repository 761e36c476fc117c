"""Distil the accurate stance tier into the fast one (issue #13, s13): measured on held-out rows only.

    OMP_NUM_THREADS=1 python -m training.sentiment_linear.distill label [--out data/trainsets/stance_distill_youtube.jsonl]
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.distill cv [--json OUT]
    OMP_NUM_THREADS=1 python -m training.sentiment_linear.distill build --teacher T --lam L [--hard] [--no-bias] --out DIR

``label``: the unlabelled real comments of ``youtube_kvariety_comments_multilingual`` that no label file of
``data/trainsets`` or ``data/devsets`` names (by sha1; the other unlabelled pools are used up: every comment of
the training dramas is labelled, the rest of the Douban file is drama dev, every NSMC row is in the fast tier's
split) are scored by ``sentiment.ensemble.v1`` and by its e5 member. Written: source, line, sha1, lang and both
probability rows (no text; the texts are joined back from the shared data).

``cv``: an anchored fine-tune of the shipped weights on those rows (``cv_drama.fit_residual``: the shipped logits
are a fixed offset, a correction over the rows' hashed n-grams is fitted to the teacher's soft or hard labels with
an L2 strength ``lam``, with or without an intercept shift), scored on the six groups of labelled real comments the shipped model never trained on
(``cv_drama.training_groups``; none of their texts is in the pool). The candidate (teacher, soft/hard, lam) is
picked on five groups and scored on the sixth (leave one group out), beside the shipped model on the same rows.
No dev row is read.

``build``: the shipped weights plus one candidate's correction, written as a model folder (same format) for
``stance_langs --tier NAME=DIR``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.sentiment_linear import LinearSentimentBackend, default_model_dir
from analyzer.backends.text_features import to_csr
from analyzer.evaluation.devset import text_sha1
from training.sentiment_linear.cv_drama import fit_residual, leave_one_group_out, macro_f1, training_groups

SHARED = ROOT.parent / "shared" / "data"
POOL = "youtube_kvariety_comments_multilingual/comments.jsonl"
LABELS = ROOT / "data" / "trainsets" / "stance_distill_youtube.jsonl"
LABEL_DIRS = (ROOT / "data" / "trainsets", ROOT / "data" / "devsets")
TEACHERS = ("ensemble", "e5")
LAMS = (1e-6, 1e-5, 1e-4, 1e-3)


def labelled_sha1s() -> set[str]:
    """sha1 of every text any label file of data/trainsets or data/devsets names."""
    out = set()
    for folder in LABEL_DIRS:
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and "sha1" in (row := json.loads(line)):
                    out.add(row["sha1"])
    return out


def pool_rows(shared: Path) -> list[dict]:
    """The pool's rows no label file names, first occurrence of each text, with their line numbers (1-based)."""
    used, out = labelled_sha1s(), []
    with (shared / POOL).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            row = json.loads(line)
            sha1 = text_sha1(row["text"])
            if sha1 not in used and row["text"].strip():
                used.add(sha1)
                out.append({"source": POOL, "line": number, "sha1": sha1, "lang": row.get("lang") or "und",
                            "text": row["text"]})
    return out


def label(shared: Path, out: Path) -> None:
    from analyzer.registry import select_backend

    rows = pool_rows(shared)
    texts, langs = [r["text"] for r in rows], [r["lang"] for r in rows]
    ensemble = select_backend("sentiment.ensemble.v1", "sentiment")
    probs = ensemble.predict_proba(texts, langs)
    e5 = ensemble.backends[1].predict_proba(texts, langs)
    with out.open("w", encoding="utf-8") as handle:
        for row, p, q in zip(rows, probs, e5):
            keep = {k: row[k] for k in ("source", "line", "sha1", "lang")}
            handle.write(json.dumps({**keep, "ensemble": [round(float(v), 4) for v in p],
                                     "e5": [round(float(v), 4) for v in q]}) + "\n")
    print(f"{len(rows)} rows -> {out}")


def read_labels(path: Path, shared: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """Texts (joined back by line, sha1 checked) and the teachers' probabilities."""
    lines = (shared / POOL).read_text(encoding="utf-8").splitlines()
    texts, probs = [], {t: [] for t in TEACHERS}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = json.loads(lines[row["line"] - 1])["text"]
        if text_sha1(text) != row["sha1"]:
            raise SystemExit(f"{POOL} line {row['line']}: text changed (sha1 mismatch)")
        texts.append(text)
        for t in TEACHERS:
            probs[t].append(row[t])
    return texts, {t: np.array(v, dtype=np.float64) for t, v in probs.items()}


def targets(probs: np.ndarray, hard: bool) -> np.ndarray:
    return np.eye(3)[probs.argmax(1)] if hard else probs / probs.sum(1, keepdims=True)


class Problem:
    """The pool and the six groups featurized once over the columns the pool uses."""

    def __init__(self, shared: Path, labels: Path) -> None:
        self.backend = LinearSentimentBackend()
        model = self.backend.model
        self.pool_texts, self.probs = read_labels(labels, shared)
        x = to_csr(model.featurizer.transform(self.pool_texts), model.featurizer.n_features)
        self.columns = np.unique(x.indices)
        self.x = x[:, self.columns].tocsr()
        self.offset = model.logits(self.pool_texts)
        texts, _, self.gold, self.groups = training_groups(shared)
        g = to_csr(model.featurizer.transform(texts), model.featurizer.n_features)
        self.gx = g[:, self.columns].tocsr()
        self.glogits = model.logits(texts)

    def correction(self, teacher: str, hard: bool, bias: bool, lam: float) -> tuple[np.ndarray, np.ndarray]:
        return fit_residual(self.x, self.offset, targets(self.probs[teacher], hard), lam, with_bias=bias)

    def group_f1(self, W: np.ndarray, b: np.ndarray) -> dict[str, float]:
        pred = (self.glogits + self.gx @ W.T + b).argmax(1)
        return {g: macro_f1(self.gold[self.groups == g], pred[self.groups == g]) for g in sorted(set(self.groups))}


def cv(shared: Path, labels: Path, out: Path | None) -> None:
    problem = Problem(shared, labels)
    zero = (np.zeros((3, len(problem.columns))), np.zeros(3))
    scores = {"shipped": problem.group_f1(*zero)}
    for teacher in TEACHERS:
        for hard, bias, lam in [(h, b, lam) for h in (False, True) for b in (True, False) for lam in LAMS]:
            name = f"{teacher} {'hard' if hard else 'soft'} bias={bias} lam={lam:g}"
            scores[name] = problem.group_f1(*problem.correction(teacher, hard, bias, lam))
            print(name, json.dumps({k: round(v, 4) for k, v in scores[name].items()}), flush=True)
    groups = sorted(set(problem.groups))
    picked = {}
    for held in groups:  # nested: the candidate is chosen on the five other groups
        best = max(scores, key=lambda name: np.mean([scores[name][g] for g in groups if g != held]))
        picked[held] = {"candidate": best, "held_f1": round(scores[best][held], 4),
                        "shipped_f1": round(scores["shipped"][held], 4)}
    summary = {"nested_mean": round(float(np.mean([p["held_f1"] for p in picked.values()])), 4),
               "shipped_mean": round(float(np.mean([p["shipped_f1"] for p in picked.values()])), 4),
               "pool_rows": len(problem.pool_texts), "group_rows": {g: int((problem.groups == g).sum()) for g in groups},
               "teacher_class_share": {t: np.bincount(p.argmax(1), minlength=3).round(4).tolist() for t, p in problem.probs.items()},
               "shipped_class_share": np.bincount(problem.offset.argmax(1), minlength=3).tolist(),
               "agreement_with_shipped": {t: round(float((p.argmax(1) == problem.offset.argmax(1)).mean()), 4)
                                          for t, p in problem.probs.items()}}
    result = {"summary": summary, "picked": picked,
              "scores": {k: {**{g: round(v, 4) for g, v in s.items()}, "mean": round(float(np.mean(list(s.values()))), 4)}
                         for k, s in scores.items()}}
    print(json.dumps({"summary": summary, "picked": picked}, indent=1, ensure_ascii=False))
    if out:
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_corrected(out: Path, columns: np.ndarray, W: np.ndarray, b: np.ndarray, key: str, record: dict) -> None:
    """The shipped model folder with ``W`` added to its weights' ``columns`` and ``b`` to its bias (float16, same
    format), ``record`` under ``key`` in meta.json."""
    source = default_model_dir()
    shutil.copytree(source, out, dirs_exist_ok=True)
    data = dict(np.load(source / "weights.npz", allow_pickle=False))
    weights = data["weights"].astype(np.float32)
    weights[:, columns] += W.astype(np.float32)
    data["weights"] = weights.astype(np.float16)
    data["bias"] = (data["bias"] + b).astype(np.float32)
    np.savez(out / "weights.npz", **data)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    meta[key] = record
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(columns)} columns corrected)")


def build(shared: Path, labels: Path, teacher: str, hard: bool, bias: bool, lam: float, out: Path) -> None:
    """The shipped model folder with its weights plus the correction (float16, same format)."""
    problem = Problem(shared, labels)
    W, b = problem.correction(teacher, hard, bias, lam)
    write_corrected(out, problem.columns, W, b, "distilled",
                    {"teacher": f"sentiment.{teacher}.v1", "targets": "hard" if hard else "soft", "l2": lam,
                     "bias": bias, "rows": len(problem.pool_texts), "labels": str(labels.relative_to(ROOT)),
                     "recipe": "python -m training.sentiment_linear.distill build"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("label", "cv", "build"))
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--teacher", choices=TEACHERS, default="ensemble")
    ap.add_argument("--hard", action="store_true")
    ap.add_argument("--no-bias", action="store_true", help="the correction leaves the intercept alone")
    ap.add_argument("--lam", type=float, default=1e-4)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.step == "label":
        return label(args.shared, args.out or args.labels)
    if args.step == "cv":
        return cv(args.shared, args.labels, args.json)
    return build(args.shared, args.labels, args.teacher, args.hard, not args.no_bias, args.lam, args.out)


if __name__ == "__main__":
    main()
