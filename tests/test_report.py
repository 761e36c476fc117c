"""Reports: every file and HTML section, escaping, atomic CSV, re-rendering from a run folder."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html import escape

import pyarrow.parquet as pq
import pytest

from analyzer.aggregate import ResonanceAccumulator, compare
from analyzer.errors import InputError
from analyzer.report import SECTIONS, rerender, write_reports
from analyzer.report.tables import read_csv
from analyzer.schema import Comment, to_arrow

T0 = datetime(2024, 6, 3, tzinfo=timezone.utc)
EVIL = "<script>alert('pwned')</script> best OST ever"


def comments() -> list[Comment]:
    out = []
    for i in range(60):
        drama, region, lang = [("Moon Court", "VN", "vi"), ("Moon Court", "TH", "th"),
                               ("River Song", "VN", "vi"), ("River Song", "US", "en")][i % 4]
        sentiment = ("positive", "positive", "neutral", "negative")[i % 7 % 4]
        themes = (("romance",), ("music", "story"), ("subtitles",), ("acting",), ())[i % 5]
        out.append(Comment(
            id=f"c{i}", text=f"synthetic comment {i} about {drama}", drama=drama, region=region,
            author=f"user{i % 23}", created_at=T0 + timedelta(days=i % 20), likes=i % 9, lang=lang,
            sentiment=sentiment, sentiment_scores=(0.1, 0.1, 0.8), themes=themes,
            theme_polarity={t: sentiment for t in themes}, intents=("watch",) if i % 6 == 0 else ()))
    out.append(Comment(id="evil", text=EVIL, drama="Moon Court", region="VN", author="user99",
                       created_at=T0, likes=500, lang="en", sentiment="positive", themes=("music",),
                       theme_polarity={"music": "positive"}))
    out.append(Comment(id="spam", text="click here", drama="Moon Court", region="VN", noise=True))
    return out


@pytest.fixture
def MANIFEST(sample_manifest):  # noqa: N802 - the manifest of a real run of the samples (tests/conftest.py)
    return sample_manifest


@pytest.fixture(scope="module")
def result():
    return ResonanceAccumulator({"bootstrap": 100, "min_authors": 5}).update(comments()).result()


def test_write_reports_writes_every_output(tmp_path, result, MANIFEST):
    paths = write_reports(result, tmp_path, MANIFEST)
    for name in ("resonance.csv", "resonance.json", "report.html", "report.md", "tables/cells.parquet",
                 "tables/themes.csv", "tables/themes.parquet", "tables/windows.csv", "tables/quotes.parquet"):
        assert (tmp_path / name).is_file(), name
        assert paths[name] == tmp_path / name
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temp files


def test_resonance_csv_has_one_row_per_drama_region_window(tmp_path, result, MANIFEST):
    write_reports(result, tmp_path, MANIFEST)
    rows = read_csv(tmp_path / "resonance.csv")
    keys = [(r["drama"], r["region"], r["window"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {(r["drama"], r["region"]) for r in rows if r["window"] == "all"} == {
        ("Moon Court", "VN"), ("Moon Court", "TH"), ("River Song", "VN"), ("River Song", "US")}
    assert {"first_7d", "first_28d", "2024-W23"} <= {r["window"] for r in rows}
    cols = rows[0].keys()
    for name in ("resonance_index", "reach", "valence", "intensity", "net_intent", "depth", "localness",
                 "star_pull", "unmet_access", "net_sentiment"):
        assert {name, f"{name}_ci_low", f"{name}_ci_high"} <= cols
    for name in ("comments", "authors", "positive", "neutral", "negative", "top_themes", "flags", "tier"):
        assert name in cols
    mc = next(r for r in rows if (r["drama"], r["region"], r["window"]) == ("Moon Court", "VN", "all"))
    assert float(mc["net_sentiment_ci_low"]) <= float(mc["net_sentiment"]) <= float(mc["net_sentiment_ci_high"])
    assert mc["noise_comments"] == "1"
    table = pq.read_table(tmp_path / "tables" / "cells.parquet")
    assert table.num_rows == len(rows)


def test_html_has_every_section_and_is_self_contained(tmp_path, result, MANIFEST):
    write_reports(result, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for sid, _title in SECTIONS:
        assert f'<section id="{sid}">' in html, sid
    assert html.count("<svg") >= 5  # heatmap, net sentiment, drivers, over time, themes
    assert "<script" not in html.lower()  # no scripts at all, and the comment's is text
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in html
    assert not re.search(r'(src|href)="https?://', html)
    sentiment = MANIFEST.stage("sentiment")
    lang, value = sorted(sentiment.accuracy_per_language.items())[-1]
    assert sentiment.backend in html and f"{value:.3f}" in html  # models and per-language accuracy
    assert "user99" not in html  # no author name or pseudonym in the report


def test_markdown_escapes_and_has_sections(tmp_path, result, MANIFEST):
    write_reports(result, tmp_path, MANIFEST)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    for heading in ("## Which drama resonates where, and why", "## Resonance by drama and market", "## Drivers",
                    "## What viewers said", "## Methods"):
        assert heading in md
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_rerender_from_run_folder_matches_direct_result(tmp_path, result, MANIFEST):
    import pyarrow.parquet as pq_

    pq_.write_table(to_arrow(comments()), tmp_path / "comments.parquet")
    manifest = MANIFEST.to_dict()
    manifest["config"]["aggregate"] = {"bootstrap": 100, "min_authors": 5}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rerender(tmp_path)
    again = read_csv(tmp_path / "resonance.csv")
    direct = tmp_path / "direct"
    write_reports(result, direct, MANIFEST)
    assert again == read_csv(direct / "resonance.csv")
    assert compare(tmp_path, "Moon Court", "River Song")["authors"]["a"] > 0


def test_rerender_without_comments_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="comments.parquet"):
        rerender(tmp_path)


def test_empty_result_still_renders(tmp_path):
    res = ResonanceAccumulator().update([]).result()
    write_reports(res, tmp_path, None)
    assert "No cells" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert read_csv(tmp_path / "resonance.csv") == []


def test_a_real_run_fills_models_and_accuracy_by_language(tmp_path, samples):
    """The manifest's "stages" is a list of stage descriptions: both reports read it."""
    from analyzer.cli import main

    out = tmp_path / "run"
    assert main(["run", str(samples / "comments_mixed.jsonl"), "-o", str(out), "-q"]) == 0
    stages = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["stages"]
    sentiment = next(s for s in stages if s["stage"] == "sentiment")
    lang, value = sorted(sentiment["accuracy_per_language"].items())[0]
    html = (out / "report.html").read_text(encoding="utf-8")
    methods = html[html.index('<section id="methods">'):]
    assert f"<th>{lang}</th>" in methods and f"{value:.3f}" in methods
    assert sentiment["backend"] in methods
    md = (out / "report.md").read_text(encoding="utf-8")
    models_line = next(line for line in md.splitlines() if line.startswith("Models:"))
    assert sentiment["backend"] in models_line and "none recorded" not in models_line
    assert "Model macro-F1 by language" in md


