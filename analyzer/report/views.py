"""What both reports show, chosen once: main cells, ranked headlines with their reasons,
honest intervals, genre x market, market groups, model accuracy, quotes, series."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..aggregate.accumulator import UNKNOWN_REGION, UNLINKED, iso_week, week_start
from ..aggregate.result import ResonanceResult
from ..aggregate.stats import net_wilson_floor
from ..errors import ConfigError
from ..io.catalog import bundled, read_catalog_rows
from ..lang import market_table
from ..manifest import RunManifest

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


def themes_of(result: ResonanceResult, cell: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [t for t in result.themes
            if (t["drama"], t["region"], t["window"]) == (cell["drama"], cell["region"], cell["window"])]
    return sorted(rows, key=lambda t: (-t["salience"], t["theme"]))


ONLY_ONE_RANKED = "Only one drama x market has enough viewers to rank: the one above."
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


def min_authors(result: ResonanceResult) -> int:
    return int(result.config.get("min_authors", 1))


def enough(result: ResonanceResult, cell: dict[str, Any]) -> bool:
    """Whether a cell has the configured minimum of authors (else: "not enough viewers")."""
    return cell["authors"] >= min_authors(result) and cell.get("resonance_index") is not None


ALONE = ("Each drama x market with enough viewers is the only drama in its market with an index: the "
         "Resonance Index compares a drama with the other titles in the same market, so alone it reads 1.00x "
         "by construction and nothing is ranked; analyse it together with other dramas to rank it.")


ALONE_CELL = "—, only drama in this market"  # what a report shows for such a cell's index


def alone_cells(result: ResonanceResult) -> set[tuple[str, str]]:
    """(drama, market) of full-period cells with enough viewers but no other drama with an index in their
    market: such an index is its own market median, 1.00x by construction, so the reports show none."""
    shared = _shared_markets(main_cells(result))
    return {(c["drama"], c["region"]) for c in main_cells(result)
            if enough(result, c) and (c["region"], c["cohort"]) not in shared}


def count_of(n: int, noun: str) -> str:
    """'1 drama', '7 dramas': a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def unranked_note(result: ResonanceResult, what: str, table: str) -> str:
    """Why a section about the ranked cells is empty while the run has ``what`` (themes, quotes)."""
    if any(enough(result, c) for c in main_cells(result)):
        return f"{ALONE} Every cell's {what} are in {table}."
    return (f"No drama x market has the {min_authors(result)} viewers needed to be shown here; "
            f"every cell's {what} are in {table}.")


def verdict(cell: dict[str, Any]) -> str:
    """"above typical" / "below typical" only when the 90% interval clears 1.00x; else "typical"."""
    lo, hi = cell.get("resonance_index_ci90_low"), cell.get("resonance_index_ci90_high")
    ri = cell.get("resonance_index")
    if ri is None:
        return "no index"
    if lo is None or hi is None:
        return "typical" if 0.95 <= ri <= 1.05 else ("above typical" if ri > 1 else "below typical")
    lo, hi = round(lo, 2), round(hi, 2)  # as printed: "0.71-1.00" never reads "below typical"
    return "above typical" if lo > 1 else ("below typical" if hi < 1 else "typical")


def ranked(result: ResonanceResult) -> list[dict[str, Any]]:
    """Full-period cells with enough viewers in a market where another drama has an index too (alone, a
    drama is its market's median: 1.00x by construction), strongest Resonance Index first."""
    lone = alone_cells(result)
    cells = [c for c in main_cells(result) if enough(result, c) and (c["drama"], c["region"]) not in lone]
    return sorted(cells, key=lambda c: (-c["resonance_index"], c["drama"], c["region"]))


