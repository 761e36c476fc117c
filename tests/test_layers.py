"""Layers only point down (STYLE.md): a module imports from its own layer or below."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"

RANK = {
    "errors": 0, "schema": 0, "defaults": 0,
    "manifest": 0.5,  # the typed run record: read by config (run --config manifest.json), runner and report
    "lang": 0.5,  # language profiles and the market table: data only, read by text, io and stages
    "config": 1, "registry": 1, "text": 1, "progress": 1,
    "io": 2, "backends": 2, "aggregate": 2,
    "stages": 3, "collect": 3, "models_build": 3,
    "pipeline": 4, "report": 4, "topics": 4, "evaluation": 4,
    "engines": 4.5,  # engines drive the pipeline on other processes
    "runner": 5, "api": 6, "samples": 3,
    "cli": 7, "__init__": 8, "__main__": 8,
}
# Plugin discovery: the registry imports the backends package so they can register.
ALLOWED = {("registry", "backends")}
# The aggregate layer knows annotated records only, never models.
FORBIDDEN = {("aggregate", "backends"), ("aggregate", "stages"), ("aggregate", "evaluation")}


def top_of(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def imported_tops(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth_pkg = len(path.relative_to(PACKAGE).parts) - 1
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "analyzer":
                    parts = node.module.split(".")[1:]
                    found.add(parts[0] if parts else (node.names[0].name))
                continue
            up = node.level - 1
            base = list(path.relative_to(PACKAGE).parts[:depth_pkg])
            base = base[: len(base) - up] if up else base
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0].removesuffix(".py"))
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "analyzer" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_layers_only_point_down():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        src = top_of(path)
        if src not in RANK:
            problems.append(f"{path.relative_to(PACKAGE)}: module '{src}' has no layer in tests/test_layers.py")
            continue
        for dst in imported_tops(path) - {src}:
            if dst not in RANK:
                continue
            if (src, dst) in FORBIDDEN or (RANK[dst] >= RANK[src] and (src, dst) not in ALLOWED):
                problems.append(f"{path.relative_to(PACKAGE)} ({src}, layer {RANK[src]}) imports {dst} (layer {RANK[dst]})")
    assert not problems, "\n".join(problems)


# Top-level packages of the repository that the installed analyzer package must never import
# (training is an optional extra; tests, benchmarks and models/ scripts are not shipped).
OUTSIDE = ("training", "tests", "benchmarks", "models", "notebooks")


def test_analyzer_never_imports_training_or_repository_scripts():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            problems += [f"{path.relative_to(PACKAGE)} imports {n}" for n in names if n.split(".")[0] in OUTSIDE]
    assert not problems, "\n".join(problems)


def test_every_layer_named_here_and_new_packages_placed():
    """The packages #15 adds have their layer: lang (data, below text), backends/embedding (inside
    backends), manifest and defaults (foundations), so test_layers_only_point_down covers them."""
    assert RANK["lang"] < RANK["text"] < RANK["backends"] and RANK["defaults"] < RANK["manifest"] < RANK["config"]
    assert top_of(PACKAGE / "backends" / "embedding" / "__init__.py") == "backends"


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = ("import logging, sys; import analyzer; "
            "assert not logging.getLogger().handlers; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
