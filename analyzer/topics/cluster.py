"""Cluster document vectors with scikit-learn's KMeans (fixed ``random_state``, so a
fixed seed gives the same topics) and choose the number of topics by silhouette."""

from __future__ import annotations

import numpy as np

from .embed import require_sklearn

SILHOUETTE_SAMPLE = 2000


def kmeans(vectors: np.ndarray, weights: np.ndarray, k: int, seed: int, n_init: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, centroids)`` of a weighted KMeans with ``k`` clusters."""
    require_sklearn()
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(vectors, sample_weight=weights)
    return model.labels_, model.cluster_centers_


def choose_k(vectors: np.ndarray, weights: np.ndarray, k_max: int, seed: int) -> tuple[int, dict[int, float]]:
    """The k in ``2..k_max`` with the best cosine silhouette (on a sample), and every
    k's score. The search fits each k once; ``cluster`` refits the chosen k fully."""
    from sklearn.metrics import silhouette_score

    scores: dict[int, float] = {}
    distinct = len(np.unique(vectors.round(6), axis=0))
    for k in range(2, min(k_max, distinct - 1) + 1):
        labels, _ = kmeans(vectors, weights, k, seed, n_init=1)
        if len(set(labels.tolist())) < 2:
            continue
        sample = min(SILHOUETTE_SAMPLE, len(labels))
        scores[k] = float(silhouette_score(vectors, labels, metric="cosine", sample_size=sample, random_state=seed))
    if not scores:
        return 1, scores
    return max(scores, key=lambda k: (round(scores[k], 6), -k)), scores


def cluster(vectors: np.ndarray, weights: np.ndarray, n_topics: int | str, *, min_topic_size: int,
            max_topics: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """``(labels, centroids, silhouette by k)``; labels are renumbered largest topic first."""
    n = len(vectors)
    if n_topics == "auto":
        k, scores = choose_k(vectors, weights, min(max_topics, int(weights.sum()) // min_topic_size), seed)
    else:
        k, scores = min(int(n_topics), n), {}
    if k <= 1:
        centroid = vectors.mean(axis=0, keepdims=True)
        return np.zeros(n, dtype=int), centroid, scores
    labels, centroids = kmeans(vectors, weights, k, seed)
    return *renumber(labels, centroids, weights), scores


def renumber(labels: np.ndarray, centroids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topic 0 is the largest (by weight); ties keep KMeans order."""
    sizes = np.bincount(labels, weights=weights, minlength=len(centroids))
    order = sorted(range(len(centroids)), key=lambda c: (-sizes[c], c))
    new = np.empty(len(order), dtype=int)
    new[order] = np.arange(len(order))
    return new[labels], centroids[order]
