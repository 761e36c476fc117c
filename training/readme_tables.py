"""Rewrite the README's model tables from the shipped scores in ``models/*/runs/*.json``.

The tables sit between ``<!-- model-tables:start -->`` and ``<!-- model-tables:end -->``
in README.md; tests/test_readme_tables.py checks that the committed block is what this
module renders. Each row reads the newest run of one tag (runs are named
``<date>-<tag>.json``) and shows the score beside the baseline scored in the same run.

    python -m training.readme_tables            # print the block
    python -m training.readme_tables --write    # rewrite README.md
    python -m training.readme_tables --check    # exit 1 when README.md is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.common import replace_block

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
README = ROOT / "README.md"
START, END = "<!-- model-tables:start -->", "<!-- model-tables:end -->"
TIERS = {"default": "default (`themes.hybrid.v1` + `sentiment.linear.v1`)",
         "accurate": "accurate (`themes.e5.v1` + `sentiment.ensemble.v1`)"}


def latest_run(model: str, tag: str) -> Path:
    """The newest ``models/<model>/runs/<date>-<tag>.json`` (dates sort as text)."""
    runs = sorted(p for p in (MODELS / model / "runs").glob("*.json") if p.stem[11:] == tag)
    if not runs:
        raise SystemExit(f"no models/{model}/runs/<date>-{tag}.json: rerun the model's evaluation")
    return runs[-1]


def read_run(model: str, tag: str) -> tuple[dict, str]:
    path = latest_run(model, tag)
    return json.loads(path.read_text(encoding="utf-8")), f"[{path.stem[:10]}]({path.relative_to(ROOT).as_posix()})"


def f3(value: float) -> str:
    return f"{value:.3f}"


def drama_table() -> list[str]:
    """Every tier on the held-out real drama comments (dramas no model trained on)."""
    run, link = read_run("devsets", "drama-eval")
    lines = ["| tier, on held-out real drama comments | theme micro-F1 | intent micro-F1 | stance macro-F1 "
             "| aspect polarity | run |", "|---|---:|---:|---:|---:|---|"]
    for tier, r in run.items():
        lines.append(f"| {TIERS.get(tier, tier)} | {f3(r['theme_micro_f1'])} | {f3(r['intent_micro_f1'])} "
                     f"| {f3(r['stance_macro_f1'])} | {f3(r['polarity_accuracy'])} | {link} |")
    return lines


def stance_rows() -> list[str]:
    lin, lin_link = read_run("sentiment-linear", "evaluate")
    ens, ens_link = read_run("sentiment-ensemble", "evaluate-bf16")
    dev = ens["results"]["heldout_dev"]
    shipped = next(name for name in dev if name.startswith("ensemble shipped"))
    return [
        f"| `sentiment.linear.v1` | held-out rows of the training sources, mean per-language macro-F1 "
        f"| {f3(lin['mean_macro_f1'])} | majority class {f3(lin['baseline_majority_mean_macro_f1'])} | {lin_link} |",
        f"| `sentiment.linear.v1` | 611 real comments, mean per-language macro-F1 "
        f"| {f3(lin['real_comments']['mean_macro_f1'])} "
        f"| majority class {f3(lin['real_comments_baseline_majority_mean_macro_f1'])} | {lin_link} |",
        f"| `sentiment.ensemble.v1` | held-out rows, mean per-language macro-F1 | {f3(dev[shipped]['mean_macro_f1'])} "
        f"| linear {f3(dev['sentiment.linear.v1']['mean_macro_f1'])}, e5 {f3(dev['sentiment.e5.v1']['mean_macro_f1'])} "
        f"| {ens_link} |",
    ]


def theme_rows() -> list[str]:
    rows = []
    for tag, label in (("evaluate", "611 real comments"), ("proxy", "394 written drama comments (proxy)")):
        run, link = read_run("themes-e5", tag)
        themes = run["themes"]
        lexicon = themes["themes.lexicon.v1"]
        for name in ("themes.hybrid.v1", "themes.e5.v1"):
            r = themes[name]
            rows.append(f"| `{name}` | {label}, theme / intent micro-F1 | {f3(r['theme_micro_f1'])} / "
                        f"{f3(r['intent_micro_f1'])} | lexicon {f3(lexicon['theme_micro_f1'])} / "
                        f"{f3(lexicon['intent_micro_f1'])} | {link} |")
    return rows


def polarity_rows() -> list[str]:
    run, link = read_run("aspect-polarity", "evaluate")
    rows = []
    for name, r in run.items():
        tier, _, data_set = name.partition(" / ")
        rows.append(f"| `polarity.clause.v1` ({tier} tier) | {data_set}, agreement | {f3(r['after']['accuracy'])} "
                    f"| clause-sentiment rule {f3(r['before']['accuracy'])} | {link} |")
    return rows


def render() -> str:
    lines = drama_table() + ["", "| model | held-out set, metric | score | baseline, same run | run |",
                             "|---|---|---:|---|---|"]
    lines += stance_rows() + theme_rows() + polarity_rows()
    return "\n".join(lines)


def rewrite(readme: str, block: str) -> str:
    return replace_block(readme, START, END, block, "README.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the block in README.md")
    group.add_argument("--check", action="store_true", help="exit 1 when README.md's block is stale")
    args = parser.parse_args(argv)
    block = render()
    if not (args.write or args.check):
        print(block)
        return 0
    readme = README.read_text(encoding="utf-8")
    updated = rewrite(readme, block)
    if args.check:
        return 0 if updated == readme else 1
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
