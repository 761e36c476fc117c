"""Inline SVG charts and HTML heat tables (no JavaScript, no external files). Every label is
escaped; every chart comes with a legend (``legend``) and axis numbers; SVGs scale down
to their container (viewBox) so the page never scrolls sideways."""

from __future__ import annotations

import math
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, anchor: str = "start", size: int = 11, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>'
            f"{escape(str(s))}</text>")


def diverging_colour(ri: float | None) -> str:
    """Red below 1.0x, white at 1.0x, green above (log2 scale, saturating at 0.5x / 2x)."""
    if ri is None or ri <= 0:
        return "#eeeeee"
    t = max(-1.0, min(1.0, math.log2(ri)))
    if t >= 0:
        r, g, b = 255 - int(t * 180), 255 - int(t * 60), 255 - int(t * 180)
    else:
        r, g, b = 255 + int(t * 40), 255 + int(t * 170), 255 + int(t * 170)
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_table(rows: list[str], cols: list[str], cells: dict[tuple[str, str], dict], corner: str,
               empty: str = "not enough viewers") -> str:
    """A heat table: ``cells[(row, col)]`` has ``value`` (a multiple, or None when there are too few
    viewers) and optional ``lo``/``hi``/``note``, and ``label`` for a cell without a value (else ``empty``).
    Missing pairs are blank."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in cols)
    body = []
    for row in rows:
        tds = []
        for col in cols:
            c = cells.get((row, col))
            if c is None:
                tds.append('<td class="na"></td>')
            elif c.get("value") is None:
                text = c.get("label") or empty
                tds.append(f'<td class="few" title="{escape(c.get("note") or text)}">{escape(text)}</td>')
            else:
                ci = f'<br><small>{c["lo"]:.2f}–{c["hi"]:.2f}</small>' if c.get("lo") is not None else ""
                note = f'<br><small>{escape(c["note"])}</small>' if c.get("note") else ""
                tds.append(f'<td style="background:{diverging_colour(c["value"])}">'
                           f'<b>{c["value"]:.2f}x</b>{ci}{note}</td>')
        body.append(f'<tr><th scope="row">{escape(row)}</th>{"".join(tds)}</tr>')
    width = 10.5 + 4.3 * len(cols)  # em: below it a phone scrolls the table instead of overprinting numbers
    return (f'<div class="scroll"><table class="heat" style="min-width:{width:g}em"><thead>'
            f'<tr><th scope="col">{escape(corner)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def legend(items: list[tuple[str, str]], title: str = "") -> str:
    """An HTML legend: ``items`` are (CSS colour or "" for none, label)."""
    keys = "".join(f'<span class="key"><i style="background:{escape(c)}"></i>{escape(t)}</span>' if c else
                   f'<span class="key">{escape(t)}</span>' for c, t in items)
    return f'<div class="legend">{"<b>" + escape(title) + "</b> " if title else ""}{keys}</div>'


def scale_legend() -> str:
    """The heat tables' colour scale, from 0.5x to 2x, and the grey "not enough viewers"."""
    return legend([(diverging_colour(v), f"{v:g}x") for v in (0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 2.0)]
                  + [("#eeeeee", "not enough viewers")], "Resonance Index:")


def heatmap(rows: list[str], cols: list[str], cells: dict[tuple[str, str], dict], title: str) -> str:
    """SVG heatmap for notebooks (the reports use ``heat_table``): ``cells[(row, col)]`` has
    value, lo, hi, small (bool)."""
    left = 20 + 7 * min(max((len(r) for r in rows), default=8), 32)
    cw = max(80, 12 + 7 * min(max((len(c) for c in cols), default=6), 18))
    top, ch = 60, 42
    width, height = left + cw * len(cols) + 10, top + ch * len(rows) + 30
    body = [_text(left, 18, title, size=13, extra='font-weight="bold"')]
    for j, col in enumerate(cols):
        body.append(_text(left + cw * j + cw / 2, top - 8, _short(col, 18), "middle"))
    for i, row in enumerate(rows):
        y = top + ch * i
        body.append(_text(left - 6, y + ch / 2 + 4, _short(row, 32), "end"))
        for j, col in enumerate(cols):
            x = left + cw * j
            c = cells.get((row, col))
            value = c["value"] if c else None
            body.append(f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" '
                        f'fill="{diverging_colour(value)}" stroke="#ffffff"/>')
            if c is None:
                continue
            label = "–" if value is None else f"{value:.2f}x" + ("*" if c.get("small") else "")
            body.append(_text(x + cw / 2, y + 17, label, "middle", 12, 'font-weight="bold"'))
            if c.get("lo") is not None:
                body.append(_text(x + cw / 2, y + 31, f"{c['lo']:.2f}–{c['hi']:.2f}", "middle", 9))
    body.append(_text(left, height - 8, "* fewer authors than the minimum (interpreted with care)", size=9))
    return _svg(width, height, body, title)


