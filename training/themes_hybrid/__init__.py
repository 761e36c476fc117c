"""Training and evaluation of models/themes-hybrid/ (see its card.md)."""
