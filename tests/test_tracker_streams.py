"""Standard output or error that is the tracker: every command refuses before writing.

`condtrack check >> conditions.toml` once appended check's lines to the tracker (and
`validate`, `check --format github`, `-o -` alike), leaving malformed TOML; an error line
sent to a tracker (`condtrack stauts 2>> conditions.toml`) did the same. The refusal is made
once, where the group knows the tracker, for every command and format.

In-process runs (CliRunner) put the tracker on descriptor 1 or 2, as `>>` does: what the
command prints goes to CliRunner's buffers, so "nothing printed, exit 2" is what keeps the
tracker unchanged; a few real processes check the redirections themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer._click.core import Context
from typer.main import get_command
from typer.testing import CliRunner

from condtrack.cli import app
from condtrack.cli.app import COMMANDS
from tests.conftest import Invoke


@contextmanager
def descriptor_on(fd: int, path: Path) -> Iterator[None]:
    """Descriptor ``fd`` opened on ``path`` for appending (``>> path``) while inside."""
    saved = os.dup(fd)
    target = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.dup2(target, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(target)


def _commands() -> dict[str, list[str]]:
    """Every command and subcommand by its words (``relief list``), each with the formats
    its --format takes ([] when it has none), from the lazy group's COMMANDS map."""
    group: Any = get_command(app)
    context = Context(group)
    found: dict[str, list[str]] = {}
    for name in COMMANDS:
        command = group.get_command(context, name)
        subcommands = getattr(command, "commands", None) or {None: command}
        for sub, each in subcommands.items():
            formats = [
                str(member.value)
                for param in each.params
                if param.name == "output_format"
                for member in param.type_descriptor.annotation
            ]
            found[name if sub is None else f"{name} {sub}"] = formats
    return found


COMMAND_FORMATS = _commands()


def _arguments(command: str, ids: dict[str, str], folder: Path) -> list[str]:
    """Arguments that make ``command`` do its ordinary work on the small tracker."""
    given = {
        "init": [str(folder / "new" / "conditions.toml")],
        "conditions": [],
        "git-setup": [],
        "schema": [],
        "log": ["troops", "--summary", "s", "--source", "M", "--date", "2025-01-03"],
        "amend": [ids["evidence"], "--summary", "fixed", "--reason", "typo"],
        "retract": [ids["evidence"], "--reason", "wrong"],
        "import": [ids["csv"], "--dry-run"],
        "relief add": [
            *("--sender", "US", "--measure", "m", "--action", "eased"),
            *("--date", "2025-01-04", "--source", "s", "--summary", "x"),
        ],
        "relief amend": [ids["relief"], "--summary", "fixed", "--reason", "typo"],
        "relief list": [],
        "status": [],
        "explain": ["troops"],
        "evidence": [],
        "history": [ids["evidence"]],
        "report": [],
        "diff": ["--since", "2025-01-01"],
        "check": [],
        "validate": [],
        "merge": [ids["base"], ids["ours"], ids["theirs"]],
    }
    return given[command]


def test_every_command_is_covered() -> None:
    assert set(COMMAND_FORMATS) >= {"check", "validate", "relief add", "relief list"}
    for command in COMMAND_FORMATS:
        _arguments(
            command,
            dict.fromkeys(("evidence", "relief", "csv", "base", "ours", "theirs"), "x"),
            Path(),
        )


@pytest.fixture
def ids(cli: Invoke, log: object, tracker_file: Path, tmp_path: Path) -> dict[str, str]:
    first = cli("log", "troops", "--summary", "a", "--source", "M", "--date", "2025-01-02")
    relief = cli(
        "relief", "add", "--sender", "US", "--measure", "m", "--action", "eased",
        "--date", "2025-01-02", "--source", "s", "--summary", "eased",
    )  # fmt: skip
    assert first.exit_code == 0 and relief.exit_code == 0, (first.output, relief.output)
    csv = tmp_path / "rows.csv"
    csv.write_text("condition,date,source,summary\ntroops,2025-01-05,M,imported\n")
    versions = {}
    for side in ("base", "ours", "theirs"):
        versions[side] = tmp_path / f"{side}.toml"
        versions[side].write_bytes(tracker_file.read_bytes())
    return {
        "evidence": first.stdout.strip(),
        "relief": relief.stdout.strip(),
        "csv": str(csv),
        **{side: str(path) for side, path in versions.items()},
    }


