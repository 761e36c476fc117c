"""A text's static e5 vector: the mean of its pieces' rows of a ``build.py`` table, L2-normalized.

The tokenizer is the encoder's XLM-R Unigram rebuilt from the kept pieces and their scores (``tokenizers``), so
it runs offline from the table alone; a piece outside the table is ``<unk>`` and adds nothing. A text with no
known piece gets the zero vector.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

UNK = 3


class StaticVectors:
    def __init__(self, path: str | Path):
        from tokenizers import Tokenizer

        with np.load(path, allow_pickle=False) as data:
            spec = json.loads(str(data["tokenizer"]))
            spec["model"]["vocab"] = [[p, float(s)] for p, s in zip(data["pieces"].tolist(), data["scores"].tolist())]
            spec["model"]["unk_id"] = UNK
            self.vectors = data["vectors"].astype(np.float32)
        self.tokenizer = Tokenizer.from_str(json.dumps(spec))
        self.dim = self.vectors.shape[1]

    def transform(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            ids = [j for j in enc.ids if j > UNK]
            if ids:
                out[i] = self.vectors[ids].mean(0)
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norm, 1e-12)
