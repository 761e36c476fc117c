"""E5Encoder's CPU arithmetic: precision="auto"|"fp32"|"bf16" on a tiny random BERT."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.embedding import e5
from analyzer.backends.sentiment_e5 import E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder, resolve_precision
from analyzer.errors import ConfigError

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf

TEXTS = ["the finale was wonderful and I cried", "the pacing is slow", "phim này hay quá", "这部剧很好看",
         "드라마 너무 재밌어요", "can't wait for episode five", "ok"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("tiny_e5_precision"))


def test_resolve_precision_rules(monkeypatch):
    monkeypatch.setattr(e5, "cpu_has_bf16", lambda torch: True)
    assert resolve_precision("auto", "cpu", False, torch) == "bf16"
    monkeypatch.setattr(e5, "cpu_has_bf16", lambda torch: False)
    assert resolve_precision("auto", "cpu", False, torch) == "fp32"
    assert resolve_precision("bf16", "cpu", False, torch) == "bf16"
    assert resolve_precision("fp32", "cpu", False, torch) == "fp32"
    assert resolve_precision("bf16", "cpu", True, torch) == "int8"  # quantize takes precedence
    assert resolve_precision("auto", "cuda", False, torch) == "fp16"


def test_cpu_probe_returns_a_bool():
    assert isinstance(e5.cpu_has_bf16(torch), bool)


def test_bad_precision_uses_the_message_template():
    with pytest.raises(ConfigError, match=r"The 'precision' parameter of E5Encoder must be .* Got 'fp16' instead"):
        E5Encoder(precision="fp16")


def test_bf16_keeps_linear_weights_in_bf16_and_norms_in_fp32(tiny):
    encoder = E5Encoder(path=str(tiny), precision="bf16").load()
    assert encoder.arithmetic == "bf16"
    linears = [m for m in encoder._model.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m for m in encoder._model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)
    assert norms and all(m.weight.dtype == torch.float32 for m in norms)
    assert encoder._model.embeddings.word_embeddings.weight.dtype == torch.float32


def test_bf16_embeddings_stay_close_to_fp32(tiny):
    fp32 = E5Encoder(path=str(tiny), precision="fp32").embed(TEXTS)
    bf16 = E5Encoder(path=str(tiny), precision="bf16").embed(TEXTS)
    assert bf16.dtype == np.float32 and bf16.shape == fp32.shape
    np.testing.assert_allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.99


def test_bf16_keeps_order_dedup_and_batch_independence(tiny):
    encoder = E5Encoder(path=str(tiny), precision="bf16", batch_size=3)
    together = encoder.embed(TEXTS + [" ok "])
    np.testing.assert_array_equal(together[-1], together[TEXTS.index("ok")])
    singles = np.stack([encoder.embed(t) for t in TEXTS])
    assert np.min(np.sum(together[:-1] * singles, axis=1)) > 0.999


def test_backend_passes_precision_and_describes_it(tiny, tmp_path):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "head.npz", W=rng.normal(size=(32, 3)).astype(np.float32), b=np.zeros(3, np.float32))
    (tmp_path / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    backend = E5SentimentBackend(path=str(tmp_path), encoder=str(tiny), precision="bf16")
    probs = backend.predict_proba(TEXTS)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    info = backend.describe()
    assert info["precision"] == "bf16" and info["arithmetic"] == "bf16"
    fp32 = E5SentimentBackend(path=str(tmp_path), encoder=str(tiny), precision="fp32")
    assert fp32.predict_proba(TEXTS).shape == probs.shape and fp32.describe()["arithmetic"] == "fp32"


# ----------------------------------------------------------------- ONNX Runtime
def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


needs_ort = pytest.mark.skipif(not (_has("onnxruntime") and _has("onnx")), reason="onnxruntime/onnx not installed")


def test_onnx_params_are_checked():
    with pytest.raises(ConfigError, match="'runtime' parameter of E5Encoder"):
        E5Encoder(runtime="tensorrt")
    with pytest.raises(ConfigError, match=r"'precision' parameter of E5Encoder must be \"auto\", \"fp32\" or \"int8-cascade\" with runtime"):
        E5Encoder(runtime="onnx", precision="bf16")
    with pytest.raises(ConfigError, match="'device' parameter of E5Encoder"):
        E5Encoder(runtime="onnx", device="cuda")


@needs_ort
def test_onnx_fp32_matches_torch_fp32_with_padding_and_chunks(tiny, tmp_path):
    texts = TEXTS + [" ".join(["the acting is bad but the music is good"] * 6)]
    torch_enc = E5Encoder(path=str(tiny), precision="fp32", batch_size=3, max_tokens=24)
    onnx_enc = E5Encoder(path=str(tiny), runtime="onnx", cache_dir=str(tmp_path), batch_size=3, max_tokens=24)
    np.testing.assert_allclose(onnx_enc.embed(texts), torch_enc.embed(texts), atol=1e-4)
    assert onnx_enc.arithmetic == "fp32" and onnx_enc.dim == 32
    assert list((tmp_path / "onnx").glob("*.onnx")) and not list((tmp_path / "onnx").glob("*partial*"))


@needs_ort
def test_onnx_threads_sleep_instead_of_spinning_with_the_same_vectors(tiny, tmp_path):
    from analyzer.backends.embedding.e5_onnx import OnnxPooler

    encoder = E5Encoder(path=str(tiny), runtime="onnx", cache_dir=str(tmp_path), threads=2, batch_size=3).load()
    key = "session.intra_op.allow_spinning"
    assert encoder._model.session.get_session_options().get_session_config_entry(key) == "0"
    sleeping = encoder.embed(TEXTS)
    path = next(p for p in (tmp_path / "onnx").glob("*.onnx") if "partial" not in p.name)
    encoder._model = OnnxPooler(path, threads=2, spin=True)
    assert encoder._model.session.get_session_options().get_session_config_entry(key) == "1"
    np.testing.assert_array_equal(encoder.embed(TEXTS), sleeping)


@needs_ort
def test_onnx_export_is_cached_and_redone_when_the_encoder_changes(tiny, tmp_path, monkeypatch):
    import os

    from analyzer.backends.embedding import e5_onnx

    first = e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=False)
    calls = []
    original = e5_onnx.export_onnx
    monkeypatch.setattr(e5_onnx, "export_onnx", lambda *a, **k: calls.append(a) or original(*a, **k))
    assert e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=False) == first and calls == []
    weights = tiny / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, (stat.st_atime, stat.st_mtime + 10))
    assert e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=False) == first and len(calls) == 1


@needs_ort
def test_onnx_int8_is_close_and_backend_reports_it(tiny, tmp_path):
    head = tmp_path / "head"
    head.mkdir()
    rng = np.random.default_rng(4)
    np.savez(head / "head.npz", W=rng.normal(size=(32, 3)).astype(np.float32), b=np.zeros(3, np.float32))
    (head / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    backend = E5SentimentBackend(path=str(head), encoder=str(tiny), runtime="onnx", quantize=True,
                                 cache_dir=str(tmp_path))
    fp32 = E5Encoder(path=str(tiny), precision="fp32").embed(TEXTS)
    int8 = backend.embed(TEXTS)
    assert np.min(np.sum(fp32 * int8, axis=1)) > 0.95
    np.testing.assert_allclose(backend.predict_proba(TEXTS).sum(axis=1), 1.0, atol=1e-5)
    info = backend.describe()
    assert info["runtime"] == "onnx" and info["arithmetic"] == "int8"
    assert list((tmp_path / "onnx").glob("*-int8.onnx"))


def test_missing_onnxruntime_names_the_extra(monkeypatch, tmp_path):
    import sys

    from analyzer.backends.embedding.e5_onnx import OnnxPooler
    from analyzer.errors import MissingDependency

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependency, match=r"resonance-analyzer\[e5\]"):
        OnnxPooler(tmp_path / "model.onnx")


# ------------------------------------------------------- int8-then-fp32 cascade
def _head_dir(tmp_path, margin=None):
    head = tmp_path / "head"
    head.mkdir(exist_ok=True)
    rng = np.random.default_rng(4)
    np.savez(head / "head.npz", W=rng.normal(size=(32, 3)).astype(np.float32), b=np.zeros(3, np.float32))
    (head / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    if margin is not None:
        (head / "cascade.json").write_text(json.dumps({"margin": margin}))
    return head


def test_cascade_params_are_checked():
    for bad in ({"device": "cuda"}, {"runtime": "torch"}, {"quantize": True}):
        with pytest.raises(ConfigError, match=r"'precision' parameter of E5Encoder"):
            E5Encoder(precision="int8-cascade", **bad)
    with pytest.raises(ConfigError, match="'cascade_margin' parameter of E5SentimentBackend"):
        E5SentimentBackend(cascade_margin=2.0)


@needs_ort
def test_cascade_replaces_exactly_the_gated_rows_with_fp32(tiny, tmp_path):
    fp32 = E5Encoder(path=str(tiny), runtime="onnx", cache_dir=str(tmp_path), batch_size=3).embed(TEXTS)
    int8 = E5Encoder(path=str(tiny), runtime="onnx", quantize=True, cache_dir=str(tmp_path), batch_size=3).embed(TEXTS)
    assert not np.array_equal(fp32, int8)
    cascade = E5Encoder(path=str(tiny), precision="int8-cascade", cache_dir=str(tmp_path), batch_size=3)
    np.testing.assert_allclose(cascade.embed(TEXTS), fp32, atol=1e-6)  # no gate: nothing decides what int8 may keep
    assert cascade.load().arithmetic == "int8-cascade" and cascade._int8 is None
    flagged = np.arange(len(TEXTS)) % 2 == 0
    seen = []
    cascade.add_gate("test", lambda v: seen.append(v.copy()) or flagged[: len(v)])
    mixed = cascade.embed(TEXTS)
    np.testing.assert_allclose(seen[0], int8, atol=1e-6)  # the gate sees every text's int8 vector
    np.testing.assert_allclose(mixed[flagged], fp32[flagged], atol=1e-6)
    np.testing.assert_allclose(mixed[~flagged], int8[~flagged], atol=1e-6)
    assert cascade.cascade_counts == {"texts": len(TEXTS), "fp32_again": int(flagged.sum())}


@needs_ort
def test_sentiment_head_gates_the_cascade_by_its_margin(tiny, tmp_path):
    from analyzer.backends.base import softmax
    from analyzer.backends.sentiment_e5 import head_logits
    from analyzer.errors import ModelError

    int8 = E5Encoder(path=str(tiny), runtime="onnx", quantize=True, cache_dir=str(tmp_path)).embed(TEXTS)
    fp32 = E5Encoder(path=str(tiny), runtime="onnx", cache_dir=str(tmp_path)).embed(TEXTS)
    head = _head_dir(tmp_path)
    probs = np.sort(softmax(head_logits({"W": np.load(head / "head.npz")["W"], "b": np.zeros(3)}, int8)), axis=1)
    gaps = np.sort(probs[:, -1] - probs[:, -2])
    margin = float(gaps[2] + gaps[3]) / 2  # between two rows' margins: 3 rows under it, 4 over
    low = (probs[:, -1] - probs[:, -2]) < margin
    backend = E5SentimentBackend(path=str(head), encoder=str(tiny), precision="int8-cascade",
                                 cache_dir=str(tmp_path), cascade_margin=margin)
    vectors = backend.predict_proba(TEXTS) is not None and backend.encoder.embed(TEXTS)
    np.testing.assert_allclose(vectors[low], fp32[low], atol=1e-6)
    np.testing.assert_allclose(vectors[~low], int8[~low], atol=1e-6)
    info = backend.describe()
    assert info["arithmetic"] == "int8-cascade" and info["cascade_margin"] == margin
    assert info["cascade_counts"]["fp32_again"] == int(low.sum())
    (head / "cascade.json").write_text(json.dumps({"margin": 1.0}))  # the shipped file is read when not given
    everything = E5SentimentBackend(path=str(head), encoder=str(tiny), precision="int8-cascade", cache_dir=str(tmp_path))
    everything.predict_proba(TEXTS)
    np.testing.assert_allclose(everything.encoder.embed(TEXTS), fp32, atol=1e-6)
    (head / "cascade.json").unlink()
    missing = E5SentimentBackend(path=str(head), encoder=str(tiny), precision="int8-cascade", cache_dir=str(tmp_path))
    with pytest.raises(ModelError, match="No cascade.json beside the head"):
        missing.predict_proba(TEXTS)


@needs_ort
def test_auto_runs_the_cascade_only_when_chosen_and_both_exports_are_built(tiny, tmp_path, monkeypatch):
    from analyzer.backends.embedding import e5_onnx

    monkeypatch.setattr(e5, "cpu_has_bf16", lambda torch=None: False)
    e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=False)
    monkeypatch.setattr(e5, "AUTO_CASCADE", True)
    assert E5Encoder(path=str(tiny), cache_dir=str(tmp_path)).load().arithmetic == "fp32"  # no int8 export yet
    e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=True)
    assert E5Encoder(path=str(tiny), cache_dir=str(tmp_path)).load().arithmetic == "int8-cascade"
    assert E5Encoder(path=str(tiny), cache_dir=str(tmp_path), precision="fp32").load().arithmetic == "fp32"
    monkeypatch.setattr(e5, "AUTO_CASCADE", False)
    assert E5Encoder(path=str(tiny), cache_dir=str(tmp_path)).load().arithmetic == "fp32"


@needs_ort
def test_int8_export_is_deterministic_and_an_old_recipe_is_redone(tiny, tmp_path):
    from analyzer.backends.embedding import e5_onnx

    path = e5_onnx.ensure_onnx(str(tiny), tmp_path, int8=True)
    again = e5_onnx.quantize_onnx(e5_onnx.onnx_path(str(tiny), tmp_path, int8=False), tmp_path / "again.onnx")
    assert path.read_bytes() == again.read_bytes()
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    assert e5_onnx.is_current(path, str(tiny))
    sidecar.write_text(json.dumps({k: v for k, v in meta.items() if k != "recipe"}))  # an export of the old recipe
    assert not e5_onnx.is_current(path, str(tiny))


@needs_ort
def test_a_reader_without_a_gate_keeps_the_cascade_in_fp32(tiny, tmp_path):
    fp32 = E5Encoder(path=str(tiny), runtime="onnx", cache_dir=str(tmp_path)).embed(TEXTS)
    cascade = E5Encoder(path=str(tiny), precision="int8-cascade", cache_dir=str(tmp_path))
    cascade.add_gate("everything int8", lambda v: np.zeros(len(v), dtype=bool))
    cascade.keep_fp32("themes.e5.v1")
    np.testing.assert_allclose(cascade.embed(TEXTS), fp32, atol=1e-6)
    assert cascade.arithmetic == "fp32" and cascade._int8 is None and cascade.fp32_readers == ["themes.e5.v1"]


def test_theme_head_asks_its_embedder_to_keep_fp32():
    from analyzer.backends.embedding import EmbeddingCache
    from analyzer.backends.themes_e5 import E5ThemeBackend

    class Encoder:
        readers: list = []

        def embed(self, texts):
            return np.zeros((len(texts), 384), dtype=np.float32)

        def keep_fp32(self, reader):
            self.readers.append(reader)

    inner = Encoder()
    themes = E5ThemeBackend()
    themes.use_embedder(EmbeddingCache(inner))
    assert inner.readers == ["themes.e5.v1"] and themes.embedder.inner is inner
    themes.use_embedder(object.__new__(type("NoCascade", (), {"embed": lambda self, t: None})))  # no keep_fp32: fine
