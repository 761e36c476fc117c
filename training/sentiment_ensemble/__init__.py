"""Training and evaluation of models/sentiment-ensemble/ (see its card.md)."""
