"""Shared by the training and evaluation scripts under ``models/``: load a sibling script
by path. The model folders reuse file names (``train.py``, ``evaluate.py``), so a script
imports another under a unique module name instead of through ``sys.path``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

MODELS = Path(__file__).resolve().parent


def load_script(name: str, relative: str) -> ModuleType:
    """``models/<relative>`` as module ``name``, registered in ``sys.modules`` (so the
    dataclasses it defines resolve their own module)."""
    spec = importlib.util.spec_from_file_location(name, MODELS / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
