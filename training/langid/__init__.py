"""Training and evaluation of models/langid/ (see its card.md)."""
