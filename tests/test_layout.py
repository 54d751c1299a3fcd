"""The package's architecture, checked: floors that only import downwards, and no import cycle.

Floors (README "Architecture"), lowest first; a module may import its own floor and those below:

0. shared basics: ``config``, ``datatypes``, ``exceptions`` and the private helpers
1. ``inputs``      readers, identifiers, preprocessing, prepared inputs, annotations, simulators
2. ``methods``     MICA and the baselines behind one registry
3. ``evaluation``  pure computation on a module set
4. ``store``       the run folder: atomic writer, tables, exports
5. ``report``      figures and the HTML page
6. ``workflows``   files in, run folder out
7. ``cli`` and the package root
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mirmodules"
FLOORS = {"inputs": 1, "methods": 2, "evaluation": 3, "store": 4, "report": 5, "workflows": 6}
TOP = {"cli": 7, "__init__": 7, "__main__": 7}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # the package root
        return 7
    if parts[1] in FLOORS:
        return FLOORS[parts[1]]
    return TOP.get(parts[1], 0)


def imported_modules(path: Path) -> set[str]:
    """Every mirmodules module a file imports, at top level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; the package uses absolute imports"
            if node.module and node.module.split(".")[0] == "mirmodules":
                for alias in node.names:  # `from mirmodules.report import plots` imports a module
                    candidate = f"{node.module}.{alias.name}"
                    is_module = (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                    found.add(candidate if is_module else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "mirmodules")
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        graph.add_node(source)
        for target in imported_modules(path):
            if target != source and not (path.name == "__init__.py" and target.startswith(source + ".")):
                graph.add_edge(source, target)
    return graph


def test_the_folders_name_the_stages():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(FLOORS)
    assert (PACKAGE / "methods" / "mica" / "pipeline.py").exists()
    assert (PACKAGE / "methods" / "registry.py").exists()


# the root (floor 7, the top) may import anything: its lazy map names every public object
@pytest.mark.parametrize("path", [p for p in sorted(PACKAGE.rglob("*.py")) if module_name(p) != "mirmodules"],
                         ids=lambda p: module_name(p))
def test_every_module_imports_only_its_floor_or_below(path):
    source = module_name(path)
    upward = sorted(t for t in imported_modules(path) if floor(t) > floor(source))
    assert not upward, f"{source} (floor {floor(source)}) imports from higher floors: {upward}"


def test_no_import_cycle():
    graph = import_graph()
    graph.remove_node("mirmodules")
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_the_floor_check_catches_an_upward_import(tmp_path):
    # The check itself: a file of floor 3 that imports the report (floor 5) is flagged.
    fake = PACKAGE / "evaluation" / "_probe_does_not_exist.py"
    assert floor(module_name(fake)) == 3
    probe = tmp_path / "probe.py"
    probe.write_text("from mirmodules.report.html import build_report\n", encoding="utf-8")
    assert {floor(t) for t in imported_modules(probe)} == {5}
