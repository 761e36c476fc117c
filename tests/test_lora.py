"""LoRA adapters for the e5 encoder: saved as arrays, merged at load, checked against the head."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.embedding.lora import (
    TARGETS,
    adapter_digest,
    has_adapter,
    load_adapter,
    merge_adapter,
    save_adapter,
)
from analyzer.backends.sentiment_e5 import E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from analyzer.errors import ModelError

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf

TEXTS = ["the finale was wonderful", "the pacing is slow", "phim này hay quá", "这部剧很好看"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("tiny_lora"))


@pytest.fixture()
def adapter_dir(tmp_path):
    save_adapter(tmp_path, tiny_hf.random_adapter(), {"rank": 2})
    return tmp_path


def test_save_and_load_round_trip_in_float16(adapter_dir):
    loaded = load_adapter(adapter_dir)
    original = tiny_hf.random_adapter()
    assert len(loaded) == 2 * len(TARGETS)
    a, b = loaded["encoder.layer.1.output.dense"]
    np.testing.assert_allclose(a, original["encoder.layer.1.output.dense.lora_A"], rtol=1e-3, atol=1e-3)
    assert b.shape == (32, 2) and a.dtype == np.float32
    assert json.loads((adapter_dir / "adapter.json").read_text())["rank"] == 2
    assert has_adapter(adapter_dir) and len(adapter_digest(adapter_dir)) == 40
    assert adapter_digest(None) is None


def test_merge_adds_b_times_a_to_each_weight(tiny, adapter_dir):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny))
    before = model.encoder.layer[0].attention.self.query.weight.detach().clone()
    adapter = load_adapter(adapter_dir)
    assert merge_adapter(model, adapter) == 2 * len(TARGETS)
    a, b = adapter["encoder.layer.0.attention.self.query"]
    after = model.encoder.layer[0].attention.self.query.weight.detach()
    np.testing.assert_allclose(after.numpy(), before.numpy() + b @ a, atol=1e-5)


def test_encoder_with_adapter_embeds_like_a_merged_model(tiny, adapter_dir):
    plain = E5Encoder(path=str(tiny), precision="fp32")
    adapted = E5Encoder(path=str(tiny), precision="fp32", adapter=adapter_dir)
    assert adapted.adapter_sha1 == adapter_digest(adapter_dir) and plain.adapter_sha1 is None
    a, p = adapted.embed(TEXTS), plain.embed(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(a * p, axis=1)) < 0.999  # the adapter changes the vectors
    np.testing.assert_allclose(adapted.embed(TEXTS[:1])[0], a[0], atol=1e-5)


def test_backend_runs_the_head_folders_adapter(tiny, adapter_dir):
    rng = np.random.default_rng(3)
    np.savez(adapter_dir / "head.npz", W=rng.normal(size=(32, 3)).astype(np.float32), b=np.zeros(3, np.float32))
    (adapter_dir / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    backend = E5SentimentBackend(path=str(adapter_dir), encoder=str(tiny), precision="fp32")
    assert backend.encoder.adapter_sha1 == adapter_digest(adapter_dir)
    assert backend.predict_proba(TEXTS).shape == (4, 3)
    assert backend.describe()["adapter"] == str(adapter_dir)


def test_head_and_encoder_adapters_must_agree(tiny, adapter_dir):
    np.savez(adapter_dir / "head.npz", W=np.zeros((32, 3), np.float32), b=np.zeros(3, np.float32))
    (adapter_dir / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    plain = E5Encoder(path=str(tiny), precision="fp32")
    with pytest.raises(ModelError, match="trained with its adapter"):
        E5SentimentBackend(path=str(adapter_dir), encoder_obj=plain).predict_proba(["x"])


def test_bad_adapters_are_clear(tiny, tmp_path):
    with pytest.raises(ModelError, match="No adapter.npz"):
        E5Encoder(path=str(tiny), adapter=tmp_path)
    arrays = tiny_hf.random_adapter()
    arrays.pop("encoder.layer.0.output.dense.lora_B")
    save_adapter(tmp_path, arrays, {})
    with pytest.raises(ModelError, match="incomplete"):
        load_adapter(tmp_path)
    wrong = {"encoder.layer.0.attention.self.query.lora_A": np.zeros((2, 48), np.float32),
             "encoder.layer.0.attention.self.query.lora_B": np.zeros((32, 2), np.float32)}
    save_adapter(tmp_path, wrong, {})
    with pytest.raises(ModelError, match="does not match"):
        E5Encoder(path=str(tiny), adapter=tmp_path).embed(["x"])


def test_e5_dev_scores_are_read_beside_the_head(tiny, adapter_dir):
    backend = E5SentimentBackend(path=str(adapter_dir), encoder=str(tiny))
    assert backend.dev_scores() is None
    (adapter_dir / "dev_scores.json").write_text(json.dumps({"mean_macro_f1": 0.69}))
    assert backend.dev_scores() == {"mean_macro_f1": 0.69}
    shipped = E5SentimentBackend().dev_scores()
    assert shipped is not None and 0 < shipped["mean_macro_f1"] <= 1 and shipped["confusion_per_language"]

