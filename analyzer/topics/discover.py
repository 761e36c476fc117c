"""``discover_topics``: per cell (drama x region by default), cluster the non-noise
comments and describe each topic; ``write_topics`` writes topics.csv + topics.json."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import check_param
from ..io.writers import atomic_open, csv_safe, write_json
from ..text.segment import available, content_words
from .cluster import cluster
from .describe import ctfidf_words, representatives, shares, untagged_share
from .embed import EmbedderChoice, cluster_features, model_vectors, require_sklearn, tfidf_vectors
from .load import GROUP_COLUMNS, group_cells, read_rows

OWNER = "discover_topics"
EMBEDDERS = ("auto", "tfidf", "e5")


def check_params(by, min_comments, n_topics, seed, embedder, min_topic_size, max_topics, device="cpu") -> None:
    check_param(OWNER, "by", by, isinstance(by, (tuple, list)) and set(by) <= set(GROUP_COLUMNS),
                f"a tuple of columns from {GROUP_COLUMNS}")
    check_param(OWNER, "min_comments", min_comments, isinstance(min_comments, int) and min_comments >= 2, "an int >= 2")
    check_param(OWNER, "n_topics", n_topics, n_topics == "auto" or (isinstance(n_topics, int) and n_topics >= 1),
                '"auto" or a positive int')
    check_param(OWNER, "seed", seed, isinstance(seed, int) and not isinstance(seed, bool), "an int")
    check_param(OWNER, "embedder", embedder, not isinstance(embedder, str) or embedder in EMBEDDERS,
                f"one of {EMBEDDERS} or an object with embed(texts)")
    check_param(OWNER, "min_topic_size", min_topic_size, isinstance(min_topic_size, int) and min_topic_size >= 1,
                "a positive int")
    check_param(OWNER, "max_topics", max_topics, isinstance(max_topics, int) and max_topics >= 2, "an int >= 2")
    check_param(OWNER, "device", device, isinstance(device, str) and (device in ("cpu", "cuda") or device.startswith("cuda:")),
                '"cpu", "cuda" or "cuda:N"')


def build_units(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Identical comments (whitespace-normalized) become one unit weighted by its copies;
    units are sorted by text so the result does not depend on row order."""
    units: dict[str, dict[str, Any]] = {}
    for row in rows:
        model_text = " ".join((row.get("clean_text") or row["text"]).split())
        unit = units.get(model_text)
        likes = int(row.get("likes") or 0)
        if unit is None:
            units[model_text] = unit = {"model_text": model_text, "weight": 0, "rows": [], "likes": -1}
        unit["weight"] += 1
        unit["rows"].append(row)
        if likes > unit["likes"]:
            unit.update(likes=likes, id=row["id"], text=row["text"], lang=row.get("lang"))
    ordered = [units[key] for key in sorted(units)]
    for unit in ordered:
        unit["words"] = content_words(unit["model_text"], unit["lang"])
    return ordered


def topics_of_cell(key: dict[str, Any], rows: list[dict[str, Any]], choice: EmbedderChoice,
                   settings: dict[str, Any]) -> tuple[list, dict]:
    """The topics of one cell, and a summary of the cell."""
    units = [u for u in build_units(rows) if u["words"]]
    clustered = sum(u["weight"] for u in units)
    info = {**key, "comments": len(rows), "clustered": clustered, "embedder": None, "topics": 0, "skipped": None}
    if clustered < settings["min_comments"] or len(units) < 2:
        info["skipped"] = f"fewer than {settings['min_comments']} comments with words"
        return [], info
    weights = np.array([u["weight"] for u in units], dtype=np.float64)
    info["embedder"], model = choice.for_cell([row.get("lang") for u in units for row in u["rows"]])
    vectors = (tfidf_vectors([cluster_features(u["words"]) for u in units], seed=settings["seed"]) if model is None
               else model_vectors(model, [u["model_text"] for u in units]))
    labels, centroids, scores = cluster(vectors, weights, settings["n_topics"], seed=settings["seed"],
                                        min_topic_size=settings["min_topic_size"], max_topics=settings["max_topics"])
    words = ctfidf_words([u["words"] for u in units], labels, weights, len(centroids), settings["top_words"])
    topics = []
    for t, centroid in enumerate(centroids):
        members = np.flatnonzero(labels == t).tolist()
        if members:
            topic = describe_topic(members, units, vectors, centroid, words[t], settings["n_representatives"])
            share = round(topic["size"] / clustered, 4)
            topics.append({**key, "topic": len(topics), "size": topic["size"], "share": share,
                           "embedder": info["embedder"], **topic})
    info.update(topics=len(topics), silhouette={str(k): round(v, 4) for k, v in scores.items()})
    return topics, info