def _shared_markets(cells: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(market, cohort) pairs where at least two dramas have a Resonance Index."""
    dramas: dict[tuple[str, str], set[str]] = {}
    for c in cells:
        if c.get("resonance_index") is not None:
            dramas.setdefault((c["region"], c["cohort"]), set()).add(c["drama"])
    return {market for market, names in dramas.items() if len(names) > 1}


def extremes(result: ResonanceResult, k: int = 3) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(strongest k, weakest k) cells, one per drama where there are enough dramas, so the
    headline is not one title three times; the two lists never share a cell."""
    cells = ranked(result)
    k = min(k, len(cells) // 2) if len(cells) > 1 else len(cells)
    strong = _distinct(cells, k)
    weak = _distinct([c for c in reversed(cells) if c not in strong], k) if len(cells) > 1 else []
    return strong, weak


def _distinct(cells: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """The first ``k`` cells of distinct dramas, topped up in order when there are too few dramas."""
    out, seen = [], set()
    for c in cells:
        if len(out) < k and c["drama"] not in seen:
            out.append(c)
            seen.add(c["drama"])
    out += [c for c in cells if c not in out][: k - len(out)]
    return out


THEME_WORDS = {
    "access": "where to watch", "fandom": "the cast's fandom",
    "production": "production values", "comparison": "comparisons with other dramas",
    "values": "values", "culture": "culture and history",
}


def theme_word(theme: str, liked: bool | None = None) -> str:
    """A theme in plain words; ``intent`` reads by polarity (binge-watching vs dropping it)."""
    if theme == "intent":
        return {True: "binge-watching, wanting more", False: "viewers dropping it"}.get(liked, "intent to watch")
    return THEME_WORDS.get(theme, theme)


def quote_label(quote: dict[str, Any]) -> str:
    """What a quote is about, in plain words: its theme read with its polarity, or "overall"."""
    if quote["theme"] == "(any)":
        return "overall"
    return theme_word(quote["theme"], {"positive": True, "negative": False}.get(quote["polarity"]))


def drivers(result: ResonanceResult, cell: dict[str, Any], liked: bool, k: int = 2) -> list[str]:
    """The themes that lift (``liked``) or hold back a cell: salience x net valence, strongest first."""
    sign = 1 if liked else -1
    rows = [t for t in themes_of(result, cell) if (t["net_valence"] or 0) * sign > 0]
    rows.sort(key=lambda t: (-t["salience"] * abs(t["net_valence"]), t["theme"]))
    return [t["theme"] for t in rows[:k]]


def quote_for(result: ResonanceResult, cell: dict[str, Any], liked: bool, themes: list[str],
              limit: int = 140) -> dict[str, Any] | None:
    """A short quote of the right polarity (as a whole comment first), about one of ``themes`` when
    there is one."""
    polarity = "positive" if liked else "negative"
    mine = [q for q in result.quotes if (q["drama"], q["region"], q["polarity"]) == (cell["drama"], cell["region"], polarity)]
    overall = {q["id"] for q in mine if q["theme"] == "(any)"}  # the whole comment has that polarity too
    quotes = sorted(mine, key=lambda q: (q["id"] not in overall, q["theme"] not in themes, len(q["text"]) > limit,
                                         -(q["likes"] or 0), q["id"]))
    if not quotes:
        return None
    q = dict(quotes[0])
    q["short"] = q["text"] if len(q["text"]) <= limit else q["text"][: limit - 1].rstrip() + "…"
    return q


def headline(result: ResonanceResult, cell: dict[str, Any]) -> str:
    """'Hidden Love in LATAM+ES: 1.54x a typical title there (90% CI 1.42-1.64), above typical;
    viewers praise romance and music.' (plain text; callers escape)."""
    where = f"{cell['drama']} in {cell['region']}"
    if not enough(result, cell):
        return f"{where}: not enough viewers ({cell['authors']} of the {min_authors(result)} needed)."
    text = f"{where}: {cell['resonance_index']:.2f}x a typical title there"
    if cell.get("resonance_index_ci90_low") is not None:
        text += f" (90% CI {cell['resonance_index_ci90_low']:.2f}-{cell['resonance_index_ci90_high']:.2f})"
    text += f", {verdict(cell)}; {cell['authors']} viewers"
    liked, disliked = drivers(result, cell, True), drivers(result, cell, False)
    if liked:
        text += "; they praise " + " and ".join(theme_word(t, True) for t in liked)
    if disliked:
        text += ("; but " if liked else "; they ") + "complain about " + " and ".join(
            theme_word(t, False) for t in disliked)
    return text + "."


def net_interval(cell: dict[str, Any], level: str = "ci") -> tuple[float | None, float | None]:
    """Net sentiment interval, never narrower than Wilson's on the cell's authors
    (``stats.net_wilson_floor``; results built by ``aggregate.result`` already are)."""
    lo, hi = cell.get(f"net_sentiment_{level}_low"), cell.get(f"net_sentiment_{level}_high")
    pos, neg = cell.get("positive"), cell.get("negative")
    if pos is None or neg is None or not cell.get("authors"):
        return lo, hi
    return net_wilson_floor(lo, hi, cell["authors"], pos, neg, 0.95 if level == "ci" else 0.90)


def market_notes(regions: list[str]) -> list[tuple[str, str]]:
    """(region, what it holds) for the regions that are not countries: the market table's groups
    (their notes live in ``analyzer/lang/markets.csv``), then markets kept as named (a country
    field with no ISO country, a channel, the region stage's ``languages``)."""
    groups = market_table().notes()
    out = [(r, groups[r]) for r in regions if r in groups]
    out += [(r, "kept as named (a country field, channel or language setting that is not an ISO country)")
            for r in regions if r not in groups and not (len(r) == 2 and r.isupper())]
    return out


def genres_of(manifest: RunManifest) -> dict[str, str]:
    """drama title -> genre from the run's drama catalog(s) (the shipped one when none is recorded)."""
    paths: list[str] = []
    link = manifest.stage("link")
    if link is not None:
        cat = link.settings.get("catalog")
        paths += [cat] if isinstance(cat, str) else [str(p) for p in cat or []]
    out: dict[str, str] = {}
    for path in paths or [bundled("dramas.csv")]:
        try:
            rows = read_catalog_rows(path, "drama catalog", "catalog", "drama_id,title,genre")
        except (ConfigError, OSError):
            continue
        for row in rows:
            if row.get("title") and (row.get("genre") or "").strip():
                out[row["title"].strip()] = row["genre"].strip()
    return out


def genre_cells(result: ResonanceResult, genres: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(genre, region) -> authors-weighted mean Resonance Index of the genre's titles there.

    Only cells with enough viewers in a market shared with another drama count; ``titles`` and
    ``authors`` say how much stands behind it, ``alone`` whether a title was left out as its market's only one.
    """
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    lone = alone_cells(result)
    for c in main_cells(result):
        genre = genres.get(c["drama"])
        if genre is None:
            continue
        slot = acc.setdefault((genre, c["region"]),
                              {"weight": 0.0, "sum": 0.0, "titles": 0, "authors": 0, "alone": False})
        slot["authors"] += c["authors"]
        slot["alone"] |= (c["drama"], c["region"]) in lone
        if enough(result, c) and (c["drama"], c["region"]) not in lone:
            slot["weight"] += c["authors"]
            slot["sum"] += c["authors"] * c["resonance_index"]
            slot["titles"] += 1
    return {k: {"value": v["sum"] / v["weight"] if v["weight"] else None, "titles": v["titles"],
                "authors": v["authors"], "alone": v["alone"]} for k, v in acc.items()}


def named(result: ResonanceResult) -> tuple[list[str], list[str]]:
    """(dramas, markets) of the run without the '(unlinked)' row (comments of no drama) and the '(unknown)'
    column (comments of no market): what the facts line counts."""
    return ([d for d in result.dramas if d != UNLINKED], [r for r in result.regions if r != UNKNOWN_REGION])


def accuracy_rows(manifest: RunManifest) -> list[tuple[str, str, float]]:
    """(model, language, macro-F1) from the stages' held-out scores recorded in the manifest."""
    out = []
    for s in manifest.stages:
        table = s.accuracy_per_language or {}
        out += [(str(s.backend or s.stage), str(lang), float(v)) for lang, v in sorted(table.items())
                if isinstance(v, (int, float))]
    return out


def model_rows(manifest: RunManifest) -> list[tuple[str, str]]:
    """(stage, backend and its dev score) for every stage that runs a model."""
    out = []
    for s in manifest.stages:
        if s.backend:
            score = f" (dev macro-F1 {s.dev_macro_f1_mean:.3f})" if isinstance(s.dev_macro_f1_mean, float) else ""
            out.append((s.stage, f"{s.backend}{score}"))
    return out


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
            if metric != "reach" and point and point.get("reach", 0) < min_authors(result):
                value = None  # too few viewers that week for a sentiment
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
