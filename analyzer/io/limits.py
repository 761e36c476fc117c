"""Limits every reader enforces, so one hostile or broken record or file cannot take a
run down or eat the machine: each limit turns into a reject with a reason that names
the ``[input]`` config key to raise."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError, InputError

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_record_bytes: int = 16 * MiB  # one JSON line / array element / CSV line
    max_text_chars: int = 50_000  # longer texts are cut for scoring, flagged extra["text_truncated"]
    max_depth: int = 64  # nesting of JSON objects and arrays
    max_decompression_ratio: float = 200.0  # decompressed / compressed bytes of a .gz/.zst
    max_decompressed_bytes: int = 1 << 40  # per file (1 TiB)
    ratio_grace_bytes: int = 16 * MiB  # the ratio is checked once this much is decompressed

    def __post_init__(self) -> None:
        for name in ("max_record_bytes", "max_text_chars", "max_depth", "max_decompressed_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"input.{name} must be a positive int. Got {value!r} instead.")
        ratio = self.max_decompression_ratio
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not ratio >= 1:
            raise ConfigError(f"input.max_decompression_ratio must be a number >= 1. Got {ratio!r} instead.")


class FileLimitError(InputError):
    """A whole file breaks a limit or cannot be read to its end (becomes a per-file reject)."""


class RecordLimitError(ValueError):
    """One record breaks a limit (becomes a reject of that record)."""


def check_depth(value, max_depth: int) -> None:
    """Raise RecordLimitError when JSON ``value`` nests deeper than ``max_depth`` (iterative)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        if depth > max_depth:
            raise RecordLimitError(f"nested deeper than {max_depth} levels (raise input.max_depth if genuine)")
        stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))


_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def may_hold_surrogates(json_text: str) -> bool:
    """Whether decoding ``json_text`` can give lone surrogates (only ``\\uD8xx`` escapes can)."""
    return _ESCAPED_SURROGATE.search(json_text) is not None


def replace_surrogates(value):
    """Lone UTF-16 surrogates (a broken emoji, ``"\\ud83d"``) -> U+FFFD, in keys and values."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {replace_surrogates(k): replace_surrogates(v) for k, v in value.items()}
    return value


def clean_text(text: str) -> str:
    """A str safe to write as UTF-8 (lone surrogates replaced)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def input_limits(section) -> Limits:
    """The ``[input]`` config section's limits (an ``InputConfig``)."""
    return Limits(**{name: getattr(section, name) for name in
                     ("max_record_bytes", "max_text_chars", "max_depth", "max_decompression_ratio",
                      "max_decompressed_bytes")})
