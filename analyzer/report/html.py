"""``render_html``: one self-contained page (inline CSS and SVG, no scripts, no network).

The first screen answers "which drama resonates where, and why": the strongest and
weakest drama x market with the themes and a quote behind each. Every chart sits in a
``<figure class="chart">`` with a ``.legend``; the page fits 1,280 px and prints; on a phone
the wide tables scroll sideways inside a ``.scroll`` box, never the page.
All comment text and every name from the data is escaped with ``html.escape``.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..aggregate.result import ResonanceResult
from ..manifest import RunManifest
from . import charts
from .views import (
    ALONE, ALONE_CELL, COMPONENT_DOCS, ONLY_ONE_RANKED, accuracy_rows, alone_cells, count_of, drivers, enough, extremes,
    fmt, genre_cells, genres_of, main_cells, market_notes, min_authors, model_rows, named, net_interval, quote_for,
    quote_label, quotes_of, theme_word, themes_of, unranked_note, verdict, weekly_series,
)

SECTIONS = (
    ("summary", "Which drama resonates where, and why"),
    ("heatmap", "Resonance Index by drama and market"),
    ("genres", "Resonance by genre and market"),
    ("net-sentiment", "Net sentiment by drama and market"),
    ("drivers", "Why: the themes viewers discuss"),
    ("over-time", "Sentiment and volume over time"),
    ("quotes", "What viewers said"),
    ("cells", "All cells"),
    ("methods", "Methods and model accuracy"),
)

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.2em auto;max-width:1200px;
color:#222;line-height:1.45;padding:0 1.2em;overflow-wrap:break-word}
h1{margin:.1em 0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}h3{margin:.8em 0 .3em}
nav{font-size:.85em;margin:.3em 0 .8em}nav a{margin-right:.9em;white-space:nowrap}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.82em;margin:.4em 0}th,td{border:1px solid #ddd;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.wide{width:100%;min-width:44em;overflow-wrap:normal}
.scroll{overflow-x:auto;max-width:100%}
.heat{width:100%;table-layout:fixed}.heat td{text-align:center;font-size:.95em;padding:4px 2px}
.heat th{font-size:.9em;overflow-wrap:anywhere}.heat tr>:first-child{width:10.5em}.heat thead th{font-size:.78em}
.heat td.few{background:#eeeeee;color:#777;font-size:.8em}.heat td.na{background:#fff}
.heat small{color:#444;font-size:.78em}
.muted{color:#666;font-size:.88em}
.cards{display:grid;grid-template-columns:1fr 1fr;gap:1.2em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;background:#fcfcfc}
.card.up{border-top:4px solid #2ca02c}.card.down{border-top:4px solid #d62728}
.card h3{margin:.2em 0 .4em}.card ol{padding-left:1.2em;margin:.2em 0}.card li{margin:.2em 0 .8em}
.ri{font-weight:bold;font-size:1.1em}.why{display:block}
.grid2{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:1em}
.grid3{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1em}
figure.chart{margin:.6em 0;padding:.5em;border:1px solid #eee;border-radius:6px;min-width:0}
figcaption{font-size:.85em;color:#555;margin-top:.3em}
.legend{font-size:.82em;margin:.4em 0;display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:center}
.legend .key{display:inline-flex;align-items:center;gap:.3em}
.legend i{display:inline-block;width:14px;height:12px;border:1px solid #999}
blockquote{margin:.3em 0;padding:.3em .8em;border-left:3px solid #ccc;background:#fafafa;white-space:pre-wrap;
overflow-wrap:anywhere}
.pos{border-left-color:#2ca02c}.neg{border-left-color:#d62728}
dl.groups{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;font-size:.85em;margin:.4em 0}
dl.groups dt{font-weight:bold}dl.groups dd{margin:0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.75em}
@media (max-width:900px){.cards,.grid2,.grid3{grid-template-columns:1fr}}
@media print{nav,details{display:none}body{max-width:none;margin:0;font-size:10pt}
section,figure.chart,.card,tr{break-inside:avoid}h2{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit;text-decoration:none}}
"""


