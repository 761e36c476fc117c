"""The training code is one importable package (``python -m training.<model>.<module>``):
no ``sys.path`` edits, no load-by-path, and ``analyzer`` never imports it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training"
LOAD_BY_PATH = ("sys.path", "spec_from_file_location", "runpy", "SourceFileLoader")


def module_names() -> list[str]:
    names = []
    for path in sorted(TRAINING.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_model_folder_script_moved_into_the_package():
    assert not sorted((ROOT / "models").rglob("*.py"))
    assert {"training.common", "training.themes_hybrid.train", "training.sentiment_linear.train"} <= set(module_names())


def test_no_sys_path_edits_or_load_by_path():
    offenders = [f"{path.relative_to(ROOT)}: {word}" for path in sorted(TRAINING.rglob("*.py"))
                 for word in LOAD_BY_PATH if word in path.read_text(encoding="utf-8").replace("``sys.path``", "")]
    assert offenders == []


def test_analyzer_never_imports_training():
    offenders = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "analyzer").rglob("*.py"))
                 if any(name.split(".")[0] == "training" for name in imported_modules(path))]
    assert offenders == []


@pytest.mark.parametrize("name", module_names())
def test_module_imports(name):
    pytest.importorskip("sklearn")  # the training extra
    module = importlib.import_module(name)
    assert module.__name__ == name
