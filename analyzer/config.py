"""One typed configuration for every part of a run.

TOML sections map one-to-one onto these dataclasses; ``[pipeline] stages`` names the
stages, ``[stages.<name>]`` tables hold their constructor keywords and ``[models.<kind>]``
tables a backend's name and keywords (``Pipeline.from_config`` builds them). Defaults come
from ``analyzer.defaults``. Unknown keys and wrong types give one line naming the key and
what it allows. See docs/config.md.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import defaults
from .errors import ConfigError, check_param

MODEL_KINDS = tuple(defaults.MODELS)


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
    """``[models]``: ``device`` for every model, and per kind a backend name, either
    ``sentiment = "NAME"`` or a ``[models.sentiment]`` table with ``name`` and the
    backend's own keywords (``batch_size``, ``precision``, ...) kept in ``settings``."""
    langid: str = defaults.MODELS["langid"]
    sentiment: str = defaults.MODELS["sentiment"]
    themes: str = defaults.MODELS["themes"]
    polarity: str = defaults.MODELS["polarity"]
    device: str = defaults.DEVICE
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> backend keywords

    def table(self, kind: str) -> dict[str, Any]:
        """``[models.<kind>]`` as written in a resolved config: name first, then keywords."""
        return {"name": getattr(self, kind), **self.settings.get(kind, {})}


@dataclass
class PrivacyConfig:
    author_key: str = ""  # else env RESONANCE_ANALYZER_AUTHOR_KEY, else random per run
    keep_authors: bool = False


@dataclass
class RunConfig:
    batch_size: int = defaults.BATCH_SIZE
    limit: int = 0  # 0 = no limit
    catalog: str = ""  # your dramas.csv, merged onto the bundled data/catalog/dramas.csv; empty = bundled only
    channels: str = ""
    link_by_cast: bool = False  # an actor's name alone links a comment (data about catalog dramas only)
    csv_guard: bool = True  # neutralise formula-like text cells in every CSV (off: --no-csv-guard)
    max_reject_ratio: float = 0.5  # exit 4 when a larger share of the records read is rejected
    workers: int | str = defaults.WORKERS  # local engine: processes annotating ("auto" or N; 1 = one process)
    engine: str = "local"  # local | ray (pip install 'resonance-analyzer[ray]')
    address: str = ""  # ray: a cluster's address ("auto", "ray://head:10001"); empty = start Ray here
    num_workers: int = 0  # ray: annotation actors; 0 = one per CPU Ray sees
    gpus_per_worker: float = 0.0  # ray: GPUs each annotation actor reserves (the accurate tier)


@dataclass
class PipelineConfig:
    stages: list[str] = field(default_factory=lambda: list(defaults.STAGES))


CHOICES = {("input", "on_error"): ("raise", "skip", "collect"), ("run", "engine"): ("local", "ray")}


@dataclass
class Config:
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    input: InputConfig = field(default_factory=InputConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage name -> constructor keywords
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    run: RunConfig = field(default_factory=RunConfig)
    aggregate: dict[str, Any] = field(default_factory=dict)  # the accumulator's keywords (defaults.AGGREGATE)
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, secrets: bool = False) -> dict[str, Any]:
        """The resolved tree, as TOML would write it (``[models.<kind>]`` tables); the author
        key shows as "<set>" unless ``secrets``."""
        data = dataclasses.asdict(self)
        models = data.pop("models")
        models.pop("settings")
        data["models"] = {"device": models["device"], **{k: self.models.table(k) for k in MODEL_KINDS}}
        data = {k: data[k] for k in ("pipeline", "input", "models", "stages", "privacy", "run", "aggregate", "report")}
        if data["privacy"]["author_key"] and not secrets:
            data["privacy"]["author_key"] = SECRET
        return copy.deepcopy(data)

    def validate(self) -> "Config":
        for section in (self.input, self.models, self.privacy, self.run, self.pipeline):
            _check_types(section)
        _check_values(self)
        return self

    def with_overrides(self, assignments: list[str] | tuple[str, ...] | None) -> "Config":
        """A copy with ``section.key=value`` assignments (``--set``) applied and validated."""
        if not assignments:
            return self
        data = self.to_dict(secrets=True)
        for item in assignments:
            set_path(data, *parse_assignment(item))
        return config_from_dict(data)


SECRET = "<set>"  # how a resolved config shows an author key that was set