CASES = [
    (command, chosen, output)
    for command, formats in COMMAND_FORMATS.items()
    for chosen in [None, *formats]
    for output in ([None, "-"] if formats and chosen != "github" else [None])
]


@pytest.mark.parametrize(("command", "chosen", "output"), CASES)
def test_no_command_writes_into_a_tracker_that_is_its_stdout(
    command: str,
    chosen: str | None,
    output: str | None,
    ids: dict[str, str],
    tracker_file: Path,
    tmp_path: Path,
) -> None:
    args = [*command.split(), *_arguments(command, ids, tmp_path)]
    args += ["--format", chosen] if chosen else []
    args += ["-o", output] if output else []
    before = tracker_file.read_bytes()
    with descriptor_on(1, tracker_file):
        result = CliRunner().invoke(app, ["--file", str(tracker_file), *args])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith("error: refusing to write standard output: it is the tracker")
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize("command", list(COMMAND_FORMATS))
def test_no_command_writes_into_a_tracker_that_is_its_stderr(
    command: str, ids: dict[str, str], tracker_file: Path, tmp_path: Path
) -> None:
    args = [*command.split(), *_arguments(command, ids, tmp_path)]
    before = tracker_file.read_bytes()
    with descriptor_on(2, tracker_file):
        result = CliRunner().invoke(app, ["--file", str(tracker_file), *args])
        mistyped = CliRunner().invoke(app, ["--file", str(tracker_file), command + "x"])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", "")
    assert (mistyped.exit_code, mistyped.stdout, mistyped.stderr) == (2, "", "")
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize("command", ["validate", "merge"])
def test_a_tracker_named_as_an_argument_is_guarded_too(
    command: str, ids: dict[str, str], tracker_file: Path, tmp_path: Path
) -> None:
    """`validate FILE >> FILE`, git's merge driver with OURS as its standard error."""
    target = Path(ids["ours"]) if command == "merge" else tracker_file
    args = [command, *(_arguments(command, ids, tmp_path) if command == "merge" else [str(target)])]
    before = target.read_bytes()
    with descriptor_on(1, target), descriptor_on(2, target):
        result = CliRunner().invoke(app, args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", "")
    assert target.read_bytes() == before


def _run(tracker: Path, *args: str, **streams: Any) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
    done: subprocess.CompletedProcess[bytes] = subprocess.run(
        [sys.executable, "-m", "condtrack", *args],
        env=env,
        cwd=tracker.parent,
        check=False,
        **streams,
    )
    return done


@pytest.mark.parametrize(
    ("args", "spelling"),
    [
        (["check"], "file"),
        (["check", "--format", "github"], "file"),
        (["check", "-o", "-"], "file"),
        (["validate"], "file"),
        (["validate", "-o", "-"], "file"),
        (["check"], "symlink"),
        (["check"], "hardlink"),
    ],
)
def test_real_redirections_leave_the_tracker_as_it_was(
    args: list[str], spelling: str, tracker_file: Path, tmp_path: Path
) -> None:
    named = tracker_file
    if spelling == "symlink":
        named = tmp_path / "link.toml"
        named.symlink_to(tracker_file)
    elif spelling == "hardlink":
        named = tmp_path / "hard.toml"
        os.link(tracker_file, named)
    before = tracker_file.read_bytes()
    with tracker_file.open("ab") as handle:
        done = _run(named, "-f", str(named), *args, stdout=handle, stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("error: refusing to write standard output")
    assert tracker_file.read_bytes() == before


def test_an_error_is_not_appended_to_the_tracker_found_by_itself(tracker_file: Path) -> None:
    """`condtrack stauts 2>> conditions.toml` in the tracker's folder: exit 2, nothing
    written anywhere."""
    before = tracker_file.read_bytes()
    with tracker_file.open("ab") as handle:
        done = _run(tracker_file, "stauts", stdout=subprocess.PIPE, stderr=handle)
    assert (done.returncode, done.stdout) == (2, b"")
    assert tracker_file.read_bytes() == before
