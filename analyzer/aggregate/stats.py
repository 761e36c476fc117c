"""Small statistics: bootstrap over authors, Wilson and Poisson intervals,
empirical-Bayes shrinkage, and correction of shares for classifier error."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import numpy as np

Z = {0.90: 1.6448536269514722, 0.95: 1.959963984540054}
LEVELS = (0.90, 0.95)
_MAX_CELLS_PER_CHUNK = 2_000_000  # bootstrap weight-matrix entries built at once (sets the random stream: keep)
_COUNT_ENTRIES = 65_536  # of those, counted at once (memory only: any value gives the same weights)


def one_blas_thread() -> AbstractContextManager:
    """BLAS held to one thread while bootstrapping: the per-cell products are small
    (draws x authors by authors x ~35), and a threaded BLAS spends 10-30x their CPU time
    starting and spinning its threads (measured: 0.13 ms vs 1-4 ms CPU per 500x180 product
    on 2 cores). One thread also makes the sums' order, so the intervals, the same on
    every machine. Without threadpoolctl (a core dependency) BLAS keeps its own setting."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with the package
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def cell_seed(seed: int, *key: str) -> int:
    """A deterministic per-cell seed (independent of the order cells are processed)."""
    return (int(seed) * 1_000_003 + zlib.crc32("\x1f".join(key).encode("utf-8"))) % (2**32)


def bootstrap_weights(n: int, draws: int, seed: int) -> Iterator[np.ndarray]:
    """Chunks of Poisson(1) bootstrap weights (draws x n): how often each of ``n`` authors is drawn.

    The Poisson bootstrap approximates resampling ``n`` authors with replacement and lets
    the number of authors vary too, so the Resonance Index interval carries reach's noise.
    Drawn as a Poisson(n) total per resample, spread uniformly over the authors (the same
    distribution as independent Poisson(1) counts, and several times faster to draw).
    A chunk's picks are drawn and counted a few resamples at a time (``_count_picks``), so
    its temporaries stay small beside the chunk itself; the random stream is the same.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_CELLS_PER_CHUNK // max(n, 1))
    done = 0
    while done < draws:
        size = min(chunk, draws - done)
        totals = rng.poisson(n, size=size)
        yield _count_picks(rng, totals, n)
        done += size


def bootstrap_sums(c: np.ndarray, a: np.ndarray, draws: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(w @ c, w @ a)`` for each chunk ``w`` of ``bootstrap_weights(len(c), draws, seed)``. A
    chunk (up to 8 MB) is dropped before the next is drawn: a caller's loop variable would
    hold it while the generator builds the next one, two chunks at once."""
    for w in bootstrap_weights(c.shape[0], draws, seed):
        sums = (w @ c, w @ a)
        del w
        yield sums


