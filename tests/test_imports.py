"""The import graph of analyzer/, built with ast: no cycle among top-level imports, none
among all imports but the registry's plugin discovery, and no backend reaching into a
sibling backend's module (a head asks the shared embedding package, not another head)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"
# The registry imports the backends package inside a function so that they register.
DISCOVERY = {("analyzer.registry", "analyzer.backends")}


def module_name(path: Path) -> str:
    parts = ["analyzer", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.AST) -> list[tuple[str, str]]:
    """(imported analyzer module, imported name or "") for one import statement."""
    if isinstance(node, ast.Import):
        return [(a.name, "") for a in node.names if a.name.startswith("analyzer")]
    target = _resolve(module, node)
    if not target.startswith("analyzer"):
        return []
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append((sub, "") if sub in MODULES else (target, alias.name))
    return out


def _walk(tree: ast.AST, inside: bool = False):
    """(import node, True when inside a function) for every import; ``if TYPE_CHECKING:`` left out."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, inside
        yield from _walk(node, inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


@functools.cache
def imports(top_level_only: bool) -> dict[str, set[tuple[str, str]]]:
    """module -> {(imported module, name)}; importing a.b.c also runs a.b's __init__ (unless a.b is
    the importing module's own package, which is already running)."""
    graph: dict[str, set[tuple[str, str]]] = {}
    for module, path in MODULES.items():
        edges = graph.setdefault(module, set())
        for node, in_function in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            if top_level_only and in_function:
                continue
            for target, name in _targets(module, node):
                parts = target.split(".")
                parents = (".".join(parts[:i]) for i in range(2, len(parts)))
                # a module's own packages are already being imported when it runs: no edge to them
                edges.update((p, "") for p in parents if not module.startswith(p + "."))
                edges.add((target, name))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan), i.e. the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while (top := stack.pop()) != node:
                group.add(top)
            if group:
                found.append(group | {node})

    for start in sorted(graph):
        if start not in index:
            visit(start)
    return found


def _module_graph(top_level_only: bool) -> dict[str, set[str]]:
    return {m: {t for t, _ in edges if t in MODULES and t != m and (m, t) not in DISCOVERY}
            for m, edges in imports(top_level_only).items()}


def test_top_level_imports_have_no_cycle():
    found = cycles(_module_graph(top_level_only=True))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in found)


# Function-level imports that close a loop on purpose, each a lazy import that keeps import cheap:
LAZY_LOOPS = [
    # the package's public names resolve lazily (analyzer.__getattr__); runner reads __version__
    {"analyzer", "analyzer.api", "analyzer.runner"},
    # stages.default_stages (a thin caller of stages.build) and the stages' bundled() catalog paths
    {"analyzer.stages", "analyzer.stages.build", "analyzer.stages.catalog", "analyzer.stages.link",
     "analyzer.stages.mentions", "analyzer.stages.region", "analyzer.io.catalog", "analyzer.stages.langid",
     "analyzer.stages.sentiment", "analyzer.stages.themes", "analyzer.stages.dedup", "analyzer.stages.normalize"},
    # ResonanceAccumulator.result() builds a ResonanceResult, which reads the accumulator's windows
    {"analyzer.aggregate.accumulator", "analyzer.aggregate.result"},
]
def _unexplained_cycles() -> list[set[str]]:
    return [c for c in cycles(_module_graph(top_level_only=False)) if not any(c <= known for known in LAZY_LOOPS)]


def test_function_level_imports_close_only_the_known_lazy_loops():
    found = _unexplained_cycles()
    assert not found, "import cycles (function-level imports counted): " + "; ".join(" <-> ".join(sorted(c)) for c in found)


# ------------------------------------------------------------------ backends keep to themselves
BACKENDS = "analyzer.backends"


def backend_unit(module: str) -> str | None:
    """The backend a module belongs to: ``analyzer.backends.<x>`` (a module or a subpackage)."""
    parts = module.split(".")
    return ".".join(parts[:3]) if len(parts) > 2 and parts[1] == "backends" else None


@functools.cache
def kinds(unit: str) -> set[str]:
    """The backend kinds a unit registers ("sentiment", "themes", ...); empty for shared helpers."""
    files = [p for m, p in MODULES.items() if backend_unit(m) == unit]
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "register" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value.split(".")[0])
                elif isinstance(arg, ast.Name):  # register(NAME): the module's NAME constant
                    found.add(_constant(path, arg.id).split(".")[0])
    return found


def _constant(path: Path, name: str) -> str:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            if isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return name


# Kinds every head may use through their package's public API (heads ask for an embedder).
SHARED_KINDS = {"embedding"}


def backend_violations() -> list[str]:
    """A module reaching into a sibling backend: importing its private (_name) names, or, from
    inside backends/, importing a head (a module that registers a backend) of another kind, or
    a module inside a shared kind's package instead of the package itself. Heads of one kind
    may stack (themes.e5 over themes.hybrid over themes.lexicon)."""
    out = []
    for module, edges in imports(top_level_only=False).items():
        own = backend_unit(module)
        for target, name in sorted(edges):
            unit = backend_unit(target)
            if unit is None or unit == own or target == BACKENDS:
                continue
            if name.startswith("_"):
                out.append(f"{module} imports private {name} from {target}")
            elif own is None or not kinds(unit) or kinds(unit) & kinds(own):
                continue
            elif kinds(unit) <= SHARED_KINDS:
                if target != unit:  # the shared package's own API (its __init__), not its modules
                    out.append(f"{module} imports {name or target} from {target}, inside {unit}; use {unit}")
            else:
                out.append(f"{module} imports {name or target} from {unit} (a {'/'.join(sorted(kinds(unit)))} head)")
    return out


def test_no_backend_reaches_into_a_sibling_backend():
    problems = backend_violations()
    assert not problems, "\n".join(problems)
