"""The Resonance Index is the same on every CPU: numpy's log and exp run other code on
AVX-512 CPUs than on others and differ there in the last bit (the golden digests of
resonance.json moved between two machines); the index is rounded so that they agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from analyzer.aggregate.index import INDEX_DECIMALS, CohortParams, index_of

SCRIPT = """
import json, numpy as np
from analyzer.aggregate.index import CohortParams, index_of
rng = np.random.default_rng(7)
weights = {"reach": 0.3, "valence": 0.25, "intensity": 0.1, "net_intent": 0.15, "depth": 0.1, "localness": 0.1}
params = CohortParams(medians={"reach": 37.0, "valence": 0.61, "intensity": 0.33, "net_intent": 0.55,
                               "depth": 0.41, "localness": 0.27})
comps = {"reach": rng.integers(1, 400, 20000).astype(float), "valence": rng.uniform(-1, 1, 20000),
         "intensity": rng.uniform(0, 1, 20000), "net_intent": rng.uniform(-1, 1, 20000),
         "depth": rng.uniform(0, 1, 20000), "localness": rng.uniform(0, 1, 20000)}
print(json.dumps(index_of(comps, 40.0, params, weights).tolist()))
"""
AVX512 = ("AVX512F", "AVX512_SKX", "AVX512_ICL", "AVX512_SPR")


def _has_avx512() -> bool:
    from numpy._core._multiarray_umath import __cpu_features__ as features

    return any(features.get(name) for name in AVX512)


def _indices(env_extra: dict[str, str]) -> list[float]:
    env = {**os.environ, **env_extra}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_index_is_rounded_to_its_decimals():
    params = CohortParams(medians={"valence": 0.61, "depth": 0.4})
    comps = {"valence": np.array([0.3, -0.2, 0.9]), "depth": np.array([0.1, 0.5, 0.77])}
    got = index_of(comps, 20.0, params, {"valence": 0.5, "depth": 0.5})
    assert np.array_equal(got, np.round(got, INDEX_DECIMALS))
    assert np.all((got > 0) & np.isfinite(got))


def test_index_is_the_same_with_and_without_avx512():
    if not _has_avx512():
        pytest.skip("this CPU has no AVX-512: numpy takes one code path here, nothing to compare")
    off = "AVX512_ICL,AVX512_SPR,X86_V4"
    assert _indices({}) == _indices({"NPY_DISABLE_CPU_FEATURES": off})
