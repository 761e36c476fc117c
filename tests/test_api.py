"""The notebook API: ``analyzer.analyze`` on paths, DataFrames and datasets, and its Result."""

import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import analyzer
from analyzer.errors import ConfigError, InputError, MissingDependency


@pytest.fixture(scope="module")
def result():
    return analyzer.analyze(analyzer.samples.path())


def test_samples_ship_with_the_package_and_match_data_samples(samples):
    from analyzer.io.sources import expand_inputs

    shipped = sorted(str(p.relative_to(analyzer.samples.path())) for p in analyzer.samples.files())
    in_repo = sorted(str(Path(p).relative_to(samples)) for p in expand_inputs(str(samples)))
    assert shipped == in_repo and shipped
    for name in shipped:
        assert (analyzer.samples.path() / name).read_bytes() == (samples / name).read_bytes()


def test_counts_reconcile_and_frames_come_from_memory(result):
    c = result.counts
    assert c["read"] == c["accepted"] + c["rejected"] and c["rejected"] > 0
    assert len(result.comments) == c["accepted"]
    assert len(result.rejects) == c["rejected"]
    assert result.rejects["location"].str.contains(r"malformed\.jsonl:\d+").all()
    assert {"drama", "region", "window", "authors", "resonance_index", "tier"} <= set(result.cells.columns)
    assert {"theme", "salience", "net_valence", "quadrant"} <= set(result.themes.columns)
    assert {"text", "theme", "polarity", "likes"} <= set(result.quotes.columns)


def test_save_writes_what_run_writes(result, samples, tmp_path):
    saved = result.save(tmp_path / "api")
    analyzer.run([str(samples)], tmp_path / "cli")
    names = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
    assert names(tmp_path / "api") == names(tmp_path / "cli")
    assert set(saved) >= {"comments.parquet", "report.html", "manifest.json"}
    run_comments = pq.read_table(tmp_path / "cli" / "comments.parquet").to_pandas()
    assert list(result.comments.columns) == list(run_comments.columns)
    assert sorted(result.comments["id"]) == sorted(run_comments["id"])
    run_cells = pd.read_csv(tmp_path / "cli" / "resonance.csv")
    key = ["drama", "region", "window", "authors", "comments"]
    assert result.cells[key].sort_values(key).values.tolist() == run_cells[key].sort_values(key).values.tolist()


@pytest.fixture(scope="module")
def tiny():
    return analyzer.analyze(pd.DataFrame({"text": ["The Untamed is a masterpiece", "Nirvana in Fire bored me"]}))