def _cell(authors: int, pos: float, neg: float, lo=None, hi=None, **more) -> dict:
    return {"drama": "D", "region": "VN", "window": "all", "authors": authors, "positive": pos, "negative": neg,
            "net_sentiment": (pos - neg) / (pos + neg), "net_sentiment_ci_low": lo, "net_sentiment_ci_high": hi,
            **more}


def test_net_sentiment_interval_is_honest_at_small_n():
    from analyzer.report.views import net_interval

    widths = {}
    for n in (1, 2, 3, 30):
        lo, hi = net_interval(_cell(n, 1.0, 0.0, 1.0, 1.0))  # every author positive: bootstrap gives [1, 1]
        assert lo < hi <= 1.0, n
        widths[n] = hi - lo
    assert widths[1] > widths[2] > widths[3] > widths[30]
    lo, hi = net_interval(_cell(200, 0.6, 0.4, -0.5, 0.9))  # a wide bootstrap interval is kept
    assert (lo, hi) == (-0.5, 0.9)


@pytest.mark.parametrize(("ri", "lo", "hi", "word"), [
    (1.00, 0.90, 1.10, "typical"), (1.30, 1.10, 1.50, "above typical"), (0.80, 0.70, 0.95, "below typical"),
    (1.20, 0.95, 1.40, "typical"), (0.86, 0.71, 0.998, "typical"), (None, None, None, "no index")])
