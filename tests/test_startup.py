"""The entry point builds only the command it runs; that must never change what it does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from condtrack import __version__
from condtrack.cli import app
from condtrack.cli.app import app_for, command_name

COMMANDS = sorted(command_name(c) for c in app.registered_commands)


def both(argv: list[str], tracker: Path) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    runner = CliRunner()
    full = runner.invoke(app, argv, env={"CONDTRACK_FILE": str(tracker)})
    trimmed = runner.invoke(app_for(argv, {}), argv, env={"CONDTRACK_FILE": str(tracker)})
    return (
        (full.exit_code, full.stdout, full.stderr),
        (trimmed.exit_code, trimmed.stdout, trimmed.stderr),
    )


def test_every_command_is_registered_and_found() -> None:
    assert len(COMMANDS) >= 16
    for name in COMMANDS:
        only = app_for([name], {})
        assert len(only.registered_commands) == 1
        assert only.registered_commands[0] in app.registered_commands
        assert command_name(only.registered_commands[0]) == name


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_helps_alike_alone(name: str, tracker_file: Path) -> None:
    full, trimmed = both([name, "--help"], tracker_file)
    assert full == trimmed
    assert full[0] == 0 and name in full[1]


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["check"],
        ["status", "--format", "json", "--as-of", "2025-03-01"],
        ["evidence", "--format", "csv"],
        ["conditions"],
        ["explain", "troops"],
        ["explain", "nonsense"],
        ["log", "troops"],  # a missing option: the same one-line usage error
        ["check", "--require", "nosuch"],
        ["check", "--format", "xml"],
        ["stauts"],  # a typo: the whole app, for "did you mean"
        ["--help"],
        [],
    ],
)
def test_the_trimmed_app_behaves_as_the_whole(argv: list[str], tracker_file: Path) -> None:
    full, trimmed = both(argv, tracker_file)
    assert full == trimmed


@pytest.mark.parametrize(
    ("argv", "whole"),
    [
        (["--version"], False),
        (["-f", "x.toml", "status"], False),
        (["--file", "x.toml", "--version"], False),
        (["--file=x.toml", "log", "troops"], False),
        (["-fx.toml", "check"], False),
        (["--help"], True),
        (["-h"], True),
        ([], True),
        (["stauts"], True),
        (["--install-completion"], True),
    ],
)
def test_only_plain_invocations_are_trimmed(argv: list[str], whole: bool) -> None:
    chosen = app_for(argv, {})
    assert (chosen is app) == whole
    if not whole:
        assert len(chosen.registered_commands) <= 1


def test_completion_always_gets_the_whole_app() -> None:
    assert app_for(["status"], {"_CONDTRACK_COMPLETE": "complete_bash"}) is app


def test_version_from_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"condtrack {__version__}\n", "")