def interval_bars(items: list[dict], title: str, lo_axis: float = -1.0, hi_axis: float = 1.0,
                  left: int = 230, plot_w: int = 420, x_label: str = "") -> str:
    """Horizontal dot-and-whisker chart: items have label, value, lo, hi, small."""
    top, row_h = 40, 22
    height = top + row_h * len(items) + 30 + (14 if x_label else 0)
    width = left + plot_w + 60
    sx = lambda v: left + (v - lo_axis) / (hi_axis - lo_axis) * plot_w  # noqa: E731
    body = [_text(left, 18, title, size=13, extra='font-weight="bold"')]
    for tick in _ticks(lo_axis, hi_axis):
        x = sx(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 26 - (14 if x_label else 0)}" '
                    f'stroke="{"#444" if tick == 0 else "#ddd"}"/>')
        body.append(_text(x, height - 12 - (14 if x_label else 0), f"{tick:+g}" if tick else "0", "middle", 9))
    if x_label:
        body.append(_text(left + plot_w / 2, height - 6, x_label, "middle", 10))
    for i, it in enumerate(items):
        y = top + row_h * i + row_h / 2
        body.append(_text(left - 6, y + 4, _short(it["label"], 36), "end"))
        if it.get("lo") is not None and it.get("hi") is not None:
            body.append(f'<line x1="{sx(_clip(it["lo"], lo_axis, hi_axis)):.1f}" y1="{y:.1f}" '
                        f'x2="{sx(_clip(it["hi"], lo_axis, hi_axis)):.1f}" y2="{y:.1f}" stroke="#555" stroke-width="2"/>')
        if it.get("value") is not None:
            fill = "#ffffff" if it.get("small") else PALETTE[0]
            body.append(f'<circle cx="{sx(_clip(it["value"], lo_axis, hi_axis)):.1f}" cy="{y:.1f}" r="5" '
                        f'fill="{fill}" stroke="{PALETTE[0]}" stroke-width="2"/>')
            body.append(_text(left + plot_w + 8, y + 4, f"{it['value']:+.2f}", size=10))
    return _svg(width, height, body, title)


def driver_bars(rows: list[dict], title: str, x_max: float | None = None) -> str:
    """Themes of one cell: bar = share of its viewers who discuss the theme (x axis, %),
    colour = their net valence (green liked, red disliked, grey mixed); ``rows`` have
    theme, salience, net_valence."""
    left, top, row_h, w = 150, 30, 20, 230
    hi = x_max or max([r["salience"] for r in rows] + [0.1])
    hi = min(1.0, math.ceil(hi * 5 - 1e-9) / 5)  # 20%, 40%, ... so the quarter ticks are round
    height = top + row_h * len(rows) + 34
    body = [_text(4, 16, title, size=12, extra='font-weight="bold"')]
    for k in range(5):
        v = hi * k / 4
        x = left + w * k / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 30}" stroke="#e3e3e3"/>')
        body.append(_text(x, height - 18, f"{v:.0%}", "middle", 9))
    body.append(_text(left + w / 2, height - 4, "share of the cell's viewers", "middle", 10))
    for i, r in enumerate(rows):
        y = top + row_h * i
        colour = valence_colour(r.get("net_valence"))
        width = max(r["salience"], 0) / hi * w
        body.append(_text(left - 6, y + 13, _short(r["label"], 24), "end", 10))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" fill="{colour}"/>')
        val = r.get("net_valence")
        body.append(_text(left + width + 4, y + 13, f"{r['salience']:.0%}" + ("" if val is None else f" ({val:+.2f})"),
                          size=9))
    return _svg(left + w + 80, height, body, title)


def valence_colour(v: float | None) -> str:
    if v is None:
        return "#bbbbbb"
    return "#2ca02c" if v > 0.2 else ("#d62728" if v < -0.2 else "#bbbbbb")


def lines(series: dict[str, list[tuple[str, float | None]]], title: str, y_label: str,
          y_min: float | None = None, y_max: float | None = None) -> str:
    """Line chart over ordered x labels (e.g. ISO weeks): ``series[name] = [(x, y), ...]``."""
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ys = [y for pts in series.values() for _, y in pts if y is not None]
    if not xs or not ys:
        return ""
    lo = min(ys) if y_min is None else y_min
    hi = max(ys) if y_max is None else y_max
    hi = hi if hi > lo else lo + 1
    if y_max is None:  # a round top, so the four steps are round numbers
        step = nice_step((hi - lo) / 4)
        hi = lo + 4 * step
    left, top, w, h = 50, 30, 520, 180
    sx = lambda i: left + (i / max(len(xs) - 1, 1)) * w  # noqa: E731
    sy = lambda v: top + (1 - (v - lo) / (hi - lo)) * h  # noqa: E731
    body = [_text(left, 16, title, size=12, extra='font-weight="bold"'),
            f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
            _text(left + w / 2, top + h + 30, y_label, "middle", 10)]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        body.append(f'<line x1="{left}" y1="{sy(v):.1f}" x2="{left + w}" y2="{sy(v):.1f}" stroke="#eee"/>')
        body.append(_text(left - 4, sy(v) + 3, f"{v:g}", "end", 9))
    if lo < 0 < hi:
        body.append(f'<line x1="{left}" y1="{sy(0):.1f}" x2="{left + w}" y2="{sy(0):.1f}" stroke="#999"/>')
    step = max(1, len(xs) // 8)
    for i, x in enumerate(xs):
        if i % step == 0:
            body.append(_text(sx(i), top + h + 14, x, "middle", 9))
    for k, (name, pts) in enumerate(sorted(series.items())):
        colour = PALETTE[k % len(PALETTE)]
        coords = [(sx(xs.index(x)), sy(y)) for x, y in sorted(pts) if y is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords)
    return _svg(left + w + 30, top + h + 40, body, title)  # 30: room for half a centred week label


def series_colours(names: list[str]) -> list[tuple[str, str]]:
    """(colour, name) in the order ``lines`` draws them, for the legend."""
    return [(PALETTE[k % len(PALETTE)], name) for k, name in enumerate(sorted(names))]


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least ``raw``."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)


def _ticks(lo: float, hi: float) -> list[float]:
    step = (hi - lo) / 4
    return [round(lo + step * i, 6) for i in range(5)]


def _clip(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _short(s: str, n: int) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"
