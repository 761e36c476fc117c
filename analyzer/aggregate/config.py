"""Settings of the resonance aggregation: defaults, validation, one message template.

Every key of ``DEFAULTS`` may be set in the ``[aggregate]`` config table or passed
as a dict to ``ResonanceAccumulator``; unknown keys are rejected.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, check_param

# Default weights of the Resonance Index (weighted geometric mean of component
# multiples of the cohort median). Reach and valence carry most of the weight;
# the diagnostic components (star pull, unmet access) are reported but not in the index.
DEFAULT_WEIGHTS = {
    "reach": 0.30,
    "valence": 0.25,
    "intensity": 0.10,
    "net_intent": 0.15,
    "depth": 0.10,
    "localness": 0.10,
}

DEFAULTS: dict[str, Any] = {
    "max_comments_per_author": 3,  # weight cap per author and cell (comments beyond count less)
    "strong_positive": 0.8,  # P(positive) at or above which a positive comment is "strong"
    "min_authors": 10,  # cells below this are flagged "small_cell" (never hidden)
    "bootstrap": 500,  # bootstrap resamples over authors (0 turns intervals off)
    "seed": 20240601,
    "shrinkage": True,  # empirical-Bayes shrinkage of small cells toward the cohort
    "shrinkage_strength": None,  # pseudo-authors of the prior; None = estimated per cohort
    "weights": DEFAULT_WEIGHTS,
    "cohort": None,  # None = all titles in the run; or {drama: group} (genre, episode count)
    "top_themes": 3,
    "quotes_per_slot": 3,  # quotes shown per cell x theme x polarity
    "quote_candidates": 8,  # bounded top-k kept per slot by the accumulator
    "quote_chars": 280,
    "region_languages": None,  # {region: [lang, ...]} overrides/extends the built-in map
    "confusion": None,  # {lang: 3x3 matrix, rows true, cols predicted (neg, neu, pos)}
}

COMPONENTS = (
    "reach", "valence", "intensity", "net_intent", "depth", "localness",
    "star_pull", "unmet_access",
)


def resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with ``config``; unknown keys and bad values raise ConfigError."""
    config = dict(config or {})
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"Unknown aggregate setting(s) {', '.join(unknown)}; use one of: {', '.join(sorted(DEFAULTS))}."
        )
    out = {**DEFAULTS, **config}
    owner = "ResonanceAccumulator"
    _positive_int(owner, "max_comments_per_author", out)
    _positive_int(owner, "min_authors", out)
    _positive_int(owner, "quotes_per_slot", out)
    _positive_int(owner, "quote_candidates", out)
    _positive_int(owner, "quote_chars", out)
    _positive_int(owner, "top_themes", out)
    b = out["bootstrap"]
    check_param(owner, "bootstrap", b, isinstance(b, int) and not isinstance(b, bool) and b >= 0,
                "a non-negative int")
    s = out["strong_positive"]
    check_param(owner, "strong_positive", s, isinstance(s, (int, float)) and 0 <= s <= 1,
                "a number between 0 and 1")
    m = out["shrinkage_strength"]
    check_param(owner, "shrinkage_strength", m, m is None or (isinstance(m, (int, float)) and m >= 0),
                "None or a non-negative number")
    out["weights"] = _weights(owner, out["weights"])
    for key in ("cohort", "region_languages", "confusion"):
        check_param(owner, key, out[key], out[key] is None or isinstance(out[key], dict), "None or a dict")
    if out["confusion"] is not None:
        for lang, m in out["confusion"].items():
            ok = isinstance(m, (list, tuple)) and len(m) == 3 and all(
                isinstance(r, (list, tuple)) and len(r) == 3 and all(isinstance(x, (int, float)) and x >= 0 for x in r)
                and sum(r) > 0 for r in m)
            check_param(owner, f"confusion.{lang}", m, ok,
                        "a 3x3 list of non-negative counts (rows true, columns predicted: negative, neutral, positive)")
    return out


def _positive_int(owner: str, name: str, cfg: dict[str, Any]) -> None:
    v = cfg[name]
    check_param(owner, name, v, isinstance(v, int) and not isinstance(v, bool) and v > 0, "a positive int")


def _weights(owner: str, weights: Any) -> dict[str, float]:
    check_param(owner, "weights", weights, isinstance(weights, dict) and bool(weights),
                "a non-empty dict of component -> weight")
    bad = sorted(set(weights) - set(COMPONENTS))
    if bad:
        raise ConfigError(
            f"Unknown index component(s) {', '.join(bad)} in 'weights'; use: {', '.join(COMPONENTS)}."
        )
    for name, w in weights.items():
        check_param(owner, f"weights.{name}", w, isinstance(w, (int, float)) and w >= 0,
                    "a non-negative number")
    if not any(weights.values()):
        raise ConfigError("The 'weights' of the Resonance Index are all zero; give at least one a positive weight.")
    return {k: float(v) for k, v in weights.items()}
