"""Docs can't drift: every CLI command is documented, examples in README.md and docs/ run,
the README stays short and every relative link resolves."""

import re
import shlex
from pathlib import Path

import pytest

from analyzer.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS = "\n".join(path.read_text(encoding="utf-8") for path in DOC_FILES)  # README first, then docs/
README_LIMIT = 12_000


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(action.choices)


def code_blocks(lang: str, text: str = DOCS) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first = code_blocks("sh", README)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first] == ["make demo", "make test"]


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help_and_a_docs_entry(command):
    assert f"analyzer {command}" in README, f"README has no entry for `analyzer {command}`"
    assert f"| `analyzer {command}" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), command
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


def test_docs_python_examples_run(tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    for block in code_blocks("python"):
        exec(compile(block, "README.md or docs/*.md", "exec"), {})
    assert (tmp_path / "out" / "api" / "report.html").is_file()


def test_annotation_contract_is_documented():
    from analyzer.runner import ANNOTATION_TYPES

    for name in ANNOTATION_TYPES:
        assert f"| `{name}` |" in (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8"), name


def test_readme_is_short():
    assert len(README) <= README_LIMIT, f"README.md has {len(README):,} characters; move detail into docs/"


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


def relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path):
    broken = []
    for link in relative_links(path):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(link)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(link)
    assert broken == [], f"{path.name}: {broken}"


def help_texts() -> list[str]:
    """Every description, group title and option help of every subcommand."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    texts = []
    for sub in action.choices.values():
        texts += [sub.description or ""] + [g.title or "" for g in sub._action_groups]
        texts += [a.help or "" for a in sub._actions]
    return texts


def test_help_texts_point_to_docs_that_exist():
    """`run --help` sent users to 'README: Bring your own data' and 'README: Scale-out on Ray',
    headings the README does not have (they are in docs/formats.md and docs/scale-out.md)."""
    readme_headings = {h.strip() for h in re.findall(r"^#+ (.*)$", README, flags=re.M)}
    broken = []
    for text in help_texts():
        broken += [p for p in re.findall(r"docs/[\w.-]+\.md", text) if not (ROOT / p).is_file()]
        broken += [h for h in re.findall(r"README: ([^)]+)\)", text) if h.strip() not in readme_headings]
    assert broken == []


def test_every_argument_of_every_command_has_help():
    """`analyzer compare --help` listed 'a' and 'b' with no word on what they are (a drama title or a
    market code; the difference is A - B); eight other commands had arguments without help."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    bare = [f"{name} {a.dest}" for name, sub in action.choices.items() for a in sub._actions
            if not a.help and a.__class__.__name__ != "_HelpAction"]
    assert bare == []
