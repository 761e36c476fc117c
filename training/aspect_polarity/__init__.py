"""Training and evaluation of models/aspect-polarity/ (see its card.md)."""
