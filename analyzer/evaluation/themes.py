"""Evaluate themes, intents, noise, aspect polarity and stance against labelled JSONL.

Each line: ``{"text", "lang", "stance", "themes", "theme_polarity", "intents", "noise"}``
(TAXONOMY's evaluation format; only ``text`` is required, a missing field is simply
not scored). ``analyzer eval themes FILE.jsonl`` prints ``format_report(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..defaults import MODELS
from ..errors import RecordError
from ..registry import select_backend
from ..schema import INTENTS, SENTIMENT_LABELS, THEMES, Comment
from ..stages.themes import ThemeStage
from .sentiment import read_labelled as read_jsonl_records

BATCH = 256


def read_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Labelled JSONL -> records; a malformed line raises RecordError with file:line."""
    return [_checked(record, record["_location"]) for record in read_jsonl_records(path)]


def _checked(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise RecordError("each record needs a 'text' string", where)
    for key in ("themes", "intents"):
        ids = record.get(key)
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise RecordError(f"'{key}' must be a list of TAXONOMY ids such as [\"acting\"], got {ids!r}", where)
    unknown = set(record.get("themes") or ()) - set(THEMES) | set(record.get("intents") or ()) - set(INTENTS)
    if unknown:
        raise RecordError(f"unknown theme/intent ids {sorted(unknown)}; use TAXONOMY ids", where)
    if record.get("stance") not in (None, *SENTIMENT_LABELS):
        raise RecordError(f"stance must be one of {SENTIMENT_LABELS}, got {record['stance']!r}", where)
    return record


def evaluate_themes(path_or_records: str | Path | Iterable[dict[str, Any]], theme_backend: Any = MODELS["themes"],
                    sentiment_backend: Any = None, *, errors: bool = False,
                    polarity: Any = MODELS["polarity"]) -> dict[str, Any]:
    """Score a theme backend (and optionally a sentiment backend) on labelled records;
    ``errors=True`` adds the error analysis (``result["errors"]``, see ``evaluation.errors``);
    ``polarity`` is the ThemeStage's aspect-polarity backend (None: clause sentiment argmax)."""
    if isinstance(path_or_records, (str, Path)):
        records = read_labelled(path_or_records)
    else:
        records = [_checked(r, f"record {i}") for i, r in enumerate(path_or_records, 1)]
    sentiment = select_backend(sentiment_backend, "sentiment") if sentiment_backend is not None else None
    stage = ThemeStage(backend=theme_backend, sentiment=sentiment, polarity=polarity)
    predicted = _annotate(records, stage, sentiment)
    result: dict[str, Any] = {"n": len(records), "backend": getattr(stage.backend, "name", str(theme_backend)),
                              "sentiment_backend": getattr(sentiment, "name", None)}
    themed = [(r, c) for r, c in zip(records, predicted) if "themes" in r]
    result["themes"] = _per_label(themed, THEMES, lambda r: r.get("themes") or (), lambda c: c.themes)
    result.update(_summary(result["themes"], "theme"))
    intented = [(r, c) for r, c in zip(records, predicted) if "intents" in r]
    result["intents"] = _per_label(intented, INTENTS, lambda r: r.get("intents") or (), lambda c: c.intents)
    result.update(_summary(result["intents"], "intent"))
    noisy = [(r, c) for r, c in zip(records, predicted) if "noise" in r]
    result["noise"] = _per_label(noisy, ("noise",), lambda r: ("noise",) if r["noise"] else (),
                                 lambda c: ("noise",) if c.noise else ())["noise"]
    result.update(_polarity(records, predicted))
    result.update(_stance(records, predicted))
    if errors:
        from .errors import theme_errors

        result["errors"] = theme_errors(records, predicted)
    return result


def _annotate(records: Sequence[dict], stage: ThemeStage, sentiment: Any) -> list[Comment]:
    comments = [Comment(id=str(i), text=r["text"], clean_text=r["text"], lang=r.get("lang")) for i, r in enumerate(records)]
    out: list[Comment] = []
    for start in range(0, len(comments), BATCH):
        batch = comments[start:start + BATCH]
        if sentiment is not None:
            probs = np.asarray(sentiment.predict_proba([c.text for c in batch], [c.lang for c in batch]))
            batch = [c.with_(sentiment=SENTIMENT_LABELS[int(p.argmax())], sentiment_scores=tuple(map(float, p)))
                     for c, p in zip(batch, probs)]
        out.extend(stage(batch))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def _per_label(pairs, labels, gold_of, pred_of) -> dict[str, dict[str, float]]:
    out = {}
    for label in labels:
        tp = sum(1 for r, c in pairs if label in gold_of(r) and label in pred_of(c))
        fp = sum(1 for r, c in pairs if label not in gold_of(r) and label in pred_of(c))
        fn = sum(1 for r, c in pairs if label in gold_of(r) and label not in pred_of(c))
        out[label] = {**_prf(tp, fp, fn), "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}
    return out


def _summary(per: dict[str, dict[str, float]], prefix: str) -> dict[str, float]:
    tp, fp, fn = (sum(v[k] for v in per.values()) for k in ("tp", "fp", "fn"))
    supported = [v["f1"] for v in per.values() if v["support"]]
    micro = _prf(tp, fp, fn)
    return {f"{prefix}_micro_precision": micro["precision"], f"{prefix}_micro_recall": micro["recall"],
            f"{prefix}_micro_f1": micro["f1"], f"{prefix}_macro_f1": float(np.mean(supported)) if supported else 0.0}


def _polarity(records, predicted) -> dict[str, Any]:
    """Accuracy of theme_polarity on themes both labelled with a polarity and predicted."""
    pairs = [(gold, c.theme_polarity.get(t)) for r, c in zip(records, predicted)
             for t, gold in (r.get("theme_polarity") or {}).items() if t in c.themes]
    scored = [(g, p) for g, p in pairs if p is not None]
    return {"polarity_pairs": len(pairs), "polarity_coverage": len(scored) / len(pairs) if pairs else 0.0,
            "polarity_accuracy": sum(g == p for g, p in scored) / len(scored) if scored else None}


def _stance(records, predicted) -> dict[str, Any]:
    pairs = [(r["stance"], c.sentiment) for r, c in zip(records, predicted) if r.get("stance") and c.sentiment]
    if not pairs:
        return {"stance_n": 0, "stance_macro_f1": None, "stance_accuracy": None}
    f1s = []
    for label in SENTIMENT_LABELS:
        tp = sum(g == label and p == label for g, p in pairs)
        fp = sum(g != label and p == label for g, p in pairs)
        fn = sum(g == label and p != label for g, p in pairs)
        f1s.append(_prf(tp, fp, fn)["f1"])
    return {"stance_n": len(pairs), "stance_macro_f1": float(np.mean(f1s)),
            "stance_accuracy": sum(g == p for g, p in pairs) / len(pairs)}


def format_report(result: dict[str, Any]) -> str:
    """A plain-text report: per-theme and per-intent P/R/F1, then the summary numbers."""
    lines = [f"themes evaluation: {result['n']} records, backend {result['backend']}"
             + (f", sentiment {result['sentiment_backend']}" if result.get("sentiment_backend") else ""), ""]
    for title, per in (("theme", result["themes"]), ("intent", result["intents"])):
        lines.append(f"{title:<16}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}")
        for label, v in per.items():
            lines.append(f"{label:<16}{v['precision']:7.3f}{v['recall']:7.3f}{v['f1']:7.3f}{v['support']:9d}")
        lines.append("")
    noise = result["noise"]
    lines += [
        f"noise            P {noise['precision']:.3f}  R {noise['recall']:.3f}  F1 {noise['f1']:.3f}  support {noise['support']}",
        f"theme micro-F1   {result['theme_micro_f1']:.3f}  (P {result['theme_micro_precision']:.3f}, "
        f"R {result['theme_micro_recall']:.3f})",
        f"theme macro-F1   {result['theme_macro_f1']:.3f}",
        f"intent micro-F1  {result['intent_micro_f1']:.3f}",
        "stance macro-F1  " + (f"{result['stance_macro_f1']:.3f}  (n={result['stance_n']})"
                               if result.get("stance_macro_f1") is not None else "n/a (no sentiment backend or no stance labels)"),
        "theme polarity   " + (f"accuracy {result['polarity_accuracy']:.3f} on {result['polarity_pairs']} labelled "
                               f"theme(s), coverage {result['polarity_coverage']:.3f}"
                               if result.get("polarity_accuracy") is not None else "n/a"),
    ]
    if result.get("errors"):
        from .errors import format_errors

        lines += ["", format_errors(result["errors"])]
    return "\n".join(lines)
