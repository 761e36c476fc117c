"""Typed configuration. TOML sections map one-to-one onto these dataclasses;
unknown sections or keys are rejected with a message naming the valid ones."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass
class InputConfig:
    mapping: dict[str, str] = field(default_factory=dict)  # input field -> Comment field
    platform: str = ""  # default platform for records that name none
    dump_time: str = ""  # ISO time the dump was taken, for "2 years ago"
    on_error: str = "collect"  # raise | skip | collect
    keep_fields: list[str] = field(default_factory=list)  # more input fields kept in Comment.extra
    # Limits (see README, Input formats); each broken limit is a reject with its reason.
    max_record_bytes: int = 16 << 20
    max_text_chars: int = 50_000
    max_depth: int = 64
    max_decompression_ratio: float = 200.0
    max_decompressed_bytes: int = 1 << 40


@dataclass
class ModelsConfig:
    langid: str = "langid.py3langid.v1"
    sentiment: str = "sentiment.linear.v1"
    themes: str = "themes.hybrid.v1"
    polarity: str = "polarity.clause.v1"  # per-theme polarity; "none": the clause sentiment's argmax
    device: str = "cpu"


@dataclass
class PrivacyConfig:
    author_key: str = ""  # else env RESONANCE_ANALYZER_AUTHOR_KEY, else random per run
    keep_authors: bool = False


@dataclass
class RunConfig:
    batch_size: int = 512
    limit: int = 0  # 0 = no limit
    catalog: str = ""  # your dramas.csv, merged onto the bundled data/catalog/dramas.csv; empty = bundled only
    channels: str = ""
    link_by_cast: bool = False  # an actor's name alone links a comment (data about catalog dramas only)
    csv_guard: bool = True  # neutralise formula-like text cells in every CSV (off: --no-csv-guard)
    max_reject_ratio: float = 0.5  # exit 4 when a larger share of the records read is rejected
    engine: str = "local"  # local | ray (pip install 'resonance-analyzer[ray]')
    address: str = ""  # ray: a cluster's address ("auto", "ray://head:10001"); empty = start Ray here
    num_workers: int = 0  # ray: annotation actors; 0 = one per CPU Ray sees
    gpus_per_worker: float = 0.0  # ray: GPUs each annotation actor reserves (the accurate tier)


@dataclass
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    run: RunConfig = field(default_factory=RunConfig)
    aggregate: dict[str, Any] = field(default_factory=dict)  # passed to the accumulator
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if data["privacy"]["author_key"]:
            data["privacy"]["author_key"] = "<set>"
        return data

    def validate(self) -> "Config":
        if self.input.on_error not in ("raise", "skip", "collect"):
            raise ConfigError(f"input.on_error must be raise, skip or collect. Got {self.input.on_error!r} instead.")
        if not isinstance(self.models.polarity, str) or not self.models.polarity:
            raise ConfigError(f"models.polarity must be a backend name or \"none\". Got {self.models.polarity!r} instead.")
        if not isinstance(self.run.batch_size, int) or self.run.batch_size < 1:
            raise ConfigError(f"run.batch_size must be a positive int. Got {self.run.batch_size!r} instead.")
        if not isinstance(self.run.limit, int) or self.run.limit < 0:
            raise ConfigError(f"run.limit must be an int >= 0. Got {self.run.limit!r} instead.")
        ratio = self.run.max_reject_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            raise ConfigError(f"run.max_reject_ratio must be a number from 0 to 1. Got {ratio!r} instead.")
        if self.run.engine not in ("local", "ray"):
            raise ConfigError(f"run.engine must be local or ray. Got {self.run.engine!r} instead.")
        if not isinstance(self.run.num_workers, int) or isinstance(self.run.num_workers, bool) or self.run.num_workers < 0:
            raise ConfigError(f"run.num_workers must be an int >= 0. Got {self.run.num_workers!r} instead.")
        gpus = self.run.gpus_per_worker
        if not isinstance(gpus, (int, float)) or isinstance(gpus, bool) or gpus < 0:
            raise ConfigError(f"run.gpus_per_worker must be a number >= 0. Got {gpus!r} instead.")
        return self


def _build(cls, data: dict[str, Any], where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"[{where}] must be a table of keys. Got {data!r} instead.")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"Unknown key(s) {', '.join(unknown)} in [{where}]; valid keys: {', '.join(known)}.")
    kwargs = {}
    for name, value in data.items():
        sub = known[name].type
        if isinstance(sub, str) and sub in _SECTIONS:
            kwargs[name] = _build(_SECTIONS[sub], value, name)
        else:
            kwargs[name] = value
    return cls(**kwargs)


_SECTIONS = {"InputConfig": InputConfig, "ModelsConfig": ModelsConfig,
             "PrivacyConfig": PrivacyConfig, "RunConfig": RunConfig}


def config_from_dict(data: dict[str, Any] | None) -> Config:
    return _build(Config, data or {}, "config").validate()


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config file; ``None`` gives the defaults."""
    if path is None:
        return Config().validate()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
    return config_from_dict(data)
