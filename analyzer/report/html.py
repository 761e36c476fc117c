"""``render_html``: one self-contained page (inline CSS and SVG, no scripts, no network).

All comment text and every name from the data is escaped with ``html.escape``.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..aggregate.result import COMPONENTS, ResonanceResult
from . import charts
from .views import COMPONENT_DOCS, fmt, fmt_ci, focus_cells, headline, main_cells, quotes_of, themes_of, weekly_series

SECTIONS = (
    ("summary", "Summary"),
    ("heatmap", "Resonance Index by drama and market"),
    ("net-sentiment", "Net sentiment by drama and market"),
    ("drivers", "Drivers: what lifts and what holds back"),
    ("over-time", "Sentiment and volume over time"),
    ("themes", "Themes"),
    ("quotes", "What viewers said"),
    ("cells", "All cells"),
    ("methods", "Methods"),
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.45;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1em}.muted{color:#777;font-size:.85em}
blockquote{margin:.3em 0;padding:.3em .8em;border-left:3px solid #ccc;background:#fafafa;white-space:pre-wrap}
.pos{border-left-color:#2ca02c}.neg{border-left-color:#d62728}nav a{margin-right:1em}
"""


def render_html(result: ResonanceResult, manifest: dict[str, Any] | None = None) -> str:
    manifest = manifest or {}
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Resonance report</title>", f"<style>{CSS}</style></head><body>",
        "<h1>Resonance report</h1>",
        "<nav>" + "".join(f'<a href="#{sid}">{escape(t)}</a>' for sid, t in SECTIONS) + "</nav>",
    ]
    builders = {
        "summary": _summary, "heatmap": _heatmap, "net-sentiment": _net_sentiment, "drivers": _drivers,
        "over-time": _over_time, "themes": _themes, "quotes": _quotes, "cells": _cells_table,
        "methods": _methods,
    }
    for sid, title in SECTIONS:
        parts.append(f'<section id="{sid}"><h2>{escape(title)}</h2>')
        parts.append(builders[sid](result, manifest))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    cells = main_cells(result)
    counts = manifest.get("counts") or {}
    facts = [f"{len(result.dramas)} dramas", f"{len(result.regions)} markets",
             f"{sum(c['comments'] for c in cells)} scored comments",
             f"{sum(c['noise_comments'] or 0 for c in cells)} noise comments excluded"]
    facts += [f"{escape(str(k))}: {escape(str(v))}" for k, v in counts.items() if not isinstance(v, dict)]
    items = "".join(f"<li>{escape(headline(result, c))}</li>" for c in focus_cells(result))
    return (f'<p class="muted">{" · ".join(escape(f) for f in facts)}</p>'
            f"<ul>{items or '<li>No comments to report.</li>'}</ul>")


