"""Evaluation of annotations against labelled JSONL (see TAXONOMY.md's format)."""

from __future__ import annotations

from .sentiment import evaluate_sentiment, format_report, read_labelled

__all__ = ["evaluate_sentiment", "format_report", "read_labelled"]
