"""One config builds the pipeline (docs/config.md): defaults written once, one error style,
--set overrides, --device to every model, and a run's resolved config reproduces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import defaults
from analyzer.config import Config, config_from_dict, load_config, to_toml
from analyzer.errors import ConfigError
from analyzer.manifest import load_manifest
from analyzer.pipeline import Pipeline
from analyzer.registry import _FACTORIES, register

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(("data", "needle"), [
    ({"run": {"batch_size": -3}}, "The 'batch_size' parameter of [run] must be a positive int. Got -3 instead."),
    ({"run": {"colour": 1}}, "Unknown key 'colour' in [run]; valid keys: batch_size, limit"),
    ({"run": {"engine": "spark"}}, "The 'engine' parameter of [run] must be one of local, ray. Got 'spark' instead."),
    ({"input": {"keep_fields": "a"}}, "The 'keep_fields' parameter of [input] must be a list of strings."),
    ({"models": {"device": "gpu"}}, "The 'device' parameter of [models] must be cpu, cuda or cuda:N."),
    ({"models": {"sentimnt": "x"}}, "Unknown key 'sentimnt' in [models]; valid keys: langid, sentiment, themes"),
    ({"pipeline": {"stages": ["normalize", "tokenize"]}}, "Unknown stage 'tokenize'"),
    ({"aggregate": {"bootstrapp": 1}}, "Unknown key 'bootstrapp' in [aggregate]; valid keys: max_comments_per_author"),
    ({"aggregate": {"bootstrap": -1}}, "The 'bootstrap' parameter of [aggregate] must be a non-negative int."),
])
def test_config_errors_are_one_line_naming_key_and_allowed_values(data, needle):
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert needle in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("data", "hint"), [
    ({"aggregate": {"min_author": 5}}, "Did you mean 'min_authors'?"),
    ({"aggregat": {"min_authors": 5}}, "Did you mean 'aggregate'?"),
    ({"run": {"colour": 1}}, None),
])
def test_an_unknown_key_names_the_key_it_is_a_typo_of(data, hint):
    """`--set aggregate.min_author=5` listed fifteen valid keys and left the reader to spot the missing 's'."""
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert (hint in str(info.value)) if hint else "Did you mean" not in str(info.value)


@pytest.mark.parametrize(("data", "needle"), [
    ({"stages": {"dedup": {"near_treshold": 0.9}}}, "Unknown key 'near_treshold' in [stages.dedup]; valid keys: min_chars"),
    ({"stages": {"dedup": {"bands": 0}}}, "The 'bands' parameter of DedupStage must be a positive int"),
    ({"stages": {"sentiment": {"backend": "x"}}}, "'backend' of [stages.sentiment] comes from [models.sentiment]"),
    ({"models": {"sentiment": {"batch_size": 64, "precision": "bf16"}}},
     "Unknown key 'precision' for backend sentiment.linear.v1; valid keys: path, batch_size."),
])
def test_stage_and_backend_keywords_are_checked_when_built(data, needle):
    with pytest.raises(ConfigError) as info:
        Pipeline.from_config(config_from_dict(data))
    assert needle in str(info.value)


def test_config_tables_reach_the_constructors():
    config = config_from_dict({
        "pipeline": {"stages": ["normalize", "dedup", "langid", "sentiment"]},
        "stages": {"dedup": {"near_threshold": 0.9, "window": 1000}, "langid": {"batch_size": 64}},
        "models": {"sentiment": {"name": "sentiment.linear.v1", "batch_size": 128}},
        "run": {"batch_size": 100},
    })
    pipeline = Pipeline.from_config(config)
    assert pipeline.names == ["normalize", "dedup", "langid", "sentiment"] and pipeline.batch_size == 100
    dedup, langid, sentiment = pipeline.stages[1:]
    assert (dedup.near_threshold, dedup.window) == (0.9, 1000)
    assert langid.batch_size == 64
    assert sentiment.backend.batch_size == 128


def test_the_themes_stage_shares_the_sentiment_backend_instance():
    pipeline = Pipeline.from_config(Config())
    stages = {s.name: s for s in pipeline.stages}
    assert stages["themes"].sentiment is stages["sentiment"].backend


@pytest.fixture
def device_backends():
    """Registered test backends of every kind that record the device they were given."""
    seen = {}

    def factory(kind):
        def make(*, device="cpu", languages=None, path=None):
            seen[kind] = device
            return _FACTORIES[defaults.MODELS[kind]](**({"languages": languages} if languages else {}))
        return make

    names = {kind: f"{kind}.test-device.v1" for kind in defaults.MODELS}
    for kind, name in names.items():
        register(name)(factory(kind))
    yield names, seen
    for name in names.values():
        _FACTORIES.pop(name, None)


def test_device_reaches_every_model(device_backends):
    names, seen = device_backends
    config = config_from_dict({"models": {"device": "cuda", **names}})
    Pipeline.from_config(config)
    assert seen == {kind: "cuda" for kind in defaults.MODELS}


def test_set_overrides_use_the_same_validation():
    config = Config().with_overrides(["stages.dedup.near=false", "models.sentiment.batch_size=64",
                                      "aggregate.bootstrap=0", "run.catalog=my.csv"])
    assert config.stages == {"dedup": {"near": False}} and config.models.settings == {"sentiment": {"batch_size": 64}}
    assert config.aggregate == {"bootstrap": 0} and config.run.catalog == "my.csv"
    with pytest.raises(ConfigError, match=r"Unknown key 'batchsize' in \[run\]"):
        Config().with_overrides(["run.batchsize=1"])
    with pytest.raises(ConfigError, match="--set takes SECTION.KEY=VALUE"):
        Config().with_overrides(["batch_size"])


def test_toml_export_reads_back_to_the_same_config():
    config = Config().with_overrides(["stages.dedup.near_threshold=0.85", "models.themes.batch_size=99",
                                      'aggregate.confusion={en = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}',
                                      'input.mapping.body="text"'])
    import tomllib

    assert config_from_dict(tomllib.loads(to_toml(config.to_dict()))).to_dict() == config.to_dict()


def test_surfaces_read_the_one_source_of_defaults():
    assert Config().models.sentiment == defaults.MODELS["sentiment"]
    assert Pipeline.from_config(Config()).names == list(defaults.STAGES)
    help_text = _cli("run", "--help").stdout
    for kind in ("sentiment", "themes", "polarity"):
        assert defaults.MODELS[kind] in help_text
    listing = _cli("models", "list").stdout.splitlines()
    marked = sorted(line.split()[0] for line in listing if "(default)" in line)
    assert marked == sorted(defaults.MODELS.values())
    assert not any(line.startswith("themes.lexicon.v1") and "default" in line for line in listing)
    assert defaults.MODELS["themes"] in _cli("eval", "--help").stdout


def test_cli_set_error_is_one_line(tmp_path):
    done = _cli("run", "data/samples", "-o", str(tmp_path / "o"), "--set", "stages.dedup.nope=1", "-q")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        done.stderr.strip()] and "Unknown key 'nope' in [stages.dedup]" in done.stderr


def _tables(out: Path) -> dict[str, bytes]:
    names = ["resonance.csv", "resonance.json", "rejects.jsonl", *sorted(f"tables/{p.name}" for p in (out / "tables").glob("*.csv"))]
    return {name: (out / name).read_bytes() for name in names}


def test_a_run_is_reproduced_from_its_manifest_and_its_exported_config(tmp_path):
    """A changed config (not the defaults), so that a setting lost on the way would show."""
    from analyzer.runner import export_config, run

    source = [str(ROOT / "data" / "samples" / "comments_mixed.jsonl")]
    changed = Config().with_overrides(["stages.dedup.near=false", "aggregate.bootstrap=50", "aggregate.min_authors=3",
                                       "models.sentiment.batch_size=100"])
    run(source, tmp_path / "default")
    run(source, tmp_path / "first", config=changed)
    assert _tables(tmp_path / "first") != _tables(tmp_path / "default")  # the settings changed the outputs
    run(source, tmp_path / "again", config=str(tmp_path / "first" / "manifest.json"))
    assert _tables(tmp_path / "again") == _tables(tmp_path / "first")
    export_config(tmp_path / "first", tmp_path / "config.toml")
    assert load_config(tmp_path / "config.toml").to_dict() == load_config(tmp_path / "first" / "manifest.json").to_dict()
    run(source, tmp_path / "third", config=str(tmp_path / "config.toml"))
    assert _tables(tmp_path / "third") == _tables(tmp_path / "first")


def test_a_limited_run_records_its_limit_and_is_reproduced_from_its_manifest(tmp_path):
    """run(limit=N) / --limit N is [run] limit: before, the manifest said limit 0, so repeating the
    run with --config its manifest.json read every record (12 instead of 5)."""
    from analyzer.runner import run

    source = [str(ROOT / "data" / "samples" / "comments_mixed.jsonl")]
    first = run(source, tmp_path / "first", limit=5)
    assert first.counts["read"] == 5
    assert load_manifest(tmp_path / "first").config["run"]["limit"] == 5
    again = run(source, tmp_path / "again", config=str(tmp_path / "first" / "manifest.json"))
    assert again.counts["read"] == 5


def test_cli_runs_from_a_manifest_and_exports_its_config(tmp_path, sample_run):
    exported = tmp_path / "config.toml"
    done = _cli("config", "export", str(sample_run), "-o", str(exported))
    assert done.returncode == 0, done.stderr
    assert load_config(exported).to_dict() == load_config(sample_run / "manifest.json").to_dict()
    done = _cli("run", "data/samples/comments_mixed.jsonl", "-o", str(tmp_path / "again"), "-q",
                "--config", str(sample_run / "manifest.json"))
    assert done.returncode == 0, done.stderr
    assert load_manifest(tmp_path / "again").config == load_manifest(sample_run).config


def test_docs_show_the_defaults():
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert to_toml({"pipeline": {"stages": list(defaults.STAGES)}}).strip() in text
    for kind, name in defaults.MODELS.items():
        assert f'[models.{kind}]\nname = "{name}"' in text
    from analyzer.stages.build import stage_classes, stage_keywords

    for name, cls in stage_classes().items():
        if stage_keywords(cls):
            assert f"| {name} | {', '.join(stage_keywords(cls))} |" in text