def _heatmap(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    cells = {(c["drama"], c["region"]): {"value": c["resonance_index"], "lo": c["resonance_index_ci90_low"],
                                         "hi": c["resonance_index_ci90_high"],
                                         "small": "small_cell" in (c["flags"] or "")}
             for c in main_cells(result)}
    if not cells:
        return "<p>No cells.</p>"
    svg = charts.heatmap(result.dramas, result.regions, cells, "Resonance Index, full period (90% CI)")
    return (f"{svg}<p class='muted'>1.00x = the cohort median (same market and window). "
            "Green above, red below; tiers come from cohort percentiles.</p>")


def _net_sentiment(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    items = [{"label": f"{c['drama']} · {c['region']}", "value": c["net_sentiment"],
              "lo": c["net_sentiment_ci_low"], "hi": c["net_sentiment_ci_high"],
              "small": "small_cell" in (c["flags"] or "")}
             for c in sorted(main_cells(result), key=lambda c: (c["drama"], c["region"]))]
    if not items:
        return "<p>No cells.</p>"
    return (charts.interval_bars(items, "Net sentiment (P-N)/(P+N), 95% CI") +
            "<p class='muted'>Hollow dots: cells with fewer authors than the minimum.</p>")


def _drivers(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    svgs = []
    for cell in focus_cells(result):
        rows = themes_of(result, cell)
        if not rows:
            continue
        sal = sorted(t["salience"] for t in rows)
        cut = sal[len(sal) // 2] if len(sal) % 2 else (sal[len(sal) // 2 - 1] + sal[len(sal) // 2]) / 2
        pts = [{"label": t["theme"], "x": t["salience"], "y": t["net_valence"], "quadrant": t["quadrant"],
                "cut": cut} for t in rows]
        svgs.append(charts.quadrant(pts, f"{cell['drama']} · {cell['region']}"))
    if not svgs:
        return "<p>No themes detected.</p>"
    return ("<p class='muted'>Strengths: much-discussed and liked; liabilities: much-discussed and disliked; "
            "latent: liked but rarely discussed; noise: rarely discussed and not liked.</p>"
            f"<div class='grid'>{''.join(svgs)}</div>")


def _over_time(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    volume = charts.lines(weekly_series(result, "reach"), "Authors per ISO week (all markets)", "week", y_min=0)
    valence = charts.lines(weekly_series(result, "valence"), "Net sentiment per ISO week (all markets)", "week",
                           y_min=-1, y_max=1)
    if not volume:
        return "<p>No timestamps in the input: no weekly series.</p>"
    return f"<div class='grid'>{volume}{valence}</div>"


def _themes(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    svgs = []
    for cell in focus_cells(result):
        rows = themes_of(result, cell)
        if rows:
            items = [(t["theme"], t["salience"], charts.QUADRANT_COLOURS[t["quadrant"]]) for t in rows]
            svgs.append(charts.bars(items, f"{cell['drama']} · {cell['region']}: share of authors"))
    return f"<div class='grid'>{''.join(svgs)}</div>" if svgs else "<p>No themes detected.</p>"


def _quotes(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    out = []
    for cell in focus_cells(result):
        quotes = quotes_of(result, cell)
        if not quotes:
            continue
        out.append(f"<h3>{escape(cell['drama'])} · {escape(cell['region'])}</h3>")
        for q in quotes:
            cls = "pos" if q["polarity"] == "positive" else "neg"
            lang = escape(q["lang"] or "und")
            meta = f"{q['theme']} · {q['polarity']} · {q['likes']} likes · {q['author'] or 'anonymous'} · {q['lang'] or 'und'}"
            out.append(f'<blockquote class="{cls}" lang="{lang}">{escape(q["text"])}'
                       f'<br><span class="muted">{escape(meta)}</span></blockquote>')
    return "".join(out) or "<p>No quotes.</p>"


def _cells_table(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    head = ["drama", "region", "authors", "comments", "RI [90% CI]", "tier"] + list(COMPONENTS[1:]) + \
        ["top themes", "flags"]
    rows = []
    for c in main_cells(result):
        vals = [escape(c["drama"]), escape(c["region"]), f"{c['authors']}", f"{c['comments']}",
                escape(fmt_ci(c, "resonance_index", level="ci90")), escape(c["tier"] or "–")]
        vals += [escape(fmt_ci(c, name)) for name in COMPONENTS[1:]]
        vals += [escape(c["top_themes"]), escape(c["flags"])]
        rows.append("<tr>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    return ("<p class='muted'>Full period; components with 95% bootstrap intervals. Weekly and first-7/28-day "
            "windows are in resonance.csv and tables/.</p><div style='overflow-x:auto'><table><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table></div>")


def _methods(result: ResonanceResult, manifest: dict[str, Any]) -> str:
    cfg = result.config
    comp = "".join(f"<li><b>{escape(k)}</b>: {escape(v)} (index weight {cfg['weights'].get(k, 0):g})</li>"
                   for k, v in COMPONENT_DOCS.items())
    model_rows = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(_short_json(v))}</td></tr>"
                         for k, v in _model_entries(manifest))
    acc = _accuracy_table(manifest)
    return (
        "<p>Units are drama x market x window (full period, first 7 and 28 days after the first comment in "
        "that market, ISO weeks). People, not posts: each author counts at most "
        f"{cfg['max_comments_per_author']} comments per cell; noise and duplicates are excluded. "
        f"Intervals: percentile bootstrap over authors ({cfg['bootstrap']} resamples, seed {cfg['seed']}). "
        "Resonance Index: each component as a multiple of the cohort median (same market and window), "
        "combined by a weighted geometric mean; shares are shrunk toward the cohort by empirical Bayes"
        f"{'' if cfg['shrinkage'] else ' (off in this run)'}. Cells with fewer than {cfg['min_authors']} "
        "authors are flagged, not hidden.</p>"
        f"<ul>{comp}</ul><h3>Models</h3><table>{model_rows or '<tr><td>none recorded</td></tr>'}</table>"
        f"<h3>Model accuracy by language</h3>{acc}"
        "<h3>Run manifest</h3><details><summary>manifest.json</summary><pre>"
        f"{escape(json.dumps(manifest, ensure_ascii=False, indent=1, default=str))}</pre></details>"
    )


def _model_entries(manifest: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, description) of the models and stages recorded in the manifest."""
    out: list[tuple[str, Any]] = []
    models = manifest.get("models") or {}
    out += list(models.items()) if isinstance(models, dict) else [(str(i), m) for i, m in enumerate(models)]
    for stage in manifest.get("stages") or []:
        if isinstance(stage, dict):
            out.append((str(stage.get("stage", stage.get("name", "stage"))), stage))
    return out


def _accuracy_table(manifest: dict[str, Any]) -> str:
    rows = []
    for path, table in _find_accuracy(manifest):
        for lang, value in sorted(table.items()):
            rows.append(f"<tr><td>{escape(path)}</td><td>{escape(str(lang))}</td>"
                        f"<td class='n'>{escape(fmt(value, '.3f') if isinstance(value, (int, float)) else str(value))}</td></tr>")
    if not rows:
        return "<p class='muted'>No per-language accuracy recorded in the manifest; see the model cards in models/.</p>"
    return "<table><tr><th>model</th><th>language</th><th>accuracy</th></tr>" + "".join(rows) + "</table>"


def _find_accuracy(obj: Any, path: str = "") -> list[tuple[str, dict]]:
    """(path, {lang: value}) for every dict under a key containing 'accuracy' or 'per_language'."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            here = f"{path}.{k}" if path else str(k)
            if isinstance(v, dict) and ("accuracy" in str(k) or "per_language" in str(k)) and v and \
                    all(not isinstance(x, (dict, list)) for x in v.values()):
                found.append((path or str(k), v))
            else:
                found.extend(_find_accuracy(v, here))
    return found


def _short_json(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= 300 else s[:299] + "…"
