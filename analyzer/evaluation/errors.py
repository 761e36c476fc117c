"""Error analysis: the worst confusions per label, with counts and a few examples.

``analyzer eval themes FILE --errors`` and ``analyzer eval sentiment FILE --errors``
print ``format_errors(...)``: for each theme or intent, what the gold label was when the
model fired wrongly (false positives) and what the model said instead when it missed
(false negatives); aspect-polarity and stance confusions (gold -> predicted). Labels are
ordered by their error count, so the first lines say what to fix next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

NONE = "(none)"
EXAMPLE_CHARS = 90


def _example(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= EXAMPLE_CHARS else flat[:EXAMPLE_CHARS - 1] + "…"


def label_errors(rows: Sequence[tuple[str, Sequence[str], Sequence[str]]], labels: Iterable[str],
                 examples: int = 3) -> list[dict[str, Any]]:
    """Per label: false positives by the gold labels the row had instead, false negatives
    by what was predicted instead. ``rows`` are (text, gold labels, predicted labels)."""
    out = []
    for label in labels:
        fp_with, fn_with = Counter(), Counter()
        fp_examples, fn_examples = [], []
        for text, gold, pred in rows:
            if label in pred and label not in gold:
                fp_with.update(sorted(set(gold) - set(pred)) or [NONE])
                fp_examples.append(_example(text))
            elif label in gold and label not in pred:
                fn_with.update(sorted(set(pred) - set(gold)) or [NONE])
                fn_examples.append(_example(text))
        fp, fn = len(fp_examples), len(fn_examples)
        if fp or fn:
            out.append({"label": label, "errors": fp + fn, "false_positives": fp, "false_negatives": fn,
                        "fp_gold_instead": dict(fp_with.most_common()), "fn_predicted_instead": dict(fn_with.most_common()),
                        "fp_examples": fp_examples[:examples], "fn_examples": fn_examples[:examples]})
    return sorted(out, key=lambda e: (-e["errors"], e["label"]))


def pair_confusions(pairs: Iterable[tuple[str, str, str, str]], examples: int = 2) -> list[dict[str, Any]]:
    """Wrong (group, gold, predicted) pairs by count; ``pairs`` are (group, gold, predicted, text)."""
    counts: Counter = Counter()
    texts: dict[tuple[str, str, str], list[str]] = {}
    for group, gold, pred, text in pairs:
        if gold != pred:
            key = (group, gold, pred)
            counts[key] += 1
            texts.setdefault(key, []).append(_example(text))
    return [{"group": g, "gold": gold, "predicted": pred, "count": n, "examples": texts[(g, gold, pred)][:examples]}
            for (g, gold, pred), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def theme_errors(records: Sequence[dict[str, Any]], predicted: Sequence[Any], examples: int = 3) -> dict[str, Any]:
    """Error analysis for ``evaluate_themes``: themes, intents, aspect polarity, stance."""
    from ..schema import INTENTS, THEMES

    def rows(field: str, attr: str) -> list:
        return [(r["text"], r.get(field) or (), getattr(c, attr)) for r, c in zip(records, predicted) if field in r]

    polarity = [(theme, gold, c.theme_polarity.get(theme), r["text"]) for r, c in zip(records, predicted)
                for theme, gold in (r.get("theme_polarity") or {}).items() if c.theme_polarity.get(theme)]
    stance = [(r.get("lang") or "und", r["stance"], c.sentiment, r["text"]) for r, c in zip(records, predicted)
              if r.get("stance") and c.sentiment]
    return {"themes": label_errors(rows("themes", "themes"), THEMES, examples),
            "intents": label_errors(rows("intents", "intents"), INTENTS, examples),
            "polarity": pair_confusions(polarity), "stance": pair_confusions(stance)}


def format_errors(errors: dict[str, Any], top: int = 8) -> str:
    """Plain text: the labels with most errors first, then the polarity/stance confusions."""
    lines: list[str] = []
    for kind in ("themes", "intents"):
        entries = errors.get(kind) or []
        if not entries:
            continue
        lines += ["", f"worst {kind} (false positives: gold had instead; false negatives: predicted instead)"]
        for e in entries[:top]:
            lines.append(f"{e['label']:<14} {e['errors']:>4} errors: {e['false_positives']} FP "
                         f"[{_counts(e['fp_gold_instead'])}]  {e['false_negatives']} FN [{_counts(e['fn_predicted_instead'])}]")
            lines += [f"    FP: {x}" for x in e["fp_examples"]] + [f"    FN: {x}" for x in e["fn_examples"]]
    for kind, title in (("polarity", "aspect polarity (theme: gold -> predicted)"),
                        ("stance", "stance (language: gold -> predicted)")):
        entries = errors.get(kind) or []
        if entries:
            lines += ["", f"worst {title}"]
            for e in entries[:top]:
                lines.append(f"{e['group']:<14} {e['gold']:>8} -> {e['predicted']:<8} {e['count']:>4}")
                lines += [f"    e.g. {x}" for x in e["examples"]]
    return "\n".join(lines).lstrip("\n") or "no errors"


def _counts(counter: dict[str, int], top: int = 4) -> str:
    return ", ".join(f"{k} {v}" for k, v in list(counter.items())[:top])


def stance_rows(texts: Sequence[str], langs: Sequence[str], gold: Sequence[int], pred: Sequence[int],
                labels: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(language, gold, predicted, text) rows for ``pair_confusions`` from index labels."""
    return [(lang, labels[g], labels[p], text) for text, lang, g, p in zip(texts, langs, gold, pred)]

