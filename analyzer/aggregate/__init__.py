"""Resonance metrics from annotated comments; knows records only, never models.

``ResonanceAccumulator`` is mergeable (``update``/``merge``/``result``);
``ResonanceResult`` holds every drama x region x window cell; ``compare`` gives the
difference between two dramas or markets with its interval.
"""

from __future__ import annotations

from .accumulator import UNKNOWN_REGION, UNLINKED, ResonanceAccumulator
from .compare import compare
from ..defaults import AGGREGATE as DEFAULTS
from ..defaults import INDEX_WEIGHTS as DEFAULT_WEIGHTS
from .result import COMPONENTS, ResonanceResult

__all__ = [
    "ResonanceAccumulator", "ResonanceResult", "compare", "COMPONENTS", "DEFAULTS",
    "DEFAULT_WEIGHTS", "UNLINKED", "UNKNOWN_REGION",
]
