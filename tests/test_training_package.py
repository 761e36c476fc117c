"""The training code is one importable package (``python -m training.<model>.<module>``):
no ``sys.path`` edits, no load-by-path, and ``analyzer`` never imports it."""

from __future__ import annotations

import ast
import importlib
import json
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


# --- one layout for results: models/<name>/card.md + models/<name>/runs/<date>-<tag>.json -----

RUN_NAME = r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.(json|md)"
ARTIFACTS = {"sentiment-e5/frozen-head"}  # the frozen-encoder head fine-tuning starts from


def test_every_model_folder_has_a_card_and_only_runs_beside_it():
    import re

    odd = []
    for folder in sorted(p for p in (ROOT / "models").iterdir() if p.is_dir()):
        if not (folder / "card.md").is_file():
            odd.append(f"{folder.name}: no card.md")
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel == "card.md" or any(f"{folder.name}/{rel}".startswith(a + "/") for a in ARTIFACTS):
                continue
            if not re.fullmatch("runs/" + RUN_NAME, rel):
                odd.append(f"{folder.name}/{rel}")
    assert odd == []


def test_runs_parse_and_md_runs_are_linked_from_their_card():
    for path in sorted((ROOT / "models").glob("*/runs/*")):
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        else:
            card = (path.parents[1] / "card.md").read_text(encoding="utf-8")
            assert f"runs/{path.name}" in card, f"{path} is not linked from its card"
