"""``render_markdown``: the report as Markdown (tables, headlines, drivers, quotes, methods).

Text from the data is HTML-escaped, has Markdown syntax backslash-escaped and pipes and
newlines neutralized, so a Markdown viewer that passes HTML through cannot run it, a
comment cannot render as an image or link (``![x](https://host/t.png)``,
``[x](javascript:...)``) or as emphasis/code/headings, and tables stay intact.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from ..aggregate.result import ResonanceResult
from .views import COMPONENT_DOCS, fmt, fmt_ci, focus_cells, headline, main_cells, quotes_of, themes_of


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!~|:])")


def md_text(s: Any) -> str:
    """Data text as inert Markdown: HTML-escaped, Markdown punctuation backslash-escaped
    (``:`` too, so no ``scheme:`` autolink forms), on one line."""
    text = str(s).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", escape(text, quote=False))


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def render_markdown(result: ResonanceResult, manifest: dict[str, Any] | None = None) -> str:
    manifest = manifest or {}
    out = ["# Resonance report", "", "## Summary", ""]
    out += [f"- {md_text(headline(result, c))}" for c in focus_cells(result)] or ["No comments to report."]
    out += ["", "## Resonance by drama and market (full period)", ""]
    rows = [[md_text(c["drama"]), md_text(c["region"]), str(c["authors"]), str(c["comments"]),
             fmt_ci(c, "resonance_index", level="ci90"), c["tier"] or "–", fmt_ci(c, "net_sentiment"),
             fmt(c["positive"], ".0%"), fmt(c["neutral"], ".0%"), fmt(c["negative"], ".0%"),
             md_text(c["top_themes"]), md_text(c["flags"])] for c in main_cells(result)]
    out.append(_table(["drama", "region", "authors", "comments", "RI [90% CI]", "tier", "net sentiment [95% CI]",
                       "positive", "neutral", "negative", "top themes", "flags"], rows))
    out += ["", "## Drivers", ""]
    for cell in focus_cells(result):
        themes = themes_of(result, cell)
        if themes:
            out += [f"### {md_text(cell['drama'])} · {md_text(cell['region'])}", "",
                    _table(["theme", "salience [95% CI]", "net valence [95% CI]", "quadrant"],
                           [[t["theme"], fmt_ci(t, "salience"), fmt_ci(t, "net_valence"), t["quadrant"]]
                            for t in themes]), ""]
    out += ["## What viewers said", ""]
    for cell in focus_cells(result):
        quotes = quotes_of(result, cell)
        if quotes:
            out += [f"### {md_text(cell['drama'])} · {md_text(cell['region'])}", ""]
            out += [f"> {md_text(q['text'])}  \n> — {md_text(q['theme'])}, {q['polarity']}, {q['likes']} likes, "
                    f"{md_text(q['author'] or 'anonymous')}, {md_text(q['lang'] or 'und')}\n" for q in quotes]
    out += ["## Methods", ""]
    cfg = result.config
    out += [f"- **{k}**: {v} (index weight {cfg['weights'].get(k, 0):g})" for k, v in COMPONENT_DOCS.items()]
    out += ["", f"Bootstrap over authors: {cfg['bootstrap']} resamples (seed {cfg['seed']}); "
            f"cells under {cfg['min_authors']} authors are flagged `small_cell`; each author counts at most "
            f"{cfg['max_comments_per_author']} comments per cell. Weekly and first-7/28-day windows are in "
            "`resonance.csv`.", "", "Models: `" + md_text(json.dumps(manifest.get("models", {}), default=str)) + "`", ""]
    return "\n".join(out) + "\n"
