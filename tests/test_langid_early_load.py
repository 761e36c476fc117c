"""py3langid's model loaded on a thread while the stages before langid are built
(``backends.langid.load_model_early``): one load, the same model, errors where they were."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from analyzer.backends import langid as L
from analyzer.config import Config, PipelineConfig
from analyzer.stages import build


@pytest.fixture
def loads(monkeypatch):
    """py3langid's loader replaced by a slow stand-in that counts its calls and the threads
    they ran on; the loaded model is forgotten before and after."""
    calls = []

    def fake(*args, **kwargs):
        calls.append(threading.current_thread().name)
        time.sleep(0.05)  # long enough for the main thread to ask while it loads
        if getattr(fake, "error", None):
            raise fake.error
        return object()

    import py3langid.langid

    monkeypatch.setattr(py3langid.langid.LanguageIdentifier, "from_model_file", staticmethod(fake))
    L.release_model()
    yield calls, fake
    L.release_model()


def test_early_load_is_the_one_load(loads):
    calls, _ = loads
    L.load_model_early()
    L.load_model_early()  # a second call while it loads starts nothing
    model = L._py3langid_model()
    assert calls == ["py3langid-model"]  # loaded once, on the thread
    assert L._py3langid_model() is model
    assert not L._EARLY  # the thread was waited for: nothing left running (workers fork later)


def test_without_early_load_the_model_loads_on_first_use(loads):
    calls, _ = loads
    model = L._py3langid_model()
    assert calls == [threading.current_thread().name] and L._py3langid_model() is model


def test_a_failed_early_load_fails_where_the_model_is_used(loads):
    calls, fake = loads
    fake.error = OSError("model file unreadable")
    L.load_model_early()
    with pytest.raises(OSError, match="model file unreadable"):
        L._py3langid_model()  # the thread's error is not lost: the load runs again here
    assert calls == ["py3langid-model", threading.current_thread().name]


def test_release_waits_for_the_thread(loads):
    calls, _ = loads
    L.load_model_early()
    L.release_model()
    assert not L._EARLY and L._load_py3langid.cache_info().currsize == 0


@pytest.mark.parametrize("stages, backend, started", [
    (["normalize", "langid"], "langid.py3langid.v1", True),
    (["normalize", "dedup"], "langid.py3langid.v1", False),  # no langid stage: no thread
    (["normalize", "langid"], "langid.lingua.v1", False),  # another backend: py3langid is not loaded
])
def test_build_starts_the_early_load_only_for_py3langid(monkeypatch, stages, backend, started):
    begun = []
    monkeypatch.setattr(L, "load_model_early", lambda: begun.append(True))
    config = Config()
    config = dataclasses.replace(config, pipeline=PipelineConfig(stages),
                                 models=dataclasses.replace(config.models, langid=backend))
    build._load_early(config)
    assert bool(begun) is started
