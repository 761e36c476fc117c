"""Training and evaluation of models/themes-e5/ (see its card.md)."""
