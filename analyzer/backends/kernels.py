"""The optional compiled kernels (``_hashed.c``, built by setup.py), loaded once for every caller.

``hashed`` is the module, or None where it was not built (no C compiler) or was built before
one of ``NAMES`` was added (a checkout updated without ``python setup.py build_ext --inplace``):
then every caller runs its numpy / hashlib / Python reference code instead of failing on a
missing kernel halfway through a run."""

from __future__ import annotations

NAMES = ("ngrams", "head_sums", "dense_sums", "minhash", "blake2b64", "bands_find", "bands_claim", "bands_drop",
         "windows_new", "windows_decide", "windows_sizes", "dfa_features", "parents_new", "parents_decide",
         "parents_size")


def _load():
    try:
        from . import _hashed
    except ImportError:  # pragma: no cover - a build without a C compiler
        return None
    return _hashed if all(hasattr(_hashed, name) for name in NAMES) else None


hashed = _load()
