"""Expanding INPUT arguments (files, folders, globs, ``-``) and opening them as
decompressed byte streams (``.gz``, ``.zst``)."""

from __future__ import annotations

import glob
import gzip
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

STDIN = "-"
DATA_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".xml", ".gz", ".zst"}


def expand_inputs(inputs: list[str] | str) -> list[str]:
    """Files as given, folders read recursively (data files only, sorted), globs expanded."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths: list[str] = []
    for item in map(str, inputs):
        if item == STDIN:
            paths.append(STDIN)
        elif os.path.isdir(item):
            paths.extend(_walk(item))
        elif os.path.exists(item):
            paths.append(item)
        elif glob.has_magic(item):
            matched = sorted(glob.glob(item, recursive=True))
            if not matched:
                raise InputError(f"No files match {item!r}; check the pattern or quote it for the shell.")
            for path in matched:
                paths.extend(_walk(path) if os.path.isdir(path) else [path])
        else:
            raise InputError(f"Input not found: {item}; give an existing file, folder, glob or '-' for stdin.")
    if not paths:
        raise InputError(f"No input files found in {', '.join(map(str, inputs))}; expected .jsonl/.csv/.parquet/... files.")
    return paths


def _walk(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and _is_data(name) and name.lower() != "readme.md":
                found.append(os.path.join(root, name))
    return found


def _is_data(name: str) -> bool:
    return any(name.lower().endswith(s) for s in DATA_SUFFIXES)


def compression_of(path: str) -> str | None:
    lower = path.lower()
    return "gzip" if lower.endswith(".gz") else "zstd" if lower.endswith(".zst") else None


def logical_name(path: str) -> str:
    """The name without a compression suffix: ``a.jsonl.gz`` -> ``a.jsonl``."""
    return path[: path.rfind(".")] if compression_of(path) else path


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """A decompressed binary stream for ``path`` (``-`` is stdin)."""
    try:
        raw = sys.stdin.buffer if path == STDIN else open(path, "rb")
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}; check the path and its permissions.") from None
    try:
        kind = compression_of(path)
        if kind == "gzip":
            yield gzip.GzipFile(fileobj=raw)
        elif kind == "zstd":
            yield _zstd_reader(raw)
        else:
            yield raw if raw.seekable() else io.BufferedReader(raw)
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def _zstd_reader(raw: BinaryIO) -> BinaryIO:
    try:
        import zstandard
    except ImportError:  # pragma: no cover - zstandard is a core dependency
        raise InputError("Reading .zst needs zstandard: pip install zstandard") from None
    # Reddit dumps use long windows (up to 2 GiB).
    dctx = zstandard.ZstdDecompressor(max_window_size=2**31)
    return io.BufferedReader(dctx.stream_reader(raw))


def peek(stream: BinaryIO, size: int = 4096) -> bytes:
    """The first bytes of a stream without consuming them."""
    if hasattr(stream, "peek"):
        return stream.peek(size)[:size]
    raise InputError("Input stream cannot be sniffed")  # pragma: no cover


def display_path(path: str) -> str:
    return "<stdin>" if path == STDIN else str(Path(path))