def render_html(result: ResonanceResult, manifest: RunManifest | None = None) -> str:
    manifest = manifest if manifest is not None else RunManifest()
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Resonance report</title>", f"<style>{CSS}</style></head><body>",
        "<h1>Resonance report</h1>", _facts(result, manifest),
        "<nav>" + " ".join(f'<a href="#{sid}">{escape(t)}</a>' for sid, t in SECTIONS) + "</nav>",
    ]
    builders = {
        "summary": _summary, "heatmap": _heatmap, "genres": _genres, "net-sentiment": _net_sentiment,
        "drivers": _drivers, "over-time": _over_time, "quotes": _quotes, "cells": _cells_table,
        "methods": _methods,
    }
    for sid, title in SECTIONS:
        parts.append(f'<section id="{sid}"><h2>{escape(title)}</h2>')
        parts.append(builders[sid](result, manifest))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _figure(chart: str, legend: str, caption: str = "", cls: str = "") -> str:
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="chart{" " + cls if cls else ""}">{chart}{legend}{cap}</figure>'


def _facts(result: ResonanceResult, manifest: RunManifest) -> str:
    cells = main_cells(result)
    counts = manifest.counts or {}
    dramas, markets = named(result)
    facts = [f"{sum(c['comments'] for c in cells):,} comments scored", count_of(len(dramas), "drama"),
             count_of(len(markets), "market"), count_of(len(cells), "drama x market cell")]
    if isinstance(counts.get("read"), int):
        facts.append(f"{counts['read']:,} records read, {counts.get('rejected', 0):,} rejected")
    noise = sum(c["noise_comments"] or 0 for c in cells) + sum(c.get("duplicate_comments") or 0 for c in cells)
    facts.append(f"{noise:,} noise or duplicate comments left out")
    return f'<p class="muted">{escape(" · ".join(facts))}</p>'


def _ri_line(result: ResonanceResult, cell: dict[str, Any]) -> str:
    ci = ""
    if cell.get("resonance_index_ci90_low") is not None:
        ci = f"90% CI {cell['resonance_index_ci90_low']:.2f}–{cell['resonance_index_ci90_high']:.2f} · "
    return (f"<b>{escape(cell['drama'])}</b> in <b>{escape(cell['region'])}</b>: "
            f'<span class="ri">{cell["resonance_index"]:.2f}x</span> '
            f'<span class="muted">{escape(ci)}{escape(verdict(cell))} · {cell["authors"]} viewers</span>')


def _reason(result: ResonanceResult, cell: dict[str, Any], liked: bool) -> str:
    themes = drivers(result, cell, liked)
    other = drivers(result, cell, not liked, k=1)
    words = " and ".join(escape(theme_word(t, liked)) for t in themes) or "no single theme"
    text = f"{'Praised for' if liked else 'Held back by'} {words}"
    if other:
        text += f"; {'complaints about' if liked else 'still liked'}: {escape(theme_word(other[0], not liked))}"
    q = quote_for(result, cell, liked, themes)
    quote = ""
    if q:
        quote = (f'<blockquote class="{"pos" if liked else "neg"}" lang="{escape(q["lang"] or "und")}">'
                 f'“{escape(q["short"])}”</blockquote>')
    return f'<span class="why">{text}.</span>{quote}'


def _summary(result: ResonanceResult, manifest: RunManifest) -> str:
    strong, weak = extremes(result)
    if not strong and any(enough(result, c) for c in main_cells(result)):
        return f"<p>{escape(ALONE)}</p>"
    if not strong:
        few = len(main_cells(result))
        return (f"<p>No drama x market has the {min_authors(result)} viewers needed for a Resonance Index"
                f"{f' ({few} cells have fewer)' if few else ''}. No cells to rank.</p>")
    cards = []
    for cls, title, cells, liked in (("up", "Resonates most", strong, True), ("down", "Resonates least", weak, False)):
        items = "".join(f"<li>{_ri_line(result, c)}{_reason(result, c, liked)}</li>" for c in cells)
        body = f"<ol>{items}</ol>" if items else f"<p class='muted'>{ONLY_ONE_RANKED}</p>"
        cards.append(f'<div class="card {cls}"><h3>{title}</h3>{body}</div>')
    small = sum(1 for c in main_cells(result) if not enough(result, c))
    return (f'<div class="cards">{"".join(cards)}</div>'
            "<p class='muted'>The Resonance Index compares a drama with a typical title <em>in the same market</em>: "
            "1.00x is typical, 1.50x half as strong again. “Above” or “below typical” only when the 90% interval "
            f"clears 1.00x. {small} drama x market cells have fewer than {min_authors(result)} viewers and are shown "
            "as “not enough viewers”.</p>")


