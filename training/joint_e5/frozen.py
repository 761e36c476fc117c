"""The frozen lower layers' output, computed once per row: training then runs only the top
``train_layers`` layers (forward + backward) from these cached hidden states, plus the heads.

The lower ``num_hidden_layers - train_layers`` layers (their LoRA adapter fixed) map a row to
the same hidden states every step, so they are computed once, in eval mode and without
gradient: dropout then applies only in the trained layers (the full forward also drops out
in the embeddings and the frozen layers). In eval mode the cached path gives the full
forward's embedding (``tests/test_joint_e5.py`` checks it on a tiny model).
"""

from __future__ import annotations

import numpy as np

from analyzer.backends.embedding.e5 import mean_pool


def split(model, train_layers: int) -> int:
    """How many lower layers are frozen (0 when every layer learns)."""
    return max(0, int(model.config.num_hidden_layers) - train_layers)


def layer_mask(model, hidden, mask):
    """The attention mask the encoder layers take, built as the model's own forward builds it."""
    return model._create_attention_masks(attention_mask=mask, encoder_attention_mask=None, embedding_output=hidden,
                                         encoder_hidden_states=None, cache=None, position_ids=None)[0]


def lower_states(torch, model, ids: list[list[int]], frozen: int, pad_id: int, device: str, batch: int = 64) -> list:
    """Per row, the (tokens, dim) float32 hidden states after the embeddings and the first
    ``frozen`` layers (eval mode, no gradient), on the CPU; rows in length order for less padding."""
    from training.sentiment_e5.finetune import pad

    was_training = model.training
    model.eval()
    out: list = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.no_grad():
        for start in range(0, len(order), batch):
            part = order[start:start + batch]
            arr, mask = pad([ids[i] for i in part], pad_id)
            x, m = torch.from_numpy(arr).to(device), torch.from_numpy(mask).to(device)
            hidden = model.embeddings(input_ids=x)
            attn = layer_mask(model, hidden, m)
            for layer in model.encoder.layer[:frozen]:
                hidden = layer(hidden, attn)
            for r, i in enumerate(part):
                out[i] = hidden[r, : len(ids[i])].float().cpu().clone()
    model.train(was_training)
    return out


def top_embedding(torch, model, states: list, frozen: int, device: str):
    """Normalized mean-pooled embeddings of a batch from its cached lower states: the layers
    above ``frozen`` run here (with gradient when the caller allows it)."""
    width = max(len(s) for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[-1])
    mask = np.zeros((len(states), width), dtype=np.int64)
    for r, s in enumerate(states):
        hidden[r, : len(s)], mask[r, : len(s)] = s, 1
    hidden, m = hidden.to(device), torch.from_numpy(mask).to(device)
    attn = layer_mask(model, hidden, m)
    for layer in model.encoder.layer[frozen:]:
        hidden = layer(hidden, attn)
    return torch.nn.functional.normalize(mean_pool(hidden, m), dim=-1)
