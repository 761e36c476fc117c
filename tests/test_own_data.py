"""Own data on the first try: each case of "Bring your own data" (docs/formats.md) fed through the
CLI or ``analyze``, checking the documented behaviour."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import analyzer
from analyzer.cli import main
from analyzer.io.markets import market_code
from analyzer.io.records import FIELD_ALIASES
from analyzer.schema import Comment
from analyzer.stages.link import DramaLinkStage

FORMATS = (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text(encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _section(title: str) -> str:
    return re.search(rf"## {title}\n(.*?)\n## ", FORMATS, flags=re.S).group(1)


def test_docs_list_every_recognised_column():
    section = _section("Bring your own data")
    for field, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            assert re.search(rf"\b{re.escape(alias)}\b", section), f"{alias} ({field}) is not in docs/formats.md"


@pytest.mark.parametrize("value, market", [
    ("KR", "KR"), ("kr", "KR"), ("KOR", "KR"), ("410", "KR"), ("South Korea", "KR"), ("Korea, Republic of", "KR"),
    ("VNM", "VN"), ("Viet Nam", "VN"), ("vietnam", "VN"), ("UK", "GB"), ("United Kingdom", "GB"), ("Türkiye", "TR"),
    ("LATAM+ES", "LATAM+ES"), ("EU", "EU"), ("  ph ", "PH"),
])
def test_country_codes_and_names_map_to_one_market(value, market):
    assert market_code(value) == market


def test_country_column_forms_one_market_in_a_run(tmp_path, capsys):
    path = _csv(tmp_path / "vendor.csv", ["comment", "drama", "country", "author"], [
        ["I love this drama", "The Untamed", "KOR", "a"], ["So good", "The Untamed", "South Korea", "b"],
        ["Beautiful", "The Untamed", "kr", "c"], ["Hay quá", "The Untamed", "Viet Nam", "d"],
    ])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    regions = pq.read_table(tmp_path / "out" / "comments.parquet").column("region").to_pylist()
    assert regions == ["KR", "KR", "KR", "VN"]
    cells = list(csv.DictReader((tmp_path / "out" / "resonance.csv").open(encoding="utf-8")))
    assert sorted({r["region"] for r in cells}) == ["KR", "VN"]


CUSTOM = ("drama_id,title,original_title,aliases,genre,year,episodes,cast,characters\n"
          "moon-river,Moon River,月河,Nguyệt Hà|MR,xianxia,2030,40,Lin Feng=林风/LF,Bai Qing=白青\n"
          "the-untamed,,,Untamed Fanclub,,,,,\n")


def test_custom_catalog_is_merged_onto_the_shipped_one(tmp_path):
    catalog = tmp_path / "mine.csv"
    catalog.write_text(CUSTOM, encoding="utf-8")
    path = _csv(tmp_path / "dump.csv", ["comment"], [
        ["Moon River episode 3 was amazing"],          # the new drama
        ["Nirvana in Fire is a classic"],               # a shipped drama, still known
        ["The Untamed Fanclub meets tonight"],          # an alias added to a shipped drama
        ["白青 is my favourite"],                        # a character of the new drama
    ])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--catalog", str(catalog), "--quiet"]) == 0
    dramas = pq.read_table(tmp_path / "out" / "comments.parquet").column("drama").to_pylist()
    assert dramas == ["Moon River", "Nirvana in Fire", "The Untamed", "Moon River"]
    link = next(s for s in _manifest(tmp_path / "out")["stages"] if s["stage"] == "link")
    assert link["dramas"] == DramaLinkStage().describe()["dramas"] + 1
    assert DramaLinkStage(catalog=catalog).catalog.titles["the-untamed"] == "The Untamed"  # empty fields kept


def test_custom_catalog_without_drama_id_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("drama_id,title\n,Nameless\n", encoding="utf-8")
    path = _csv(tmp_path / "dump.csv", ["comment"], [["hi"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--catalog", str(bad), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.csv:2: empty drama_id" in err


def test_linked_only_by_evidence_for_that_drama_and_unlinked_counted_by_reason(tmp_path, capsys):
    # Wang Yibo plays in The Untamed (in the catalog) and in dramas that are not: his name
    # in a video title is no evidence that the comment is about The Untamed.
    path = _csv(tmp_path / "dump.csv", ["comment", "video_title"], [
        ["Great first episode", "Wang Yibo new drama EP1 | Eng Sub"],
        ["Which one is better?", "The Untamed vs Nirvana in Fire"],
        ["So sweet", "Random vlog"],
        ["Wei Wuxian is the best", "Random vlog"],       # a character: evidence for The Untamed
    ])
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 0
    comments = pq.read_table(tmp_path / "out" / "comments.parquet").to_pylist()
    assert [c["drama"] for c in comments] == [None, None, None, "The Untamed"]
    assert [json.loads(c["extra"]).get("unlinked_reason") for c in comments] == \
        ["cast_only", "ambiguous", "no_evidence", None]
    assert [json.loads(c["extra"]).get("drama_candidates") for c in comments] == \
        [["the-untamed"], ["nirvana-in-fire", "the-untamed"], None, None]
    accepted = _manifest(tmp_path / "out")["accepted"]
    assert accepted["unlinked"] == 3
    assert accepted["unlinked_by_reason"] == {"cast_only": 1, "ambiguous": 1, "no_evidence": 1}
    out = capsys.readouterr().out
    assert "3 not linked to a drama (1 ambiguous, 1 cast only, 1 no evidence)" in out


def test_plain_hugging_face_model_folder_for_sentiment(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from . import tiny_hf

    model = tiny_hf.build_classifier(tmp_path / "my-model", {0: "negative", 1: "neutral", 2: "positive"})
    assert not (model / "backend.json").exists()
    calls = []
    real = transformers.AutoModelForSequenceClassification.from_pretrained

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", spy)
    path = _csv(tmp_path / "dump.csv", ["comment", "drama"], [["the finale was wonderful", "The Untamed"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--sentiment", str(model), "--quiet"]) == 0
    sentiment = next(s for s in _manifest(tmp_path / "out")["stages"] if s["stage"] == "sentiment")
    assert sentiment["backend"] == "sentiment.transformers.v1"
    assert calls and all(kw.get("trust_remote_code") is False for kw in calls)


def test_a_folder_that_is_no_model_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    path = _csv(tmp_path / "dump.csv", ["comment"], [["hi"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--sentiment", str(tmp_path / "empty")]) == 1
    assert "neither backend.json nor a Hugging Face config.json" in capsys.readouterr().err


def test_run_and_annotate_share_one_parquet_schema_for_annotations(tmp_path):
    path = _csv(tmp_path / "dump.csv", ["comment", "drama"], [["Loved it", "Hidden Love"], ["Boring plot", "Hidden Love"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["annotate", str(path), "-o", str(tmp_path / "ann.parquet"), "--quiet"]) == 0
    run_schema = pq.read_schema(tmp_path / "out" / "comments.parquet")
    ann_schema = pq.read_schema(tmp_path / "ann.parquet")
    for name in ("sentiment", "sentiment_scores", "themes", "lang", "lang_confidence", "noise"):
        assert run_schema.field(name).type == ann_schema.field(name).type, name
    assert [f.name for f in run_schema.field("sentiment_scores").type] == ["negative", "neutral", "positive"]
    run_rows = pq.read_table(tmp_path / "out" / "comments.parquet").column("sentiment_scores").to_pylist()
    ann_rows = pq.read_table(tmp_path / "ann.parquet").column("sentiment_scores").to_pylist()
    # each score is rounded to 4 decimals (stages/sentiment.py), so three of them sum to 1 within 1.5e-4
    assert run_rows == ann_rows and abs(sum(run_rows[0].values()) - 1) <= 1.5e-4 + 1e-9


def test_a_run_folder_rerenders_from_the_labelled_scores(tmp_path):
    # intensity counts strongly positive comments from sentiment_scores: lost scores would read 0
    path = _csv(tmp_path / "dump.csv", ["comment", "drama"], [["Best drama ever, absolutely love it, a masterpiece!",
                                                              "Hidden Love"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    from analyzer.aggregate.rundir import result_from_run

    direct = analyzer.analyze(path).result.cells[0]
    assert direct["intensity"] == 1.0
    assert result_from_run(tmp_path / "out").cells[0]["intensity"] == direct["intensity"]


def test_link_by_cast_restores_actor_links_when_asked():
    comment = Comment(id="1", text="Great first episode", title="Wang Yibo new drama EP1")
    assert DramaLinkStage()([comment])[0].drama is None
    linked = DramaLinkStage(link_by_cast=True)([comment])[0]
    assert linked.drama == "The Untamed" and linked.drama_confidence == pytest.approx(0.45)
    config = analyzer.api.job_config(link_by_cast=True)
    assert config.run.link_by_cast is True
    assert "--link-by-cast" in build_parser_help()


def build_parser_help() -> str:
    from analyzer.cli import build_parser

    action = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices["run"].format_help()


def test_hugging_face_folder_with_unknown_labels_says_how_to_fix(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from . import tiny_hf

    model = tiny_hf.build_classifier(tmp_path / "odd", {0: "meh", 1: "great"})
    path = _csv(tmp_path / "dump.csv", ["comment"], [["hi"]])
    capsys.readouterr()  # what building the model printed
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--sentiment", str(model), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "config.json id2label" in err


def test_annotate_gives_each_comment_the_market_that_run_counts_it_under(tmp_path):
    """`analyzer annotate` wrote no market: a row without a country column had none, and one with
    'Viet Nam' kept the raw text, while comments.parquet of `analyzer run` has region VN and
    Anglophone. The annotations now carry the same region and region_source."""
    path = _csv(tmp_path / "dump.csv", ["comment", "drama", "country"],
                [["Loved it, best romance ever", "Hidden Love", ""], ["phim hay quá", "Hidden Love", "Viet Nam"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    for suffix in (".jsonl", ".parquet"):
        assert main(["annotate", str(path), "-o", str(tmp_path / f"ann{suffix}"), "--quiet"]) == 0
    run = pq.read_table(tmp_path / "out" / "comments.parquet").select(["region", "region_source"]).to_pylist()
    jsonl = [json.loads(line) for line in (tmp_path / "ann.jsonl").read_text(encoding="utf-8").splitlines()]
    parquet = pq.read_table(tmp_path / "ann.parquet").to_pylist()
    assert [r["region"] for r in run] == ["Anglophone", "VN"]
    for rows in (jsonl, parquet):
        assert [{k: r[k] for k in ("region", "region_source")} for r in rows] == run
        assert rows[1]["country"] == "Viet Nam"  # the input field is kept as written


def test_a_run_where_no_comment_is_linked_says_how_to_name_the_drama_column(tmp_path, capsys):
    """A CSV export whose drama column is 'Show Name' ran with every comment '(unlinked)' and only
    '2 not linked to a drama (2 no evidence)' to say so; the reader ignored the column silently."""
    path = _csv(tmp_path / "dump.csv", ["Comment Text", "Show Name"], [["Loved the OST", "Hidden Love"],
                                                                       ["So slow", "Hidden Love"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out  # the unread-columns line names this one: the general advice is not repeated
    assert "--map 'Show Name=drama'" in out and "--map COLUMN=drama" not in out
    assert main(["run", str(path), "-o", str(tmp_path / "out2"), "--quiet", "--map", "Show Name=drama"]) == 0
    assert "drama" not in capsys.readouterr().out.split("report:")[0].split("reported as")[1]
    other = _csv(tmp_path / "other.csv", ["Comment Text", "Programme"], [["Loved the OST", "Hidden Love"]])
    assert main(["run", str(other), "-o", str(tmp_path / "out3"), "--quiet"]) == 0
    assert "--map COLUMN=drama" in capsys.readouterr().out  # a name the hint does not know: the general advice


def test_a_run_names_unread_market_and_date_columns_and_the_map_to_read_them(tmp_path, capsys):
    """An export's 'Country/Region' and 'Posted' columns were dropped without a word: every comment's market
    was guessed from its language and no comment had a time; the run folder stays as it was (stdout only)."""
    path = _csv(tmp_path / "dump.csv", ["Comment Text", "Country/Region", "Posted"],
                [["The Untamed made me cry", "KR", "2024-06-01"], ["Hidden Love is so slow", "VN", "2024-06-02"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "--map 'Country/Region=region' --map 'Posted=created_at'" in out
    assert len([line for line in out.splitlines() if "Country/Region" in line]) == 1
    mapped = ["--map", "Country/Region=region", "--map", "Posted=created_at"]
    assert main(["run", str(path), "-o", str(tmp_path / "out2"), "--quiet", *mapped]) == 0
    assert "Country/Region" not in capsys.readouterr().out
    assert pq.read_table(tmp_path / "out2" / "comments.parquet").column("region").to_pylist() == ["KR", "VN"]


def test_a_column_the_reader_already_has_a_field_for_is_not_named(tmp_path, capsys):
    path = _csv(tmp_path / "dump.csv", ["text", "country", "Country/Region", "date"],
                [["The Untamed made me cry", "KR", "South Korea", "2024-06-01"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert "Country/Region" not in capsys.readouterr().out


def test_analyze_warns_of_unread_market_and_date_columns_with_the_map_to_use():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": ["The Untamed made me cry"], "Country/Region": ["KR"],
                          "Posted": pd.to_datetime(["2024-06-01 10:00"]).tz_localize("Asia/Shanghai")})
    with pytest.warns(UserWarning, match=r"map=\{'Country/Region': 'region', 'Posted': 'created_at'\}"):
        analyzer.analyze(frame)
    r = analyzer.analyze(frame, map={"Country/Region": "region", "Posted": "created_at"})
    assert r.comments["region"].tolist() == ["KR"]
    assert str(r.comments["created_at"].iloc[0]) == "2024-06-01 02:00:00+00:00"


def test_annotate_names_unread_columns_as_run_does(tmp_path, capsys):
    """`analyzer annotate` dropped a 'Country/Region' or 'Show Name' column without a word: no
    market but the language's guess, no drama; it now prints the run's line with the --map to use."""
    path = _csv(tmp_path / "dump.csv", ["Comment Text", "Country/Region", "Show Name"],
                [["Loved the OST", "KR", "Hidden Love"], ["So slow", "VN", "Hidden Love"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    ran = [line for line in capsys.readouterr().out.splitlines() if "left unread" in line]
    assert main(["annotate", str(path), "-o", str(tmp_path / "a.jsonl"), "--quiet"]) == 0
    annotated = [line for line in capsys.readouterr().out.splitlines() if "left unread" in line]
    assert annotated == ran == ["input columns left unread: 'Country/Region' (looks like a market), 'Show Name' "
                                "(looks like a drama); to read them use --map 'Country/Region=region' "
                                "--map 'Show Name=drama'"]
    mapped = ["--map", "Country/Region=region", "--map", "Show Name=drama"]
    assert main(["annotate", str(path), "-o", str(tmp_path / "b.jsonl"), "--quiet", *mapped]) == 0
    assert "left unread" not in capsys.readouterr().out


def test_drama_like_column_names_are_hinted_not_read(tmp_path, capsys):
    """'Drama Title', 'Show Name' and 'Series Title' are named in the hint (the reader does not take them: a
    'title' column is often a video's title), even when some comment links by its text; a lone 'Title'
    or 'Video Title' is not named, nor is 'Series' (an alias the reader takes), nor any when a column
    already gives the drama."""
    for header, named in (("Drama Title", True), ("Show Name", True), ("Series Title", True), ("Title", False),
                          ("Video Title", False), ("Series", False)):
        path = _csv(tmp_path / "dump.csv", ["text", header], [["The Untamed made me cry", "Hidden Love"]])
        assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
        out = capsys.readouterr().out
        assert (f"--map '{header}=drama'" in out) is named, header
        assert "--map COLUMN=drama" not in out  # one linked comment: the old hint stayed silent
    path = _csv(tmp_path / "dump.csv", ["text", "drama", "Show Name"], [["so good", "Hidden Love", "Hidden Love"]])
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    assert "Show Name" not in capsys.readouterr().out


@pytest.mark.parametrize("keep_authors", [False, True])
def test_allow_listed_columns_count_however_the_export_spells_them(keep_authors):
    """A Viki-style export's 'Show Title' (show_title: a title the link stage reads) and 'Subreddit' were
    kept in extra under those spellings, so the link stage, which reads extra['show_title'] and
    ['subreddit'], missed them and every comment stayed unlinked. Column names match case-, space- and
    punctuation-insensitively, these too: they are kept under the names the docs list."""
    import pandas as pd

    frame = pd.DataFrame({"text": ["I love it so much", "so good"], "Show Title": ["The Untamed", None],
                          "Subreddit": [None, "NirvanaInFire"]})
    got = analyzer.analyze(frame, keep_authors=keep_authors).comments
    assert got["drama"].tolist() == ["The Untamed", "Nirvana in Fire"]
    extra = [json.loads(e) for e in got["extra"]]
    assert extra[0]["show_title"] == "The Untamed" and "Show Title" not in extra[0]
    assert extra[1]["subreddit"] == "NirvanaInFire"
