"""A tiny random BERT + Unigram tokenizer built offline for the transformer tests.

The tokenizer is trained with ``tokenizers`` on sentences written for these tests;
nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "query: the finale was wonderful and I cried",
    "query: the pacing is slow and the plot drags",
    "query: where can I watch this drama with subtitles",
    "query: la serie es muy buena, me encanta",
    "query: phim này hay quá",
    "query: 这部剧很好看",
    "query: 드라마 너무 재밌어요",
    "query: can't wait for episode five",
    "query: the acting is bad but the music is good",
] * 4
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def build_tokenizer(out: Path):
    from tokenizers import (
        Tokenizer,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=120, special_tokens=SPECIALS, unk_token="<unk>")
    tok.train_from_iterator(SENTENCES, trainer=trainer)
    tok.model = canonical_unigram(tok, models)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   model_max_length=64)
    fast.save_pretrained(str(out))
    return fast


def canonical_unigram(tok, models):
    """The trained Unigram with its pieces in one fixed order: the trainer assigns ids to pieces
    of equal score in hash-map order and its scores differ in the last bits from run to run, so
    each test session got another id for the same piece, hence other embedding rows and other
    vectors (the int8 test's min cosine ranged 0.945-0.98 between runs). Specials keep ids 0-4;
    the rest sorted by score rounded to 6 decimals, then piece."""
    import json

    vocab = [(p, float(s)) for p, s in json.loads(tok.to_str())["model"]["vocab"]]
    special = [v for v in vocab if v[0] in SPECIALS]
    rest = sorted(((p, round(s, 6)) for p, s in vocab if p not in SPECIALS), key=lambda v: (-v[1], v[0]))
    return models.Unigram(special + rest, unk_id=SPECIALS.index("<unk>"), byte_fallback=False)


def tiny_config(vocab_size: int, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, pad_token_id=1,
                      initializer_range=0.3, **extra)


def build_encoder(out: Path) -> Path:
    import torch
    from transformers import BertModel

    tok = build_tokenizer(out)
    torch.manual_seed(0)
    BertModel(tiny_config(len(tok)), add_pooling_layer=False).save_pretrained(str(out))
    return out


def build_classifier(out: Path, id2label: dict[int, str]) -> Path:
    import torch
    from transformers import BertForSequenceClassification

    tok = build_tokenizer(out)
    torch.manual_seed(0)
    config = tiny_config(len(tok), num_labels=len(id2label), id2label=id2label,
                         label2id={v: k for k, v in id2label.items()})
    BertForSequenceClassification(config).save_pretrained(str(out))
    return out


def random_adapter(rank: int = 2, seed: int = 0) -> dict:
    """LoRA A, B arrays for every adapted Linear of ``build_encoder``'s model (hidden 32,
    ffn 64, 2 layers), as ``training/sentiment_e5/finetune.py`` writes them."""
    import numpy as np

    from analyzer.backends.embedding.lora import TARGETS

    rng = np.random.default_rng(seed)
    shapes = {"intermediate.dense": (64, 32), "output.dense": (32, 64)}
    arrays = {}
    for layer in range(2):
        for target in TARGETS:
            out_dim, in_dim = shapes.get(target, (32, 32))
            name = f"encoder.layer.{layer}.{target}"
            arrays[f"{name}.lora_A"] = rng.normal(size=(rank, in_dim)).astype(np.float32)
            arrays[f"{name}.lora_B"] = rng.normal(scale=0.3, size=(out_dim, rank)).astype(np.float32)
    return arrays
