"""What both reports show, chosen once: main cells, headlines, drivers, quotes, series."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..aggregate.accumulator import iso_week, week_start
from ..aggregate.result import ResonanceResult

MAX_CELLS = 12  # cells given their own driver map / theme bars / quotes

COMPONENT_DOCS = {
    "reach": "unique authors in the cell",
    "valence": "net sentiment (P-N)/(P+N) over comments, each author's weight capped",
    "intensity": "share of comments that are strongly positive",
    "net_intent": ("share of authors with watch/binge/completed/rewatch/recommend/waiting intent "
                   "minus share who dropped"),
    "depth": ("share of theme-discussing authors who discuss content (story, characters, romance, "
              "production, music, culture, pacing)"),
    "localness": "share of comments (known language) written in the region's own language",
    "star_pull": "authors who mention cast/fandom but not story/characters, among those mentioning either",
    "unmet_access": "share of authors asking where to watch or negative about access/subtitles",
}


def main_cells(result: ResonanceResult) -> list[dict[str, Any]]:
    """Cells of the full period, largest first."""
    cells = [c for c in result.cells if c["window"] == "all"]
    return sorted(cells, key=lambda c: (-c["authors"], c["drama"], c["region"]))


def focus_cells(result: ResonanceResult) -> list[dict[str, Any]]:
    return main_cells(result)[:MAX_CELLS]


def themes_of(result: ResonanceResult, cell: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [t for t in result.themes
            if (t["drama"], t["region"], t["window"]) == (cell["drama"], cell["region"], cell["window"])]
    return sorted(rows, key=lambda t: (-t["salience"], t["theme"]))


MAX_QUOTES = 12  # quotes shown per cell in the reports (all are in tables/quotes.*)


def quotes_of(result: ResonanceResult, cell: dict[str, Any], limit: int = MAX_QUOTES) -> list[dict[str, Any]]:
    """The cell's quotes by theme (most salient first) x polarity, each comment shown once."""
    mine = [q for q in result.quotes if (q["drama"], q["region"]) == (cell["drama"], cell["region"])]
    order = [t["theme"] for t in themes_of(result, cell)] + ["(any)"]
    rank = {t: i for i, t in enumerate(order)}
    mine.sort(key=lambda q: (rank.get(q["theme"], len(order)), q["polarity"] != "positive", q["rank"]))
    seen, out = set(), []
    for q in mine:
        if q["id"] not in seen:
            seen.add(q["id"])
            out.append(q)
    return out[:limit]


def headline(result: ResonanceResult, cell: dict[str, Any]) -> str:
    """'In VN, Drama resonates 1.80x a typical title (90% CI 1.40-2.30), driven by romance and
    music, held back by subtitles.' (plain text; callers escape)."""
    ri = cell["resonance_index"]
    text = f"In {cell['region']}, {cell['drama']} "
    if ri is None:
        text += "has no Resonance Index (too little signal)"
    else:
        text += f"resonates {ri:.2f}x a typical title"
        if cell.get("resonance_index_ci90_low") is not None:
            text += f" (90% CI {cell['resonance_index_ci90_low']:.2f}-{cell['resonance_index_ci90_high']:.2f})"
    themes = themes_of(result, cell)
    strengths = [t["theme"] for t in themes if t["quadrant"] == "strength"][:2]
    liabilities = [t["theme"] for t in themes
                   if t["quadrant"] == "liability" and (t["net_valence"] or 0) < 0][:2]
    if strengths:
        text += ", driven by " + " and ".join(strengths)
    if liabilities:
        text += ", held back by " + " and ".join(liabilities)
    text += f"; {cell['authors']} authors"
    if "small_cell" in (cell.get("flags") or ""):
        text += " (small cell: read with care)"
    return text + "."


def weekly_series(result: ResonanceResult, metric: str, top: int = 8) -> dict[str, list[tuple[str, float | None]]]:
    """``drama -> [(ISO week, value)]`` over all markets, for the dramas with most authors."""
    size: dict[str, int] = {}
    for c in main_cells(result):
        size[c["drama"]] = size.get(c["drama"], 0) + c["authors"]
    dramas = sorted(size, key=lambda d: (-size[d], d))[:top]
    weeks = all_weeks([w for w in result.windows if "-W" in w])
    series: dict[str, list[tuple[str, float | None]]] = {}
    for drama in dramas:
        for week in weeks:
            point = result.pooled(drama=drama, window=week)
            value = point.get(metric) if point else (0 if metric == "reach" else None)
            series.setdefault(drama, []).append((week, value))
    return series


def all_weeks(weeks: list[str]) -> list[str]:
    """Every ISO week from the first to the last of ``weeks`` (gaps filled)."""
    if not weeks:
        return []
    start, end = min(map(week_start, weeks)), max(map(week_start, weeks))
    out = []
    while start <= end:
        out.append(iso_week(start.toordinal()))
        start += timedelta(days=7)
    return out


def fmt(x: Any, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def fmt_ci(cell: dict[str, Any], name: str, spec: str = ".2f", level: str = "ci") -> str:
    lo, hi = cell.get(f"{name}_{level}_low"), cell.get(f"{name}_{level}_high")
    if lo is None or hi is None:
        return fmt(cell.get(name), spec)
    return f"{fmt(cell.get(name), spec)} [{lo:{spec}}, {hi:{spec}}]"