def describe_topic(members: list[int], units: list[dict[str, Any]], vectors: np.ndarray, centroid: np.ndarray,
                   words: list[tuple[str, float]], n_representatives: int) -> dict[str, Any]:
    rows = [row for m in members for row in units[m]["rows"]]
    untagged = untagged_share(rows)
    return {
        "size": len(rows), "words": [w for w, _ in words], "word_scores": dict(words),
        "untagged_share": untagged, "themes": shares(rows, "themes") if untagged is not None else None,
        "langs": shares(rows, "lang"), "likes": sum(int(r.get("likes") or 0) for r in rows),
        "representatives": representatives(members, vectors, centroid, units, n_representatives),
    }


def _discover(source: Any, *, by=("drama", "region"), min_comments: int = 30, n_topics: int | str = "auto",
              seed: int = 0, embedder: Any = "auto", min_topic_size: int = 5, max_topics: int = 12,
              top_words: int = 10, n_representatives: int = 3, device: str = "cpu") -> tuple[list[dict], list[dict], dict]:
    by = tuple(by) if isinstance(by, (list, tuple)) else by
    check_params(by, min_comments, n_topics, seed, embedder, min_topic_size, max_topics, device)
    require_sklearn()

    rows = read_rows(source)
    choice = EmbedderChoice(embedder, device)
    settings = {"by": list(by), "min_comments": min_comments, "n_topics": n_topics, "seed": seed, "embedder": choice.requested,
                "min_topic_size": min_topic_size, "max_topics": max_topics, "top_words": top_words,
                "n_representatives": n_representatives, "segmenters": available()}
    topics, cells = [], []
    for key, cell_rows in group_cells(rows, by):
        found, info = topics_of_cell(dict(zip(by, key)), cell_rows, choice, settings)
        topics.extend(found)
        cells.append(info)
    settings["noise_excluded"] = sum(1 for r in rows if r.get("noise"))
    return topics, cells, settings


def discover_topics(run_dir_or_comments: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Topics per cell: a list of dicts with the ``by`` keys, ``topic`` (0 = largest),
    ``size``, ``share`` (of the cell's clustered comments), ``words``, ``word_scores``,
    ``representatives`` (id, original text, likes, lang, copies), ``langs``, ``themes``,
    ``untagged_share`` (no taxonomy theme: what the taxonomy misses) and ``likes``.

    Keywords: ``by=("drama", "region")``, ``min_comments=30``, ``n_topics="auto"|int``,
    ``seed=0``, ``embedder="auto"|"tfidf"|"e5"|object with embed()``,
    ``min_topic_size=5``, ``max_topics=12``, ``top_words=10``, ``n_representatives=3``,
    ``device="cpu"|"cuda"|"cuda:N"`` (where the e5 embedder runs).
    """
    return _discover(run_dir_or_comments, **kwargs)[0]


CSV_COLUMNS = ("topic", "size", "share", "untagged_share", "words", "themes", "langs", "likes", "representatives",
               "embedder")


def write_topics(run_dir: str | os.PathLike, *, out_dir: str | os.PathLike | None = None, **kwargs: Any) -> dict[str, Any]:
    """Discover topics in ``RUN_DIR/comments.parquet``; write topics.csv and topics.json
    (atomically) into ``out_dir`` (default: the run directory). Returns the paths and counts."""
    topics, cells, settings = _discover(run_dir, **kwargs)
    out = Path(out_dir or run_dir)
    if out.suffix == ".parquet":
        out = out.parent
    write_json(out / "topics.json", {"settings": settings, "cells": cells, "topics": topics})
    with atomic_open(out / "topics.csv") as handle:
        writer = csv.writer(handle)
        writer.writerow([*settings["by"], *CSV_COLUMNS])
        for t in topics:
            reps = [r["text"] for r in t["representatives"]]
            values = {**t, "words": " | ".join(t["words"]), "representatives": json.dumps(reps, ensure_ascii=False)}
            writer.writerow([_csv(t[c]) for c in settings["by"]] + [_csv(values[c]) for c in CSV_COLUMNS])
    return {"csv": str(out / "topics.csv"), "json": str(out / "topics.json"), "topics": len(topics),
            "cells": sum(1 for c in cells if not c["skipped"]), "skipped_cells": sum(1 for c in cells if c["skipped"])}


def _csv(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else csv_safe(value)