def test_save_refuses_a_folder_that_holds_other_files(tiny, tmp_path):
    # it used to write its files among the user's own, as `analyzer run` refuses to
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="not empty and holds no earlier run"):
        tiny.save(mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_save_replaces_an_earlier_run_folder_whole(tiny, tmp_path):
    out = tmp_path / "api"
    tiny.save(out)
    (out / "topics.csv").write_text("from an earlier run")
    saved = tiny.save(out)
    assert not (out / "topics.csv").exists()  # all or nothing, one run per folder, as `analyzer run`
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["report.html"] == "report.html"  # relative to the folder, as `analyzer run` writes it
    assert saved["report.html"] == str(out / "report.html") and Path(saved["manifest.json"]).is_file()


def test_a_negative_limit_is_a_config_error(tmp_path):
    frame = pd.DataFrame({"text": ["The Untamed is a masterpiece"]})
    with pytest.raises(ConfigError, match="'limit' parameter of \\[run\\] must be an int >= 0"):
        analyzer.analyze(frame, limit=-1)  # was a ValueError from itertools.islice


def test_report_is_the_cli_renderer(result, tmp_path):
    page = result.report()
    assert page.startswith("<!DOCTYPE html>")
    for sid, _ in analyzer.report.SECTIONS:
        assert f'<section id="{sid}">' in page


def test_plots_are_the_report_charts(result):
    assert "heatmap" in result.plot.names and len(result.plot.names) >= 3
    page = result.report()
    for name in result.plot.names:
        chart = getattr(result.plot, name)()
        assert chart.html in page and '<figure class="chart' in chart._repr_html_()
        assert all(svg in page for svg in chart.svgs)
    assert result.plot.net_sentiment().svgs  # the SVG charts come with their drawings
    with pytest.raises(AttributeError, match="charts: heatmap"):
        result.plot.pie()


def test_repr_html_is_compact(result):
    text = result._repr_html_()
    assert f"read {result.counts['read']}" in text and "<table>" in text
    assert text.count("<tr>") <= 9 and len(text) < 4000


def test_dataframe_in_maps_columns_and_locates_rejects():
    frame = pd.DataFrame({
        "comment": ["The Untamed is wonderful, Wei Wuxian!", "", "Hidden Love is so sweet", None],
        "country": ["KR", "VN", None, "US"],
        "likes": [3, 1, float("nan"), 2],
        "author": ["alice", "bob", "carol", "dave"],
        "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-03"]),
    }, index=[10, 11, 12, 13])
    r = analyzer.analyze(frame)
    assert r.counts["read"] == 4 and r.counts["accepted"] == 2 and r.counts["rejected"] == 2
    assert r.rejects["location"].tolist() == ["<dataframe>:row 11", "<dataframe>:row 13"]
    assert r.comments["drama"].tolist() == ["The Untamed", "Hidden Love"]
    assert r.comments["region"].iloc[0] == "KR"
    assert r.comments["likes"].iloc[0] == 3 and pd.isna(r.comments["likes"].iloc[1])
    flat = r.comments.astype(str).to_string() + r.rejects.astype(str).to_string()
    assert "alice" not in flat and "carol" not in flat  # pseudonyms only
    assert r.comments["author"].str.startswith("u_").all()


def test_integer_ids_in_a_column_with_gaps_keep_their_form():
    # pandas stores an integer column that has a gap as float64: ids 1, 2 and reply_to 1 arrive as 1.0, 2.0
    frame = pd.DataFrame({"text": ["Hidden Love is so sweet", "agreed, the leads are adorable", "Hidden Love!!"],
                          "drama": "Hidden Love", "id": [1, 2, None], "reply_to": [None, 1, None],
                          "score": [0.5, 1.5, None]})
    r = analyzer.analyze(frame)
    assert r.comments["id"].tolist()[:2] == ["1", "2"]
    assert r.comments["reply_to"].tolist()[1] == "1"


def test_nullable_dtypes_missing_values_read_as_missing():
    # pandas' nullable dtypes (convert_dtypes(), read_csv(dtype_backend=...)) hold pd.NA, not NaN: the rows
    # were rejected as 'could not read this record (TypeError: boolean value of NA is ambiguous)'
    frame = pd.DataFrame({"text": ["Hidden Love is so sweet", "The Untamed is great"],
                          "drama": pd.array(["Hidden Love", None], dtype="string"),
                          "likes": pd.array([3, None], dtype="Int64")})
    r = analyzer.analyze(frame)
    assert r.counts["accepted"] == 2 and r.counts["rejected"] == 0
    assert r.comments["likes"].iloc[0] == 3 and pd.isna(r.comments["likes"].iloc[1])
    assert r.comments["drama"].tolist() == ["Hidden Love", "The Untamed"]


def test_the_returned_comments_frame_can_be_analysed_again(result):
    # an analyst filters one drama out of result.comments and re-runs it: its list columns (themes, ...)
    # hold numpy arrays, which raised "ValueError: can only convert an array of size 1 to a Python scalar"
    one = result.comments[result.comments["drama"] == "The Untamed"].head(20)
    again = analyzer.analyze(one)
    assert again.counts["accepted"] == len(one) and again.counts["rejected"] == 0
    assert again.comments["id"].tolist() == one["id"].tolist()
    assert set(again.comments["drama"]) == {"The Untamed"}


def test_dataframe_with_multiindex_columns_says_to_flatten_them():
    # after a groupby-agg the columns are tuples such as ('text', 'first'): every row was rejected for
    # 'missing or empty text' with nothing saying why
    frame = pd.DataFrame({("text", "first"): ["Hidden Love is so sweet"], ("likes", "sum"): [3]})
    with pytest.raises(InputError, match="MultiIndex.*flatten them first"):
        analyzer.analyze(frame)