def parse_assignment(item: str) -> tuple[list[str], Any]:
    """``"models.sentiment.batch_size=64"`` -> (["models", "sentiment", "batch_size"], 64).
    The value is read as a TOML value (numbers, true/false, "strings", [lists]); else as text."""
    key, sep, raw = item.partition("=")
    path = [p.strip() for p in key.split(".")]
    if not sep or len(path) < 2 or not all(path):
        raise ConfigError(f"--set takes SECTION.KEY=VALUE such as run.batch_size=256 or stages.dedup.near=false. "
                          f"Got {item!r} instead.")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def set_path(data: dict[str, Any], path: list[str], value: Any) -> None:
    node = data
    for i, part in enumerate(path[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # "models.sentiment" given as a name: make it a table
            if node is data.get("models") and i == 1:
                child = node[part] = {"name": child}
            else:
                raise ConfigError(f"Cannot set {'.'.join(path)}: {'.'.join(path[:i + 1])} is not a table.")
        node = child
    node[path[-1]] = value


_TYPES = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an int"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int | str": (lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)), 'an int or "auto"'),
    "list[str]": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings"),
    "dict[str, str]": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
                       "a table of strings"),
    "dict[str, dict[str, Any]]": (lambda v: isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()),
                                  "a table of tables"),
}


def _check_types(section: Any) -> None:
    owner = section_name(section)
    for f in dataclasses.fields(section):
        ok, expected = _TYPES[f.type]
        value = getattr(section, f.name)
        choices = CHOICES.get((owner.strip("[]"), f.name))
        if choices:
            check_param(owner, f.name, value, value in choices, f"one of {', '.join(choices)}")
        check_param(owner, f.name, value, ok(value), expected)


def section_name(section: Any) -> str:
    return "[" + type(section).__name__.removesuffix("Config").lower() + "]"


def _non_negative(owner: str, name: str, value: Any, kind: str = "int") -> None:
    check_param(owner, name, value, _TYPES[kind][0](value) and value >= 0, f"{'an int' if kind == 'int' else 'a number'} >= 0")


def check_limit(limit: int | None) -> None:
    """The ``limit`` argument of run, annotate and analyze (``--limit``), checked as ``[run] limit`` is."""
    if limit is not None:
        _non_negative("[run]", "limit", limit)


def _check_values(config: Config) -> None:
    run = config.run
    check_param("[run]", "batch_size", run.batch_size, run.batch_size >= 1, "a positive int")
    _non_negative("[run]", "limit", run.limit)
    _non_negative("[run]", "num_workers", run.num_workers)
    workers = run.workers
    check_param("[run]", "workers", workers, workers == "auto" or (isinstance(workers, int) and workers >= 1),
                'a positive int or "auto"')
    _non_negative("[run]", "gpus_per_worker", run.gpus_per_worker, "float")
    ratio = run.max_reject_ratio
    check_param("[run]", "max_reject_ratio", ratio, 0 <= ratio <= 1, "a number from 0 to 1")
    device = config.models.device
    check_param("[models]", "device", device, device in ("cpu", "cuda") or device.startswith("cuda:"), "cpu, cuda or cuda:N")
    check_param("[models]", "polarity", config.models.polarity, bool(config.models.polarity),
                'a backend name or "none"')
    for kind, table in config.models.settings.items():
        check_param("[models]", kind, table, kind in MODEL_KINDS and isinstance(table, dict),
                    f"one of {', '.join(MODEL_KINDS)}, each a name or a table")
    for name, table in config.stages.items():
        check_param("[stages]", name, table, isinstance(table, dict), "a table of the stage's keywords")
    known = set(defaults.STAGES)
    for name in [*config.pipeline.stages, *config.stages]:
        if name not in known:
            raise ConfigError(f"Unknown stage {name!r} in [pipeline] stages or [stages]; stages: {', '.join(defaults.STAGES)}.")
    agg = config.aggregate
    if agg.get("confusion") != "model":
        resolve_aggregate(agg, owner="[aggregate]")
    else:
        resolve_aggregate({k: v for k, v in agg.items() if k != "confusion"}, owner="[aggregate]")


# ----------------------------------------------------------------------------- [aggregate]
COMPONENTS = (
    "reach", "valence", "intensity", "net_intent", "depth", "localness",
    "star_pull", "unmet_access",
)


