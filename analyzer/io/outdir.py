"""One run, one folder, all or nothing.

``RunFolder`` is the output-folder transaction of ``analyzer run``: every file is
written into a hidden temporary sibling (``.OUT.tmp-PID``) that replaces ``OUT`` as a
whole only when the run succeeds, so a failed or killed run never leaves a mix of two
runs and a folder holds only one run's files. A lock file beside the folder
(``.OUT.lock``, held with ``flock`` and so released when the process dies) refuses a
second concurrent run into the same folder; temp folders left by killed runs are
removed by the next run. Every output gets the same mode (0666/0777 less the umask).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

from ..errors import InputError
from .sources import STDIN

try:
    import fcntl
except ImportError:  # not on Windows: runs there are not locked against each other
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
PACKAGE = "resonance-analyzer"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~_umask()


def set_file_mode(path: str | os.PathLike) -> None:
    """Give a finished output the mode a plain ``open()`` would (temp files start at 0600)."""
    os.chmod(path, file_mode())


def normalize_modes(folder: Path) -> None:
    dirs, files = 0o777 & ~_umask(), file_mode()
    os.chmod(folder, dirs)
    for root, subdirs, names in os.walk(folder):
        for name in subdirs:
            os.chmod(os.path.join(root, name), dirs)
        for name in names:
            os.chmod(os.path.join(root, name), files)


def is_run_folder(folder: Path) -> bool:
    """True when ``folder`` holds the manifest of an ``analyzer run``."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and (manifest.get("package") or {}).get("name") == PACKAGE


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_paths(inputs: list[str] | str, paths: list[str], out: str | os.PathLike) -> None:
    """Refuse an output folder inside an input folder, or an input inside the output folder."""
    target = Path(out).resolve()
    for item in [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs:
        if str(item) != STDIN and os.path.isdir(item) and _inside(target, Path(item).resolve()):
            raise InputError(f"The output folder {out} is inside the input folder {item}; the next run would read "
                             "its own outputs. Choose an output folder outside the inputs.")
    for path in paths:
        if path != STDIN and _inside(Path(path).resolve(), target):
            raise InputError(f"The input {path} is inside the output folder {out}, which the run replaces; "
                             "copy it elsewhere or choose another output folder.")


def check_output_file(paths: list[str], output: str | os.PathLike) -> None:
    """``annotate X -o X``: refuse to write over an input, or into a folder."""
    target = Path(output).resolve()
    if target.is_dir():
        raise InputError(f"The output {output} is a folder; give a file path ending in .jsonl, .csv or .parquet.")
    for path in paths:
        if path != STDIN and Path(path).resolve() == target:
            raise InputError(f"The output {output} is also an input; write the annotations to another file.")


def without_run_outputs(inputs: list[str] | str, paths: list[str]) -> tuple[list[str], list[str]]:
    """Drop files found inside an earlier run's output folder while walking an input folder
    or glob, so a run never ingests its own outputs; a file named as an input is kept.

    Returns (kept, skipped)."""
    given = {os.path.abspath(i) for i in ([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs)
             if str(i) != STDIN and os.path.isfile(i)}
    kept, skipped, known = [], [], {}
    for path in paths:
        parents = [] if path == STDIN or os.path.abspath(path) in given else list(Path(path).resolve().parents)
        if any(known.setdefault(p, is_run_folder(p)) for p in parents):
            skipped.append(path)
        else:
            kept.append(path)
    if skipped and not kept:
        raise InputError(f"Every input file is inside an earlier run's output folder ({skipped[0]}, ...); "
                         "name such files one by one to read them, or give the original dumps.")
    return kept, skipped


class RunFolder:
    """``with RunFolder(out) as tmp: write into tmp`` -> ``out`` is replaced on success only."""

    def __init__(self, out: str | os.PathLike) -> None:
        self.target = Path(out).absolute()
        self.tmp = self.target.with_name(f".{self.target.name}.tmp-{os.getpid()}")
        self._lock_path = self.target.with_name(f".{self.target.name}.lock")
        self._lock: int | None = None

    def __enter__(self) -> Path:
        self._check_target()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._acquire()
        try:
            self._clean_stale()
            self.tmp.mkdir()
        except BaseException:
            self._release()
            raise
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self._release()

    def _check_target(self) -> None:
        t = self.target
        if t.exists() and not t.is_dir():
            raise InputError(f"The output {t} is a file; give a folder for the run's outputs.")
        if t.is_dir() and any(t.iterdir()) and not is_run_folder(t):
            raise InputError(f"The output folder {t} is not empty and holds no earlier run (no {MANIFEST}); "
                             "a run replaces its folder as a whole, so choose a new or empty folder.")

    def _acquire(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise InputError(f"Another analyzer run is writing to {self.target} (lock {self._lock_path}); "
                                 "wait for it to finish or choose another output folder.") from None
            raise
        self._lock = fd

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing releases the flock
            self._lock = None

    def _clean_stale(self) -> None:
        """Temp and old folders of killed runs (safe: we hold the lock)."""
        prefix = f".{self.target.name}."
        for entry in self.target.parent.iterdir():
            rest = entry.name[len(prefix):] if entry.name.startswith(prefix) else ""
            if rest.startswith(("tmp-", "old-")) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)

    def _commit(self) -> None:
        normalize_modes(self.tmp)
        if not self.target.exists():
            os.rename(self.tmp, self.target)
            return
        old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
        os.rename(self.target, old)
        try:
            os.rename(self.tmp, self.target)
        except BaseException:
            os.rename(old, self.target)
            raise
        shutil.rmtree(old, ignore_errors=True)
