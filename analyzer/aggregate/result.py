"""``ResonanceResult``: every cell (drama x region x window) with its components,
intervals, Resonance Index and tier, the theme driver map, and quotes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import COMPONENTS
from ..schema import THEMES
from .accumulator import OVERALL, window_order
from .index import CohortParams, cohort_params, index_of, percentile_rank, tier_of
from .metrics import author_tables, components
from .state import by_content, concat, reduce_rows, sort_rows
from .stats import (bootstrap_sums, cell_seed, correct_shares, one_blas_thread, net_wilson_floor, percentile_intervals,
                    poisson_interval, share_wilson_floor)

SHARES = ("positive", "neutral", "negative")
QUADRANTS = {(True, True): "strength", (True, False): "liability", (False, True): "latent", (False, False): "noise"}

Key = tuple[str, str, str]
# (shares, map function): ``build_result``'s passes split into that many shares, mapped by it
Spread = tuple[int, Callable[[Callable[[Any], Any], list[Any]], list[Any]]]
# A cell's bootstrap costs about its authors plus this many (its components, index and intervals
# over the draws): the second pass's shares are balanced by it
CELL_COST = 300.0


@dataclass
class ResonanceResult:
    """The numbers of a run. ``cells`` are flat dicts (one per drama x region x window)."""

    cells: list[dict[str, Any]]
    themes: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    config: dict[str, Any]
    tables: Mapping[Key, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    sums: dict[Key, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    params: dict[tuple, CohortParams] = field(default_factory=dict, repr=False)

    def to_rows(self) -> list[dict[str, Any]]:
        """Rows of ``resonance.csv``: one per drama x region x window."""
        return [dict(c) for c in self.cells]

    def theme_rows(self) -> list[dict[str, Any]]:
        return [dict(t) for t in self.themes]

    def quote_rows(self) -> list[dict[str, Any]]:
        return [dict(q) for q in self.quotes]

    def cell(self, drama: str, region: str, window: str = "all") -> dict[str, Any] | None:
        for c in self.cells:
            if (c["drama"], c["region"], c["window"]) == (drama, region, window):
                return c
        return None

    def pooled(self, drama: str | None = None, region: str | None = None, window: str = "all") -> dict[str, Any]:
        """Point components over every cell matching ``drama``/``region`` (None = any) in ``window``.

        Authors are pooled by stacking the cells' author rows (an author active in two
        markets counts in both). Returns ``{}`` when no cell matches.
        """
        keys = [k for k in self.sums if k[2] == window and drama in (None, k[0]) and region in (None, k[1])]
        if not keys:
            return {}
        c = np.sum([self.sums[k][0] for k in keys], axis=0)
        a = np.sum([self.sums[k][1] for k in keys], axis=0)
        return {k: _clean(v[0]) for k, v in components(c, a).items()}

    @property
    def windows(self) -> list[str]:
        return sorted({k[2] for k in self.tables}, key=window_order)

    @property
    def dramas(self) -> list[str]:
        return sorted({c["drama"] for c in self.cells})

    @property
    def regions(self) -> list[str]:
        return sorted({c["region"] for c in self.cells})


def cohort_key(key: Key, config: dict[str, Any]) -> tuple[str, str, str]:
    """Same region and window; the group is the configured genre/episode grouping or "all"."""
    drama, region, window = key
    groups = config["cohort"] or {}
    return (region, window, str(groups.get(drama, "all")))


class AuthorTables(Mapping):
    """(drama, region, window) -> (C, A) float32 author tables, computed on demand from the
    accumulator's compact state (``Windows``), so a result never holds every cell's
    author rows at once (they would be ~230 bytes per author x window)."""

    def __init__(self, windows: Any, keys: list[Key], cap: int) -> None:
        self._windows, self._keys, self._cap = windows, keys, cap
        self._index = set(keys)

    def __getitem__(self, key: Key) -> tuple[np.ndarray, np.ndarray]:
        if key not in self._index:
            raise KeyError(key)
        c, a = author_tables(self._windows.pair(key[0], key[1])[key], self._cap)
        return c.astype(np.float32), a.astype(np.float32)  # for resampling: half the memory

    def people(self, keys: list[Key]) -> tuple[np.ndarray, np.ndarray]:
        """(C, A) tables of the cells ``keys`` joined by person: an author of several of them is
        one row (counts summed, then capped, and flags or-ed, as a cell does with its author's days)."""
        parts = [self._windows.pair(k[0], k[1])[k] for k in keys]
        rows = by_content(reduce_rows(sort_rows(concat(parts)), by_day=False))
        return author_tables(rows, self._cap)  # float64: their column sums are the point estimate

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def build_result(windows: Any, excluded: dict[str, dict[tuple[str, str], int]],
                 quote_candidates: dict[tuple, list[dict]], config: dict[str, Any],
                 lang_counts: dict[Key, dict[str, np.ndarray]] | None = None,
                 progress: Any = None, spread: Spread | None = None) -> ResonanceResult:
    """Every cell from per-author rows; ``excluded`` counts noise/duplicates per drama x region.

    ``windows`` (``accumulator.Windows``) yields the author rows of one drama x region at a
    time and gives them again by ``pair(drama, region)``: a first pass computes the point
    estimates (the cohorts need all of them), a second the bootstrap intervals (``progress``,
    when given, wraps the list of cells of that second pass, e.g. in a progress bar).
    ``spread`` (shares, map function) splits each pass into that many shares of pairs / cells,
    mapped by the function (e.g. on other processes); each cell's draws are seeded by the
    cell and the shares are joined in the one-process order, so the result is the same."""
    cap = config["max_comments_per_author"]
    shares, map_shares = spread or (1, serial_map)
    sums, points, raw = _first_pass(windows, cap, shares, map_shares)
    keys = sorted(sums, key=lambda k: (k[0], k[1], window_order(k[2])))
    tables = AuthorTables(windows, keys, cap)
    members: dict[tuple, list[Key]] = {}
    for key in keys:
        members.setdefault(cohort_key(key, config), []).append(key)
    weights = config["weights"]
    params = {
        ck: cohort_params([points[k] for k in ks], weights, config["shrinkage"], config["shrinkage_strength"])
        for ck, ks in members.items()
    }
    index = {k: float(index_of(_arrays(points[k]), points[k]["reach"], params[cohort_key(k, config)], weights)[0])
             for k in keys}
    facts = {k: (cohort_key(k, config), params[cohort_key(k, config)], points[k], raw[k], index[k],
                 percentile_rank(index[k], [index[j] for j in members[cohort_key(k, config)]])) for k in keys}
    cell_shares = _pair_shares(keys, {k: points[k]["reach"] + CELL_COST for k in keys}, shares)
    cell_shares[0] = progress(cell_shares[0]) if progress is not None else cell_shares[0]
    rows_of = functools.partial(_cell_rows, tables, facts, excluded, lang_counts or {}, config)
    made = {key: rows for share in map_shares(rows_of, cell_shares) for key, rows in share.items()}
    cells = [made[key][0] for key in keys]
    themes = [row for key in keys for row in made[key][1]]
    quotes = _select_quotes(quote_candidates, config["quotes_per_slot"])
    return ResonanceResult(cells, themes, quotes, config, tables, sums, params)


def serial_map(fn: Callable[[Any], Any], shares: list[Any]) -> list[Any]:
    """``build_result``'s map function in one process."""
    return [fn(share) for share in shares]


def split_by_size(items: list[Any], sizes: list[float], parts: int) -> list[list[Any]]:
    """``items`` in ``parts`` shares of about equal total size (largest first, each to the
    lightest share), each share in ``items``' order; no empty share."""
    parts = max(1, min(parts, len(items)))
    loads, owner = [0.0] * parts, [0] * len(items)
    for i in sorted(range(len(items)), key=lambda i: -sizes[i]):
        owner[i] = loads.index(min(loads))
        loads[owner[i]] += sizes[i]
    return [[item for item, o in zip(items, owner) if o == part] for part in range(parts)]


def _pair_shares(keys: list[Key], sizes: dict[Key, float], shares: int) -> list[list[Key]]:
    """``keys`` in ``shares`` shares by ``split_by_size``, a drama x region's windows all in one
    share (a process computes the pair's author rows once for all of them)."""
    pairs: dict[tuple[str, str], list[Key]] = {}
    for key in keys:
        pairs.setdefault(key[:2], []).append(key)
    groups = split_by_size(list(pairs.values()), [sum(sizes[k] for k in group) for group in pairs.values()], shares)
    return [[key for group in share for key in group] for share in groups]


def _first_pass(windows: Any, cap: int, shares: int, map_shares: Callable) -> tuple[dict, dict, dict]:
    """(column sums, point components, (comments, likes)) of every cell, keyed in the order
    one process finds them (pair by pair), whatever the shares."""
    pairs = windows.pairs()
    found = {}
    for share in map_shares(functools.partial(_points, windows, cap),
                            split_by_size(pairs, [windows.size(p) for p in pairs], shares)):
        found.update(share)
    sums, points, raw = {}, {}, {}
    for pair in pairs:
        for key, s, point, counts in found[pair]:
            sums[key], points[key], raw[key] = s, point, counts
    return sums, points, raw


def _points(windows: Any, cap: int, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """pair -> [(key, (column sums of C, of A), point components, (comments, likes))] of each
    of its windows, in ``windows``' order: the first pass of ``build_result``."""
    out = {}
    for pair in pairs:
        cells = out[pair] = []
        for key, rows in windows.pair(*pair).items():
            c, a = author_tables(rows, cap)
            sums = (c.sum(axis=0), a.sum(axis=0))  # exact, in float64
            point = {k: float(v[0]) for k, v in components(*sums).items()}
            cells.append((key, sums, point, (int(rows.counts[:, 0].sum()), int(rows.likes.sum()))))
    return out


def _cell_rows(tables: Mapping[Key, tuple[np.ndarray, np.ndarray]], facts: dict[Key, tuple], excluded: dict,
               lang_counts: dict[Key, dict[str, np.ndarray]], config: dict[str, Any],
               keys: Iterable[Key]) -> dict[Key, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """key -> (its row of resonance.csv, its theme rows), bootstrap intervals included: the
    second pass of ``build_result`` (``facts``: key -> cohort key, cohort params, point
    components, (comments, likes), index, index percentile)."""
    out = {}
    with one_blas_thread():  # small products: BLAS threads cost more than they save
        for key in keys:
            ck, params, point, raw, index, rank = facts[key]
            samples = _bootstrap(tables[key], key, params, config)
            draws = percentile_intervals(samples) if samples is not None else None
            row = _cell_row(key, ck, point, raw, index, rank, draws, excluded, config)
            if config["confusion"] is not None:
                row.update(corrected_shares(lang_counts.get(key, {}), config["confusion"]))
            out[key] = (row, _theme_rows(key, point, draws))
    return out


def _arrays(point: dict[str, float]) -> dict[str, np.ndarray]:
    return {k: np.array([v]) for k, v in point.items()}


def _bootstrap(tables: tuple[np.ndarray, np.ndarray], key: Key, params: CohortParams,
               config: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """Bootstrap samples over authors of every component and the index (None when off)."""
    c, a = tables
    n = c.shape[0]
    if config["bootstrap"] <= 0 or n < 2:
        return None
    parts: list[dict[str, np.ndarray]] = []
    for sums in bootstrap_sums(c, a, config["bootstrap"], cell_seed(config["seed"], *key)):
        comps = components(*sums)
        comps["resonance_index"] = index_of(comps, float(n), params, config["weights"])
        parts.append(comps)
    if len(parts) == 1:  # one chunk of draws (cells under ~4,000 authors): nothing to join
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _interval(name: str, value: float, draws: dict | None, level: float) -> tuple[float | None, float | None]:
    """``draws`` here are precomputed intervals (``stats.percentile_intervals``)."""
    if name == "reach":
        return poisson_interval(value, level)
    if draws is None or not np.isfinite(value):
        return None, None
    return draws[name][level]


def _with_ci(row: dict[str, Any], name: str, column: str, value: float, draws: dict | None) -> None:
    row[column] = _clean(value)
    for level, suffix in ((0.95, "ci"), (0.90, "ci90")):
        lo, hi = _interval(name, value, draws, level)
        row[f"{column}_{suffix}_low"], row[f"{column}_{suffix}_high"] = _clean(lo), _clean(hi)


def _cell_row(key: Key, ck: tuple, point: dict[str, float], raw: tuple[int, int], index: float,
              rank: float | None, draws: dict | None, excluded: dict, config: dict) -> dict[str, Any]:
    drama, region, window = key
    authors = int(point["reach"])
    row: dict[str, Any] = {
        "drama": drama, "region": region, "window": window, "cohort": ck[2],
        "comments": raw[0], "authors": authors,
        "noise_comments": excluded["noise"].get((drama, region), 0) if window == "all" else None,
        "duplicate_comments": excluded["duplicates"].get((drama, region), 0) if window == "all" else None,
        "likes": raw[1],
    }
    for s in SHARES:
        row[s] = _clean(point[s])
    _with_ci(row, "valence", "net_sentiment", point["valence"], draws)
    if np.isfinite(point["valence"]):
        _wilson_floor(row, point, authors)
    _with_ci(row, "resonance_index", "resonance_index", index, draws)
    row["index_percentile"] = _clean(rank)
    row["tier"] = tier_of(rank)
    for name in COMPONENTS:
        _with_ci(row, name, name, point[name], draws)
    row["reach"] = authors
    row["top_themes"] = "; ".join(top_themes(point, config["top_themes"]))
    flags = []
    if authors < config["min_authors"]:
        flags.append("small_cell")
    if not np.isfinite(point["valence"]):
        flags.append("no_polar_comments")
    row["flags"] = ";".join(flags)
    return row


def _wilson_floor(row: dict[str, Any], point: dict[str, float], authors: int) -> None:
    """Net-sentiment intervals never narrower than Wilson's on the cell's polar authors (the
    whole interval where the bootstrap gives none: one author, or ``bootstrap = 0``)."""
    for level, suffix in ((0.95, "ci"), (0.90, "ci90")):
        low, high = f"net_sentiment_{suffix}_low", f"net_sentiment_{suffix}_high"
        lo, hi = net_wilson_floor(row[low], row[high], authors, point["positive"], point["negative"], level)
        row[low], row[high] = _clean(lo), _clean(hi)


def corrected_shares(by_lang: dict[str, np.ndarray], confusion: dict[str, Any]) -> dict[str, Any]:
    """Sentiment shares corrected for classifier error, language by language (comment-level).

    ``confusion[lang]`` (or ``confusion["*"]``) is a 3x3 matrix, rows true and columns
    predicted (negative, neutral, positive); languages without one stay as observed.
    """
    total = np.zeros(3)
    for lang, counts in by_lang.items():
        n = counts.sum()
        matrix = confusion.get(lang, confusion.get("*"))
        total += n * (correct_shares(counts / n, np.asarray(matrix)) if matrix is not None and n else counts / max(n, 1))
    n = total.sum()
    neg, neu, pos = (total / n) if n else (np.nan,) * 3
    return {"positive_corrected": _clean(pos), "neutral_corrected": _clean(neu), "negative_corrected": _clean(neg),
            "net_sentiment_corrected": _clean((pos - neg) / (pos + neg)) if n and pos + neg > 0 else None}


def top_themes(point: dict[str, float], k: int) -> list[str]:
    ranked = sorted((-point[f"salience:{t}"], t) for t in THEMES if point[f"salience:{t}"] > 0)
    return [t for _, t in ranked[:k]]


def _theme_rows(key: Key, point: dict[str, float], draws: dict | None) -> list[dict[str, Any]]:
    """The driver map of one cell: salience x net valence per theme, with quadrants."""
    present = [t for t in THEMES if point[f"salience:{t}"] > 0]
    if not present:
        return []
    cut = float(np.median([point[f"salience:{t}"] for t in present]))
    rows = []
    for t in present:
        sal, val = point[f"salience:{t}"], point[f"theme_valence:{t}"]
        row = {"drama": key[0], "region": key[1], "window": key[2], "theme": t,
               "authors": int(round(sal * point["reach"]))}
        _with_ci(row, f"salience:{t}", "salience", sal, draws)
        _with_ci(row, f"theme_valence:{t}", "net_valence", val, draws)
        _theme_wilson_floor(row, sal, val, int(point["reach"]))
        row["quadrant"] = QUADRANTS[(sal >= cut, bool(np.isfinite(val) and val > 0))]
        rows.append(row)
    return rows


def _theme_wilson_floor(row: dict[str, Any], sal: float, val: float, reach: int) -> None:
    """A theme's share never narrower than Wilson's on the cell's viewers, its net valence never
    narrower than Wilson's on the theme's viewers (two viewers who both liked it get no [1, 1]),
    as ``_wilson_floor`` does for a cell's net sentiment; every format reads these bounds."""
    for level, suffix in ((0.95, "ci"), (0.90, "ci90")):
        low, high = f"salience_{suffix}_low", f"salience_{suffix}_high"
        lo, hi = share_wilson_floor(row[low], row[high], reach, sal, level)
        row[low], row[high] = _clean(lo), _clean(hi)
        if np.isfinite(val) and row["authors"]:
            low, high = f"net_valence_{suffix}_low", f"net_valence_{suffix}_high"
            lo, hi = net_wilson_floor(row[low], row[high], row["authors"], (1 + val) / 2, (1 - val) / 2, level)
            row[low], row[high] = _clean(lo), _clean(hi)


def _select_quotes(candidates: dict[tuple, list[dict]], per_slot: int) -> list[dict[str, Any]]:
    """Per slot, the most liked candidates with different languages first (diverse), then the rest."""
    out = []
    for slot in sorted(candidates):
        cands = candidates[slot]
        chosen, langs = [], set()
        for c in cands:
            if c["lang"] not in langs:
                chosen.append(c)
                langs.add(c["lang"])
        chosen = (chosen + [c for c in cands if c not in chosen])[:per_slot]
        chosen.sort(key=lambda c: (-c["likes"], c["id"]))
        drama, region, theme, polarity = slot
        for rank, c in enumerate(chosen, 1):
            out.append({"drama": drama, "region": region, "theme": "(any)" if theme == OVERALL else theme,
                        "polarity": polarity, "rank": rank, **c})
    return out


def _clean(x: Any) -> Any:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None
