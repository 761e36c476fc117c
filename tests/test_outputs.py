"""The output side of a run: exit codes, safe CSV/Markdown exports, one run per folder
(all or nothing, locked, never inside the inputs), one file mode, quiet closed pipes,
and byte-identical reruns."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.io.outdir import RunFolder
from analyzer.io.writers import csv_safe
from analyzer.report.markdown import md_text

ROOT = Path(__file__).resolve().parent.parent


def line(**fields) -> str:
    base = {"id": "x", "text": "Loved the ending of this drama", "drama": "Hidden Love", "region": "VN"}
    return json.dumps({**base, **fields}, ensure_ascii=False)


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, **kwargs)


# --- 1. exit codes ---------------------------------------------------------------------

def test_nothing_accepted_exits_3_with_top_reasons(tmp_path, capsys):
    dump = tmp_path / "in" / "no_text.csv"  # a CSV without any text column: every row is rejected
    dump.parent.mkdir()
    dump.write_text("id,score\n1,3\n2,5\n", encoding="utf-8")
    assert main(["run", str(dump), "-o", str(tmp_path / "out"), "-q"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no record accepted (2 of 2 rejected)" in err[0] and "top reasons:" in err[0]
    assert (tmp_path / "out" / "rejects.jsonl").is_file()  # the run's outputs are still written


def test_header_only_csv_exits_3_saying_the_input_has_no_records(tmp_path, capsys):
    # it used to say "no record accepted (0 of 0 rejected); see out/rejects.jsonl", an empty file
    dump = tmp_path / "header.csv"
    dump.write_text("text,drama\n", encoding="utf-8")
    assert main(["run", str(dump), "-o", str(tmp_path / "out"), "-q"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the input has no records" in err[0] and "rejects.jsonl" not in err[0]


def test_empty_input_exits_3(tmp_path):
    dump = tmp_path / "empty.jsonl"
    dump.write_text("", encoding="utf-8")
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 3


def test_reject_ratio_limit_from_flag_and_config(tmp_path, capsys):
    dump = tmp_path / "d.jsonl"
    dump.write_text("\n".join([line(id="1"), "{bad", line(id="2"), "{bad"]) + "\n", encoding="utf-8")
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 0  # 50% is not > 0.5
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q", "--max-reject-ratio", "0.4"]) == 4
    assert "2 of 4 records rejected" in capsys.readouterr().err
    cfg = tmp_path / "c.toml"
    cfg.write_text("[run]\nmax_reject_ratio = 0.25\n", encoding="utf-8")
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q", "--config", str(cfg)]) == 4
    cfg.write_text("[run]\nmax_reject_ratio = 2\n", encoding="utf-8")
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q", "--config", str(cfg)]) == 1


def test_closed_pipe_exits_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "models", "list"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head` that has already gone away
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert err == ""


# --- 2. safe exports -------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("=1+2", "'=1+2"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("\r=x", "'\r=x"), ("-3", "-3"), ("+1.5e3", "+1.5e3"), ("plain", "plain"), (-3, -3),
    (2.5, 2.5), ("", ""),
])
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


FORMULA = "=HYPERLINK(\"http://evil.invalid\",\"click\")"


def test_annotate_csv_neutralises_formulas_unless_turned_off(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_text("\n".join([line(id="1", text=FORMULA, score=-3), line(id="2", text="@everyone watch it")]) + "\n",
                    encoding="utf-8")
    out = tmp_path / "a.csv"
    assert main(["annotate", str(dump), "-o", str(out), "-q"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["text"] == "'" + FORMULA and rows[1]["text"] == "'@everyone watch it"
    assert rows[0]["score"] == "-3"  # a number is not a formula
    assert main(["annotate", str(dump), "-o", str(out), "-q", "--no-csv-guard"]) == 0
    assert list(csv.DictReader(out.open(encoding="utf-8")))[0]["text"] == FORMULA


def test_run_csvs_neutralise_formulas(tmp_path):
    dump = tmp_path / "in" / "d.jsonl"
    dump.parent.mkdir()
    rows = [line(id=str(i), text=f"=cmd() I love this drama so much {i}", drama="=EVIL()", author=f"a{i}",
                 sentiment=None) for i in range(6)]
    dump.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(dump), "-o", str(out), "-q"]) == 0
    for path in [out / "resonance.csv", *sorted((out / "tables").glob("*.csv"))]:
        cells = [c for row in csv.reader(path.open(encoding="utf-8")) for c in row]
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells), path
        assert not any(c.startswith("-") and not _number(c) for c in cells), path
    assert "'=EVIL()" in (out / "resonance.csv").read_text(encoding="utf-8")
    quotes = (out / "tables" / "quotes.csv").read_text(encoding="utf-8")
    assert "'=cmd() I love" in quotes


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_markdown_text_cannot_render_images_or_links():
    for text in ("![x](https://host/t.png)", "[x](javascript:alert(1))", "<img src=x onerror=alert(1)>"):
        out = md_text(text)
        assert "](" not in out and "<img" not in out
    assert md_text("*bold* `code` # h | pipe\nnext") == "\\*bold\\* \\`code\\` \\# h \\| pipe next"


# --- 3. one run, one folder ----------------------------------------------------------

def samples_run(out: Path, *extra) -> int:
    return main(["run", str(ROOT / "data" / "samples" / "comments_mixed.jsonl"), "-o", str(out), "-q", *extra])


def test_folder_holds_only_this_runs_files(tmp_path):
    out = tmp_path / "out"
    assert samples_run(out) == 0
    (out / "topics.csv").write_text("stale\n", encoding="utf-8")  # from an earlier `analyzer topics`
    assert samples_run(out) == 0
    assert not (out / "topics.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.name != ".out.lock"] == []


def test_spilled_accumulator_writes_the_same_outputs_and_no_extra_file(tmp_path, monkeypatch):
    """A run whose accumulator writes its rows out every 5 rows (``state.SPILL_ROWS``) gives
    byte-identical tables and leaves nothing of its spill file behind."""
    from analyzer.aggregate import state

    assert samples_run(tmp_path / "kept", "--workers", "1") == 0
    monkeypatch.setattr(state, "SPILL_ROWS", 5)
    assert samples_run(tmp_path / "spilled", "--workers", "1") == 0
    names = sorted(p.name for p in (tmp_path / "kept").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "spilled").iterdir())
    for name in ("resonance.csv", "resonance.json", "themes.csv", "quotes.csv", "comments.parquet"):
        if (tmp_path / "kept" / name).exists():
            assert (tmp_path / "kept" / name).read_bytes() == (tmp_path / "spilled" / name).read_bytes(), name


def test_failed_run_leaves_the_old_folder_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert samples_run(out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    import analyzer.aggregate as aggregate

    def boom(self, *args, **kwargs):
        raise MemoryError("disk full or out of memory half-way")

    monkeypatch.setattr(aggregate.ResonanceAccumulator, "result", boom)
    with pytest.raises(MemoryError):
        main(["run", str(ROOT / "data" / "samples"), "-o", str(out), "-q"])  # has rejects, unlike the first run
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_killed_run_leaves_a_whole_folder_and_is_cleaned_up(tmp_path):
    import signal

    out = tmp_path / "out"
    assert samples_run(out) == 0
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "run", "data/samples", "-o", str(out), "-q"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)  # somewhere in the run (where exactly does not matter: any point must be safe)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _assert_one_whole_run(out)
    assert samples_run(out) == 0
    _assert_one_whole_run(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def _assert_one_whole_run(out: Path) -> None:
    import pyarrow.parquet as pq

    manifest = json.loads((out / "manifest.json").read_text())
    assert pq.read_metadata(out / "comments.parquet").num_rows == manifest["counts"]["accepted"]
    assert len((out / "rejects.jsonl").read_text().splitlines()) == manifest["counts"]["rejected"]
    assert set(manifest["outputs"]) <= {str(p.relative_to(out)) for p in out.rglob("*")}


def test_failed_annotate_keeps_the_old_output_and_rejects(tmp_path, monkeypatch):
    out = tmp_path / "a.jsonl"
    assert main(["annotate", str(ROOT / "data" / "samples" / "malformed.jsonl"), "-o", str(out), "-q",
                 "--max-reject-ratio", "1"]) == 0
    before = out.read_bytes(), (tmp_path / "a.jsonl.rejects.jsonl").read_bytes()
    import analyzer.runner as runner

    monkeypatch.setattr(runner, "annotation_row", lambda c: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["annotate", str(ROOT / "data" / "samples"), "-o", str(out), "-q"])
    assert (out.read_bytes(), (tmp_path / "a.jsonl.rejects.jsonl").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "a.jsonl.rejects.jsonl"]


def test_second_concurrent_run_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    with RunFolder(out):  # a run in progress holds the lock
        assert samples_run(out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Another analyzer run is writing to" in err[0]
    assert samples_run(out) == 0  # released


def test_two_processes_into_one_folder(tmp_path):
    out = tmp_path / "out"
    inputs = ["data/samples", "data/samples/comments_mixed.jsonl"]  # different inputs: a mix would show
    procs = [subprocess.Popen([sys.executable, "-m", "analyzer", "run", src, "-o", str(out), "-q"], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for src in inputs]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    # Both may finish one after the other; if they overlapped, one was refused with one line.
    assert codes in ([0, 0], [0, 1]), results
    if codes == [0, 1]:
        assert "Another analyzer run is writing to" in next(err for code, err in results if code == 1)
    manifest = json.loads((out / "manifest.json").read_text())
    parquet_rows = __import__("pyarrow.parquet").parquet.read_metadata(out / "comments.parquet").num_rows
    assert manifest["counts"]["accepted"] == parquet_rows


def test_output_inside_input_is_refused(tmp_path, capsys):
    src = tmp_path / "dumps"
    shutil.copytree(ROOT / "data" / "samples", src)
    assert main(["run", str(src), "-o", str(src / "out"), "-q"]) == 1
    assert "inside the input folder" in capsys.readouterr().err
    assert not (src / "out").exists()


def test_inputs_never_ingest_earlier_outputs(tmp_path):
    src = tmp_path / "dumps"
    shutil.copytree(ROOT / "data" / "samples", src)
    assert main(["run", str(src), "-o", str(tmp_path / "first"), "-q"]) == 0
    shutil.copytree(tmp_path / "first", src / "old_run")  # an earlier run's folder among the inputs
    assert main(["run", str(src), "-o", str(tmp_path / "second"), "-q"]) == 0
    first = json.loads((tmp_path / "first" / "manifest.json").read_text())
    second = json.loads((tmp_path / "second" / "manifest.json").read_text())
    assert second["counts"] == first["counts"]
    assert {s["path"] for s in second["skipped_inputs"]} and all("old_run" in s["path"] for s in second["skipped_inputs"])
    # named explicitly, a file of a run folder is read
    assert main(["run", str(src / "old_run" / "comments.parquet"), "-o", str(tmp_path / "third"), "-q"]) == 0
    assert json.loads((tmp_path / "third" / "manifest.json").read_text())["counts"]["accepted"] > 0


def test_input_inside_output_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    assert samples_run(out) == 0
    assert main(["run", str(out / "comments.parquet"), "-o", str(out), "-q"]) == 1
    assert (out / "comments.parquet").is_file()


def test_foreign_folder_is_not_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me", encoding="utf-8")
    assert samples_run(out) == 1
    assert (out / "thesis.txt").read_text(encoding="utf-8") == "keep me"


def test_annotate_over_its_input_is_refused(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_text(line() + "\n", encoding="utf-8")
    before = dump.read_bytes()
    assert main(["annotate", str(dump), "-o", str(dump), "-q"]) == 1
    assert dump.read_bytes() == before


def test_stale_temps_of_killed_runs_are_cleaned(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    (tmp_path / f".out.tmp-{dead.pid}").mkdir()
    (tmp_path / f".out.tmp-{dead.pid}" / "comments.parquet").write_bytes(b"half")
    (tmp_path / f".a.jsonl.{dead.pid}.abc123.tmp").write_text("half", encoding="utf-8")
    assert samples_run(out) == 0
    dump = ROOT / "data" / "samples" / "comments_mixed.jsonl"
    assert main(["annotate", str(dump), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "a.jsonl", "out"]


def test_one_file_mode_for_all_outputs(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "out"
        assert main(["run", str(ROOT / "data" / "samples"), "-o", str(out), "-q"]) == 0
        assert main(["annotate", str(ROOT / "data" / "samples" / "malformed.jsonl"), "-o", str(tmp_path / "a.csv"), "-q",
                     "--max-reject-ratio", "1"]) == 0
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()] + [tmp_path / "a.csv", tmp_path / "a.csv.rejects.jsonl"]
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}
    assert {oct(p.stat().st_mode & 0o777) for p in [out, out / "tables"]} == {"0o755"}


# --- 4. deterministic by default -----------------------------------------------------

def test_two_runs_give_byte_identical_outputs(tmp_path, monkeypatch):
    monkeypatch.delenv("RESONANCE_ANALYZER_AUTHOR_KEY", raising=False)
    monkeypatch.setenv("RESONANCE_ANALYZER_CACHE", str(tmp_path / "cache"))  # the default per-user key lives here
    for name in ("a", "b"):
        assert main(["run", str(ROOT / "data" / "samples"), "-o", str(tmp_path / name), "-q"]) == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for rel in files:
        a, b = (tmp_path / "a" / rel).read_bytes(), (tmp_path / "b" / rel).read_bytes()
        if rel.name == "manifest.json":
            a, b = (json.loads(x) for x in (a, b))
            assert {"started_at", "seconds", "per_stage"} <= set(a.pop("timings")) and b.pop("timings")
        assert a == b, rel
    assert oct((tmp_path / "cache" / "author.key").stat().st_mode & 0o777) == "0o600"
    # Another key changes the pseudonyms but no number: bootstrap rows are ordered by content.
    monkeypatch.setenv("RESONANCE_ANALYZER_AUTHOR_KEY", "another-key")
    assert main(["run", str(ROOT / "data" / "samples"), "-o", str(tmp_path / "c"), "-q"]) == 0
    for rel in ("resonance.csv", "tables/themes.csv"):
        assert (tmp_path / "c" / rel).read_bytes() == (tmp_path / "a" / rel).read_bytes(), rel
    assert (tmp_path / "c" / "comments.parquet").read_bytes() != (tmp_path / "a" / "comments.parquet").read_bytes()