def _markets(result: ResonanceResult) -> list[str]:
    size: dict[str, int] = {}
    for c in main_cells(result):
        size[c["region"]] = size.get(c["region"], 0) + c["authors"]
    return sorted(size, key=lambda r: (-size[r], r))


def _dramas(result: ResonanceResult) -> list[str]:
    size: dict[str, int] = {}
    for c in main_cells(result):
        size[c["drama"]] = size.get(c["drama"], 0) + c["authors"]
    return sorted(size, key=lambda d: (-size[d], d))


def _groups(result: ResonanceResult) -> str:
    notes = market_notes(result.regions)
    if not notes:
        return ""
    return ("<dl class='groups'>" + "".join(f"<dt>{escape(r)}</dt><dd>{escape(t)}</dd>" for r, t in notes)
            + "</dl>")


def _heatmap(result: ResonanceResult, manifest: RunManifest) -> str:
    cells, lone = {}, alone_cells(result)
    for c in main_cells(result):
        ok = enough(result, c) and (c["drama"], c["region"]) not in lone
        cells[(c["drama"], c["region"])] = {
            "value": c["resonance_index"] if ok else None, "lo": c["resonance_index_ci90_low"] if ok else None,
            "hi": c["resonance_index_ci90_high"], "note": None if ok else f"{c['authors']} viewers",
            "label": ALONE_CELL if (c["drama"], c["region"]) in lone else None}
    if not cells:
        return "<p>No cells.</p>"
    table = charts.heat_table(_dramas(result), _markets(result), cells, "drama \\ market")
    groups = _groups(result)
    caption = ("Each cell: the Resonance Index (bold) and its 90% interval (small). Markets are countries "
               "(two-letter codes) or, where a comment names no country, its language group"
               + (":" + groups if groups else "."))
    return _figure(table, charts.scale_legend(), caption)


def _genres(result: ResonanceResult, manifest: RunManifest) -> str:
    genres = genres_of(manifest)
    cells = genre_cells(result, genres)
    if not cells:
        return "<p>No genres: the dramas in this run are not in the catalog (add a genre column).</p>"
    rows = sorted({g for g, _ in cells}, key=lambda g: (-sum(v["authors"] for (gg, _), v in cells.items() if gg == g), g))
    shown = {k: {"value": v["value"], "note": count_of(v["titles"], "title")
                 if v["value"] is not None else f"{v['authors']} viewers",
                 "label": ALONE_CELL if v["value"] is None and v["alone"] else None}
             for k, v in cells.items()}
    members = "; ".join(f"{g}: " + ", ".join(sorted(d for d, gg in genres.items() if gg == g and d in result.dramas))
                        for g in rows)
    caption = ("Per genre (from the drama catalog) and market: the viewer-weighted mean Resonance Index of the "
               "genre's titles there, counting only titles with enough viewers. " + escape(members) + ".")
    return _figure(charts.heat_table(rows, _markets(result), shown, "genre \\ market"), charts.scale_legend(), caption)


def _net_sentiment(result: ResonanceResult, manifest: RunManifest) -> str:
    panels, few = [], []
    for drama in _dramas(result):
        items = []
        for c in sorted((c for c in main_cells(result) if c["drama"] == drama), key=lambda c: -c["authors"]):
            if not enough(result, c) or c["net_sentiment"] is None:
                few.append(f"{drama} · {c['region']} ({c['authors']})")
                continue
            lo, hi = net_interval(c)
            items.append({"label": f"{c['region']} ({c['authors']})", "value": c["net_sentiment"], "lo": lo, "hi": hi})
        if items:
            panels.append(charts.interval_bars(items, drama, left=140, plot_w=330, x_label="net sentiment"))
    if not panels:
        return "<p>No cells with enough viewers.</p>"
    legend = charts.legend([(charts.PALETTE[0], "net sentiment (P−N)/(P+N), −1 all negative … +1 all positive"),
                            ("#555555", "95% interval")])
    note = (f" Not enough viewers (fewer than {min_authors(result)}): {escape('; '.join(few))}." if few else "")
    caption = ("Rows: markets, with their viewer counts. The interval is the wider of the bootstrap over viewers "
               "and Wilson's on the viewer count, so a handful of viewers who agree never look certain." + note)
    return _figure(f"<div class='grid2'>{''.join(panels)}</div>", legend, caption)


