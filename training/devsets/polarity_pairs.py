"""Aspect-polarity agreement of several theme/polarity artifacts on the same (comment, theme) pairs.

    python -m training.devsets.polarity_pairs HYBRID_DIR[+POLARITY_DIR] ... [--labels FILE]

``drama_eval`` scores polarity on the themes both the labels and the model found, so a theme model
that finds more themes is scored on more pairs. This prints, per artifact pair, agreement on its own
pairs and on the pairs every listed model finds (the same rows, sentiment from ``sentiment.linear.v1``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.aspect_polarity import ClausePolarityBackend
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.evaluation.devset import load_devset
from analyzer.registry import select_backend
from analyzer.schema import SENTIMENT_LABELS, Comment
from analyzer.stages.themes import ThemeStage

LABELS = ROOT / "data" / "devsets" / "drama_dev.labels.jsonl"


def predicted(comments: list[Comment], sentiment, spec: str) -> dict[tuple[int, str], str]:
    hybrid, _, polarity = spec.partition("+")
    stage = ThemeStage(backend=HybridThemeBackend(path=hybrid), sentiment=sentiment,
                       polarity=ClausePolarityBackend(path=polarity) if polarity else "polarity.clause.v1")
    return {(i, t): p for i, c in enumerate(stage(comments)) for t, p in c.theme_polarity.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="+", help="HYBRID_DIR or HYBRID_DIR+POLARITY_DIR")
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args()
    records = load_devset(args.labels, args.shared, on_error="raise")
    sentiment = select_backend("sentiment.linear.v1", "sentiment")
    texts, langs = [r["text"] for r in records], [r.get("lang") for r in records]
    probs = sentiment.predict_proba(texts, langs)
    comments = [Comment(id=str(i), text=t, clean_text=t, lang=lang).with_(
        sentiment=SENTIMENT_LABELS[int(p.argmax())], sentiment_scores=tuple(map(float, p)))
        for i, (t, lang, p) in enumerate(zip(texts, langs, probs))]
    gold = {(i, t): p for i, r in enumerate(records) for t, p in (r.get("theme_polarity") or {}).items()}
    found = {spec: predicted(comments, sentiment, spec) for spec in args.specs}
    common = set(gold).intersection(*found.values())
    for spec, pred in found.items():
        own = set(gold) & set(pred)
        agree = lambda pairs: sum(pred[k] == gold[k] for k in pairs) / max(len(pairs), 1)  # noqa: E731
        print(f"{spec}: own pairs {len(own)} agreement {agree(own):.4f} | common pairs {len(common)} "
              f"agreement {agree(common):.4f}")


if __name__ == "__main__":
    main()