def test_verdict_agrees_with_the_index_and_its_interval(ri, lo, hi, word):
    from analyzer.report.views import verdict

    assert verdict({"resonance_index": ri, "resonance_index_ci90_low": lo, "resonance_index_ci90_high": hi}) == word


def test_small_cells_show_not_enough_viewers_and_the_headline_ranks(tmp_path, MANIFEST):
    from analyzer.report.views import extremes

    extra = [Comment(id=f"x{i}", text=f"one more {i}", drama="Moon Court", region="US", author=f"solo{i}", lang="en",
                     sentiment="positive", created_at=T0) for i in range(2)]
    res = ResonanceAccumulator({"bootstrap": 100, "min_authors": 5}).update(comments() + extra).result()
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    small = res.cell("Moon Court", "US")
    assert small["authors"] == 2 and small["resonance_index"] is not None  # the CSV keeps its number
    heat = html[html.index('<section id="heatmap">'):html.index('<section id="genres">')]
    assert 'title="2 viewers">not enough viewers</td>' in heat
    strong, weak = extremes(res)
    assert strong and weak and not [c for c in strong if c in weak]
    assert small not in strong + weak
    assert strong[0]["resonance_index"] >= weak[0]["resonance_index"]
    summary = html[html.index('<section id="summary">'):html.index('<section id="heatmap">')]
    assert escape(strong[0]["drama"]) in summary and "Resonates least" in summary


def test_genre_by_market_uses_the_catalog_genres(tmp_path, samples):
    from analyzer.cli import main

    out = tmp_path / "run"
    assert main(["run", str(samples / "comments_mixed.jsonl"), "-o", str(out), "-q"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    genres = html[html.index('<section id="genres">'):html.index('<section id="net-sentiment">')]
    assert "xianxia" in genres and "historical drama" in genres and 'class="legend"' in genres


def test_json_pieces_write_what_the_standard_encoder_writes(tmp_path):
    """resonance.json's encoder (``tables.json_pieces``) against ``json.dumps`` with the same
    options, on every kind of value the reports hold and a few they might."""
    import enum
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    import numpy as np

    from analyzer.report.tables import json_pieces, write_json

    class Level(enum.IntEnum):
        HIGH = 3

    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                        st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from([Decimal("1.5"), np.float64(0.1), np.float32(0.5), np.int64(7), Level.HIGH,
                                         "é\n\"<>\u2028", datetime(2024, 1, 1)]))
    keys = st.one_of(st.text(max_size=5), st.integers(-3, 3), st.booleans(), st.none(), st.floats(allow_nan=False))
    values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4) | st.tuples(kids, kids)
                          | st.dictionaries(keys, kids, max_size=4), max_leaves=20)

    @settings(max_examples=300, deadline=None)
    @given(values)
    def same(obj):
        out: list[str] = []
        json_pieces(obj, out)
        assert "".join(out) == json.dumps(obj, indent=1, ensure_ascii=False, default=str)

    same()
    obj = {"cells": [{"a": 1.5, "b": None, "c": "x"}] * 3, "config": {"w": {"reach": 0.3}, "l": []}}
    write_json(tmp_path / "r.json", obj)
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == json.dumps(obj, indent=1, ensure_ascii=False,
                                                                           default=str) + "\n"