def test_dataframe_map_option_names_a_column():
    frame = pd.DataFrame({"Feedback": ["Nirvana in Fire is brilliant"], "Show": ["Nirvana in Fire"]})
    r = analyzer.analyze(frame, map={"Feedback": "text", "Show": "drama"})
    assert r.comments["text"].tolist() == ["Nirvana in Fire is brilliant"]
    assert r.comments["drama"].tolist() == ["Nirvana in Fire"]


class TinyDataset:
    """A stand-in with the duck type analyze() uses: column_names and dict rows."""

    def __init__(self, rows):
        self.rows = rows
        self.column_names = list(rows[0])

    def __iter__(self):
        return iter(self.rows)


def test_dataset_duck_type_in():
    r = analyzer.analyze(TinyDataset([{"text": "Hidden Love made my week", "drama": "Hidden Love"}, {"text": ""}]))
    assert r.counts["accepted"] == 1 and r.rejects["location"].tolist() == ["<dataset>:row 1"]


def test_arrow_table_in():
    import pyarrow as pa

    r = analyzer.analyze(pa.table({"body": ["Nirvana in Fire is brilliant", " "]}))
    assert r.comments["drama"].tolist() == ["Nirvana in Fire"]
    assert r.rejects["location"].tolist() == ["<table>:row 1"]


def test_hugging_face_dataset_in_and_out():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": ["The Untamed is great", "Hidden Love is cute"], "likes": [1, 2]})
    r = analyzer.analyze(ds)
    assert r.counts["accepted"] == 2
    out = r.to_datasets()
    assert set(out) == {"comments", "cells", "themes", "quotes"}
    assert out["comments"].num_rows == 2 and out["cells"].num_rows == len(r.cells)
    with pytest.raises(InputError, match="pass one split"):
        analyzer.analyze(datasets.DatasetDict({"train": ds}))


def test_bad_sources_and_options_are_one_line_errors():
    with pytest.raises(InputError, match="Cannot analyze a int"):
        analyzer.analyze(3)
    with pytest.raises(ConfigError, match="Unknown option 'colour'"):
        analyzer.analyze(analyzer.samples.path(), colour="red")
    with pytest.raises(ConfigError, match="'map' option must be a dict"):
        analyzer.analyze(analyzer.samples.path(), map=["body=text"])


def test_pandas_missing_is_a_one_line_error(result, monkeypatch):
    fresh = analyzer.api.Result(result.annotated, result.rejected, result.result, result.manifest)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependency, match=r"pip install 'resonance-analyzer\[notebook\]'"):
        fresh.cells


def test_compare_takes_the_result_of_analyze_as_it_takes_the_saved_run(result, tmp_path):
    """A notebook user passed ``analyze``'s Result to ``analyzer.aggregate.compare`` and got
    "TypeError: expected str, bytes or os.PathLike object, not Result"; it now compares the Result's
    numbers, the same as compare on the folder ``result.save`` writes."""
    from analyzer.aggregate import compare

    cells = result.cells.query("window == 'all'")
    a, b = cells.groupby("drama")["authors"].sum().nlargest(2).index
    result.save(tmp_path / "run")
    assert compare(result, a, b) == compare(tmp_path / "run", a, b)
    with pytest.raises(ConfigError, match="a Result of analyzer.analyze, a run folder"):
        compare(42, a, b)


def test_the_notebook_summary_counts_dramas_and_markets_as_the_report_does():
    """A Result's notebook display said '2 dramas x 2 markets' for one drama in one market plus an
    unlinked emoji-only comment: it counted the '(unlinked)' row and the '(unknown)' column, which
    report.html's facts line no longer does."""
    frame = pd.DataFrame({"text": ["The Untamed is a masterpiece", "😍😍"], "country": ["VN", None]})
    got = analyzer.analyze(frame)
    assert {"(unlinked)", "The Untamed"} == set(got.result.dramas) and "(unknown)" in got.result.regions
    assert "1 drama x 1 market<" in got._repr_html_()
