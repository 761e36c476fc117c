"""``RunManifest``: the typed, versioned record a run leaves in ``manifest.json``
(inputs with sha256, per-file counts, the resolved config, per-stage backends with
their versions and dev scores, package versions, timings).

The runner writes it; report, re-render, compare, the API and the notebooks read it
through ``load_manifest``, the one reader, which checks the version.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

MANIFEST_VERSION = 1
# Third-party packages whose versions a manifest records (those that can change outputs).
PACKAGES = ("numpy", "pyarrow", "py3langid", "scikit-learn", "torch", "transformers", "onnxruntime", "ray")


@dataclass
class InputRecord:
    path: str
    bytes: int | None = None
    sha256: str | None = None


@dataclass
class StageRecord:
    """One stage: its backend name and version, held-out scores, and its other settings."""
    stage: str
    backend: str | None = None
    version: str | None = None
    dev_macro_f1_mean: float | None = None
    accuracy_per_language: dict[str, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StageRecord":
        known = {f.name for f in dataclasses.fields(cls)} - {"settings"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   settings={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict[str, Any]:
        """The stage's ``describe()`` again: stage, then backend fields (only those set), then settings."""
        head = {"stage": self.stage}
        if self.backend is not None:
            head.update(backend=self.backend, version=self.version)
        if self.dev_macro_f1_mean is not None or self.accuracy_per_language is not None:
            head.update(dev_macro_f1_mean=self.dev_macro_f1_mean, accuracy_per_language=self.accuracy_per_language)
        return {**head, **self.settings}


@dataclass
class RunManifest:
    package: dict[str, str] = field(default_factory=dict)
    python: str = ""
    packages: dict[str, str] = field(default_factory=dict)  # third-party package -> version
    timings: dict[str, Any] = field(default_factory=dict)  # the only part that differs between reruns
    config: dict[str, Any] = field(default_factory=dict)  # the resolved config: `analyzer run --config manifest.json`
    stages: list[StageRecord] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)  # read / accepted / rejected / reconciles
    files: list[dict[str, Any]] = field(default_factory=list)  # per input file: path, format, read, accepted, ...
    stage_summaries: dict[str, Any] = field(default_factory=dict)
    dump_time: str | None = None
    author_pseudonyms: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    accepted: dict[str, Any] = field(default_factory=dict)  # of the accepted: unlinked, noise, duplicates
    skipped_inputs: list[dict[str, str]] = field(default_factory=list)
    engine: dict[str, Any] | None = None  # the Ray engine's settings, when it ran
    manifest_version: int = MANIFEST_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = {"manifest_version": self.manifest_version}
        for f in dataclasses.fields(self):
            if f.name == "manifest_version" or (f.name == "engine" and self.engine is None):
                continue
            value = getattr(self, f.name)
            if f.name == "stages":
                value = [s.to_dict() for s in value]
            elif f.name == "inputs":
                value = [{k: v for k, v in dataclasses.asdict(i).items() if v is not None} for i in value]
            data[f.name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "manifest") -> "RunManifest":
        check_version(data, where)
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["stages"] = [StageRecord.from_dict(s) for s in data.get("stages") or [] if isinstance(s, dict)]
        kwargs["inputs"] = [InputRecord(**{k: v for k, v in i.items() if k in ("path", "bytes", "sha256")})
                            for i in data.get("inputs") or [] if isinstance(i, dict)]
        return cls(**kwargs)

    def stage(self, name: str) -> StageRecord | None:
        return next((s for s in self.stages if s.stage == name), None)

    @property
    def aggregate_config(self) -> dict[str, Any] | None:
        """The ``[aggregate]`` settings the run used (confusion = "model" already resolved)."""
        agg = (self.config or {}).get("aggregate")
        return agg if isinstance(agg, dict) else None


def check_version(data: Any, where: str) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or "counts" not in data:
        raise InputError(f"{where} is not a run manifest (no config and counts); give the manifest.json "
                         "that `analyzer run` wrote.")
    version = data.get("manifest_version", 1)  # manifests written before versioning are version 1
    if not isinstance(version, int) or isinstance(version, bool) or version > MANIFEST_VERSION or version < 1:
        raise InputError(f"{where} has manifest_version {version!r}, which this analyzer "
                         f"(reads up to {MANIFEST_VERSION}) does not know; upgrade resonance-analyzer.")


def load_manifest(path: str | Path) -> RunManifest:
    """The one reader of a run's manifest: ``path`` is manifest.json or the run folder holding it."""
    path = Path(path)
    if path.is_dir():
        path = path / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} not found; give the output folder of `analyzer run` or its manifest.json.") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not readable JSON ({exc}); re-run `analyzer run` to rewrite it.") from None
    return RunManifest.from_dict(data, str(path))


def package_versions() -> dict[str, str]:
    """Installed versions of ``PACKAGES`` (those not installed are left out)."""
    from importlib import metadata

    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