def test_guarded_cell_is_the_plain_cell_made_csv_safe():
    """``tables._guarded_cell`` fuses ``_cell`` and ``csv_safe`` for speed; it must stay the same
    function as the two applied in turn, on every kind of value a table cell holds."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from analyzer.io.writers import csv_safe
    from analyzer.report.tables import _cell, _guarded_cell

    formulas = st.sampled_from(["=1+1", "+SUM(A1)", "-3", "+1.5e3", "@x", "\tcmd", "\rcmd", "-x", "- 2", ".5", ""])
    values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(), formulas, st.builds(lambda a, b: a + b, formulas, st.text(max_size=4)))

    @settings(max_examples=500, deadline=None)
    @given(values)
    def same(v):
        assert _guarded_cell(v) == csv_safe(_cell(v))
        assert type(_guarded_cell(v)) is type(csv_safe(_cell(v)))

    same()


def test_markdown_models_line_has_no_backslash_inside_a_code_span(tmp_path, result, MANIFEST):
    """Backslash escapes do not work inside a Markdown code span (CommonMark): a viewer showed
    `sentiment.linear.v1 \\(dev macro\\-F1 0.654\\)` with its backslashes."""
    write_reports(result, tmp_path, MANIFEST)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    models_line = next(line for line in md.splitlines() if line.startswith("Models:"))
    assert "macro" in models_line
    assert not re.search(r"`[^`]*\\[^`]*`", models_line), models_line


def test_driver_and_quote_sections_say_why_they_are_empty_when_no_cell_is_ranked(tmp_path, MANIFEST):
    """Every cell under min_authors: the themes and quotes exist (tables/), only no cell is big
    enough to be shown. Before, the page said 'No themes detected.' and 'No quotes.' and report.md
    had two empty sections."""
    res = ResonanceAccumulator({"bootstrap": 0, "min_authors": 1000}).update(comments()).result()
    assert res.themes and res.quotes
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No themes detected" not in html and "No quotes." not in html
    drivers = html[html.index('<section id="drivers">'):]
    assert "tables/themes.csv" in drivers[:drivers.index("</section>")]
    quotes = html[html.index('<section id="quotes">'):]
    assert "tables/quotes.csv" in quotes[:quotes.index("</section>")]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "1000 viewers" in md.split("## Drivers")[1].split("## What viewers said")[0]
    assert "tables/quotes.csv" in md.split("## What viewers said")[1].split("## Methods")[0]


def test_markdown_theme_net_valence_is_never_a_zero_width_interval(tmp_path, result, MANIFEST):
    """A theme two or three viewers all liked read '1.00 [1.00, 1.00]' in report.md's drivers, the
    certainty the report promises a handful of agreeing viewers never get; it is now no narrower
    than Wilson's on the theme's viewers, as net sentiment is."""
    write_reports(result, tmp_path, MANIFEST)
    drivers = (tmp_path / "report.md").read_text(encoding="utf-8").split("## Drivers")[1].split("## What")[0]
    rows = [line.split(" | ") for line in drivers.splitlines() if line.startswith("| ") and "[95% CI]" not in line]
    assert rows
    intervals = [re.search(r"\[(\S+), (\S+)\]", row[2]).groups() for row in rows]
    assert [lo for lo, hi in intervals if lo == hi] == []


def test_markdown_theme_intervals_are_the_ones_in_tables_themes_csv(tmp_path, result, MANIFEST):
    """report.md floored a theme's share and net valence at Wilson's while tables/themes.* and
    resonance.json kept the bootstrap's bounds: one theme, two intervals. Every driver row in
    report.md now reads the bounds that tables/themes.csv holds."""
    write_reports(result, tmp_path, MANIFEST)
    table = {(r["drama"], r["region"], r["theme"]): r for r in read_csv(tmp_path / "tables/themes.csv")
             if r["window"] == "all"}
    from analyzer.report.views import theme_word

    words = {theme_word(theme): theme for _, _, theme in table}
    md = (tmp_path / "report.md").read_text(encoding="utf-8").split("## Drivers")[1].split("## What")[0]
    checked = 0
    for block in md.split("### ")[1:]:
        drama, region = block.splitlines()[0].split(" · ")
        for line in block.splitlines():
            cells = line.strip("| ").split(" | ")
            if len(cells) != 3 or cells[0] not in words:
                continue
            row = table[(drama, region, words[cells[0]])]
            share = f"[{float(row['salience_ci_low']):.0%}, {float(row['salience_ci_high']):.0%}]"
            valence = f"[{float(row['net_valence_ci_low']):.2f}, {float(row['net_valence_ci_high']):.2f}]"
            assert cells[1].endswith(share) and cells[2].endswith(valence), (drama, region, cells)
            checked += 1
    assert checked


def test_heatmap_caption_ends_its_sentence_when_every_market_is_a_country(tmp_path, result, MANIFEST):
    """Only country markets (VN, TH, US): the caption ended 'its language group:' followed by nothing."""
    write_reports(result, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    heat = html[html.index('<section id="heatmap">'):html.index('<section id="genres">')]
    assert "its language group.</figcaption>" in heat and "group:</figcaption>" not in heat


def test_a_market_named_in_the_input_is_not_called_a_language_group():
    """country = "Atlantis" (no ISO country) is kept as its own market; the reports listed it under
    'Market groups (no country named, so the language decides)' as 'a group of markets'."""
    from analyzer.report.views import market_notes

    notes = dict(market_notes(["Atlantis", "Anglophone", "US"]))
    assert set(notes) == {"Atlantis", "Anglophone"}
    assert "group" not in notes["Atlantis"] and "as named" in notes["Atlantis"]
    assert "English" in notes["Anglophone"]


def test_one_ranked_cell_leaves_no_empty_resonates_least_list(tmp_path, MANIFEST):
    """One cell with enough viewers is both the strongest and the weakest: before, both reports
    showed a 'Resonates least' heading over an empty list."""
    one = [c for c in comments() if (c.drama, c.region) == ("Moon Court", "VN")]
    one += [Comment(id="solo", text="one more", drama="River Song", region="VN", author="solo", lang="vi",
                    sentiment="positive", created_at=T0)]
    res = ResonanceAccumulator({"bootstrap": 50, "min_authors": 5}).update(one).result()
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = html[html.index('<section id="summary">'):html.index('<section id="heatmap">')]
    assert "<ol></ol>" not in summary and "Only one drama x market" in summary
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    least = md.split("**Resonates least**")[1].split("1.00x is a typical")[0]
    assert "Only one drama x market" in least


def test_an_intent_quote_is_labelled_by_its_polarity():
    """'I dropped it after episode 5' was labelled 'intent to watch · negative' under the quotes; an
    intent quote now reads as the headline reads that theme ('viewers dropping it' when negative)."""
    from analyzer.report.views import quote_label

    assert quote_label({"theme": "intent", "polarity": "negative"}) == "viewers dropping it"
    assert quote_label({"theme": "intent", "polarity": "positive"}) == "binge-watching, wanting more"
    assert quote_label({"theme": "intent", "polarity": "neutral"}) == "intent to watch"
    assert quote_label({"theme": "(any)", "polarity": "negative"}) == "overall"
    assert quote_label({"theme": "access", "polarity": "negative"}) == "where to watch"


def test_weekly_viewers_say_how_a_viewer_in_two_markets_counts(tmp_path, result, MANIFEST):
    """'Viewers per ISO week (all markets)' adds the markets' viewers (ResonanceResult.pooled): an author
    whose comments fall in two markets counts twice there, which the page did not say."""
    write_reports(result, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    over_time = html[html.index('<section id="over-time">'):html.index('<section id="quotes">')]
    assert "counts once in each market" in over_time


def test_a_run_of_one_drama_ranks_no_market_by_an_index_it_is_the_median_of(tmp_path, MANIFEST):
    """An analyst filtered one drama and re-ran it: each market's index is that drama against itself,
    1.00x by construction, yet the first screen said 'Resonates most: Moon Court in VN 1.00x' and
    'Resonates least: Moon Court in TH 1.00x'."""
    from analyzer.report.views import extremes

    one = [c for c in comments() if c.drama == "Moon Court"]
    res = ResonanceAccumulator({"bootstrap": 50, "min_authors": 5}).update(one).result()
    assert {c["resonance_index"] for c in res.cells if c["window"] == "all"} == {1.0}
    assert extremes(res) == ([], [])
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = html[html.index('<section id="summary">'):html.index('<section id="heatmap">')]
    md = (tmp_path / "report.md").read_text(encoding="utf-8").split("## Resonance by drama and market")[0]
    for text in (summary, md):
        assert "Resonates most" not in text and "only drama" in text
        assert "viewers needed for a Resonance Index" not in text  # they have the viewers
    drivers = html[html.index('<section id="drivers">'):]
    assert "only drama" in drivers[:drivers.index("</section>")]
    assert " 1 drama · " in html and "1 dramas" not in html  # the facts line counts in the singular too


def test_a_drama_alone_in_its_market_shows_no_index_in_the_tables_either(tmp_path, MANIFEST):
    """After the headline stopped ranking a drama alone in its market, the heat table, the genre table and
    "All cells" still read '1.00x ... typical' for it: an index of the drama against itself."""
    one = [c for c in comments() if c.drama == "Moon Court"]
    res = ResonanceAccumulator({"bootstrap": 50, "min_authors": 5}).update(one).result()
    shown = [c for c in res.cells if c["window"] == "all" and c["authors"] >= 5]
    assert shown  # cells with enough viewers, each alone in its market
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    for sid, nxt in (("heatmap", "genres"), ("cells", "methods")):
        part = html[html.index(f'<section id="{sid}">'):html.index(f'<section id="{nxt}">')]
        assert "1.00x" not in part and "1.00 [" not in part and ">typical<" not in part, sid
        assert part.count("only drama in this market") >= len(shown), sid
    table = md.split("## Resonance by drama and market")[1].split("##")[0]
    assert "1.00 [" not in table and "| typical |" not in table
    assert table.count("only drama in this market") == len(shown)
    from analyzer.report.views import genre_cells

    genre = genre_cells(res, {"Moon Court": "xianxia"})
    assert all(genre[("xianxia", c["region"])] == {"value": None, "titles": 0, "authors": c["authors"], "alone": True}
               for c in shown)


def test_the_facts_line_counts_dramas_and_markets_not_the_unlinked_and_unknown_rows(tmp_path, MANIFEST):
    """A trial run of 5 catalog dramas with one unlinked emoji-only comment said '6 dramas · 8 markets'
    at the top of report.html: it counted the '(unlinked)' row as a drama and the '(unknown)' column as a
    market, where the tables below show 5 dramas and 7 markets."""
    extra = [Comment(id=f"x{i}", text="😭😭", author=f"x{i}", created_at=T0, lang="und", sentiment="positive",
                     sentiment_scores=(0.1, 0.1, 0.8)) for i in range(2)]
    res = ResonanceAccumulator({"bootstrap": 50, "min_authors": 5}).update(comments() + extra).result()
    assert "(unlinked)" in res.dramas and "(unknown)" in res.regions
    write_reports(res, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert " 2 dramas · 3 markets · " in html


def test_the_per_language_model_scores_are_called_macro_f1_as_they_are(tmp_path, result, MANIFEST):
    """The methods called the sentiment model's per-language numbers 'Accuracy on the project's labelled
    development set'; they are its per-language macro-F1 on held-out rows (the stage records
    macro_f1_per_language there; their mean is the 'dev macro-F1' of the Models table)."""
    sentiment = MANIFEST.stage("sentiment")
    values = list(sentiment.accuracy_per_language.values())
    assert round(sum(values) / len(values), 3) == round(sentiment.dev_macro_f1_mean, 3)
    write_reports(result, tmp_path, MANIFEST)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    methods = html[html.index('<section id="methods">'):]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    for text in (methods, md):
        assert "accuracy by language" not in text.lower() and "Accuracy on" not in text
        assert "macro-F1 by language" in text
