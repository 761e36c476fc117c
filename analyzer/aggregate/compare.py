"""``compare``: the difference between two dramas (or two markets) with its interval.

Each side pools its authors over the other dimension (window ``all``) by person (an author
of several of its cells is one author), components are recomputed on the pooled authors,
and the interval of the difference comes from independent bootstraps of the two sides. The Resonance Index is compared per shared
market (or per shared drama) as a ratio with its bootstrap interval, both cells' viewers and
``small_cell`` when either has fewer than ``min_authors`` (the reports show no index for it).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..lang import market_table
from .metrics import components
from .result import ResonanceResult, _bootstrap, cohort_key
from .stats import bootstrap_sums, cell_seed, one_blas_thread, percentile_interval

METRICS = ("valence", "intensity", "net_intent", "depth", "localness", "star_pull", "unmet_access",
           "positive", "negative")


def compare(result_or_rundir: Any, a: str, b: str, by: str = "drama",
            window: str = "all") -> dict[str, Any]:
    """Difference ``a - b`` between two dramas (``by="drama"``) or two regions (``by="region"``) of an
    ``analyzer.analyze`` Result, a run folder or a ResonanceResult."""
    result = _as_result(result_or_rundir)
    if by not in ("drama", "region"):
        raise ConfigError(f"The 'by' parameter of compare must be 'drama' or 'region'. Got {by!r} instead.")
    pos = 0 if by == "drama" else 1
    known = result.dramas if by == "drama" else result.regions
    if by == "region":
        a, b = _market_in_run(a, known), _market_in_run(b, known)
    if a == b:
        raise ConfigError(f"A and B are the same {by} ({a!r}); give two different ones to compare.")
    for name in (a, b):
        if name not in known:
            raise ConfigError(f"No {by} {name!r} in this run;{_closest(name, known)} choose one of: {', '.join(known)}.")
    side_a = [k for k in result.tables if k[pos] == a and k[2] == window]
    side_b = [k for k in result.tables if k[pos] == b and k[2] == window]
    for name, side in ((a, side_a), (b, side_b)):
        if not side:
            raise ConfigError(f"{by} {name!r} has no comments in window {window!r}; choose one of: "
                              f"{', '.join(result.windows)}.")
    out: dict[str, Any] = {"by": by, "a": a, "b": b, "window": window, "level": 0.95, "metrics": {}}
    draws = result.config["bootstrap"] or 500
    seed = result.config["seed"]
    with one_blas_thread():  # as in build_result: same draws, less CPU
        sa, na = _pooled_samples(result, side_a, draws, cell_seed(seed, "compare", by, a))
        sb, nb = _pooled_samples(result, side_b, draws, cell_seed(seed, "compare", by, b))
        index_ratios = _index_ratios(result, side_a, side_b, pos)
    out["authors"] = {"a": na, "b": nb}
    for m in METRICS:
        va, vb = float(sa[m][0]), float(sb[m][0])
        lo, hi = percentile_interval(sa[m][1:] - sb[m][1:], 0.95)
        out["metrics"][m] = {"a": _f(va), "b": _f(vb), "difference": _f(va - vb), "ci_low": lo, "ci_high": hi}
    out["metrics"]["net_sentiment"] = out["metrics"]["valence"]
    out["resonance_index"] = index_ratios
    return out


def _market_in_run(name: str, known: list[str]) -> str:
    """'Indonesia' -> the run's 'ID': a market named by one of its aliases in the market table
    (``analyzer/lang/markets.csv``) when the run has it under its code; else ``name`` as given."""
    code = None if name in known else market_table().market_named(name)
    return code if code in known else name


def _closest(name: str, known: list[str]) -> str:
    """" did you mean 'The Untamed'?" for a name that differs from one in the run by case or a slip."""
    folded = {k.casefold(): k for k in known}
    match = folded.get(name.casefold()) or next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.8)), None)
    return f" did you mean {match!r}?" if match else ""


def _as_result(obj: ResonanceResult | str | Path) -> ResonanceResult:
    """The numbers to compare: a ResonanceResult, the one an ``analyzer.analyze`` Result holds (its
    ``.result``; duck-typed, as the api layer sits above this one) or a run folder's."""
    if isinstance(obj, ResonanceResult):
        return obj
    if isinstance(getattr(obj, "result", None), ResonanceResult):
        return obj.result
    if not isinstance(obj, (str, os.PathLike)):
        raise ConfigError(f"compare takes a Result of analyzer.analyze, a run folder or a ResonanceResult. "
                          f"Got {type(obj).__name__} instead.")
    from .rundir import result_from_run

    return result_from_run(Path(obj))


def _pooled_samples(result: ResonanceResult, keys: list, draws: int, seed: int) -> tuple[dict, int]:
    """Point estimate (row 0) and bootstrap samples (rows 1..) of every metric on the side's
    people: an author of several of its cells is one author, resampled once."""
    c, a = result.tables.people(keys)
    n = c.shape[0]
    point = components(c.sum(axis=0), a.sum(axis=0))  # exact, as a cell's
    c, a = c.astype(np.float32), a.astype(np.float32)  # resampled as a cell's tables are
    parts = [point] + [components(*sums) for sums in bootstrap_sums(c, a, draws, seed)]
    return {m: np.concatenate([p[m] for p in parts]) for m in METRICS}, n


def _index_ratios(result: ResonanceResult, side_a: list, side_b: list, pos: int) -> list[dict[str, Any]]:
    """RI of a / RI of b in each shared market (or for each shared drama), with 95% interval."""
    other = 1 - pos
    by_other_b = {k[other]: k for k in side_b}
    cells = {(c["drama"], c["region"], c["window"]): c for c in result.cells}
    rows = []
    for ka in sorted(side_a):
        kb = by_other_b.get(ka[other])
        if kb is None:
            continue
        ra, rb = cells[ka]["resonance_index"], cells[kb]["resonance_index"]
        da = _bootstrap(result.tables[ka], ka, result.params[cohort_key(ka, result.config)], result.config)
        db = _bootstrap(result.tables[kb], kb, result.params[cohort_key(kb, result.config)], result.config)
        lo = hi = None
        if da is not None and db is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = percentile_interval(da["resonance_index"] / db["resonance_index"], 0.95)
        ratio = ra / rb if ra is not None and rb else None
        na, nb = cells[ka]["authors"], cells[kb]["authors"]
        rows.append({"region" if pos == 0 else "drama": ka[other], "a": ra, "b": rb,
                     "ratio": ratio, "ci_low": lo, "ci_high": hi, "authors": {"a": na, "b": nb},
                     "small_cell": min(na, nb) < result.config["min_authors"]})
    return rows


def _f(x: float) -> float | None:
    return x if np.isfinite(x) else None
