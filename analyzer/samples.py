"""The bundled synthetic samples (``data/samples``), shipped inside the package so a
notebook or script finds them from any folder: ``analyzer.analyze(analyzer.samples.path())``."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# analyzer/_data/samples links to the repository's data/samples, so a wheel carries a copy
# of whatever files that folder holds.
SAMPLE_DIRS = (_PACKAGE / "_data" / "samples", _PACKAGE.parent / "data" / "samples")


def path() -> Path:
    """The folder of sample comment files (one of them deliberately malformed)."""
    for folder in SAMPLE_DIRS:
        if folder.is_dir():
            return folder
    from .errors import InputError

    raise InputError("The bundled samples are missing from this install; reinstall resonance-analyzer.")


def files() -> list[Path]:
    """The sample data files, as ``analyzer run`` would read them from ``path()``."""
    from .io.sources import expand_inputs

    return [Path(p) for p in expand_inputs(str(path()))]
