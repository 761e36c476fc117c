"""Training and evaluation of models/joint-e5/ (see its card.md)."""
