"""Static token vectors distilled from the built e5-small encoder (the model2vec recipe), trimmed to our vocabulary.

    OMP_NUM_THREADS=1 nice -n 5 python -m training.static_e5.build [--out FILE] [--dim 256] [--min-count 2]

1. The texts of the stance training rows (``training.sentiment_linear.train.build_rows``, the shipped recipe's rows;
   no dev row) are tokenized with the encoder's own XLM-R Unigram tokenizer and each piece is counted.
2. Pieces seen at least ``--min-count`` times (at most ``--max-pieces``, most frequent first) are kept.
3. Each kept piece goes through the encoder alone (``<s> piece </s>``), its vector is the mean of the three output
   positions (e5's mean pooling); float32 on CPU, batches in piece-id order, so reruns give the same table.
4. PCA (centred, SVD) to ``--dim`` dimensions; each vector is scaled by its SIF weight ``a / (a + p)``, p the
   piece's share of all counted pieces, so frequent pieces ("▁", ",") weigh little.

Writes one ``.npz`` (no pickle): ``pieces`` (str), ``scores`` (the pieces' Unigram log-probabilities),
``vectors`` (float16, pieces x dim), ``counts``, ``tokenizer`` (the encoder's tokenizer.json without its vocabulary,
the one the runtime rebuilds a trimmed ``tokenizers`` Unigram from) and ``meta`` (JSON of the settings).
The encoder is the folder ``analyzer models build`` makes (``--encoder``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

ENCODER = Path.home() / ".cache" / "resonance-analyzer" / "e5-small"
OUT = Path("/tmp/static-e5/static-e5.npz")
ROWS_CACHE = Path("/tmp/static-e5/rows.json")
SIF_A = 1e-3
SPECIAL = 4  # <s> <pad> </s> <unk>: ids 0-3 of the XLM-R vocabulary, always kept first


def training_rows(cache: Path = ROWS_CACHE) -> list:
    """The stance training rows of the shipped recipe (train + in-domain, as ``cv_fast.py cache`` builds them);
    kept once in ``cache`` (scratch, outside the repository) since building them takes minutes."""
    from training.sentiment_linear.dataset import Row

    if cache.is_file():
        return [Row(*r) for r in json.loads(cache.read_text(encoding="utf-8"))]
    from analyzer.backends.text_features import HashingFeaturizer
    from training.sentiment_linear.dataset import STANCE_DRAMA_LABELS
    from training.sentiment_linear.train import build_rows

    train, domain, _ = build_rows(HashingFeaturizer(), {}, drama=True, drama_labels=STANCE_DRAMA_LABELS)
    rows = train + domain
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([[r.text, r.label, r.lang, r.source, r.weight] for r in rows], ensure_ascii=False))
    return rows


def count_pieces(tokenizer, texts: list[str]) -> Counter:
    counts: Counter = Counter()
    for i in range(0, len(texts), 5000):
        for enc in tokenizer.encode_batch(texts[i:i + 5000], add_special_tokens=False):
            counts.update(enc.ids)
    return counts


def kept_ids(counts: Counter, min_count: int, max_pieces: int) -> list[int]:
    ranked = sorted((i for i, n in counts.items() if n >= min_count and i >= SPECIAL), key=lambda i: (-counts[i], i))
    return list(range(SPECIAL)) + sorted(ranked[:max_pieces])


def encode_pieces(folder: Path, ids: list[int], batch: int = 1024) -> np.ndarray:
    import torch
    import transformers

    torch.manual_seed(0)
    model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(ids), batch):
            part = torch.tensor([[0, j, 2] for j in ids[i:i + batch]])
            hidden = model(input_ids=part, attention_mask=torch.ones_like(part)).last_hidden_state
            out.append(hidden.mean(1).float().numpy())
    return np.concatenate(out)


def pca(vectors: np.ndarray, dim: int) -> np.ndarray:
    centred = vectors.astype(np.float64) - vectors.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    vt *= np.sign(vt[:, :1] + 1e-12)  # a fixed sign per component, so reruns agree
    return (centred @ vt[:dim].T).astype(np.float32)


def build(args) -> dict:
    from tokenizers import Tokenizer

    t0 = time.perf_counter()
    spec = json.loads((args.encoder / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_str(json.dumps(spec))
    texts = [r.text for r in training_rows()]
    counts = count_pieces(tokenizer, texts)
    ids = kept_ids(counts, args.min_count, args.max_pieces)
    print(f"{len(texts)} texts, {len(counts)} pieces seen, {len(ids)} kept ({time.perf_counter() - t0:.0f}s)", flush=True)
    raw = encode_pieces(args.encoder, ids)
    print(f"encoded ({time.perf_counter() - t0:.0f}s)", flush=True)
    vectors = pca(raw, args.dim)
    n = np.array([counts.get(i, 0) for i in ids], dtype=np.int64)
    weight = SIF_A / (SIF_A + n / n.sum())
    vectors[:SPECIAL] = 0.0  # specials never reach a text's mean
    vocab = spec["model"]["vocab"]
    spec["model"]["vocab"] = []
    meta = {"encoder": str(args.encoder.name), "texts": len(texts), "pieces_seen": len(counts), "kept": len(ids),
            "min_count": args.min_count, "dim": args.dim, "sif_a": SIF_A, "pooling": "mean of <s> piece </s>",
            "source_ids": "XLM-R Unigram ids of the kept pieces (ids 0-3 the specials)"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, pieces=np.array([vocab[i][0] for i in ids]),
                        scores=np.array([vocab[i][1] for i in ids], dtype=np.float32),
                        vectors=(vectors * weight[:, None].astype(np.float32)).astype(np.float16),
                        counts=n.astype(np.int32), tokenizer=np.array(json.dumps(spec, ensure_ascii=False)),
                        meta=np.array(json.dumps(meta)))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.0f}s)")
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", type=Path, default=ENCODER)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-pieces", type=int, default=60_000)
    build(ap.parse_args())


if __name__ == "__main__":
    main()
