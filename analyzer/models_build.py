"""``analyzer models build``: prepare the models that are too large to ship (see
``analyzer.backends.embedding.build``)."""

from __future__ import annotations

from .backends.embedding.build import build_models

__all__ = ["build_models"]
