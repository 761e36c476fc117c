"""Language profiles (analyzer/lang/<code>/) and the one market table: every supported
language is complete, and adding a language is one folder (plus its market row)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from analyzer import lang
from analyzer.backends.langid import DEFAULT_LANGUAGES
from analyzer.errors import ConfigError
from analyzer.schema import Comment
from analyzer.stages.region import RegionStage
from analyzer.text import clauses, cues, segment, stopwords
from analyzer.text.clauses import split_clauses
from analyzer.text.cues import has_negation

LEXICONS = Path(lang.__file__).resolve().parent.parent / "_models" / "themes-lexicon"
POLISH = """code = "pl"
name = "Polish"
aliases = []
script = "Latn"
word_boundaries = true
laughter = []

[segmenter]
name = "words"

[contrast]
leading = ["ale", "jednak", "lecz"]
leading_own = []
leading_pattern = ""
trailing_pattern = ""
trailing_ends = []

[negation]
words = ["nie", "nigdy", "bez"]
pattern = ""

[lexicons]
"""


@pytest.mark.parametrize("code", lang.supported())
def test_every_supported_language_has_a_complete_profile(code):
    p = lang.profile(code)
    assert lang.check_profile(p) == []
    assert p.code == code and p.folder.name == code
    if p.word_boundaries:
        assert p.stopwords
    assert p.region is not None and 0 < p.region[1] <= 1
    assert all(path.is_file() for path in p.lexicons.values())


def test_every_language_id_language_and_theme_lexicon_has_a_profile():
    assert set(DEFAULT_LANGUAGES) <= set(lang.supported())
    lexicon_langs = {path.stem for path in LEXICONS.glob("*.tsv")} - {"common"}
    claimed = {path.stem for code in lang.supported() for path in lang.profile(code).lexicons.values()}
    assert lexicon_langs == claimed


def test_profile_lookup_resolves_aliases_and_names_the_fix():
    assert lang.profile("fil") is lang.profile("tl")
    with pytest.raises(ConfigError, match="No language profile for 'xx'; supported: ar, .*docs/languages.md"):
        lang.profile("xx")


def test_market_table_gives_both_directions():
    table = lang.market_table()
    for row in table.rows:
        if row.language:
            assert row.language in table.languages_of(row.market)
            assert all(row.language in table.languages_of(alias) for alias in row.aliases)
        if row.prior is not None:
            assert (row.market, row.prior) in table.markets_for(row.language)
    assert lang.markets_for("es") == [("LATAM+ES", 0.5)]
    assert lang.languages_of("MX") == lang.languages_of("mexico") == ("es",)
    assert lang.languages_of("my") == lang.languages_of("Malaysia") == ("ms", "id")
    assert lang.languages_of("Anglophone") == ("en",) and lang.languages_of("Global") == ()
    assert lang.language_regions()["fil"] == lang.language_regions()["tl"] == ("PH", 0.8)


@pytest.mark.parametrize("code", lang.supported())
def test_a_language_is_local_to_the_market_it_points_to(code):
    market, _ = lang.profile(code).region
    assert code in lang.languages_of(market)


def test_localness_reads_the_market_table():
    from analyzer.aggregate.features import region_languages

    assert region_languages("VN") == ("vi",) and region_languages("sg") == ("zh", "ms")
    assert region_languages("VN", {"VN": ["vi", "en"]}) == ("vi", "en") and region_languages(None) == ()


def test_region_stage_and_reports_read_the_market_table():
    from analyzer.report.views import market_notes

    assert RegionStage().languages == lang.language_regions()
    notes = dict(market_notes(["LATAM+ES", "VN", "Global"]))
    assert set(notes) == {"LATAM+ES", "Global"} and "Spanish" in notes["LATAM+ES"]


def test_bad_market_rows_fail_with_their_line(tmp_path):
    path = tmp_path / "markets.csv"
    path.write_text("market,language,prior,aliases,note\nPL,pl,1.5,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"markets.csv:2: a row needs a market, and a prior must be in \(0, 1\]"):
        lang.read_markets(path)


def _polish(root: Path) -> Path:
    folder = root / "pl"
    folder.mkdir(parents=True)
    (folder / "profile.toml").write_text(POLISH, encoding="utf-8")
    (folder / "stopwords.txt").write_text("i\nw\nz\nna\nto\njest\nsię\nże  # conjunction\n", encoding="utf-8")
    return folder


def test_a_profile_is_built_from_any_folder(tmp_path):
    table_path = tmp_path / "markets.csv"
    table_path.write_text("market,language,prior,aliases,note\nPL,pl,0.8,,\n", encoding="utf-8")
    assert lang.load_profiles(tmp_path, lang.read_markets(table_path)) == {}
    _polish(tmp_path)
    profiles = lang.load_profiles(tmp_path, lang.read_markets(table_path))
    p = profiles["pl"]
    assert lang.check_profile(p) == []
    assert p.region == ("PL", 0.8) and "że" in p.stopwords and p.negation.words == ("nie", "nigdy", "bez")


def test_check_profile_names_what_is_missing(tmp_path):
    folder = _polish(tmp_path)
    (folder / "stopwords.txt").write_text("", encoding="utf-8")
    text = POLISH.replace('pattern = ""', 'pattern = "(unclosed"').replace(
        "[lexicons]", '[lexicons]\nthemes = "_models/themes-lexicon/pl.tsv"')
    (folder / "profile.toml").write_text(text, encoding="utf-8")
    problems = lang.check_profile(lang.load_profile(folder, lang.market_table()))
    assert any("stopwords.txt is empty" in p for p in problems)
    assert any(p.startswith("negation.pattern: not a regular expression") for p in problems)
    assert any("no row for 'pl' in the market table" in p for p in problems)
    assert any("lexicon themes" in p and "does not exist" in p for p in problems)


def test_a_malformed_profile_is_one_line_naming_the_key(tmp_path):
    folder = _polish(tmp_path)
    (folder / "profile.toml").write_text(POLISH.replace('script = "Latn"\n', 'scrip = "Latn"\n'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"profile.toml: missing script; unknown scrip; expected keys") as err:
        lang.load_profile(folder, lang.market_table())
    assert "\n" not in str(err.value)
    (folder / "profile.toml").write_text("code = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="Cannot parse the language profile"):
        lang.load_profile(folder, lang.market_table())


CACHED = (lang.profiles, lang.market_table, lang._aliases, stopwords.all_stopwords, stopwords._laughter,
          clauses._markers, clauses._pattern, clauses._trailing_at_end, cues._negation, cues._clause_openings,
          segment.ko_particles, segment.ja_content_pos)


@pytest.fixture
def with_polish(tmp_path, monkeypatch):
    """The shipped profiles plus a Polish folder and its market row, as if shipped."""
    root = tmp_path / "lang"
    shutil.copytree(lang.ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    _polish(root)
    with open(root / "markets.csv", "a", encoding="utf-8") as f:
        f.write("PL,pl,0.8,,\n")
    monkeypatch.setattr(lang, "ROOT", root)
    monkeypatch.setattr(lang, "MARKETS_PATH", root / "markets.csv")
    for fn in CACHED:
        fn.cache_clear()
    yield
    monkeypatch.undo()
    for fn in CACHED:
        fn.cache_clear()


def test_adding_a_language_is_one_folder(with_polish):
    assert "pl" in lang.supported() and lang.check_profile(lang.profile("pl")) == []
    assert split_clauses("świetna muzyka ale zakończenie słabe", "pl") == ["świetna muzyka", "ale zakończenie słabe"]
    assert has_negation("to nie jest nudne", "pl") and not has_negation("to jest nudne", "pl")
    assert stopwords.is_stopword("się") and not stopwords.is_stopword("muzyka")
    out = RegionStage()([Comment(id="1", text="świetna muzyka", lang="pl", lang_confidence=1.0)])[0]
    assert (out.region, out.region_confidence, out.region_source) == ("PL", 0.8, "language")
    assert lang.languages_of("PL") == ("pl",)


def test_shipped_profiles_are_back_after_the_fixture():
    assert "pl" not in lang.supported() and not has_negation("to nie jest nudne", "pl")


def test_the_examples_in_docs_languages_run():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "languages.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/languages.md", "exec"), {})


def test_profile_scripts_agree_with_the_language_id_stage():
    from analyzer.stages.langid import SCRIPT_NAMES

    assert {code: lang.profile(code).script for code in SCRIPT_NAMES} == SCRIPT_NAMES


@pytest.mark.parametrize("old, new, message", [
    ('leading = ["ale", "jednak", "lecz"]', 'leading = "ale"', "contrast.leading must be a list of non-empty strings. Got 'ale'"),
    ('word_boundaries = true', 'word_boundaries = "yes"', "word_boundaries must be true or false"),
    ('[negation]\nwords = ["nie", "nigdy", "bez"]\npattern = ""', '[negation]\nwords = ["nie"]\npattern = 3',
     "negation.pattern must be a string. Got 3"),
])
def test_a_wrongly_typed_profile_value_is_one_line_naming_the_key(tmp_path, old, new, message):
    folder = _polish(tmp_path)
    assert old in POLISH
    (folder / "profile.toml").write_text(POLISH.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        lang.load_profile(folder, lang.market_table())
