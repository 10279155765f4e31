"""The lazy command group: a command's module is imported only when that command runs, and
help, completion and did-you-mean still know every command."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from condtrack import __version__
from condtrack.cli import app
from condtrack.cli.app import COMMANDS, command_name

MODULES = sorted(set(COMMANDS.values()))


def test_every_command_is_defined_where_the_group_looks_for_it() -> None:
    for module in MODULES:
        importlib.import_module(f"condtrack.cli.{module}")
    registered = {command_name(info): info for info in app.registered_commands}
    # A command with subcommands (`relief`) is a Typer group: its subcommands' module counts.
    groups = {info.name: info for info in app.registered_groups}
    assert not set(registered) & set(groups)
    assert set(registered) | set(groups) == set(COMMANDS)  # none left out, none listed twice
    for name, module in COMMANDS.items():
        if name in groups:
            subcommands = groups[name].typer_instance.registered_commands  # type: ignore[union-attr]
            assert subcommands, name
            for info in subcommands:
                assert info.callback is not None
                assert info.callback.__module__ == f"condtrack.cli.{module}", name
            continue
        assert registered[name].callback is not None
        assert registered[name].callback.__module__ == f"condtrack.cli.{module}", name


def test_help_lists_every_command_but_the_hidden_merge_driver(tracker_file: Path) -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    rows = re.findall(r"^\W*([a-z-]+)\s{2,}\S", shown.stdout, re.M)  # a command, its help
    listed = [name for name in COMMANDS if name in rows]
    assert listed == [name for name in COMMANDS if name != "merge"]
    for panel in ("Setup", "Record", "Inspect", "Briefings", "CI"):
        assert f" {panel} " in shown.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_has_its_own_help(name: str) -> None:
    shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert f"condtrack {name}" in shown.stdout


def loaded_by(argv: list[str], tracker: Path) -> set[str]:
    """The condtrack.cli modules a real process imports to run ``argv``."""
    probe = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith('condtrack.cli.'))), file=sys.stderr))\n"
        "from condtrack import main\n"
        f"sys.argv = ['condtrack', *{argv!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={"CONDTRACK_FILE": str(tracker), "CONDTRACK_CACHE_DIR": "", "PATH": "/usr/bin"},
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("argv", "module"),
    [
        (["check"], "ci"),
        (["status", "--format", "json"], "inspection"),
        (["report"], "briefings"),
        (["conditions"], "setup"),
        (["--file", "elsewhere.toml", "log", "troops"], "record"),
    ],
)
def test_a_command_imports_its_own_module_and_no_other(
    argv: list[str], module: str, tracker_file: Path
) -> None:
    commands = {f"condtrack.cli.{m}" for m in MODULES}
    assert loaded_by(argv, tracker_file) & commands == {f"condtrack.cli.{module}"}


def test_version_imports_no_command(tracker_file: Path) -> None:
    commands = {f"condtrack.cli.{m}" for m in MODULES}
    assert loaded_by(["--version"], tracker_file) & commands == set()


def test_a_typo_is_told_apart_without_importing_every_command(tracker_file: Path) -> None:
    done = CliRunner().invoke(app, ["stauts"])
    assert done.exit_code == 2
    assert done.stderr == "error: no such command 'stauts'; did you mean 'status'?\n"


def test_version_from_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"condtrack {__version__}\n", "")


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_output_to_a_file_costs_no_heavy_import(
    argv: list[str], tracker_file: Path, tmp_path: Path
) -> None:
    """Before any command, condtrack checks that standard output is not the tracker; with
    output redirected to a file (`condtrack --version > out.txt`, usual in CI) that means
    finding the tracker, which must not import the schema models (pydantic) to do it: a
    bench run saw `--version` take 2.4 times `import typer` so."""
    probe = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('pydantic', 'condtrack'))), file=sys.stderr))\n"
        "from condtrack import main\n"
        f"sys.argv = ['condtrack', *{argv!r}]\n"
        "main()\n"
    )
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env={
                "CONDTRACK_FILE": str(tracker_file),
                "CONDTRACK_CACHE_DIR": "",
                "PATH": "/usr/bin",
            },
        )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "condtrack.storage.locating" in loaded  # the check did run
    assert not {m for m in loaded if m.startswith("pydantic")}, sorted(loaded)
    assert "condtrack.storage.store" not in loaded
    assert out.read_text(encoding="utf-8")
