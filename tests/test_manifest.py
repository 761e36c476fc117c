"""The typed, versioned RunManifest: what a real run records, and the one loader's checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.config import load_config
from analyzer.errors import AnalyzerError, InputError
from analyzer.manifest import MANIFEST_VERSION, RunManifest, StageRecord, load_manifest

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_records_inputs_counts_config_stages_and_versions(sample_run, sample_manifest):
    m = sample_manifest
    assert isinstance(m, RunManifest) and m.manifest_version == MANIFEST_VERSION
    samples = sorted(p for p in (ROOT / "data" / "samples").iterdir() if p.is_file())
    assert len(m.inputs) == len(m.files) and all(len(i.sha256 or "") == 64 and i.bytes for i in m.inputs)
    import hashlib

    by_name = {Path(i.path).name: i.sha256 for i in m.inputs}
    some = next(p for p in samples if p.name in by_name)
    assert by_name[some.name] == hashlib.sha256(some.read_bytes()).hexdigest()
    assert sum(f["read"] for f in m.files) == m.counts["read"] == m.counts["accepted"] + m.counts["rejected"]
    sentiment = m.stage("sentiment")
    assert isinstance(sentiment, StageRecord) and sentiment.backend == load_config(None).models.sentiment
    assert sentiment.dev_macro_f1_mean and sentiment.accuracy_per_language
    assert {"numpy", "pyarrow"} <= set(m.packages) and m.package["name"] == "resonance-analyzer"
    assert {"read", "stages", "total"} <= set(m.timings)
    assert load_config(sample_run / "manifest.json").to_dict()["models"] == m.config["models"]


def test_the_manifest_round_trips_through_its_dict(sample_manifest):
    data = sample_manifest.to_dict()
    assert RunManifest.from_dict(json.loads(json.dumps(data))).to_dict() == data
    assert list(data)[0] == "manifest_version"


def _write(tmp_path, data) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_newer_or_unknown_version_is_a_one_line_error(tmp_path, sample_manifest):
    data = sample_manifest.to_dict()
    for version in (MANIFEST_VERSION + 1, "two", 0):
        with pytest.raises(InputError, match="manifest_version") as info:
            load_manifest(_write(tmp_path, {**data, "manifest_version": version}))
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("data", [{"stages": []}, [1, 2], {"config": "x", "counts": {}}])
def test_a_file_that_is_no_manifest_is_a_one_line_error(tmp_path, data):
    with pytest.raises(InputError, match="is not a run manifest"):
        load_manifest(_write(tmp_path, data))


def test_config_from_a_non_manifest_json_is_an_error(tmp_path):
    with pytest.raises(AnalyzerError, match="is not a run manifest"):
        load_config(_write(tmp_path, {"run": {"batch_size": 5}}))


def test_report_and_compare_refuse_a_newer_manifest_in_one_line(tmp_path, sample_run):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(sample_run, run_dir)
    data = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    _write(run_dir, {**data, "manifest_version": MANIFEST_VERSION + 1})
    for args in (["report", str(run_dir)], ["compare", str(run_dir), "a", "b"]):
        done = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True)
        assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "manifest_version" in done.stderr and "Traceback" not in done.stderr
