"""Stance evaluation: per-language macro-F1, accuracy, n and confusion matrices.

Macro-F1 of a language averages the F1 of the labels that occur in its gold data
(a binary source has no neutral gold rows; predicting neutral there still costs
recall). ``mean_macro_f1`` is the unweighted mean over languages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, RecordError
from ..registry import select_backend
from ..schema import SENTIMENT_LABELS

_ALIASES = {"neg": "negative", "neu": "neutral", "pos": "positive"}


def _label_of(record: Mapping[str, Any], location: str) -> str | None:
    value = record.get("stance", record.get("label"))
    if value is None:
        return None
    label = _ALIASES.get(str(value).strip().lower(), str(value).strip().lower())
    if label not in SENTIMENT_LABELS:
        raise RecordError(f"label {value!r} is not one of {', '.join(SENTIMENT_LABELS)}", location)
    return label


def read_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Records of a JSONL file (``text``, ``lang``, ``label`` or ``stance``)."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {file}: {exc}; pass a UTF-8 JSONL file.") from exc
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"invalid JSON ({exc.msg}); fix or remove the line", f"{file}:{number}") from exc
        if not isinstance(record, dict):
            raise RecordError("a line must be a JSON object", f"{file}:{number}")
        record.setdefault("_location", f"{file}:{number}")
        records.append(record)
    return records


def _gold(records: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str], list[int], int]:
    texts, langs, gold, skipped = [], [], [], 0
    for i, record in enumerate(records):
        location = str(record.get("_location", f"record {i + 1}"))
        label = _label_of(record, location)
        if label is None:
            skipped += 1
            continue
        text = record.get("text")
        if not isinstance(text, str):
            raise RecordError("field 'text' must be a string", location)
        texts.append(text)
        langs.append(str(record.get("lang") or "und"))
        gold.append(SENTIMENT_LABELS.index(label))
    return texts, langs, gold, skipped


def _scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    k = len(SENTIMENT_LABELS)
    confusion = np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)
    f1s = []
    for c in range(k):
        support, predicted, hit = confusion[c].sum(), confusion[:, c].sum(), confusion[c, c]
        if support:
            f1s.append(2 * hit / (support + predicted))
    return {
        "n": len(gold),
        "accuracy": float(np.trace(confusion) / max(len(gold), 1)),
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "confusion": confusion.tolist(),
    }


def evaluate_sentiment(path_or_records: str | Path | Iterable[Mapping[str, Any]], backend: Any,
                       *, batch_size: int = 4096, errors: bool = False) -> dict[str, Any]:
    """Score ``backend`` (instance, registered name or model folder) on labelled rows;
    ``errors=True`` adds the worst gold -> predicted confusions per language with examples."""
    records = read_labelled(path_or_records) if isinstance(path_or_records, (str, Path)) else path_or_records
    texts, langs, gold, skipped = _gold(records)
    if not texts:
        raise InputError("No labelled rows to evaluate; rows need 'text' and 'label' or 'stance'.")
    model = select_backend(backend, "sentiment")
    probs = np.concatenate([model.predict_proba(texts[i:i + batch_size], langs[i:i + batch_size])
                            for i in range(0, len(texts), batch_size)])
    pred, truth, lang_arr = probs.argmax(axis=1), np.asarray(gold), np.asarray(langs)
    languages = {lang: _scores(truth[lang_arr == lang], pred[lang_arr == lang]) for lang in sorted(set(langs))}
    extra = {}
    if errors:
        from .errors import pair_confusions, stance_rows

        extra["errors"] = {"stance": pair_confusions(stance_rows(texts, langs, gold, pred.tolist(), SENTIMENT_LABELS))}
    return {**extra,
        "backend": getattr(model, "name", type(model).__name__),
        "labels": list(SENTIMENT_LABELS),
        "skipped_unlabelled": skipped,
        "overall": _scores(truth, pred),
        "mean_macro_f1": float(np.mean([s["macro_f1"] for s in languages.values()])),
        "languages": languages,
    }


def format_report(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per language, then the confusion matrices."""
    lines = [f"backend: {result['backend']}", f"{'lang':<8}{'n':>8}{'acc':>8}{'macro-F1':>10}"]
    for lang, s in result["languages"].items():
        lines.append(f"{lang:<8}{s['n']:>8}{s['accuracy']:>8.3f}{s['macro_f1']:>10.3f}")
    o = result["overall"]
    lines.append(f"{'all':<8}{o['n']:>8}{o['accuracy']:>8.3f}{o['macro_f1']:>10.3f}")
    lines.append(f"mean per-language macro-F1: {result['mean_macro_f1']:.3f}"
                 + (f"  (skipped {result['skipped_unlabelled']} unlabelled)" if result["skipped_unlabelled"] else ""))
    short = [label[:3] for label in result["labels"]]
    lines.append("")
    lines.append("confusion (rows gold, columns predicted: " + " ".join(short) + ")")
    for lang, s in list(result["languages"].items()) + [("all", o)]:
        cells = "  ".join(" ".join(f"{v:>5}" for v in row) for row in s["confusion"])
        lines.append(f"{lang:<8}{cells}")
    if result.get("errors"):
        from .errors import format_errors

        lines += ["", format_errors(result["errors"])]
    return "\n".join(lines)


DEV_SPLIT = "held-out dev (each source's validation file or a seed-13 split; never training rows)"


def write_dev_scores(result: Mapping[str, Any], model_dir: str | Path, split: str = DEV_SPLIT) -> Path:
    """``dev_scores.json`` beside a model's weights (numbers only): the run manifest and the
    report's methods footer show them, and ``[aggregate] confusion = "model"`` corrects
    shares with the per-language matrices. Written atomically; returns the path."""
    from ..io.writers import write_json

    langs = result["languages"]
    scores = {
        "split": split,
        "mean_macro_f1": round(result["mean_macro_f1"], 4),
        "macro_f1_per_language": {k: round(v["macro_f1"], 4) for k, v in langs.items()},
        "n_per_language": {k: v["n"] for k, v in langs.items()},
        "confusion_per_language": {k: v["confusion"] for k, v in langs.items()},
    }
    path = Path(model_dir) / "dev_scores.json"
    write_json(path, scores)
    return path
