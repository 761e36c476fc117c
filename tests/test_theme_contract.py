"""Every theme backend through the same contract: protocol, registry, TAXONOMY ids and order,
evidence for every theme, and the invariants (``intent`` iff an intent flag, where_to_watch
implies access, noise carries nothing). Offline: themes.e5.v1 reads a fake embedder."""

from __future__ import annotations

import json

import pytest

from analyzer.backends.base import ThemeBackend, ThemeMatch
from analyzer.backends.themes_e5 import E5ThemeBackend
from analyzer.backends.themes_hybrid import HybridThemeBackend
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.registry import select_backend
from analyzer.schema import INTENTS, THEMES

from .test_themes_e5 import FakeEmbedder
from .theme_examples import TEXTS

KINDS = {
    "themes.lexicon.v1": (LexiconThemeBackend, LexiconThemeBackend),
    "themes.hybrid.v1": (HybridThemeBackend, HybridThemeBackend),
    "themes.e5.v1": (lambda: E5ThemeBackend(embedder=FakeEmbedder()), E5ThemeBackend),
}


@pytest.fixture(scope="module", params=list(KINDS))
def case(request):
    make, cls = KINDS[request.param]
    backend = make()
    return request.param, cls, backend, backend.predict([t for t, _ in TEXTS], [lang for _, lang in TEXTS])


def test_registry_and_protocol(case):
    name, cls, backend, _ = case
    assert isinstance(backend, ThemeBackend) and backend.name == name
    assert isinstance(select_backend(name, "themes"), cls)
    json.dumps(backend.describe() if hasattr(backend, "describe") else {})
    assert backend.predict([], []) == []


def test_matches_follow_the_protocol(case):
    _, _, _, matches = case
    assert len(matches) == len(TEXTS)
    for m in matches:
        assert isinstance(m, ThemeMatch)
        assert set(m.themes) <= set(THEMES) and set(m.intents) <= set(INTENTS)
        assert list(m.themes) == [t for t in THEMES if t in m.themes]  # TAXONOMY order
        assert list(m.intents) == [i for i in INTENTS if i in m.intents]
        assert all(0.0 < s <= 1.0 for s in m.themes.values())
        assert set(m.evidence) == set(m.themes)
        for clauses in m.evidence.values():
            assert clauses and all(isinstance(c, str) and c.strip() for c in clauses)


def test_invariants(case):
    _, _, _, matches = case
    for m in matches:
        assert ("intent" in m.themes) == bool(m.intents)
        if "where_to_watch" in m.intents:
            assert "access" in m.themes
        if m.noise:
            assert m.themes == {} and m.intents == ()
    assert matches[11].noise and matches[12].noise  # bare timestamp, empty text
    assert not matches[13].noise  # emoji-only is a reaction, not noise


def test_model_folders_resolve_to_their_backend():
    from analyzer.backends.themes_e5 import default_model_dir as e5_dir
    from analyzer.backends.themes_hybrid import default_model_dir as hybrid_dir

    assert isinstance(select_backend(str(hybrid_dir()), "themes"), HybridThemeBackend)
    assert isinstance(select_backend(str(e5_dir()), "themes"), E5ThemeBackend)
