import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"

# Tests never touch the network: make any hub client fail fast and loudly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RESONANCE_ANALYZER_AUTHOR_KEY", "test-key")


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def write(tmp_path):
    """write("name.jsonl", "text") -> path of a file in tmp_path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """One real run of the bundled samples (data/samples), shared by the tests that need a
    run folder or its manifest instead of a hand-built one."""
    from analyzer.runner import run

    out = tmp_path_factory.mktemp("sample-run") / "out"
    run([str(SAMPLES)], out)
    return out


@pytest.fixture(scope="session")
def sample_manifest(sample_run):
    """The sample run's RunManifest, read through the one loader."""
    from analyzer.manifest import load_manifest

    return load_manifest(sample_run)