def _focus(result: ResonanceResult) -> list[tuple[dict[str, Any], bool]]:
    strong, weak = extremes(result)
    return [(c, True) for c in strong] + [(c, False) for c in weak]


def _drivers(result: ResonanceResult, manifest: RunManifest) -> str:
    svgs = []
    for cell, _ in _focus(result):
        rows = [{"label": theme_word(t["theme"]), "salience": t["salience"], "net_valence": t["net_valence"]}
                for t in themes_of(result, cell)[:8]]
        if rows:
            svgs.append(charts.driver_bars(rows, f"{cell['drama']} · {cell['region']} ({cell['resonance_index']:.2f}x)"))
    if not svgs:
        if result.themes and not _focus(result):
            return f"<p>{escape(unranked_note(result, 'themes', 'tables/themes.csv'))}</p>"
        return "<p>No themes detected.</p>"
    legend = charts.legend([("#2ca02c", "mostly liked (net valence > +0.2)"), ("#d62728", "mostly disliked (< −0.2)"),
                            ("#bbbbbb", "mixed"), ("", "(number) = net valence, −1 … +1")])
    return _figure(f"<div class='grid3'>{''.join(svgs)}</div>", legend,
                   "The three strongest and three weakest cells of the summary: the share of viewers discussing "
                   "each theme and whether they liked it. All cells' themes are in tables/themes.csv.")


def _over_time(result: ResonanceResult, manifest: RunManifest) -> str:
    reach = weekly_series(result, "reach")
    volume = charts.lines(reach, "Viewers per ISO week (all markets)", "ISO week", y_min=0)
    valence = charts.lines(weekly_series(result, "valence"), "Net sentiment per ISO week (all markets)", "ISO week",
                           y_min=-1, y_max=1)
    if not volume:
        return "<p>No timestamps in the input: no weekly series.</p>"
    return _figure(f"<div class='grid2'>{volume}{valence}</div>", charts.legend(charts.series_colours(list(reach))),
                   "Weeks with no comments count zero viewers, and a viewer whose comments fall in two markets "
                   "(two languages, no country given) counts once in each market; a week with fewer than "
                   f"{min_authors(result)} viewers of a drama has no sentiment point (a gap in the line).")


def _quotes(result: ResonanceResult, manifest: RunManifest) -> str:
    out = []
    for cell, liked in _focus(result):
        every = quotes_of(result, cell, limit=10_000)
        main = "positive" if liked else "negative"
        quotes = [q for q in every if q["polarity"] == main][:3]
        quotes += [q for q in every if q["polarity"] != main][: 4 - len(quotes)]
        if not quotes:
            continue
        out.append(f"<div><h3>{escape(cell['drama'])} · {escape(cell['region'])}</h3>")
        for q in quotes:
            meta = [quote_label(q), q["polarity"], q["lang"] or "und"]
            if q.get("likes"):
                meta.append(f"{q['likes']} likes")
            out.append(f'<blockquote class="{"pos" if q["polarity"] == "positive" else "neg"}" '
                       f'lang="{escape(q["lang"] or "und")}">{escape(q["text"])}'
                       f'<br><span class="muted">{escape(" · ".join(meta))}</span></blockquote>')
        out.append("</div>")
    if not out:
        if result.quotes and not _focus(result):
            return f"<p>{escape(unranked_note(result, 'quotes', 'tables/quotes.csv'))}</p>"
        return "<p>No quotes.</p>"
    return ("<p class='muted'>The most-liked comments per theme and polarity, in several languages: mostly praise "
            "for the strongest cells, mostly complaints for the weakest. Every cell's "
            f"quotes are in tables/quotes.csv.</p><div class='grid2'>{''.join(out)}</div>")


