"""The README's results tables are generated from the shipped scores (models/*/runs/*.json)."""

from __future__ import annotations

from training import readme_tables


def test_committed_readme_tables_match_the_runs():
    readme = readme_tables.README.read_text(encoding="utf-8")
    assert readme_tables.rewrite(readme, readme_tables.render()) == readme, \
        "README.md is stale: run python -m training.readme_tables --write"


def test_tables_cite_the_newest_run_of_each_tag():
    block = readme_tables.render()
    for model, tag in (("devsets", "drama-eval"), ("sentiment-linear", "evaluate"),
                       ("sentiment-ensemble", "evaluate-bf16"), ("themes-e5", "evaluate"),
                       ("themes-e5", "proxy"), ("aspect-polarity", "evaluate")):
        path = readme_tables.latest_run(model, tag)
        assert path.relative_to(readme_tables.ROOT).as_posix() in block


def test_latest_run_sorts_by_date(tmp_path, monkeypatch):
    runs = tmp_path / "m" / "runs"
    runs.mkdir(parents=True)
    for name in ("2026-01-02-evaluate.json", "2026-11-30-evaluate.json", "2026-12-01-evaluate-log.json"):
        (runs / name).write_text("{}", encoding="utf-8")
    monkeypatch.setattr(readme_tables, "MODELS", tmp_path)
    assert readme_tables.latest_run("m", "evaluate").name == "2026-11-30-evaluate.json"
