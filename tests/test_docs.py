"""Docs can't drift: every CLI command is documented, README examples run."""

import re
import shlex
from pathlib import Path

import pytest

from analyzer.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(action.choices)


def code_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first = code_blocks("sh")[0].splitlines()
    assert [line.split("#")[0].strip() for line in first] == ["make demo", "make test"]


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help_and_a_readme_entry(command):
    docs = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    assert f"`analyzer {command}" in README + docs, f"README and docs/ have no entry for `analyzer {command}`"
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert action.choices[command].description, f"`analyzer {command}` has no description"


def readme_command_lines() -> list[str]:
    lines = []
    for block in code_blocks("sh"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if ".venv/bin/analyzer " in line or line.startswith("analyzer "):
                lines.append(line.split("analyzer ", 1)[1])
    return lines


@pytest.mark.parametrize("line", readme_command_lines())
def test_readme_command_lines_parse(line):
    build_parser().parse_args(shlex.split(line))


def test_readme_python_examples_run(tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    for block in code_blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "out" / "api" / "report.html").is_file()


def test_annotation_contract_is_documented():
    from analyzer.runner import ANNOTATION_TYPES

    for name in ANNOTATION_TYPES:
        assert f"| `{name}` |" in README, name
