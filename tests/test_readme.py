"""The README's promises: every Python import it shows works, its shell blocks are pasteable, and
every flag it uses exists."""

from __future__ import annotations

import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest

from mirmodules.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_readme_shell_blocks_paste_and_use_existing_flags():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    checked = 0
    for block in _blocks("bash"):
        for command in _commands(block):
            for part in re.split(r"&&|;", command):
                words = shlex.split(part, comments=True)
                if not words or words[0] != "mirmodules":
                    continue
                sub = subparsers.get(words[1]) if len(words) > 1 else None
                if sub is None:
                    continue
                known = {opt for action in sub._actions for opt in action.option_strings}
                flags = [w.split("=")[0] for w in words[2:] if w.startswith("--")]
                unknown = [f for f in flags if f not in known]
                assert not unknown, f"README: `{part.strip()}` uses unknown flag(s) {unknown}"
                checked += 1
    assert checked >= 5


@pytest.mark.parametrize("block", _blocks("bash")[:1])
def test_the_first_lines_are_the_two_newcomer_commands(block):
    commands = _commands(block)
    assert len(commands) == 2
    assert "pip install" in commands[0] and "mirmodules demo" in commands[0]
    assert commands[1].endswith("python -m pytest -q")
