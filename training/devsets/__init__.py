"""Training and evaluation of models/devsets/ (see its card.md)."""
