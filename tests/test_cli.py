"""The CLI on the bundled samples: every output exists, counts reconcile, errors are one line."""

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from analyzer.cli import main

OUTPUTS = ("comments.parquet", "resonance.csv", "report.html", "report.md", "rejects.jsonl", "manifest.json")
RAW_AUTHORS = ("luna_fan", "binge_queen", "drama_addict99", "sweet_tooth", "minji_k")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    from pathlib import Path

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    assert main(["run", str(samples), "-o", str(out), "--quiet"]) == 0
    return out


def test_run_writes_all_outputs_and_reconciles(run_dir):
    for name in OUTPUTS:
        assert (run_dir / name).is_file(), name
    manifest = json.loads((run_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == counts["accepted"] + counts["rejected"] and counts["reconciles"]
    for f in manifest["files"]:
        assert f["read"] == f["accepted"] + f["rejected"]
    rejects = [json.loads(line) for line in (run_dir / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == counts["rejected"] >= 4
    assert all(r["reason"] and ":" in r["location"] for r in rejects)
    table = pq.read_table(run_dir / "comments.parquet")
    assert table.num_rows == counts["accepted"]
    assert manifest["package"]["version"] and manifest["stages"] and manifest["inputs"][0]["sha256"]


def test_run_annotations_are_sensible(run_dir):
    rows = pq.read_table(run_dir / "comments.parquet").to_pylist()
    by_text = {r["text"]: r for r in rows}
    assert by_text["陈情令的剧情太好哭了，肖战的演技真的绝了"]["lang"] == "zh"
    assert by_text["케미가 너무 좋아요 정주행 중입니다"]["lang"] == "ko"
    assert by_text["ชอบเพลงประกอบมาก ฟังทุกวันเลย"]["lang"] == "th"
    assert by_text["first!"]["noise"] is True
    assert "music" in by_text["ชอบเพลงประกอบมาก ฟังทุกวันเลย"]["themes"]
    assert by_text["Dropped it after episode 5, way too slow for me"]["sentiment"] == "negative"
    assert "dropped" in by_text["Dropped it after episode 5, way too slow for me"]["intents"]


def test_no_raw_author_in_any_output(run_dir):
    for path in run_dir.rglob("*"):
        if path.is_file():
            text = output_text(path)
            for author in RAW_AUTHORS:
                assert author not in text, (path.name, author)


def test_resonance_csv_has_cells(run_dir):
    import csv

    rows = list(csv.DictReader((run_dir / "resonance.csv").open(encoding="utf-8")))
    assert {"drama", "region", "net_sentiment"} <= set(rows[0])
    assert len({(r["drama"], r["region"]) for r in rows}) >= 6


def test_report_rerenders_without_rescoring(run_dir):
    before = {name: (run_dir / name).read_bytes() for name in ("report.html", "report.md", "resonance.csv")}
    (run_dir / "report.html").unlink()
    assert main(["report", str(run_dir)]) == 0
    # the same bytes as the run wrote (the html used to embed the manifest's outputs, empty during the run)
    assert {name: (run_dir / name).read_bytes() for name in before} == before


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_annotate_contract(tmp_path, samples, suffix):
    out = tmp_path / f"ann{suffix}"
    assert main(["annotate", str(samples / "comments_mixed.jsonl"), "-o", str(out), "-q"]) == 0
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif suffix == ".csv":
        import csv

        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    else:
        rows = pq.read_table(out).to_pylist()
    assert len(rows) == 29
    contract = {"lang", "lang_confidence", "sentiment", "sentiment_scores", "themes", "theme_polarity", "intents", "noise"}
    assert contract <= set(rows[0])
    # input fields are kept; the input's own `lang` is kept as source_lang
    assert {"id", "text", "drama", "likes", "source_lang", "author"} <= set(rows[0])
    assert all(r["author"].startswith("u_") for r in rows)
    row = rows[0]
    scores = row["sentiment_scores"] if suffix != ".csv" else json.loads(row["sentiment_scores"])
    assert set(scores) == {"negative", "neutral", "positive"}
    assert abs(sum(scores.values()) - 1) < 1e-3


def test_annotate_writes_rejects_beside_output(tmp_path, samples):
    out = tmp_path / "a.jsonl"
    # 4 of 6 records rejected: over the default --max-reject-ratio 0.5, so exit 4 (outputs still written)
    assert main(["annotate", str(samples / "malformed.jsonl"), "-o", str(out), "-q"]) == 4
    assert len(out.read_text().splitlines()) == 2
    assert len((tmp_path / "a.jsonl.rejects.jsonl").read_text().splitlines()) == 4


def test_annotate_into_a_folder_is_refused_up_front(tmp_path, samples, capsys):
    folder = tmp_path / "a.jsonl"
    folder.mkdir()
    assert main(["annotate", str(samples / "comments_mixed.jsonl"), "-o", str(folder), "-q"]) == 1
    err = capsys.readouterr().err  # was "Is a directory: .../.a.jsonl.1234.x.tmp", after scoring every record
    assert "is a folder" in err and ".tmp" not in err and len(err.strip().splitlines()) == 1


def test_corrupt_comments_parquet_is_a_one_line_error(run_dir, tmp_path, capsys):
    # `report` and `topics` on it used to end in a pyarrow ArrowInvalid traceback
    (tmp_path / "manifest.json").write_bytes((run_dir / "manifest.json").read_bytes())
    (tmp_path / "comments.parquet").write_text("not parquet")
    for command in (["report", str(tmp_path)], ["topics", str(tmp_path)]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "not a readable Parquet file" in err and len(err.strip().splitlines()) == 1


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args,needle", [
    (["run", "does/not/exist.jsonl", "-o", "OUT"], "Input not found"),
    (["annotate", "data/samples/comments_mixed.jsonl", "-o", "out.txt"], "must end in .jsonl, .csv or .parquet"),
    (["run", "data/samples", "-o", "OUT", "--map", "nonsense"], "--map takes FIELD=COMMENT_FIELD"),
    (["run", "data/samples", "-o", "OUT", "--batch-size", "0"], "'batch_size' parameter of [run] must be a positive int"),
    (["run", "data/samples", "-o", "OUT", "--sentiment", "sentiment.nope.v9"], "Unknown sentiment backend"),
    (["run", "data/samples", "-o", "OUT", "--themes", "themes.nope.v9"], "Unknown themes backend"),
    (["run", "data/samples", "-o", "OUT", "--limit", "-3"], "'limit' parameter of [run] must be an int >= 0"),
    (["annotate", "data/samples/comments_mixed.jsonl", "-o", "OUT.jsonl", "--limit", "-1"], "'limit' parameter"),
])
def test_user_errors_are_one_line(tmp_path, args, needle):
    args = [a.replace("OUT", str(tmp_path / "o")) for a in args]
    from pathlib import Path

    proc = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_unreadable_input(tmp_path):
    path = tmp_path / "locked.jsonl"
    path.write_text('{"text": "x"}\n')
    path.chmod(0)
    import os

    if os.access(path, os.R_OK):  # running as root: permissions do not apply
        path.chmod(0o644)
        path = tmp_path / "dir.jsonl"
        path.mkdir()
        (path / "inner.unknownext").write_text("x")
    proc = run_cli("run", str(path), "-o", str(tmp_path / "o"))
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1


def test_limit(tmp_path, samples):
    out = tmp_path / "lim"
    assert main(["run", str(samples / "comments_mixed.jsonl"), "-o", str(out), "--limit", "5", "-q"]) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["read"] == 5


def test_run_over_every_platform_format(tmp_path):
    """One run over a folder mixing all platform dumps: reconciles per file, each
    malformed record rejected with its location, no raw author in any output."""
    from pathlib import Path

    from tests.test_platform_readers import RAW_AUTHORS as PLATFORM_AUTHORS

    fixtures = Path(__file__).resolve().parent / "fixtures" / "platforms"
    out = tmp_path / "platforms"
    assert main(["run", str(fixtures), "-o", str(out), "-q", "--dump-time", "2024-06-01T00:00:00Z"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["files"]) == len(list(fixtures.iterdir()))
    assert len({f["format"] for f in manifest["files"]}) == 7
    for f in manifest["files"]:
        assert f["read"] == f["accepted"] + f["rejected"] and f["rejected"] >= 1, f
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert {r["file"] for r in rejects} == {f["path"] for f in manifest["files"]}
    leaked = []
    for path in out.rglob("*"):
        if path.is_file():
            leaked += [(path.name, a) for a in PLATFORM_AUTHORS if a.lower() in output_text(path)]
    assert leaked == []


def output_text(path) -> str:
    """A file's content as text; Parquet (compressed) is decoded through Arrow first."""
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str).lower()
    return path.read_bytes().decode("utf-8", "replace").lower()


def test_confusion_correction_from_the_model_card(tmp_path, samples):
    config = tmp_path / "c.toml"
    config.write_text('[aggregate]\nconfusion = "model"\n')
    out = tmp_path / "cm"
    assert main(["run", str(samples), "-o", str(out), "-q", "--config", str(config)]) == 0
    import csv

    header = next(csv.reader((out / "resonance.csv").open(encoding="utf-8")))
    assert "net_sentiment_corrected" in header
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    sentiment = next(s for s in stages if s["stage"] == "sentiment")
    assert 0 < sentiment["accuracy_per_language"]["vi"] <= 1


def test_run_summary_counts_what_metrics_leave_out(run_dir):
    accepted = json.loads((run_dir / "manifest.json").read_text())["accepted"]
    rows = pq.read_table(run_dir / "comments.parquet").to_pylist()
    assert accepted["noise"] == sum(r["noise"] for r in rows) >= 3
    assert accepted["unlinked"] == sum(r["drama"] is None for r in rows)
    assert accepted["duplicates"] == sum(r["duplicate_of"] is not None for r in rows)


def test_themes_flag_sets_the_theme_backend(tmp_path, samples):
    out = tmp_path / "o"
    assert main(["run", str(samples / "comments_mixed.jsonl"), "-o", str(out), "-q", "--themes", "themes.hybrid.v1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "themes.hybrid.v1" in json.dumps(manifest)


def test_models_list_says_what_each_backend_is(capsys):
    from analyzer.registry import registered, summary

    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == registered()
    assert all(summary(name) and summary(name) in line for name, line in zip(registered(), lines))


@pytest.mark.parametrize("args", [["report", "{missing}"], ["compare", "{missing}", "VN", "TH", "--by", "region"],
                                  ["config", "export", "{missing}"]])
def test_a_run_folder_that_does_not_exist_is_named_as_missing(tmp_path, capsys, args):
    """`analyzer report no/such/dir` said 'no/such/dir/comments.parquet not found' (and `config export`
    'Config file not found'), as if the folder were there without its file."""
    missing = str(tmp_path / "no-such-run")
    assert main([a.format(missing=missing) for a in args]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{missing}: no such folder" in err and "Traceback" not in err


def test_compare_suggests_the_name_a_misspelt_or_lower_case_drama_or_market_meant(run_dir, capsys):
    """'the untamed' (the run has 'The Untamed') or 'vn' got only the list of every name in the run."""
    assert main(["compare", str(run_dir), "the untamed", "Nirvana in Fire"]) == 1
    assert "did you mean 'The Untamed'?" in capsys.readouterr().err
    assert main(["compare", str(run_dir), "vn", "TH", "--by", "region"]) == 1
    assert "did you mean 'VN'?" in capsys.readouterr().err
    assert main(["compare", str(run_dir), "Zzz", "TH", "--by", "region"]) == 1
    assert "did you mean" not in capsys.readouterr().err


def test_annotate_of_a_platform_dump_keeps_each_comment_s_id_text_and_time(tmp_path):
    """`analyzer annotate` of a youtube-comment-downloader dump wrote rows with the annotations and the
    platform's extra fields (heart, replies, time_text) but no id, no text, no time and no drama: the
    reader maps cid/text/time_parsed onto the Comment, and annotate wrote only Comment.extra. The rows now
    carry the Comment's id, text, created_at, drama and platform where the input's own fields do not."""
    dump = tmp_path / "yt_hidden_love.jsonl"
    dump.write_text(json.dumps({"cid": "Ugx1", "text": "Phim này hay quá", "votes": "1.2K", "heart": True,
                                "channel": "UC1", "time_parsed": 1654000000.0}) + "\n", encoding="utf-8")
    out = tmp_path / "ann.jsonl"
    assert main(["annotate", str(dump), "-o", str(out), "-q"]) == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "Ugx1" and row["text"] == "Phim này hay quá" and row["platform"] == "youtube"
    assert row["created_at"] == "2022-05-31T12:26:40+00:00" and row["drama"] == "Hidden Love"
    assert row["heart"] is True and row["author"].startswith("u_") and "UC1" not in out.read_text()


def test_run_summary_says_one_duplicate_not_one_duplicates(tmp_path, capsys):
    text = "The chemistry between the two leads is unreal, I binged 20 episodes in one weekend!"
    rows = [{"id": f"d{i}", "text": text, "drama": "The Untamed", "platform": "youtube", "author": f"fan{i}",
             "created_at": "2024-06-01T12:00:00Z"} for i in range(2)]
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    accepted = json.loads((tmp_path / "out" / "manifest.json").read_text())["accepted"]
    assert accepted["duplicates"] == 1
    assert "1 duplicate and" in out and "1 duplicates" not in out
    assert "read 2 records: 2 accepted, 0 rejected" in out


def test_run_summary_says_one_record_for_a_single_comment(tmp_path, capsys):
    row = {"id": "x", "text": "Loved the OST so much", "drama": "The Untamed", "platform": "youtube"}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(row) + "\n")
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert "read 1 record: 1 accepted, 0 rejected" in capsys.readouterr().out


def test_compare_by_region_accepts_a_market_s_name_or_other_code(run_dir, capsys):
    """The run names markets by code ('ID', 'VN'); 'Indonesia' (an alias of ID in the market table) was refused."""
    assert main(["compare", str(run_dir), "Indonesia", "vietnam", "--by", "region"]) == 0
    by_name = json.loads(capsys.readouterr().out)
    assert (by_name["a"], by_name["b"]) == ("ID", "VN")
    assert main(["compare", str(run_dir), "ID", "VN", "--by", "region"]) == 0
    assert json.loads(capsys.readouterr().out) == by_name
    assert main(["compare", str(run_dir), "Indonesia", "ID", "--by", "region"]) == 1
    assert "same region" in capsys.readouterr().err
