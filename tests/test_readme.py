"""The README's promises: every Python import it shows works, its shell blocks are pasteable, and
every flag it uses exists (for nested subcommands such as ``mirmodules data fetch``, the nested
parser's flags). The reference pages that hold what the README used to (docs/usage.md and the
others below) are held to the same flag rule."""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest

from mirmodules.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
DOCS = README.parent / "docs"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_every_python_import_in_the_readme_works():
    names = []
    for block in _blocks("python"):
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mirmodules"):
                names += [(node.module, alias.name) for alias in node.names]
    assert names, "the README shows no import from mirmodules"
    for module, name in names:
        assert hasattr(importlib.import_module(module), name), f"from {module} import {name}"


def _commands(block: str) -> list[str]:
    """Logical lines of a shell block (continuations joined, comments dropped)."""
    lines, current = [], ""
    for raw in block.splitlines():
        line = raw.rstrip()
        if not current and (not line or line.lstrip().startswith("#")):
            continue
        assert not re.search(r"\\\s*#", line), f"a comment after a continuation does not paste: {raw!r}"
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    assert not current, "a block ends with a continuation"
    return lines


def _subcommands(parser) -> dict:
    """The subcommands of a parser (``{}`` when it has none)."""
    return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})


def _simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command in a logical line, split at ``;``, ``&&``, ``||`` and
    pipes, with comments dropped (a quote inside a comment is not an open quote)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts: list[list[str]] = [[]]
    for token in lexer:
        if token in {";", "&&", "||", "|", "&"}:
            parts.append([])
        else:
            parts[-1].append(token)
    return [words for words in parts if words]


def _check_flags(block_source: str, blocks: list[str]) -> int:
    """Every ``mirmodules`` command in the blocks names an existing subcommand (nested ones such as
    ``mirmodules data fetch`` included) and uses only that subcommand's flags; returns how many
    commands were checked."""
    subparsers = _subcommands(build_parser())
    checked = 0
    for block in blocks:
        for command in _commands(block):
            for words in _simple_commands(command):
                part = " ".join(words)
                while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
                    words = words[1:]  # environment assignments: MIRMODULES_OFFLINE=1 mirmodules ...
                if not words or words[0] != "mirmodules":
                    continue
                sub = subparsers.get(words[1]) if len(words) > 1 else None
                if sub is None:
                    continue
                rest = words[2:]
                nested = _subcommands(sub)
                if nested:  # e.g. `mirmodules data fetch ...`: the nested parser's options count
                    assert len(words) > 2 and words[2] in nested, (
                        f"{block_source}: `{part.strip()}` names no subcommand of `mirmodules {words[1]}` "
                        f"(known: {sorted(nested)})")
                    sub, rest = nested[words[2]], words[3:]
                known = {opt for action in sub._actions for opt in action.option_strings}
                flags = [w.split("=")[0] for w in rest if w.startswith("--")]
                unknown = [f for f in flags if f not in known]
                assert not unknown, f"{block_source}: `{part.strip()}` uses unknown flag(s) {unknown}"
                checked += 1
    return checked


def test_readme_shell_blocks_paste_and_use_existing_flags():
    assert _check_flags("README", _blocks("bash")) >= 5


@pytest.mark.parametrize("page", ["usage.md", "benchmarks.md", "method_choices.md", "developer.md"])
def test_reference_pages_shell_blocks_paste_and_use_existing_flags(page):
    # the README's reference moved into these pages; their commands are held to the same rule
    path = DOCS / page
    if not path.exists():
        pytest.skip(f"docs/{page} is absent")
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    _check_flags(f"docs/{page}", blocks)


def test_the_flag_check_resolves_nested_subcommands():
    # `data fetch --offline` is a flag of the nested parser, not of `data`; a flag of another
    # command, or a subcommand `data` does not have, is caught
    assert _check_flags("probe", ["mirmodules data fetch --offline --cache c mirtarbase\n"]) == 1
    assert _check_flags("probe", ["MIRMODULES_OFFLINE=1 mirmodules data list --cache c\n"]) == 1
    with pytest.raises(AssertionError, match="unknown flag"):
        _check_flags("probe", ["mirmodules data fetch --evidence strong mirtarbase\n"])
    with pytest.raises(AssertionError, match="names no subcommand"):
        _check_flags("probe", ["mirmodules data no-such-subcommand --out x\n"])


@pytest.mark.parametrize("block", _blocks("bash")[:1])
def test_the_first_lines_are_the_two_newcomer_commands(block):
    commands = _commands(block)
    assert len(commands) == 2
    assert "pip install" in commands[0] and "mirmodules demo" in commands[0]
    assert commands[1].endswith("python -m pytest -q")
