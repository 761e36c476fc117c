"""--engine ray gives the local run's results: the bundled samples plus a generated
20k-comment corpus (copies across files, replies linked through parents, rejects),
on a local Ray started here with 2 CPUs; and a killed annotation worker loses or
double-counts nothing (Ray restarts the actor and retries its batch)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'resonance-analyzer[ray]')")

import analyzer  # noqa: E402
import analyzer.errors  # noqa: E402
from analyzer.engines.ray import CRASH_ONCE, CRASH_REPLAY  # noqa: E402
from analyzer.engines.rows import CHUNK  # noqa: E402
from tests.ray_corpus import write_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"privacy": {"author_key": "engine-test-key"}}  # the same pseudonyms in both runs
TABLES = ["resonance.csv", "tables/cells.csv", "tables/windows.csv", "tables/themes.csv", "tables/quotes.csv"]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    corpus = write_corpus(tmp_path_factory.mktemp("corpus"), n=20_000, files=4)
    return [str(ROOT / "data" / "samples"), *corpus]


@pytest.fixture(scope="module")
def local(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return analyzer.run(inputs, out, config=CONFIG), out


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _same_cell(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    except ValueError:
        return False


def assert_same_outputs(local_out: Path, ray_out: Path) -> None:
    for name in TABLES:
        mine, theirs = _rows(local_out / name), _rows(ray_out / name)
        assert len(mine) == len(theirs) > 0, name
        for a, b in zip(mine, theirs):
            assert a.keys() == b.keys(), name
            bad = {k: (a[k], b[k]) for k in a if not _same_cell(a[k], b[k])}
            assert not bad, f"{name}: {bad}"
    assert (local_out / "rejects.jsonl").read_text() == (ray_out / "rejects.jsonl").read_text()
    m_local = json.loads((local_out / "manifest.json").read_text())
    m_ray = json.loads((ray_out / "manifest.json").read_text())
    for key in ("counts", "files", "accepted", "stage_summaries"):
        assert m_local[key] == m_ray[key], key


def _comments(path: Path) -> dict[str, tuple]:
    table = pq.read_table(path, columns=["source", "duplicate_of", "dup_count", "drama", "sentiment", "themes"])
    rows = table.to_pylist()
    by_source = {r["source"]: (r["duplicate_of"], r["dup_count"], r["drama"], r["sentiment"], tuple(r["themes"]))
                 for r in rows}
    assert len(by_source) == len(rows), "a comment was written twice"
    return by_source


def test_ray_run_equals_local_run(cluster, inputs, local, tmp_path):
    summary, local_out = local
    result = analyzer.run(inputs, tmp_path / "ray", config=CONFIG, engine="ray", num_workers=2)
    assert result.counts == summary.counts and result.counts["reconciles"]
    assert result.counts["rejected"] > 0 and summary.accepted["duplicates"] > 0
    assert_same_outputs(local_out, tmp_path / "ray")
    assert (tmp_path / "ray" / "comments.parquet").is_dir()  # a dataset partitioned by input file
    assert _comments(local_out / "comments.parquet") == _comments(tmp_path / "ray" / "comments.parquet")
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert manifest["engine"]["name"] == "ray" and manifest["config"]["run"]["engine"] == "ray"
    assert manifest["engine"]["shared_stages"]  # the actors took the driver's stages, not built their own
    # Read in chunks, not whole files: a read actor keeps each chunk's rows on disk as soon as
    # it is prepared, so its memory does not grow with the file (each generated file is over
    # one chunk); every chunk is annotated once, and the kept rows are gone after the run.
    assert 20_000 // 4 > CHUNK and manifest["engine"]["prepared_chunks"] == len(manifest["files"]) + 4
    assert not list((tmp_path / "ray").glob(".*ray-tmp"))
    # `analyzer report` rebuilds the same numbers from the partitioned dataset.
    from analyzer.report import rerender

    rerender(tmp_path / "ray")
    assert (tmp_path / "ray" / "resonance.csv").read_text() == (local_out / "resonance.csv").read_text()


def test_killed_worker_loses_and_double_counts_nothing(cluster, inputs, local, tmp_path, monkeypatch):
    _, local_out = local
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ONCE, str(marker))
    analyzer.run(inputs, tmp_path / "ray", config=CONFIG, engine="ray", num_workers=2)
    assert marker.exists(), "no worker was killed"
    assert_same_outputs(local_out, tmp_path / "ray")
    assert _comments(local_out / "comments.parquet") == _comments(tmp_path / "ray" / "comments.parquet")


def test_a_dead_replay_fails_the_run_and_writes_nothing(cluster, tmp_path, monkeypatch):
    """The replay holds the run's dedup windows: it is never restarted (a fresh one would
    decide differently), so its death ends the run with a one-line error and no output."""
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_REPLAY, str(marker))
    with pytest.raises(analyzer.errors.AnalyzerError) as failed:
        analyzer.run([str(ROOT / "data" / "samples")], tmp_path / "ray", config=CONFIG, engine="ray", num_workers=1)
    assert marker.exists(), "the replay was not killed"
    assert len(str(failed.value).splitlines()) == 1 and "run again" in str(failed.value)
    assert not (tmp_path / "ray").exists()


def test_unreadable_input_is_a_file_reject_as_in_the_local_run(cluster, tmp_path):
    """A file no reader knows ends in one per-file reject, as locally; the run goes on."""
    bad = tmp_path / "in" / "dump.dat"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x01 not a comment dump")
    good = tmp_path / "in" / "ok.jsonl"
    good.write_text(json.dumps({"id": "1", "text": "so good", "drama": "The Untamed"}) + "\n", encoding="utf-8")
    runs = {engine: analyzer.run([str(bad), str(good)], tmp_path / engine, config=CONFIG, engine=engine, num_workers=1)
            for engine in ("local", "ray")}
    assert runs["ray"].counts == runs["local"].counts and runs["ray"].counts["rejected"] == 1
    rejects = {e: (tmp_path / e / "rejects.jsonl").read_text(encoding="utf-8") for e in runs}
    assert rejects["ray"] == rejects["local"] and "cannot tell the format" in rejects["ray"]


def test_replies_without_a_platform_link_within_their_file_as_in_the_local_run(cluster, tmp_path):
    """Two CSV exports numbering their rows 1, 2, ...: b.csv's reply to "1" is not a.csv's row 1's."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("id,text,reply_to\n1,The Untamed ost is great,\n2,agreed!,1\n", encoding="utf-8")
    (folder / "b.csv").write_text("id,text,reply_to\n1,what a day,\n2,agreed!,1\n", encoding="utf-8")
    dramas = {}
    for engine in ("local", "ray"):
        analyzer.run([str(folder)], tmp_path / engine, config=CONFIG, engine=engine, num_workers=1)
        rows = pq.read_table(tmp_path / engine / "comments.parquet", columns=["source", "drama"]).to_pylist()
        dramas[engine] = {r["source"].rsplit("/", 1)[-1]: r["drama"] for r in rows}
    assert dramas["ray"] == dramas["local"]
    assert dramas["local"]["b.csv:3"] is None and dramas["local"]["a.csv:3"] == "The Untamed"


def test_a_ray_run_names_the_unread_columns_as_the_local_run(cluster, tmp_path, capsys):
    """The read actors hold copies of the read context: the columns they left unread were never
    seen by the driver, so `analyzer run --engine ray` printed no hint and RunSummary.unread was empty."""
    from analyzer.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("Comment Text,Country/Region\nThe Untamed ost is great,KR\n", encoding="utf-8")
    (folder / "b.csv").write_text("Comment Text,Posted,Show Name\nso slow,2024-06-02,Hidden Love\n", encoding="utf-8")
    lines = {}
    for engine in ("local", "ray"):
        assert main(["run", str(folder), "-o", str(tmp_path / engine), "--quiet", "--engine", engine,
                     *(["--num-workers", "2"] if engine == "ray" else [])]) == 0
        lines[engine] = [line for line in capsys.readouterr().out.splitlines() if "left unread" in line]
    assert lines["ray"] == lines["local"] == [
        "input columns left unread: 'Country/Region' (looks like a market), 'Posted' (looks like a date), "
        "'Show Name' (looks like a drama); to read them use --map 'Country/Region=region' "
        "--map 'Posted=created_at' --map 'Show Name=drama'"]
