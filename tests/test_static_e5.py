"""training.static_e5: the piece choice, the PCA and a tiny table read back by StaticVectors (offline, no encoder)."""

import json
from collections import Counter

import numpy as np
import pytest

from training.static_e5.build import SPECIAL, kept_ids, pca


def test_kept_ids_keeps_specials_and_frequent_pieces_in_id_order():
    counts = Counter({7: 5, 9: 1, 12: 3, 20: 3, 2: 50})
    assert kept_ids(counts, min_count=2, max_pieces=2) == [0, 1, 2, 3, 7, 12]


def test_pca_is_deterministic_and_keeps_the_leading_direction():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6)).astype(np.float32)
    x[:, 0] *= 10
    a, b = pca(x, 2), pca(x.copy(), 2)
    assert a.shape == (50, 2) and np.array_equal(a, b)
    assert abs(np.corrcoef(a[:, 0], x[:, 0])[0, 1]) > 0.99


def tiny_table(path):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers

    pieces = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["▁good", -2.0], ["▁bad", -2.0]]
    tok = tokenizers.Tokenizer(models.Unigram([tuple(p) for p in pieces], unk_id=3, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    spec = json.loads(tok.to_str())
    spec["model"]["vocab"] = []
    vectors = np.zeros((len(pieces), 2), dtype=np.float16)
    vectors[4], vectors[5] = [1, 0], [0, 1]
    np.savez(path, pieces=np.array([p for p, _ in pieces]), scores=np.array([s for _, s in pieces], dtype=np.float32),
             vectors=vectors, tokenizer=np.array(json.dumps(spec)))


def test_static_vectors_mean_known_pieces_and_zero_for_unknown(tmp_path):
    tiny_table(tmp_path / "t.npz")
    from training.static_e5.vectors import StaticVectors

    out = StaticVectors(tmp_path / "t.npz").transform(["good", "good bad", "xyz", ""])
    assert np.allclose(out[0], [1, 0]) and np.allclose(out[1], [2 ** -0.5, 2 ** -0.5])
    assert not out[2].any() and not out[3].any()  # no known piece: the zero vector
    assert out.shape == (4, 2) and np.isfinite(out).all()
