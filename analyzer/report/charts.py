"""Inline SVG charts (no JavaScript, no external files). Every label is escaped."""

from __future__ import annotations

import math
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
QUADRANT_COLOURS = {"strength": "#2ca02c", "liability": "#d62728", "latent": "#1f77b4", "noise": "#999999"}


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


def heatmap(rows: list[str], cols: list[str], cells: dict[tuple[str, str], dict], title: str) -> str:
    """RI heatmap: ``cells[(row, col)]`` has value, lo, hi, small (bool)."""
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


def interval_bars(items: list[dict], title: str, lo_axis: float = -1.0, hi_axis: float = 1.0) -> str:
    """Horizontal dot-and-whisker chart: items have label, value, lo, hi, small."""
    left, top, row_h, plot_w = 230, 40, 22, 420
    height = top + row_h * len(items) + 30
    width = left + plot_w + 60
    sx = lambda v: left + (v - lo_axis) / (hi_axis - lo_axis) * plot_w  # noqa: E731
    body = [_text(left, 18, title, size=13, extra='font-weight="bold"')]
    for tick in _ticks(lo_axis, hi_axis):
        x = sx(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 26}" '
                    f'stroke="{"#444" if tick == 0 else "#ddd"}"/>')
        body.append(_text(x, height - 12, f"{tick:g}", "middle", 9))
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


def quadrant(points: list[dict], title: str) -> str:
    """Driver map: x = salience (share of authors), y = net valence; points have label, x, y, quadrant."""
    size, pad = 300, 40
    xmax = max([p["x"] for p in points] + [0.05]) * 1.1
    sx = lambda v: pad + v / xmax * size  # noqa: E731
    sy = lambda v: pad + (1 - (v + 1) / 2) * size  # noqa: E731
    cut = points[0].get("cut", xmax / 2) if points else xmax / 2
    body = [_text(pad, 16, title, size=12, extra='font-weight="bold"'),
            f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#999"/>',
            f'<line x1="{pad}" y1="{sy(0):.1f}" x2="{pad + size}" y2="{sy(0):.1f}" stroke="#bbb"/>',
            f'<line x1="{sx(cut):.1f}" y1="{pad}" x2="{sx(cut):.1f}" y2="{pad + size}" stroke="#bbb" stroke-dasharray="4"/>',
            _text(pad + size - 4, pad + 12, "strengths", "end", 10, 'fill="#2ca02c"'),
            _text(pad + size - 4, pad + size - 6, "liabilities", "end", 10, 'fill="#d62728"'),
            _text(pad + 4, pad + 12, "latent", size=10, extra='fill="#1f77b4"'),
            _text(pad + 4, pad + size - 6, "noise", size=10, extra='fill="#999"'),
            _text(pad + size / 2, pad + size + 28, "salience (share of authors)", "middle", 10),
            _text(12, pad + size / 2, "net valence", "middle", 10,
                  f'transform="rotate(-90 12 {pad + size / 2:.0f})"')]
    for v in (-1, 0, 1):
        body.append(_text(pad - 4, sy(v) + 4, f"{v:+d}" if v else "0", "end", 9))
    placed: list[tuple[float, float]] = []
    for p in sorted((p for p in points if p.get("y") is not None), key=lambda p: (-p["y"], p["x"])):
        x, y = sx(p["x"]), sy(p["y"])
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{QUADRANT_COLOURS.get(p["quadrant"], "#555")}"/>')
        ly = y + 4
        while any(abs(ly - py) < 11 and abs(x - px) < 70 for px, py in placed):
            ly += 11  # dodge labels of nearby points
        placed.append((x, ly))
        body.append(_text(x + 7, ly, p["label"], size=10))
    return _svg(size + 2 * pad + 70, size + 2 * pad + 10, body, title)


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
    left, top, w, h = 50, 30, 520, 180
    sx = lambda i: left + (i / max(len(xs) - 1, 1)) * w  # noqa: E731
    sy = lambda v: top + (1 - (v - lo) / (hi - lo)) * h  # noqa: E731
    body = [_text(left, 16, title, size=12, extra='font-weight="bold"'),
            f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
            _text(left - 4, top + 8, f"{hi:.2g}", "end", 9), _text(left - 4, top + h, f"{lo:.2g}", "end", 9),
            _text(left + w / 2, top + h + 30, y_label, "middle", 10)]
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
        body.append(_text(left + w + 8, top + 12 + 14 * k, _short(name, 30), size=10, extra=f'fill="{colour}"'))
    return _svg(left + w + 200, top + h + 40, body, title)


def bars(items: list[tuple[str, float, str]], title: str) -> str:
    """Horizontal bars of shares (0..1): items are (label, value, colour)."""
    left, top, row_h, w = 110, 28, 18, 260
    height = top + row_h * len(items) + 8
    body = [_text(left, 16, title, size=12, extra='font-weight="bold"')]
    for i, (label, value, colour) in enumerate(items):
        y = top + row_h * i
        body.append(_text(left - 6, y + 12, label, "end", 10))
        body.append(f'<rect x="{left}" y="{y + 2}" width="{max(value, 0) * w:.1f}" height="{row_h - 5}" fill="{colour}"/>')
        body.append(_text(left + max(value, 0) * w + 4, y + 12, f"{value:.0%}", size=9))
    return _svg(left + w + 50, height, body, title)


def _ticks(lo: float, hi: float) -> list[float]:
    step = (hi - lo) / 4
    return [round(lo + step * i, 6) for i in range(5)]


def _clip(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _short(s: str, n: int) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"
