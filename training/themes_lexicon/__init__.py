"""Training and evaluation of models/themes-lexicon/ (see its card.md)."""
