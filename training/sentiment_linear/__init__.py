"""Training and evaluation of models/sentiment-linear/ (see its card.md)."""
