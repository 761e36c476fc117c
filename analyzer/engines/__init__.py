"""Engines run the same stages and accumulator on more than one process.

The local engine is the streaming loop in ``runner``/``pipeline``; ``engines.ray`` runs
the job on Ray Data (``pip install 'resonance-analyzer[ray]'``). Ray is imported only
when that engine is used.
"""

from __future__ import annotations

ENGINES = ("local", "ray")


def require_ray():
    """The ``ray`` module with Ray Data, or a one-line error that says how to install it."""
    from ..errors import MissingDependency

    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependency("--engine ray needs Ray Data: pip install 'resonance-analyzer[ray]'") from None
    return ray
