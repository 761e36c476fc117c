"""The exception tree. Every error a user can cause is an AnalyzerError whose
message is one line that says what is wrong and how to fix it."""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits 1."""


class InputError(AnalyzerError):
    """An input path or file cannot be read at all."""


class RecordError(AnalyzerError):
    """One record inside a readable file is malformed (it goes to rejects)."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(f"{location}: {reason}" if location else reason)
        self.reason = reason
        self.location = location

    def __reduce__(self):  # raised in a worker process, re-raised in the main one as it was
        return type(self), (self.reason, self.location)


class ConfigError(AnalyzerError):
    """A configuration value or parameter is invalid."""


class PipelineError(AnalyzerError):
    """Stages are in an order that cannot work (checked when the pipeline is built)."""


class ModelError(AnalyzerError):
    """A model or backend cannot be found or loaded."""


class MissingDependency(AnalyzerError):
    """An optional dependency is not installed; the message says which extra fixes it."""


def check_param(owner: str, name: str, value, ok: bool, expected: str) -> None:
    """Validate one constructor parameter with the project's single message template."""
    if not ok:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be {expected}. Got {value!r} instead."
        )
