"""Versioned names -> factories, and ``select_backend`` that turns an instance, a
registered name (``"sentiment.linear.v1"``) or a local path into a backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError, ModelError

_FACTORIES: dict[str, Callable[..., Any]] = {}
# The factory that loads a plain Hugging Face model directory, by backend kind.
HF_FACTORIES = {"sentiment": "sentiment.transformers.v1"}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ``@register("sentiment.linear.v1")`` over a class or factory."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        _FACTORIES[name] = factory
        return factory

    return deco


def registered(prefix: str = "") -> list[str]:
    _load_builtin()
    return sorted(n for n in _FACTORIES if n.startswith(prefix))


def summary(name: str) -> str:
    """One line on what a registered backend is (its ``summary`` attribute), for listings."""
    _load_builtin()
    return str(getattr(_FACTORIES[name], "summary", "") or "")


def _load_builtin() -> None:
    # Importing the backends package registers the built-in factories.
    from . import backends  # noqa: F401


# Keywords the pipeline builder offers every backend; each goes only to those that take it.
OFFERED = ("device", "embedders")


def _build(factory: Callable[..., Any], kwargs: dict[str, Any], name: str = "") -> Any:
    """``factory(**kwargs)``; ``device`` goes only to backends that take one (the numpy
    backends always run on the CPU), so ``--device cuda`` reaches every model that can use it;
    ``embedders`` (the run's shared embedders) only to heads that embed.
    Any other keyword the backend does not take is a one-line ConfigError naming the valid ones."""
    kwargs = {k: v for k, v in kwargs.items() if k not in OFFERED or _takes(factory, k)}
    unknown = sorted(k for k in kwargs if not _takes(factory, k))
    if unknown:
        valid = ", ".join(keywords(factory)) or "(none)"
        raise ConfigError(f"Unknown key {unknown[0]!r} for backend {name or getattr(factory, '__name__', factory)}; "
                          f"valid keys: {valid}.")
    return factory(**kwargs)


def keywords(factory: Callable[..., Any]) -> list[str]:
    """The keyword parameters a backend factory takes (what ``[models.<kind>]`` may set)."""
    import inspect

    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY
            or p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "self"]


def _takes(factory: Callable[..., Any], name: str) -> bool:
    import inspect

    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def select_backend(spec: Any, kind: str, **kwargs: Any) -> Any:
    """Resolve ``spec`` for a backend of ``kind`` ("sentiment", "langid", "themes").

    ``spec`` may be a backend instance (returned as is), a registered versioned
    name, ``"<registered name>:<path>"``, a local directory holding a
    ``backend.json`` that names its factory, or (sentiment) a plain Hugging Face
    model directory (``config.json`` + weights), loaded by ``HF_FACTORIES[kind]``
    without remote code.
    """
    if not isinstance(spec, (str, Path)):
        return spec
    _load_builtin()
    text = str(spec)
    name, _, path = text.partition(":") if text.split(":", 1)[0] in _FACTORIES else (text, "", "")
    if name in _FACTORIES:
        if path:
            kwargs["path"] = path
        return _build(_FACTORIES[name], kwargs, name)
    local = Path(text)
    if local.is_dir() and (local / "backend.json").is_file():
        import json

        factory = json.loads((local / "backend.json").read_text(encoding="utf-8")).get("factory")
        if factory in _FACTORIES:
            return _build(_FACTORIES[factory], {"path": str(local), **kwargs}, factory)
        raise ModelError(f"{local}/backend.json names unknown factory {factory!r}; known: {', '.join(registered(kind))}")
    if local.is_dir() and (local / "config.json").is_file():  # a plain Hugging Face model folder
        if kind in HF_FACTORIES:
            return _build(_FACTORIES[HF_FACTORIES[kind]], {"path": str(local), **kwargs}, HF_FACTORIES[kind])
        raise ModelError(f"{local} is a Hugging Face model folder, which only --sentiment loads directly; "
                         f"for {kind} use one of: {', '.join(registered(kind + '.'))}.")
    if local.is_dir():
        raise ModelError(f"{local} holds neither backend.json nor a Hugging Face config.json; "
                         f"give a model folder or one of: {', '.join(registered(kind + '.'))}.")
    raise ModelError(
        f"Unknown {kind} backend {text!r}. Use one of: {', '.join(registered(kind + '.'))}, or a model directory."
    )
