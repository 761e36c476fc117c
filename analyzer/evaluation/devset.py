"""The hand-labelled dev set: labels stored by (source, line, sha1), texts joined back
from the shared data folder when it is present.

The label file (``data/devsets/comments_dev.labels.jsonl``) never holds comment text.
``load_devset`` reads each referenced row from ``shared_root/source``, checks that the
sha1 of its ``text`` matches the label, and returns TAXONOMY evaluation records.
Rows that cannot be joined are reported (warning, ``rejects`` list or exception),
never silently used or silently dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path
from typing import Any

from analyzer.errors import InputError, RecordError, check_param
from analyzer.schema import INTENTS, SENTIMENT_LABELS, THEMES

LABEL_FIELDS = ("source", "line", "sha1", "lang", "stance", "themes", "theme_polarity",
                "intents", "noise")
RECORD_FIELDS = ("text", "lang", "stance", "themes", "theme_polarity", "intents", "noise")
ON_ERROR = ("raise", "warn", "collect")


def text_sha1(text: str) -> str:
    """sha1 hex digest of the exact UTF-8 text (how the label file identifies a row)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def label_problems(label: dict[str, Any]) -> list[str]:
    """Everything wrong with one label object against TAXONOMY (empty list if valid)."""
    problems = [f"missing field '{name}'" for name in LABEL_FIELDS if name not in label]
    if problems:
        return problems
    if label["stance"] not in SENTIMENT_LABELS:
        problems.append(f"stance {label['stance']!r} is not one of {SENTIMENT_LABELS}")
    problems += [f"unknown theme {t!r}" for t in label["themes"] if t not in THEMES]
    problems += [f"unknown intent {i!r}" for i in label["intents"] if i not in INTENTS]
    for theme, polarity in label["theme_polarity"].items():
        if theme not in label["themes"]:
            problems.append(f"theme_polarity key {theme!r} is not in themes")
        if polarity not in SENTIMENT_LABELS:
            problems.append(f"polarity {polarity!r} of {theme!r} is not a stance label")
    if not re.fullmatch(r"[a-z]{2}|und", str(label["lang"])):
        problems.append(f"lang {label['lang']!r} must be an ISO 639-1 code or 'und'")
    if label["noise"] and label["themes"]:
        problems.append("a noise row must have no themes")
    if not isinstance(label["line"], int) or label["line"] < 1:
        problems.append("line must be a positive int (1-based)")
    return problems


def read_labels(labels_path: str | Path) -> list[dict[str, Any]]:
    """Read and validate the label file; raises RecordError at the first bad line."""
    path = Path(labels_path)
    if not path.is_file():
        raise InputError(f"Label file {path} not found; pass the path to a *.labels.jsonl file.")
    labels, seen = [], set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            label = json.loads(raw)
        except json.JSONDecodeError as err:
            raise RecordError(f"invalid JSON ({err.msg}); fix or delete the line", where) from err
        problems = label_problems(label) if isinstance(label, dict) else ["not a JSON object"]
        if problems:
            raise RecordError("; ".join(problems), where)
        key = (label["source"], label["line"])
        if key in seen:
            raise RecordError(f"duplicate label for {key[0]} line {key[1]}", where)
        seen.add(key)
        labels.append(label)
    return labels


def _source_texts(shared_root: Path, source: str) -> list[str | None] | None:
    """The ``text`` of every line of one shared JSONL file (None for unreadable lines)."""
    path = shared_root / source
    if not path.is_file():
        return None
    texts: list[str | None] = []
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                texts.append(json.loads(raw).get("text"))
            except (json.JSONDecodeError, AttributeError):
                texts.append(None)
    return texts


def _join_one(label: dict[str, Any], texts: list[str | None] | None) -> tuple[dict | None, str]:
    """Join one label to its text; returns (record, "") or (None, reason)."""
    if texts is None:
        return None, "source file not found under the shared folder"
    if label["line"] > len(texts) or texts[label["line"] - 1] is None:
        return None, "line is missing or has no text"
    text = texts[label["line"] - 1]
    if text_sha1(text) != label["sha1"]:
        return None, "sha1 of the text does not match the label (shared data changed?)"
    record = {name: label[name] for name in RECORD_FIELDS if name != "text"}
    record = {"text": text, **record, "id": f"{label['source']}:{label['line']}"}
    if "note" in label:
        record["note"] = label["note"]
    return record, ""


def load_devset(labels_path: str | Path, shared_root: str | Path, *, on_error: str = "warn",
                rejects: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Labels joined with their texts as TAXONOMY evaluation records.

    Rows that cannot be joined (missing file or line, sha1 mismatch) are appended to
    ``rejects`` when given, and then either raise (``on_error="raise"``), produce one
    summary warning (``"warn"``) or are only collected (``"collect"``).
    """
    check_param("load_devset", "on_error", on_error, on_error in ON_ERROR, f"one of {ON_ERROR}")
    root = Path(shared_root)
    if not root.is_dir():
        raise InputError(f"Shared data folder {root} not found; pass --shared ../shared/data.")
    labels = read_labels(labels_path)
    cache: dict[str, list[str | None] | None] = {}
    records, failed = [], []
    for label in labels:
        if label["source"] not in cache:
            cache[label["source"]] = _source_texts(root, label["source"])
        record, reason = _join_one(label, cache[label["source"]])
        if record is not None:
            records.append(record)
            continue
        where = f"{label['source']}:{label['line']}"
        if on_error == "raise":
            raise RecordError(reason, where)
        failed.append({"source": label["source"], "line": label["line"], "reason": reason})
    if rejects is not None:
        rejects.extend(failed)
    if failed and on_error == "warn":
        first = failed[0]
        warnings.warn(f"{len(failed)} of {len(labels)} dev-set rows not joined; first: "
                      f"{first['source']}:{first['line']}: {first['reason']}", stacklevel=2)
    return records


def write_joined(labels_path: str | Path, shared_root: str | Path, out_path: str | Path, *,
                 on_error: str = "warn", rejects: list[dict[str, Any]] | None = None) -> int:
    """Write the joined dev set as JSON Lines; returns the number of records written."""
    records = load_devset(labels_path, shared_root, on_error=on_error, rejects=rejects)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)


def devset_keys(labels_path: str | Path) -> set[tuple[str, int]]:
    """(source, line) of every labelled row, so training scripts can exclude them."""
    return {(label["source"], label["line"]) for label in read_labels(labels_path)}