def resolve_aggregate(config: dict[str, Any] | None, owner: str = "ResonanceAccumulator") -> dict[str, Any]:
    """``defaults.AGGREGATE`` overlaid with ``config``; unknown keys and bad values raise ConfigError."""
    config = dict(config or {})
    _unknown(config, defaults.AGGREGATE, "[aggregate]")
    out = {**defaults.AGGREGATE, **config}
    for name in ("max_comments_per_author", "min_authors", "quotes_per_slot", "quote_candidates", "quote_chars",
                 "top_themes"):
        v = out[name]
        check_param(owner, name, v, isinstance(v, int) and not isinstance(v, bool) and v > 0, "a positive int")
    b = out["bootstrap"]
    check_param(owner, "bootstrap", b, isinstance(b, int) and not isinstance(b, bool) and b >= 0, "a non-negative int")
    s = out["strong_positive"]
    check_param(owner, "strong_positive", s, isinstance(s, (int, float)) and 0 <= s <= 1, "a number between 0 and 1")
    m = out["shrinkage_strength"]
    check_param(owner, "shrinkage_strength", m, m is None or (isinstance(m, (int, float)) and m >= 0),
                "None or a non-negative number")
    out["weights"] = _weights(owner, out["weights"])
    for key in ("cohort", "region_languages", "confusion"):
        check_param(owner, key, out[key], out[key] is None or isinstance(out[key], dict), "None or a dict")
    for lang, m in (out["confusion"] or {}).items():
        ok = isinstance(m, (list, tuple)) and len(m) == 3 and all(
            isinstance(r, (list, tuple)) and len(r) == 3 and all(isinstance(x, (int, float)) and x >= 0 for x in r)
            and sum(r) > 0 for r in m)
        check_param(owner, f"confusion.{lang}", m, ok,
                    "a 3x3 list of non-negative counts (rows true, columns predicted: negative, neutral, positive)")
    return out


def _weights(owner: str, weights: Any) -> dict[str, float]:
    check_param(owner, "weights", weights, isinstance(weights, dict) and bool(weights),
                "a non-empty dict of component -> weight")
    _unknown(weights, dict.fromkeys(COMPONENTS), "[aggregate.weights]")
    for name, w in weights.items():
        check_param(owner, f"weights.{name}", w, isinstance(w, (int, float)) and w >= 0, "a non-negative number")
    if not any(weights.values()):
        raise ConfigError("The 'weights' of the Resonance Index are all zero; give at least one a positive weight.")
    return {k: float(v) for k, v in weights.items()}


# ----------------------------------------------------------------------------- reading
def _unknown(data: dict[str, Any], known, where: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        keys = ", ".join(repr(k) for k in unknown)
        close = [m for k in unknown for m in difflib.get_close_matches(k, list(known), n=1, cutoff=0.75)]
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ConfigError(f"Unknown key{'s' if len(unknown) > 1 else ''} {keys} in {where}; "
                          f"valid keys: {', '.join(known)}.{hint}")


def _build(cls, data: Any, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table of keys. Got {data!r} instead.")
    known = {f.name: f for f in dataclasses.fields(cls) if not (cls is ModelsConfig and f.name == "settings")}
    if cls is ModelsConfig:
        data = _models_tables(data)
    _unknown({k: v for k, v in data.items() if k != "settings" or cls is not ModelsConfig}, known, where)
    kwargs = {}
    for name, value in data.items():
        sub = _SECTIONS.get(cls.__dataclass_fields__[name].type)
        kwargs[name] = _build(sub, value, f"[{name}]") if sub else value
    return cls(**kwargs)


def _models_tables(data: dict[str, Any]) -> dict[str, Any]:
    """``[models.<kind>]`` tables -> the name in the kind's key, other keywords in ``settings``."""
    out, settings = {}, {}
    for key, value in data.items():
        if key in MODEL_KINDS and isinstance(value, dict):
            table = dict(value)
            out[key] = table.pop("name", defaults.MODELS[key])
            if table:
                settings[key] = table
        elif key != "settings":
            out[key] = value
        else:
            raise ConfigError("Unknown key 'settings' in [models]; give a backend's keywords in [models.<kind>] tables.")
    if settings:
        out["settings"] = settings
    return out


_SECTIONS = {"InputConfig": InputConfig, "ModelsConfig": ModelsConfig, "PrivacyConfig": PrivacyConfig,
             "RunConfig": RunConfig, "PipelineConfig": PipelineConfig}


def config_from_dict(data: dict[str, Any] | None) -> Config:
    data = copy.deepcopy(data or {})
    if (data.get("privacy") or {}).get("author_key") == SECRET:  # a resolved config: the key itself is not saved
        data["privacy"]["author_key"] = ""
    return _build(Config, data, "the config").validate()


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config file, or the ``config`` of a run's manifest.json; ``None`` gives the defaults."""
    if path is None:
        return Config().validate()
    if str(path).endswith(".json"):
        from .manifest import load_manifest

        return config_from_dict(load_manifest(path).config)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
    return config_from_dict(data)


# ----------------------------------------------------------------------------- writing
def to_toml(data: dict[str, Any]) -> str:
    """A resolved config as TOML that ``load_config`` reads back to the same tree
    (keys whose value is None are left out: None is the default wherever it is allowed)."""
    lines: list[str] = []
    _write_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _write_table(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines += ["", "[" + ".".join(_key(p) for p in path) + "]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for key, sub in tables.items():
        _write_table(sub, [*path, key], lines)


def _key(key: str) -> str:
    return key if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None) + "}"
    raise ConfigError(f"Cannot write {value!r} to TOML.")
