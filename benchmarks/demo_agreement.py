"""How the default models read the demo sample: share of generated comments whose predicted
stance is the stance they were written with, per language, beside the majority-class
baseline (always the most common stance) of the same comments.

    python benchmarks/demo_agreement.py  ->  benchmarks/results/demo_agreement.json
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

from analyzer.runner import build_pipeline, resolve_config
from analyzer.schema import Comment

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
STANCES = {"+": "positive", "-": "negative", "?": "neutral"}


def generated() -> list[tuple[dict, str, str]]:
    """(row, language, intended stance) for every demo row, by re-running the generator."""
    sys.path.insert(0, str(SAMPLES))  # make_samples imports its templates as a sibling module
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    meant: dict[str, tuple[str, str]] = {}
    original = module.demo_text

    def recording(rng, drama, lang, stance, praise, blame):
        text = original(rng, drama, lang, stance, praise, blame)
        meant[text] = (lang, STANCES[stance])
        return text

    module.demo_text = recording
    return [(row, *meant[row["text"]]) for row in module.demo_rows()]


def main() -> None:
    rows = generated()
    pipeline = build_pipeline(resolve_config(None))
    comments = [Comment(id=r["id"], text=r["text"], drama=r["drama"]) for r, _, _ in rows]
    predicted = [c.sentiment for c in pipeline.pipe(comments)]
    majority = Counter(stance for _, _, stance in rows).most_common(1)[0][0]
    by_lang: dict[str, list[int]] = {}
    for (_, lang, stance), pred in zip(rows, predicted):
        counts = by_lang.setdefault(lang, [0, 0, 0])
        counts[0] += 1
        counts[1] += pred == stance
        counts[2] += majority == stance
    n = len(rows)
    result = {
        "comments": n, "models": [s.get("backend") for s in pipeline.describe() if s.get("backend")],
        "agreement": round(sum(c[1] for c in by_lang.values()) / n, 4),
        "majority_baseline": round(sum(c[2] for c in by_lang.values()) / n, 4), "majority_stance": majority,
        "by_language": {k: {"n": c[0], "agreement": round(c[1] / c[0], 4), "majority_baseline": round(c[2] / c[0], 4)}
                        for k, c in sorted(by_lang.items())},
    }
    out = ROOT / "benchmarks" / "results" / "demo_agreement.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{result['agreement']:.3f} agreement vs {result['majority_baseline']:.3f} majority baseline "
          f"over {n} demo comments -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
