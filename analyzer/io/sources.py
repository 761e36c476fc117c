"""Expanding INPUT arguments (files, folders, globs, ``-``) and opening them as
decompressed byte streams (``.gz``, ``.zst``)."""

from __future__ import annotations

import glob
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from .limits import FileLimitError, Limits

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
        elif os.path.exists(item) or os.path.islink(item):  # a dangling link: its reader rejects it
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
def open_input(path: str, limits: Limits | None = None) -> Iterator[BinaryIO]:
    """A decompressed binary stream for ``path`` (``-`` is stdin). Compressed streams
    raise FileLimitError past the decompression limits or when the file is cut short."""
    limits = limits or Limits()
    try:
        raw = sys.stdin.buffer if path == STDIN else open(path, "rb")
    except OSError as exc:
        raise InputError(f"Cannot read {display_path(path)}: {exc.strerror}; check the path and its permissions.") from None
    try:
        kind = compression_of(path)
        if kind is None:
            yield raw if raw.seekable() else io.BufferedReader(raw)
            return
        counted = _Counting(raw)
        inner = gzip.GzipFile(fileobj=counted) if kind == "gzip" else _Zstd(counted)
        yield io.BufferedReader(_Limited(inner, counted, limits, kind), 1 << 16)
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


class _Counting(io.RawIOBase):
    """The compressed bytes consumed so far (for the decompression ratio)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer) or 0
        self.count += n
        return n


class _Limited(io.RawIOBase):
    """Decompressed bytes, stopped with FileLimitError past the size or ratio limit, and
    with a clear message when the compressed stream is cut short or corrupt."""

    def __init__(self, inner, counted: _Counting, limits: Limits, kind: str) -> None:
        self.inner, self.counted, self.limits, self.kind, self.total = inner, counted, limits, kind, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self._read1(buffer)
        except FileLimitError:
            raise
        except (EOFError, OSError, ValueError, zlib.error, _ZstdError) as exc:
            cut = isinstance(exc, EOFError)
            raise FileLimitError(f"{'compressed stream ends early (the file is cut short)' if cut else f'corrupt {self.kind} data ({exc})'}"
                                 f" after {self.total} decompressed bytes") from None
        self.total += n
        limits = self.limits
        if self.total > limits.max_decompressed_bytes:
            raise FileLimitError(f"decompresses to more than input.max_decompressed_bytes ({limits.max_decompressed_bytes} bytes)")
        if self.total > limits.ratio_grace_bytes and self.total > limits.max_decompression_ratio * max(self.counted.count, 1):
            raise FileLimitError(
                f"decompression ratio over {limits.max_decompression_ratio:g}:1 ({self.total} bytes from "
                f"{self.counted.count}; a decompression bomb?); raise input.max_decompression_ratio if the file is genuine")
        return n


    def _read1(self, buffer) -> int:
        # One step of the decompressor: GzipFile.readinto may loop over several raw
        # reads and lose what it decompressed when the last one finds the file cut short.
        if isinstance(self.inner, gzip.GzipFile):
            data = self.inner.read1(len(buffer))
            buffer[:len(data)] = data
            return len(data)
        return self.inner.readinto(buffer) or 0


class _ZstdError(Exception):
    pass


class _Zstd(io.RawIOBase):
    """Streaming zstd that notices a cut-off frame (zstandard's stream_reader reads one as
    a clean end) and never produces more than a few MiB per step, even for a bomb: input is
    fed in pieces sized by the ratio seen so far."""

    OUT_TARGET = 4 << 20
    READ = 1 << 18

    def __init__(self, raw: BinaryIO) -> None:
        try:
            import zstandard
        except ImportError:  # pragma: no cover - zstandard is a core dependency
            raise InputError("Reading .zst needs zstandard: pip install zstandard") from None
        self._zstd = zstandard
        # Reddit dumps use long windows (up to 2 GiB).
        self.dctx = zstandard.ZstdDecompressor(max_window_size=2**31)
        self.raw, self.frame, self.pending, self.step = raw, None, b"", 1024
        self.out, self.pos = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.pos >= len(self.out):
            if not self._fill():
                return 0
        n = min(len(buffer), len(self.out) - self.pos)
        buffer[:n] = self.out[self.pos:self.pos + n]
        self.pos += n
        return n

    def _fill(self) -> bool:
        if not self.pending:
            self.pending = self.raw.read(self.READ)
            if not self.pending:
                if self.frame is not None:
                    raise EOFError("zstd frame cut short")
                return False
        if self.frame is None:
            self.frame = self.dctx.decompressobj()
        piece, self.pending = self.pending[:self.step], self.pending[self.step:]
        try:
            self.out, self.pos = self.frame.decompress(piece), 0
        except self._zstd.ZstdError as exc:
            raise _ZstdError(str(exc)) from None
        ratio = len(self.out) / max(len(piece), 1)
        self.step = int(min(self.READ, max(64, self.OUT_TARGET / max(ratio, 1.0))))
        if self.frame.eof:
            self.pending, self.frame = self.frame.unused_data + self.pending, None
        return True


def peek(stream: BinaryIO, size: int = 4096) -> bytes:
    """The first bytes of a stream without consuming them."""
    if hasattr(stream, "peek"):
        return stream.peek(size)[:size]
    raise InputError("Input stream cannot be sniffed")  # pragma: no cover


def display_path(path: str) -> str:
    """The path as printable text: a name with bytes that are not UTF-8 shows them escaped."""
    if path == STDIN:
        return "<stdin>"
    return os.fsencode(str(Path(path))).decode("utf-8", "backslashreplace")
