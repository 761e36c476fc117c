"""Training and evaluation of the shipped models, one subpackage per model
(``python -m training.themes_hybrid.train``). Needs the ``training`` extra
(``pip install -e '.[training]'``); ``analyzer`` never imports this package."""