def _cells_table(result: ResonanceResult, manifest: RunManifest) -> str:
    head = ["drama", "market", "viewers", "comments", "Resonance Index [90% CI]", "verdict",
            "net sentiment [95% CI]", "top themes"]
    rows, lone = [], alone_cells(result)
    for c in main_cells(result):
        vals = [escape(c["drama"]), escape(c["region"]), f"{c['authors']}", f"{c['comments']}"]
        if enough(result, c):
            lo, hi = net_interval(c)
            net = fmt(c["net_sentiment"], "+.2f") + (f" [{lo:+.2f}, {hi:+.2f}]" if lo is not None else "")
            ri = fmt(c["resonance_index"]) + (f" [{c['resonance_index_ci90_low']:.2f}, "
                                              f"{c['resonance_index_ci90_high']:.2f}]"
                                              if c.get("resonance_index_ci90_low") is not None else "")
            if (c["drama"], c["region"]) in lone:
                vals += [f'<span class="muted">{ALONE_CELL}</span>', "–", net]
            else:
                vals += [ri, escape(verdict(c)), net]
        else:
            vals += ['<span class="muted">not enough viewers</span>', "–", "–"]
        vals.append(escape(", ".join(c["top_themes"].split("; ")) if c["top_themes"] else "–"))
        rows.append("<tr>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    return ("<p class='muted'>Full period. Components, percentiles, weekly and first-7/28-day windows are in "
            "resonance.csv and tables/.</p><div class='scroll'><table class='wide'><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table></div>")


def _methods(result: ResonanceResult, manifest: RunManifest) -> str:
    cfg = result.config
    comp = "".join(f"<li><b>{escape(k)}</b>: {escape(v)} (index weight {cfg['weights'].get(k, 0):g})</li>"
                   for k, v in COMPONENT_DOCS.items())
    models = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in model_rows(manifest))
    return (
        "<p>Units are drama x market x window (full period, first 7 and 28 days after the first comment in "
        "that market, ISO weeks). People, not posts: each viewer (author) counts at most "
        f"{cfg['max_comments_per_author']} comments per cell; noise and duplicates are excluded. "
        f"Intervals: percentile bootstrap over viewers ({cfg['bootstrap']} resamples, seed {cfg['seed']}); "
        "shares shown here are never narrower than Wilson's interval on the viewer count. "
        "Resonance Index: each component as a multiple of the cohort median (same market and window), "
        "combined by a weighted geometric mean; shares are shrunk toward the cohort by empirical Bayes"
        f"{'' if cfg['shrinkage'] else ' (off in this run)'}. Cells with fewer than {cfg['min_authors']} "
        "viewers get no index in this report (“not enough viewers”); their numbers stay in resonance.csv, "
        "flagged small_cell.</p>"
        f"<ul>{comp}</ul><h3>Markets</h3><p class='muted'>A comment's market is the country it names (a country "
        "field, the author's profile, a regional channel) or else its language; languages spoken in many "
        f"countries give a group:</p>{_groups(result) or '<p>No language groups in this run.</p>'}"
        f"<h3>Models</h3><div class='scroll'><table>{models or '<tr><td>none recorded</td></tr>'}</table></div>"
        f"<h3>Model macro-F1 by language</h3>{_accuracy_table(manifest)}"
        "<h3>Run manifest</h3><details><summary>manifest.json</summary><pre>"
        f"{escape(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1, default=str))}</pre></details>"
    )


def _accuracy_table(manifest: RunManifest) -> str:
    rows = accuracy_rows(manifest)
    if not rows:
        return "<p class='muted'>No per-language scores recorded for these models; see the model cards in models/.</p>"
    models = sorted({m for m, _, _ in rows})
    langs = sorted({lang for _, lang, _ in rows})
    value = {(m, lang): v for m, lang, v in rows}
    head = "<tr><th>model \\ language</th>" + "".join(f"<th>{escape(lang)}</th>" for lang in langs) + "</tr>"
    body = "".join("<tr><td>" + escape(m) + "</td>" + "".join(
        f"<td class='n'>{fmt(value.get((m, lang)), '.3f')}</td>" for lang in langs) + "</tr>" for m in models)
    return ("<p class='muted'>Macro-F1 per language on each model's held-out labelled rows (their mean is the "
            f"dev macro-F1 above), as recorded by the model in this run.</p>"
            f"<div class='scroll'><table>{head}{body}</table></div>")


__all__ = ["render_html", "SECTIONS"]
