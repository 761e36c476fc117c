"""Shared by train.py, evaluate.py and the tests: the multi-task targets of one row and the
balanced, masked joint loss.

A row may carry any subset of the four signals: a stance label (3-way), theme/intent labels
(``HEADS``, multi-label), and per-theme aspect polarity (``theme_polarity``). Each missing
signal is masked out of its loss; aspect polarity counts only for the themes the label
gives a polarity to (``POLARITY_THEMES`` x 3 logits, one 3-way softmax per theme).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from analyzer.backends.joint_e5 import HEADS, POLARITY_THEMES
from analyzer.schema import SENTIMENT_LABELS

NO_LABEL = -100  # torch's ignore_index


def targets(rows: list[dict]) -> dict[str, np.ndarray]:
    """Arrays for a batch: stance (n,) with NO_LABEL where absent; labels (n, len(HEADS)) 0/1
    with has_labels (n,) bool; polarity (n, len(POLARITY_THEMES)) with NO_LABEL where the
    theme has no polarity label."""
    n = len(rows)
    stance = np.full(n, NO_LABEL, dtype=np.int64)
    labels = np.zeros((n, len(HEADS)), dtype=np.float32)
    has_labels = np.zeros(n, dtype=bool)
    polarity = np.full((n, len(POLARITY_THEMES)), NO_LABEL, dtype=np.int64)
    for i, row in enumerate(rows):
        if row.get("stance") in SENTIMENT_LABELS:
            stance[i] = SENTIMENT_LABELS.index(row["stance"])
        if row.get("labels") is not None:
            has_labels[i] = True
            labels[i] = [head in row["labels"] for head in HEADS]
        for theme, value in (row.get("theme_polarity") or {}).items():
            if theme in POLARITY_THEMES and value in SENTIMENT_LABELS:
                polarity[i, POLARITY_THEMES.index(theme)] = SENTIMENT_LABELS.index(value)
    return {"stance": stance, "labels": labels, "has_labels": has_labels, "polarity": polarity}


def joint_loss(torch, out: dict, y: dict, weights: dict) -> dict:
    """Per-task losses (each a weighted mean over the rows that carry that task; 0 when none
    does) and their sum. ``out``: stance (n, 3), labels (n, H), polarity (n, T, 3) logits.
    ``weights``: stance_row (n,) row weights, stance_class (3,), pos_weight (H,), polarity_class (3,)."""
    F = torch.nn.functional
    zero = out["stance"].sum() * 0.0
    losses = {}
    keep = y["stance"] != NO_LABEL
    if bool(keep.any()):
        per_row = F.cross_entropy(out["stance"][keep], y["stance"][keep], weight=weights["stance_class"], reduction="none")
        w = weights["stance_row"][keep]
        losses["stance"] = (per_row * w).sum() / w.sum()
    else:
        losses["stance"] = zero
    has = y["has_labels"]
    if bool(has.any()):
        per = F.binary_cross_entropy_with_logits(out["labels"][has], y["labels"][has], pos_weight=weights["pos_weight"],
                                                 reduction="none")
        losses["labels"] = per.mean()
    else:
        losses["labels"] = zero
    pol = y["polarity"].reshape(-1)
    if bool((pol != NO_LABEL).any()):
        losses["polarity"] = F.cross_entropy(out["polarity"].reshape(-1, 3), pol, weight=weights["polarity_class"],
                                             ignore_index=NO_LABEL)
    else:
        losses["polarity"] = zero
    losses["total"] = losses["stance"] + losses["labels"] + losses["polarity"]
    return losses


def class_weights(counts: np.ndarray) -> np.ndarray:
    """Inverse-frequency weights with mean 1 over the classes seen (unseen classes get 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    w = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    return (w / w[counts > 0].mean()).astype(np.float32)


def pos_weights(labels: np.ndarray, cap: float = 10.0) -> np.ndarray:
    """Per-head positive weight sqrt(neg / pos), in [1, cap]: rare labels count more."""
    pos = labels.sum(0)
    neg = len(labels) - pos
    return np.clip(np.sqrt(neg / np.maximum(pos, 1)), 1.0, cap).astype(np.float32)
