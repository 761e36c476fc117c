"""Name and illustrate topics: top words by class-based TF-IDF (BERTopic's c-TF-IDF)
over the segmented words, representative comments (central, most liked first,
not near-duplicates of each other), and the languages and taxonomy themes inside."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..text.normalize import mask_handles
from .embed import require_sklearn


def ctfidf_words(docs: list[list[str]], labels: np.ndarray, weights: np.ndarray, k: int,
                 top_n: int = 10) -> list[list[tuple[str, float]]]:
    """Per topic, ``top_n`` (word, score) by c-TF-IDF: tf_{w,t} * log(1 + A / f_w).

    tf is the topic's L1-normalized word count, f_w the word's count over all topics
    and A the mean word count per topic. A word must occur in at least two comments
    of the topic (one when the topic has a single comment) and have two or more
    letters: single Han/kana/Thai characters left by the segmenter are mostly
    particles or too generic (剧, 集) to name a topic; they still count for clustering.
    """
    require_sklearn()
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    if not any(docs):
        return [[] for _ in range(k)]
    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens, lowercase=False)
    counts = vectorizer.fit_transform(docs)
    vocab = vectorizer.get_feature_names_out()
    long_enough = np.array([len(w) > 1 for w in vocab])
    onehot = sparse.csr_matrix((weights, (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    per_topic = np.asarray((onehot @ counts).todense(), dtype=np.float64)
    doc_freq = np.asarray((onehot @ (counts > 0).astype(np.float64)).todense())
    total = per_topic.sum(axis=0)
    mean_words = per_topic.sum() / max(k, 1)
    tf = per_topic / np.maximum(per_topic.sum(axis=1, keepdims=True), 1e-12)
    scores = tf * np.log1p(mean_words / np.maximum(total, 1e-12))
    sizes = np.bincount(labels, weights=weights, minlength=k)
    out = []
    for t in range(k):
        ok = (doc_freq[t] >= min(2.0, sizes[t])) & long_enough
        ranked = sorted((i for i in np.flatnonzero(ok & (scores[t] > 0))), key=lambda i: (-scores[t, i], vocab[i]))
        out.append([(str(vocab[i]), round(float(scores[t, i]), 5)) for i in ranked[:top_n]])
    return out


def representatives(members: list[int], vectors: np.ndarray, centroid: np.ndarray, units: list[dict[str, Any]],
                    n: int = 3, max_overlap: float = 0.5) -> list[dict[str, Any]]:
    """Up to ``n`` comments: the central third (at least 10) of the topic, most liked
    first, skipping any whose word set overlaps a chosen one by more than ``max_overlap``."""
    if not members:
        return []
    direction = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    similarity = vectors[members] @ direction
    by_centrality = [members[i] for i in np.argsort(-similarity, kind="stable")]
    central = by_centrality[: max(10, len(members) // 3)]
    rank = {m: r for r, m in enumerate(by_centrality)}
    candidates = sorted(central, key=lambda m: (-units[m]["likes"], rank[m]))
    chosen: list[int] = []
    for m in candidates:
        words = set(units[m]["words"])
        if all(_jaccard(words, set(units[c]["words"])) <= max_overlap for c in chosen):
            chosen.append(m)
        if len(chosen) == n:
            break
    # As the report's quotes: the original text but not other users' handles (@name -> @user).
    return [{"id": units[m]["id"], "text": mask_handles(units[m]["text"]), "likes": units[m]["likes"],
             "lang": units[m]["lang"], "copies": units[m]["weight"]} for m in chosen]


def shares(rows: list[dict[str, Any]], field: str, top: int = 3) -> dict[str, float]:
    """The ``top`` most common values of ``field`` (a str or a tuple) as shares of ``rows``."""
    counts: Counter[str] = Counter()
    for row in rows:
        value = row.get(field)
        counts.update(value if isinstance(value, tuple) else [value or "und"])
    return {key: round(count / len(rows), 4) for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]}


def untagged_share(rows: list[dict[str, Any]]) -> float | None:
    """Share of the topic's comments with no taxonomy theme: high means the taxonomy misses it."""
    if not rows or any(row.get("themes") is None for row in rows):
        return None
    return round(sum(1 for row in rows if not row["themes"]) / len(rows), 4)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
