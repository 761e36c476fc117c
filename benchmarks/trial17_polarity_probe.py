"""Probe: does a plainly worded aspect sentence get the polarity it says? (helper `trial`, session 17)

Short English sentences written for this probe ("The acting is bad.", "I love the music."), each
naming one theme with one clear polarity, run through the default pipeline (``analyzer.analyze``)
twice: with the shipped aspect-polarity model (``polarity.clause.v1``) and with
``models.polarity.name = "none"`` (each theme takes its clause's sentiment, the documented
baseline). It counts, per expected polarity, how often the expected theme got it. Written texts
signal their labels plainly, so this is a smoke test of the product's headline ("praised for
pacing"), not an accuracy estimate: the held-out scores are in models/aspect-polarity/card.md.

    python -m benchmarks.trial17_polarity_probe   # -> benchmarks/results/trial17_polarity_probe.json
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd

import analyzer

OUT = Path(__file__).resolve().parent / "results" / "trial17_polarity_probe.json"
THEMES = {"acting": "acting", "pacing": "pacing", "story": "story", "music": "OST", "production": "costumes",
          "subtitles": "subtitles"}
NEGATIVE = ["The {w} is bad.", "I hate the {w}.", "The {w} is terrible and boring.", "Honestly the {w} is awful."]
POSITIVE = ["The {w} is great.", "I love the {w}.", "The {w} is amazing and beautiful.", "Honestly the {w} is perfect."]


def probe_rows() -> list[dict[str, str]]:
    rows = []
    for theme, word in THEMES.items():
        for polarity, templates in (("negative", NEGATIVE), ("positive", POSITIVE)):
            rows += [{"text": t.format(w=word), "theme": theme, "polarity": polarity} for t in templates]
    return rows


def score(rows: list[dict[str, str]], overrides: list[str]) -> dict[str, object]:
    frame = pd.DataFrame({"text": [r["text"] for r in rows], "drama": "The Untamed",
                          "id": [str(i) for i in range(len(rows))]})
    result = analyzer.analyze(frame, overrides=["stages.dedup.near=false", *overrides], workers=1)
    got = {str(c["id"]): dict(c["theme_polarity"]) for c in result.comments.to_dict("records")}
    tally: Counter[str] = Counter()
    examples = []
    for i, row in enumerate(rows):
        found = got.get(str(i), {}).get(row["theme"])
        tally[f"{row['polarity']}:{'found' if found else 'theme missed'}"] += 1
        tally[f"{row['polarity']}:{'right' if found == row['polarity'] else 'wrong'}"] += found is not None
        if found is not None and found != row["polarity"]:
            examples.append({"text": row["text"], "theme": row["theme"], "expected": row["polarity"], "got": found})
    return {"counts": dict(sorted(tally.items())), "wrong": examples}


def main() -> int:
    rows = probe_rows()
    out = {"rows": len(rows), "polarity.clause.v1": score(rows, []),
           "none (clause sentiment)": score(rows, ['models.polarity.name="none"'])}
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("polarity.clause.v1", "none (clause sentiment)"):
        print(name, out[name]["counts"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
