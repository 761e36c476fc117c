"""Compare themes.hybrid.v1 artifacts on the three held-out sets in one run (themes and intents only).

    OMP_NUM_THREADS=1 python -m training.themes_hybrid.compare shipped /tmp/candidate [--out runs/x.json]

Sets: the held-out drama comments (data/devsets/drama_dev.labels.jsonl), the comments dev set
(data/devsets/comments_dev.labels.jsonl), both joined from ../shared/data, and the written drama proxy
(data/devsets/drama_proxy.jsonl). ``shipped`` names analyzer/_models/themes-hybrid. For each artifact
and set: theme / intent micro-F1 and theme F1 per label, scored by analyzer.evaluation.themes (the
code path of ``analyzer eval themes``; no sentiment backend, clause polarity). A candidate is shipped
only when no set drops; the dev sets choose between candidates, they train nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.evaluation.devset import load_devset
from analyzer.evaluation.themes import evaluate_themes
from training.common import DEVSETS, DRAMA_PROXY, ROOT, read_jsonl

SHIPPED = ROOT / "analyzer" / "_models" / "themes-hybrid"


def sets(shared: str) -> dict[str, list[dict]]:
    return {"drama_dev": load_devset(DEVSETS / "drama_dev.labels.jsonl", shared, on_error="raise"),
            "comments_dev": load_devset(DEVSETS / "comments_dev.labels.jsonl", shared, on_error="raise"),
            "drama_proxy": read_jsonl(DRAMA_PROXY)}


def scores(records: list[dict], folder: Path) -> dict:
    result = evaluate_themes(records, HybridThemeBackend(path=folder))
    return {"theme_micro_f1": round(result["theme_micro_f1"], 4), "intent_micro_f1": round(result["intent_micro_f1"], 4),
            "themes": {k: round(v["f1"], 3) for k, v in result["themes"].items() if v["support"]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="artifact folders ('shipped' = analyzer/_models/themes-hybrid)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    data = sets(args.shared)
    out = {}
    for name in args.models:
        folder = SHIPPED if name == "shipped" else Path(name)
        out[name] = {set_name: scores(records, folder) for set_name, records in data.items()}
        print(name, json.dumps({k: (v["theme_micro_f1"], v["intent_micro_f1"]) for k, v in out[name].items()}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
