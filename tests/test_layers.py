"""The tree is the architecture: every import in condtrack runs downward through its layers.

    foundation  condtrack.errors, condtrack.textsafe, condtrack.progress
    1 schema    condtrack.schema
    2 storage   condtrack.storage
    3 domain    condtrack.domain
    4 git       condtrack.git        4 render  condtrack.render   (neither imports the other)
    5 cli       condtrack.cli

Every import counts, at the top of a module or inside a function (lazy imports are still
dependencies). Each package's docstring says the same; this test holds the code to it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import condtrack

PACKAGE = Path(condtrack.__file__).resolve().parent
LAYERS = {
    "condtrack.errors": 0,
    "condtrack.textsafe": 0,
    "condtrack.progress": 0,
    "condtrack.schema": 1,
    "condtrack.storage": 2,
    "condtrack.domain": 3,
    "condtrack.git": 4,
    "condtrack.render": 4,
    "condtrack.cli": 5,
}


def layer_of(module: str) -> str | None:
    """The layer (its package's name) a dotted module name belongs to."""
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """Every condtrack module ``path`` imports, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from condtrack import x` imports condtrack.x when x is a module
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("condtrack.")]


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer() -> None:
    entry_points = {"condtrack", "condtrack.__main__"}
    homeless = [
        module_name(path)
        for path in SOURCES
        if module_name(path) not in entry_points and layer_of(module_name(path)) is None
    ]
    assert homeless == [], "put each module in a layer's package (see LAYERS)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_run_downward(path: Path) -> None:
    here = layer_of(module_name(path))
    if here is None:  # the entry points: condtrack.main starts the CLI
        return
    wrong = []
    for line, name in imported(path):
        there = layer_of(name)
        if there is None or there == here:
            continue
        if LAYERS[there] >= LAYERS[here]:
            wrong.append(f"line {line}: {name} ({there}) from {here}")
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The checker itself: an upward import in a scratch module is found."""
    scratch = tmp_path / "scratch.py"
    scratch.write_text("def f():\n    from condtrack.cli.app import app\n", encoding="utf-8")
    assert imported(scratch) == [(2, "condtrack.cli.app.app")]
    assert LAYERS[layer_of("condtrack.cli.app.app") or ""] > LAYERS["condtrack.domain"]
