"""Bugs from the wiring (issue #15), each reproduced through the CLI a user runs."""

import json
import subprocess
import sys
from pathlib import Path

from analyzer.registry import select_backend
from analyzer.stages.sentiment import SentimentStage

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True)


def test_confusion_model_run_can_be_rerendered_and_compared(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[aggregate]\nconfusion = "model"\n', encoding="utf-8")
    out = tmp_path / "out"
    done = _cli("run", str(ROOT / "data" / "samples" / "comments_mixed.jsonl"), "-o", str(out), "--config", str(config), "-q")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    confusion = manifest["config"]["aggregate"]["confusion"]
    assert isinstance(confusion, dict) and confusion, "the manifest holds the matrices used, not 'model'"
    before = (out / "resonance.csv").read_text(encoding="utf-8")
    rerender = _cli("report", str(out))
    assert rerender.returncode == 0 and "Traceback" not in rerender.stderr, rerender.stderr
    assert (out / "resonance.csv").read_text(encoding="utf-8") == before
    cells = [line.split(",") for line in before.splitlines()[1:]]
    dramas = sorted({c[0] for c in cells if c[0] != "(unlinked)"})
    compare = _cli("compare", str(out), dramas[0], dramas[-1], "--by", "drama")
    assert compare.returncode == 0 and "Traceback" not in compare.stderr, compare.stderr


def test_device_cuda_does_not_break_cpu_backends():
    stage = SentimentStage(backend="sentiment.linear.v1", device="cuda")
    assert stage.backend.name == "sentiment.linear.v1"
    assert select_backend("themes.hybrid.v1", "themes", device="cuda").name == "themes.hybrid.v1"


def test_cli_device_cuda_with_default_models_gives_no_traceback(tmp_path):
    done = _cli("annotate", str(ROOT / "data" / "samples" / "comments_mixed.jsonl"), "-o", str(tmp_path / "a.jsonl"),
                "--device", "cuda", "-q")
    assert "Traceback" not in done.stderr and "unexpected keyword" not in done.stderr
    assert done.returncode == 0, done.stderr
