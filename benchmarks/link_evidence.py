"""Drama linking on real comments whose drama is known: does a comment get linked to
the right catalog drama, and is a comment about a drama the catalog lacks left alone?

Data (../shared/data, read-only, never copied): Douban short comments on The Untamed
(in the catalog), A Little Reunion and The Longest Day in Chang'an
(douban_cdrama_comments_unlabelled_zh) and The Knockout (douban_knockout_drama_zh), the
last three not in the catalog. Each comment is linked from its text alone (the drama
and title fields removed), through the link stage of the CLI path (normalize -> link).

Side by side, in the same run:

- ``evidence`` (the default): only evidence for one drama links; an actor's name alone
  leaves the comment unlinked (``cast_only``);
- ``link_by_cast`` (the previous rule, the baseline; ``--link-by-cast``): an actor's
  name links the comment to the actor's catalog drama.

Usage: python benchmarks/link_evidence.py [--json-out benchmarks/results/link_evidence.json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from analyzer.schema import Comment
from analyzer.stages.link import DramaLinkStage
from analyzer.stages.normalize import NormalizeStage

try:
    from benchmarks.timing import emit
except ImportError:  # run as a script: python benchmarks/link_evidence.py
    from timing import emit

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = ("douban_cdrama_comments_unlabelled_zh/comments.jsonl", "douban_knockout_drama_zh/train.jsonl")
IN_CATALOG = {"陈情令": "the-untamed"}  # title prefix in the data -> catalog drama_id


def load() -> list[tuple[str, str | None, str]]:
    """(text, true catalog drama_id or None when the drama is not in the catalog, title)."""
    rows = []
    for name in FILES:
        with open(DATA / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                title = row.get("title") or ""
                rows.append((row["text"], IN_CATALOG.get(title.split(" ")[0]), title.split(" (")[0]))
    return rows


def link(rows, link_by_cast: bool) -> list:
    """Linked comments, through normalize -> link, as ``analyzer run`` runs them."""
    comments = NormalizeStage()([Comment(id=str(i), text=text) for i, (text, _, _) in enumerate(rows)])
    return DramaLinkStage(link_by_cast=link_by_cast)(comments)


def score(rows, linked) -> dict:
    counts = Counter()
    for (_, truth, _), drama in zip(rows, linked):
        side = "catalog_drama" if truth else "drama_not_in_catalog"
        counts[f"{side}:{'unlinked' if drama is None else 'right' if drama == truth else 'wrong'}"] += 1
    right, wrong = counts["catalog_drama:right"], counts["catalog_drama:wrong"] + counts["drama_not_in_catalog:wrong"]
    in_catalog = sum(1 for r in rows if r[1])
    return {**dict(sorted(counts.items())), "links": right + wrong,
            "precision": round(right / (right + wrong), 4) if right + wrong else None,
            "recall_on_catalog_drama": round(right / in_catalog, 4) if in_catalog else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-out")
    args = parser.parse_args()
    rows = load()
    result = {"data": {"comments": len(rows), "by_drama": dict(Counter(r[2] for r in rows)),
                       "in_catalog": sorted(IN_CATALOG.values())}}
    for name, flag in (("evidence (default)", False), ("link_by_cast (previous rule, baseline)", True)):
        out = link(rows, flag)
        reasons = Counter(c.extra.get("unlinked_reason") for c in out if c.drama is None)
        result[name] = {**score(rows, [c.extra.get("drama_id") for c in out]),
                        "unlinked_by_reason": dict(sorted(reasons.items()))}
    emit(result, args.json_out)

if __name__ == "__main__":
    main()
