"""The Resonance Index: each component as a multiple of its cohort median, combined by
a weighted geometric mean (1.0x = a typical title in that market and window).

Signed components are first put on a 0..1 "higher is better" scale: valence and net
intent as (1 + x) / 2, unmet access as 1 - x. Shares are compared with a small
offset (``EPS``) so a zero share is a small multiple, not minus infinity. With
shrinkage on, each share is first pulled toward its cohort mean by empirical Bayes
(``stats.eb_prior``), so a cell of five authors cannot top the table by luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .stats import eb_prior

EPS = 0.01
# The index is rounded to this many decimals: numpy's log and exp take other code paths on
# other CPUs (AVX-512 or not) and differ there in the last bit, which the rounding hides, so
# the same run gives the same indices and intervals on a laptop, a server and a Ray cluster.
INDEX_DECIMALS = 6
TIERS = ((0.8, "top"), (0.6, "high"), (0.4, "typical"), (0.2, "low"), (0.0, "bottom"))


@dataclass
class CohortParams:
    priors: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (mean, strength)
    medians: dict[str, float] = field(default_factory=dict)


def positive_scale(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if name in ("valence", "net_intent"):
        return (1 + x) / 2
    if name == "unmet_access":
        return 1 - x
    return x


def adjusted(name: str, x: np.ndarray, n: float, params: CohortParams) -> np.ndarray:
    """A component on the positive scale, shrunk toward the cohort when a prior is set."""
    y = positive_scale(name, x)
    prior = params.priors.get(name)
    if prior is None or name == "reach":
        return y
    mu, m = prior
    return (n * y + m * mu) / (n + m)


def cohort_params(points: list[dict[str, float]], weights: dict[str, float], shrinkage: bool,
                  strength: float | None) -> CohortParams:
    """Priors and medians of one cohort from its cells' point estimates (with ``reach``)."""
    params = CohortParams()
    sizes = [p["reach"] for p in points]
    for name in weights:
        if name == "reach" or not shrinkage:
            continue
        pairs = [(positive_scale(name, p[name]), n) for p, n in zip(points, sizes) if np.isfinite(p[name])]
        if pairs:
            vals, ns = zip(*pairs)
            params.priors[name] = eb_prior([float(v) for v in vals], list(ns), fixed=strength)
    for name in weights:
        vals = [float(adjusted(name, p[name], p["reach"], params)) for p in points]
        vals = [v for v in vals if np.isfinite(v)]
        params.medians[name] = float(np.median(vals)) if vals else float("nan")
    return params


def index_of(comps: dict[str, np.ndarray], n: float, params: CohortParams,
             weights: dict[str, float]) -> np.ndarray:
    """Resonance Index (vectorized over bootstrap draws) from raw components."""
    log_sum = 0.0
    weight_sum = 0.0
    for name, w in weights.items():
        med = params.medians.get(name, float("nan"))
        if w <= 0 or not np.isfinite(med):
            continue
        eps = 0.0 if name == "reach" else EPS
        x = adjusted(name, comps[name], n, params)
        ok = np.isfinite(x) & (x + eps > 0) & (med + eps > 0)
        ratio = np.where(ok, (np.where(ok, x, 0) + eps) / (med + eps), 1.0)
        log_sum = log_sum + np.where(ok, w * np.log(ratio), 0.0)
        weight_sum = weight_sum + np.where(ok, w, 0.0)
    weight_sum = np.asarray(weight_sum, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(weight_sum > 0, np.exp(log_sum / np.where(weight_sum > 0, weight_sum, 1)), np.nan)
    return np.round(index, INDEX_DECIMALS)


def percentile_rank(value: float, cohort: list[float]) -> float | None:
    """Mid-rank percentile of ``value`` among the cohort's values (0..1)."""
    vals = [v for v in cohort if v is not None and np.isfinite(v)]
    if value is None or not np.isfinite(value) or not vals:
        return None
    below = sum(v < value for v in vals)
    equal = sum(v == value for v in vals)
    return (below + 0.5 * equal) / len(vals)


def tier_of(rank: float | None) -> str | None:
    if rank is None:
        return None
    for cut, name in TIERS:
        if rank >= cut:
            return name
    return TIERS[-1][1]