def _pick_dtype(n: int) -> type:
    """int32 picks while ``n`` fits: half the bytes of the picks, and the same numbers from the
    same stream (numpy draws both from 32-bit words below 2^32)."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _count_picks(rng: np.random.Generator, totals: np.ndarray, n: int) -> np.ndarray:
    """resamples x n float32 counts of picks of ``n`` authors drawn from ``rng`` (resample i
    owns the next ``totals[i]`` picks), drawn and counted ``_COUNT_ENTRIES`` matrix entries at a
    time. The picks are the ones one call for the whole chunk would draw: numpy's bounded
    integers take the generator's 32-bit words one pick at a time, so calls in a row continue
    the same stream (the chunk's ~2 M picks, 8 MB, are never held at once)."""
    out = np.empty((len(totals), n), dtype=np.float32)
    rows = max(1, _COUNT_ENTRIES // max(n, 1))
    dtype = _pick_dtype(n)
    for r0 in range(0, len(totals), rows):
        r1 = min(len(totals), r0 + rows)
        picks = rng.integers(0, n, size=int(totals[r0:r1].sum()), dtype=dtype)
        ids = picks + np.repeat(np.arange(r1 - r0) * n, totals[r0:r1])
        out[r0:r1] = np.bincount(ids, minlength=(r1 - r0) * n).reshape(r1 - r0, n)
    return out


def percentile_interval(samples: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval, ignoring resamples where the statistic is undefined."""
    s = samples[np.isfinite(samples)]
    if s.size < 10:
        return None, None
    a = (1 - level) / 2
    lo, hi = np.quantile(s, [a, 1 - a])
    return float(lo), float(hi)


def percentile_intervals(draws: dict[str, np.ndarray]) -> dict[str, dict[float, tuple]]:
    """Both levels' percentile intervals for every statistic at once (undefined draws ignored).

    Same as ``numpy.nanquantile`` (linear interpolation), vectorized over statistics.
    """
    names = list(draws)
    mat = np.sort(np.column_stack([draws[n] for n in names]), axis=0)  # nan sorts last
    finite = np.isfinite(mat).sum(axis=0)
    qs = np.array([(1 - lv) / 2 for lv in LEVELS] + [1 - (1 - lv) / 2 for lv in LEVELS])
    pos = qs[:, None] * np.maximum(finite - 1, 0)[None, :]
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(finite - 1, 0)[None, :])
    frac = pos - lo
    a, b = np.take_along_axis(mat, lo, axis=0), np.take_along_axis(mat, hi, axis=0)
    bounds = a + (b - a) * frac
    k = len(LEVELS)
    out: dict[str, dict[float, tuple]] = {}
    for j, name in enumerate(names):
        ok = finite[j] >= 10
        out[name] = {lv: ((float(bounds[i, j]), float(bounds[k + i, j])) if ok else (None, None))
                     for i, lv in enumerate(LEVELS)}
    return out


def wilson(k: float, n: float, level: float = 0.95) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion k/n."""
    if n <= 0:
        return None, None
    z = Z[level]
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def net_wilson(pos: float, neg: float, level: float = 0.95) -> tuple[float | None, float | None]:
    """Interval for (P-N)/(P+N): Wilson on P/(P+N) mapped through 2p-1."""
    lo, hi = wilson(pos, pos + neg, level)
    if lo is None:
        return None, None
    return 2 * lo - 1, 2 * hi - 1


def share_wilson_floor(lo: float | None, hi: float | None, authors: float, share: float,
                       level: float = 0.95) -> tuple[float | None, float | None]:
    """(lo, hi) widened to at least Wilson's interval for ``share`` of ``authors`` viewers."""
    wlo, whi = wilson(authors * share, authors, level)
    if wlo is None:
        return lo, hi
    return (wlo if lo is None else min(lo, wlo)), (whi if hi is None else max(hi, whi))


def net_wilson_floor(lo: float | None, hi: float | None, authors: float, positive: float, negative: float,
                     level: float = 0.95) -> tuple[float | None, float | None]:
    """(lo, hi) widened to at least Wilson's net-sentiment interval on ``authors`` polar viewers
    (``positive``/``negative`` are shares): a bootstrap over authors collapses to a point when
    every author agrees (two positive authors give [1, 1]); Wilson keeps it honest, and is wider
    for one author than for three."""
    pos = authors * positive
    wlo, whi = net_wilson(pos, authors * (positive + negative) - pos, level)
    if wlo is None:
        return lo, hi
    return (wlo if lo is None else min(lo, wlo)), (whi if hi is None else max(hi, whi))


def poisson_interval(k: float, level: float = 0.95) -> tuple[float, float]:
    """Approximate interval for a count (Wilson-Hilferty approximation of the exact Garwood bounds)."""
    z = Z[level]
    lo = 0.0 if k <= 0 else k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    k1 = k + 1
    hi = k1 * (1 - 1 / (9 * k1) + z / (3 * math.sqrt(k1))) ** 3
    return max(0.0, lo), hi


def shrink(value: float, n: float, prior: float, strength: float) -> float:
    """Posterior mean of a share with ``n`` authors toward ``prior`` with ``strength`` pseudo-authors."""
    return (n * value + strength * prior) / (n + strength)


def eb_prior(values: list[float], sizes: list[float], fixed: float | None = None,
             lo: float = 1.0, hi: float = 1000.0) -> tuple[float, float]:
    """Empirical-Bayes (method of moments, beta-binomial) prior mean and strength for shares.

    ``values`` are per-cell shares in [0, 1], ``sizes`` their author counts. The strength
    is ``mu(1-mu)/tau2 - 1`` where tau2 is the between-cell variance beyond sampling noise,
    clamped to [lo, hi]; ``fixed`` overrides the estimate.
    """
    v = np.asarray(values, dtype=float)
    n = np.asarray(sizes, dtype=float)
    mu = float(np.sum(n * v) / np.sum(n)) if np.sum(n) > 0 else float(np.mean(v))
    if fixed is not None:
        return mu, float(fixed)
    if v.size < 3:
        return mu, lo  # too few cells to estimate the spread: shrink only a little
    total_var = float(np.sum(n * (v - mu) ** 2) / np.sum(n))
    sampling = float(np.mean(mu * (1 - mu) / np.maximum(n, 1)))
    tau2 = total_var - sampling
    if tau2 <= 0:
        return mu, hi
    return mu, float(min(hi, max(lo, mu * (1 - mu) / tau2 - 1)))


def correct_shares(observed: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """True class shares from observed ones given a confusion matrix (rows true, cols predicted).

    Solves ``observed = confusion_rownormalized.T @ true``, clips negatives and renormalizes.
    """
    m = np.asarray(confusion, dtype=float)
    m = m / m.sum(axis=1, keepdims=True)
    true, *_ = np.linalg.lstsq(m.T, np.asarray(observed, dtype=float), rcond=None)
    true = np.clip(true, 0, None)
    total = true.sum()
    return true / total if total > 0 else np.asarray(observed, dtype=float)
