"""Model backends behind tiny protocols (see ``base``). Importing this package
registers the built-in versioned names; heavy optional dependencies are imported
lazily inside the backends that need them, so import never fails."""

from __future__ import annotations

import importlib

from .base import (  # noqa: F401
    LangPrediction,
    LanguageIdBackend,
    SentimentBackend,
    ThemeBackend,
    ThemeMatch,
)

# Each module registers its names on import; a module missing while the project is
# being built up is skipped rather than breaking import.
for _mod in ("langid", "sentiment_linear", "themes_lexicon", "themes_hybrid", "sentiment_e5", "sentiment_transformers",
             "sentiment_ensemble", "themes_e5", "aspect_polarity", "joint_e5"):
    try:
        importlib.import_module(f"{__name__}.{_mod}")
    except ModuleNotFoundError as _exc:  # only our own not-yet-present modules
        if _exc.name != f"{__name__}.{_mod}":
            raise
