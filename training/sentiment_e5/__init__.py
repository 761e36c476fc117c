"""Training and evaluation of models/sentiment-e5/ (see its card.md)."""
