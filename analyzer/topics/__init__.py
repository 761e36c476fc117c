"""Topic discovery: what viewers talk about that the theme taxonomy misses.

Per drama x region cell: segment words (``analyzer.text.segment``), embed (TF-IDF+LSA
offline, or multilingual-e5-small), cluster with scikit-learn KMeans (fixed seed),
name topics by class-based TF-IDF and show representative comments.
Needs the ``topics`` extra (scikit-learn; jieba, pythainlp, fugashi+unidic-lite for
word segmentation of zh, th, ja).
"""

from .discover import discover_topics, write_topics

__all__ = ["discover_topics", "write_topics"]
