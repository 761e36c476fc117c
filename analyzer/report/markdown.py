"""``render_markdown``: the report as Markdown (tables, headlines, drivers, quotes, methods).

Text from the data is HTML-escaped, has Markdown syntax backslash-escaped and pipes and
newlines neutralized, so a Markdown viewer that passes HTML through cannot run it, a
comment cannot render as an image or link (``![x](https://host/t.png)``,
``[x](javascript:...)``) or as emphasis/code/headings, and tables stay intact.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from ..aggregate.result import ResonanceResult
from ..manifest import RunManifest
from .views import (
    ALONE, ALONE_CELL, COMPONENT_DOCS, ONLY_ONE_RANKED, accuracy_rows, alone_cells, drivers, enough, extremes, fmt,
    fmt_ci, genre_cells, genres_of, headline, main_cells, market_notes, min_authors, model_rows, net_interval,
    quote_for, quote_label, quotes_of, theme_word, themes_of, unranked_note, verdict,
)


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


def render_markdown(result: ResonanceResult, manifest: RunManifest | None = None) -> str:
    manifest = manifest if manifest is not None else RunManifest()
    strong, weak = extremes(result)
    out = ["# Resonance report", "", "## Which drama resonates where, and why", ""]
    if strong:
        out += ["**Resonates most**", ""] + [f"{i}. {_line(result, c, True)}" for i, c in enumerate(strong, 1)]
        out += ["", "**Resonates least**", ""] + ([f"{i}. {_line(result, c, False)}" for i, c in enumerate(weak, 1)]
                                                   or [ONLY_ONE_RANKED])
        out += ["", "1.00x is a typical title in the same market; \"above\"/\"below typical\" only when the 90% "
                f"interval clears 1.00x. Cells with fewer than {min_authors(result)} viewers: not enough viewers."]
    elif any(enough(result, c) for c in main_cells(result)):
        out.append(md_text(ALONE))
    else:
        out.append(f"No drama x market has the {min_authors(result)} viewers needed for a Resonance Index.")
    out += ["", "## Resonance by drama and market (full period)", ""]
    rows, lone = [], alone_cells(result)
    for c in main_cells(result):
        row = [md_text(c["drama"]), md_text(c["region"]), str(c["authors"]), str(c["comments"])]
        if enough(result, c):
            lo, hi = net_interval(c)
            alone = (c["drama"], c["region"]) in lone
            row += [ALONE_CELL if alone else fmt_ci(c, "resonance_index", level="ci90"),
                    "–" if alone else verdict(c),
                    fmt(c["net_sentiment"], "+.2f") + (f" [{lo:+.2f}, {hi:+.2f}]" if lo is not None else "")]
        else:
            row += ["not enough viewers", "–", "–"]
        rows.append(row + [md_text(c["top_themes"]), md_text(c["flags"])])
    out.append(_table(["drama", "market", "viewers", "comments", "RI [90% CI]", "verdict", "net sentiment [95% CI]",
                       "top themes", "flags"], rows))
    out += _genre_table(result, manifest)
    groups = market_notes(result.regions)
    if groups:
        out += ["", "Markets that are not countries:", ""]
        out += [f"- **{md_text(r)}**: {md_text(t)}" for r, t in groups]
    out += ["", "## Drivers", ""]
    if not strong and result.themes:
        out += [md_text(unranked_note(result, "themes", "tables/themes.csv")), ""]
    for cell in strong + weak:
        themes = themes_of(result, cell)
        if themes:
            out += [f"### {md_text(cell['drama'])} · {md_text(cell['region'])}", "",
                    _table(["theme", "share of viewers [95% CI]", "net valence [95% CI]"],
                           [[md_text(theme_word(t["theme"])), _share(t), _valence(t)]
                            for t in themes]), ""]
    out += ["## What viewers said", ""]
    if not strong and result.quotes:
        out += [md_text(unranked_note(result, "quotes", "tables/quotes.csv")), ""]
    for cell in strong + weak:
        quotes = quotes_of(result, cell, limit=4)
        if quotes:
            out += [f"### {md_text(cell['drama'])} · {md_text(cell['region'])}", ""]
            out += [f"> {md_text(q['text'])}  \n> — {md_text(quote_label(q))}, {q['polarity']}, "
                    f"{md_text(q['lang'] or 'und')}" + (f", {q['likes']} likes" if q.get("likes") else "") + "\n"
                    for q in quotes]
    out += ["## Methods", ""]
    cfg = result.config
    out += [f"- **{k}**: {v} (index weight {cfg['weights'].get(k, 0):g})" for k, v in COMPONENT_DOCS.items()]
    out += ["", f"Bootstrap over viewers: {cfg['bootstrap']} resamples (seed {cfg['seed']}); shares are never shown "
            f"narrower than Wilson's interval on the viewer count; cells under {cfg['min_authors']} viewers are "
            f"flagged `small_cell`; each viewer counts at most {cfg['max_comments_per_author']} comments per cell. "
            "Weekly and first-7/28-day windows are in `resonance.csv`.", ""]
    models = model_rows(manifest)
    out += ["Models: " + ("; ".join(f"{md_text(k)}: {md_text(v)}" for k, v in models) if models else "none recorded"), ""]
    acc = accuracy_rows(manifest)
    if acc:
        langs = sorted({lang for _, lang, _ in acc})
        value = {(m, lang): v for m, lang, v in acc}
        out += ["Model macro-F1 by language (held-out labelled rows):", "",
                _table(["model"] + langs, [[md_text(m)] + [fmt(value.get((m, lang))) for lang in langs]
                                           for m in sorted({m for m, _, _ in acc})]), ""]
    return "\n".join(out) + "\n"


def _line(result: ResonanceResult, cell: dict[str, Any], liked: bool) -> str:
    text = md_text(headline(result, cell))
    q = quote_for(result, cell, liked, drivers(result, cell, liked))
    return text + (f" “{md_text(q['short'])}”" if q else "")


def _share(row: dict[str, Any]) -> str:
    lo, hi = row["salience_ci_low"], row["salience_ci_high"]
    return fmt(row["salience"], ".0%") + (f" [{lo:.0%}, {hi:.0%}]" if lo is not None else "")


def _valence(row: dict[str, Any]) -> str:
    lo, hi = row["net_valence_ci_low"], row["net_valence_ci_high"]
    return fmt(row["net_valence"]) + (f" [{lo:.2f}, {hi:.2f}]" if lo is not None else "")


def _genre_value(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "–"
    if cell["value"] is None:
        return ALONE_CELL if cell["alone"] else "not enough viewers"
    return f"{cell['value']:.2f}x"


def _genre_table(result: ResonanceResult, manifest: RunManifest) -> list[str]:
    cells = genre_cells(result, genres_of(manifest))
    if not cells:
        return []
    genres = sorted({g for g, _ in cells})
    regions = sorted({r for _, r in cells})
    rows = [[md_text(g)] + [_genre_value(cells.get((g, r))) for r in regions] for g in genres]
    return ["", "## Resonance by genre and market", "",
            "Viewer-weighted mean Resonance Index of each genre's titles (from the drama catalog) per market.", "",
            _table(["genre"] + [md_text(r) for r in regions], rows)]
