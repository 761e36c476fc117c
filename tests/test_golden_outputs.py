"""The bundled samples and a generated 20k-comment corpus give the same tables,
resonance.csv/json, rejects and comment rows as recorded in tests/golden/outputs.json.
A change that moves any of them must update that file on purpose
(``python -m tests.golden_outputs --update``) and say why in its commit."""

from __future__ import annotations

import json

import pytest

from tests.golden_outputs import GOLDEN, SUITES, run_suite


@pytest.mark.parametrize("suite", SUITES)
def test_outputs_match_the_recorded_digests(suite, tmp_path):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[suite]
    got = run_suite(suite, tmp_path)
    changed = sorted(name for name in expected.keys() | got.keys() if expected.get(name) != got.get(name))
    assert not changed, f"{suite}: outputs changed: {changed} (see tests/golden_outputs.py)"
