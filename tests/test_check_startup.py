"""`check` starts quickly (issue 15): its command line is parsed without pydantic, and a
check answered from the snapshot builds no pydantic validator.

Typer 0.29 builds a pydantic ``TypeAdapter`` for every parameter as the command line is
parsed; condtrack's options take Typer's result directly where that conversion is a plain
one (``condtrack.cli.app._process_value``). These tests hold that shortcut to Typer's own
conversion, value by value, for every parameter of every command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.core import TyperGroup, _TyperParameter

from condtrack.cli import app
from condtrack.cli.app import COMMANDS, _process_value
from condtrack.schema.models import Header, Scoring

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "conditions.toml"


def modules_after(argv: list[str], cache: Path | str, cwd: Path) -> tuple[int, set[str]]:
    """The exit code of a real ``condtrack`` process running ``argv``, and the modules it
    imported."""
    probe = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from condtrack import main\n"
        f"sys.argv = ['condtrack', *{argv!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"CONDTRACK_CACHE_DIR": str(cache), "PATH": "/usr/bin", "NO_COLOR": "1"},
    )
    return done.returncode, set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--format", "json", "--min-score", "10", "--max-age", "3650", "--no-gate"],
        ["--as-of", "2026-11-01", "--known-at", "2026-11-01", "-o", "out.txt"],
    ],
)
def test_check_parses_its_command_line_without_pydantic_adapters(
    options: list[str], tmp_path: Path
) -> None:
    tracker = tmp_path / "conditions.toml"
    shutil.copyfile(SHIPPED, tracker)
    argv = ["--file", str(tracker), "--lock-timeout", "5", "check", *options]
    code, loaded = modules_after(argv, tmp_path / "cache", tmp_path)
    assert code in (0, 1, 3)  # a verdict
    assert "condtrack.cli.ci" in loaded  # the check did run
    assert "typer._adapters" not in loaded


def test_a_check_answered_from_the_snapshot_builds_no_validator(tmp_path: Path) -> None:
    """The first check of the bytes reads and checks the file (and builds pydantic's
    validators to do it); the next is answered from the snapshot, which builds the
    models' instances without validating them: no validator is built, so pydantic's
    plugin loader (imported when the first one is) never is."""
    tracker = tmp_path / "conditions.toml"
    shutil.copyfile(SHIPPED, tracker)
    cache = tmp_path / "cache"
    argv = ["--file", str(tracker), "check"]
    first, loaded = modules_after(argv, cache, tmp_path)
    assert "pydantic.plugin._loader" in loaded  # the probe sees a validator being built
    assert list(cache.rglob("*.snap"))
    again, loaded = modules_after(argv, cache, tmp_path)
    assert again == first
    assert "condtrack.storage.snapshot" in loaded
    assert "pydantic.plugin._loader" not in loaded, "a validator was built"


def test_the_default_scoring_is_scoring_as_validated() -> None:
    default = Header.model_fields["scoring"].default
    built = Scoring()
    assert default == built
    assert default.model_dump() == built.model_dump()
    assert default.model_fields_set == built.model_fields_set == set()


# --- the shortcut against Typer's own conversion ------------------------------------------


def _every_parameter() -> list[tuple[str, Any, Any]]:
    """(label, parameter, context) for every Typer parameter of the group and of every
    command and subcommand, as condtrack's classes give them."""
    group: Any = typer.main.get_command(app)
    root = group.make_context("condtrack", ["--help"], resilient_parsing=True)
    found = [(f"condtrack {p.name}", p, root) for p in group.get_params(root)]
    for name in COMMANDS:
        command = group.get_command(root, name)
        commands = [(name, command)]
        if isinstance(command, TyperGroup):
            commands += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        for label, each in commands:
            ctx = typer.Context(each, parent=root, info_name=label)
            found += [(f"{label} {p.name}", p, ctx) for p in each.get_params(ctx)]
    return [
        (label, p, ctx)
        for label, p, ctx in found
        if isinstance(p, _TyperParameter) and p.callback is None  # no eager --version here
    ]


PARAMETERS = _every_parameter()


def _outcome(convert: Any, param: Any, ctx: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", convert(param, ctx, value)
    except Exception as error:  # compared by kind and wording
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        return type(error).__name__, message


def _values(param: Any) -> st.SearchStrategy[Any]:
    text = st.text(max_size=12) | st.sampled_from(
        ["", "-", "text", "json", "table", "2026-11-01", "10", "1e400", "all", ".", "./-", "é"]
    )
    if param.multiple or param.nargs == -1:
        return st.none() | st.lists(text, max_size=3).map(tuple)
    return st.none() | text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@example(data=None)  # every parameter with no value given, and its default
def test_condtrack_converts_every_value_as_typer_does(data: Any) -> None:
    assert len(PARAMETERS) > 50  # every command's parameters are here
    for label, param, ctx in PARAMETERS:
        values = [None, param.default] if data is None else [data.draw(_values(param))]
        for value in values:
            ours = _outcome(_process_value, param, ctx, value)
            typers = _outcome(_TyperParameter.process_value, param, ctx, value)
            assert ours == typers, (label, value)
