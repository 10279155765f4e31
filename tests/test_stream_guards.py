"""The tracker-stream guard before everything that prints, and the files it covers.

`condtrack --show-completion bash >> conditions.toml` once appended the completion script
to the tracker (the guard ran before commands, not before the eager options); completion
itself (`_CONDTRACK_COMPLETE=complete_bash condtrack >> conditions.toml`) ended in an
"internal error"; and `condtrack log ... >> .conditions.toml.lock` wrote the new id into
the lock file that `-o .conditions.toml.lock` refuses. Real processes: the redirections
are the shell's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# The console script, as a shell runs it: its name is the one completion answers to.
CONDTRACK = Path(sys.executable).with_name("condtrack")
REFUSED = "error: refusing to write standard output: it is the tracker"


def _run(
    folder: Path, *args: str, stdout: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """condtrack in ``folder`` (where it finds the tracker), standard output appended to
    ``stdout`` (as ``>> stdout``)."""
    environment = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
    environment["HOME"] = str(folder / "home")  # --install-completion: never the user's
    environment.update(env or {})
    with stdout.open("ab") as handle:
        return subprocess.run(
            [str(CONDTRACK), *args],
            cwd=folder,
            env=environment,
            stdout=handle,
            stderr=subprocess.PIPE,
            check=False,
        )


EAGER = [
    *(["--show-completion", shell] for shell in ("bash", "zsh", "fish", "powershell")),
    ["--show-completion"],
    *(["--install-completion", shell] for shell in ("bash", "zsh", "fish")),
    ["--install-completion"],
    ["--help"],
    ["-h"],
    ["--version"],
]


@pytest.mark.parametrize("spelling", ["file", "symlink"])
@pytest.mark.parametrize("args", EAGER, ids=" ".join)
def test_no_eager_option_writes_into_a_tracker_that_is_its_stdout(
    args: list[str], spelling: str, tracker_file: Path
) -> None:
    folder = tracker_file.parent
    (folder / "home").mkdir()
    named = tracker_file
    if spelling == "symlink":
        named = folder / "sl"
        named.symlink_to(tracker_file.name)
    before = tracker_file.read_bytes()
    done = _run(folder, *args, stdout=named)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().startswith(REFUSED)
    assert len(done.stderr.decode().splitlines()) == 1
    assert tracker_file.read_bytes() == before
    assert list((folder / "home").iterdir()) == []  # nothing installed either


def test_eager_options_still_print_elsewhere(tracker_file: Path) -> None:
    """The guard refuses only the tracker: the script reaches any other file."""
    folder = tracker_file.parent
    out = folder / "script.sh"
    out.touch()
    done = _run(folder, "--show-completion", "bash", stdout=out)
    assert done.returncode == 0, done.stderr
    assert "_CONDTRACK_COMPLETE" in out.read_text()


@pytest.mark.parametrize(
    "env",
    [
        {"COMP_WORDS": "condtrack hist", "COMP_CWORD": "1", "_CONDTRACK_COMPLETE": "complete_bash"},
        {"_CONDTRACK_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "condtrack st"},
        {"_CONDTRACK_COMPLETE": "source_bash"},
        {"_CONDTRACK_COMPLETE": "source_fish"},
    ],
    ids=lambda env: env["_CONDTRACK_COMPLETE"],
)
def test_completion_into_the_tracker_is_the_same_clean_refusal(
    env: dict[str, str], tracker_file: Path
) -> None:
    """Chosen: the refusal of any command (one line on standard error, exit 2), not an
    internal error; the tracker is untouched. A shell's own completion captures standard
    output, so this is only ever a redirection typed by hand, which deserves the reason."""
    before = tracker_file.read_bytes()
    done = _run(tracker_file.parent, stdout=tracker_file, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().startswith(REFUSED)
    assert len(done.stderr.decode().splitlines()) == 1
    assert tracker_file.read_bytes() == before


def test_completion_of_a_tracker_named_by_f_is_refused_too(
    tracker_file: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = tracker_file.read_bytes()
    env = {
        "COMP_WORDS": f"condtrack -f {tracker_file} history ",
        "COMP_CWORD": "4",
        "_CONDTRACK_COMPLETE": "complete_bash",
    }
    done = _run(elsewhere, stdout=tracker_file, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().startswith(REFUSED)
    assert tracker_file.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["log", "troops", "--summary", "s", "--source", "M", "--date", "2025-01-03"],
        ["status"],
        ["--version"],
    ],
    ids=lambda args: args[0],
)
def test_the_lock_file_is_refused_as_standard_output_as_it_is_as_output(
    args: list[str], tracker_file: Path
) -> None:
    """`log ... >> .conditions.toml.lock`: refused as `-o .conditions.toml.lock` is."""
    lock = tracker_file.parent / f".{tracker_file.name}.lock"
    lock.touch()
    before = tracker_file.read_bytes()
    done = _run(tracker_file.parent, *args, stdout=lock)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().startswith(
        "error: refusing to write standard output: it is the lock file of"
    )
    assert lock.read_bytes() == b""
    assert tracker_file.read_bytes() == before


def _commands_writing_a_file() -> list[str]:
    """Every command and subcommand with an --output option, by its words."""
    from typer._click.core import Context
    from typer.main import get_command

    from condtrack.cli import app
    from condtrack.cli.app import COMMANDS

    group: Any = get_command(app)
    context = Context(group)
    found = []
    for name in COMMANDS:
        command = group.get_command(context, name)
        subcommands = getattr(command, "commands", None) or {None: command}
        for sub, each in subcommands.items():
            if any(param.name == "output" for param in each.params):
                found.append(name if sub is None else f"{name} {sub}")
    return found


WRITING = _commands_writing_a_file()


def test_the_commands_writing_a_file_are_found() -> None:
    assert {"status", "check", "validate", "schema", "relief list", "report"} <= set(WRITING)


@pytest.mark.parametrize("blank", ["", " ", "\t"], ids=repr)
@pytest.mark.parametrize("command", WRITING)
def test_a_blank_output_name_is_a_usage_error(
    command: str, blank: str, tracker_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-o ""` once wrote a file named `-` (and printed "wrote "), `-o " "` one named " "."""
    from typer.testing import CliRunner

    from condtrack.cli import app

    folder = tracker_file.parent
    monkeypatch.chdir(folder)
    before = sorted(folder.iterdir())
    content = tracker_file.read_bytes()
    result = CliRunner().invoke(app, [*command.split(), "-o", blank])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith("error: Invalid value for '--output' / '-o'")
    assert len(result.stderr.splitlines()) == 1
    assert sorted(folder.iterdir()) == before
    assert tracker_file.read_bytes() == content


@pytest.mark.parametrize("blank", ["", " "], ids=repr)
@pytest.mark.parametrize(
    "where", [["-f", "{}", "status"], ["status", "--file={}"], ["git-setup", "-f", "{}"]]
)
def test_a_blank_tracker_name_is_a_usage_error(
    where: list[str], blank: str, tracker_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-f ""` was read as the folder `.` ("is a folder"): it names no file."""
    from typer.testing import CliRunner

    from condtrack.cli import app

    monkeypatch.chdir(tracker_file.parent)
    result = CliRunner().invoke(app, [word.format(blank) for word in where])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith("error: Invalid value for '--file' / '-f'")
    assert "names no file" in result.stderr


def test_a_blank_output_name_in_a_real_process(tracker_file: Path, tmp_path: Path) -> None:
    folder = tracker_file.parent
    before = sorted(folder.iterdir())
    done = _run(folder, "status", "-o", "", stdout=tmp_path / "out.txt")
    assert done.returncode == 2
    assert b"names no file" in done.stderr
    assert sorted(p for p in folder.iterdir() if p.name != "out.txt") == before


LOG = ["log", "troops", "--summary", "s", "--source", "M", "--date", "2025-01-03"]


def test_a_cache_folder_under_tilde_is_in_the_home_folder(tracker_file: Path) -> None:
    """`CONDTRACK_CACHE_DIR='~/c'` made a folder `./~/c/records-v2` where condtrack ran."""
    folder = tracker_file.parent
    (folder / "home").mkdir()
    done = _run(folder, *LOG, stdout=folder / "id.txt", env={"CONDTRACK_CACHE_DIR": "~/c"})
    assert done.returncode == 0, done.stderr
    assert not (folder / "~").exists()
    assert (folder / "home" / "c" / "records-v2").is_dir()  # the log left its record there


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"env": {"CONDTRACK_CACHE_DIR": "relative"}}, "$CONDTRACK_CACHE_DIR"),
        ({"env": {"CONDTRACK_CACHE_DIR": "./c"}}, "$CONDTRACK_CACHE_DIR"),
        ({"args": ["--cache-dir=relative"]}, "--cache-dir"),
        ({"args": ["--cache-dir", "relative"]}, "--cache-dir"),
    ],
    ids=["env", "env-dot", "option-equals", "option"],
)
def test_a_relative_cache_folder_is_refused(
    given: dict[str, Any], named: str, tracker_file: Path, tmp_path: Path
) -> None:
    """Chosen: an error naming the variable or option, exit 2, nothing written (not the
    XDG "ignore it"): a cache folder that moves with the working folder is a mistake
    worth knowing about."""
    folder = tracker_file.parent
    before = sorted(folder.iterdir())
    content = tracker_file.read_bytes()
    out = tmp_path.parent / f"{tmp_path.name}-id.txt"
    done = _run(folder, *given.get("args", []), *LOG, stdout=out, env=given.get("env"))
    assert done.returncode == 2
    error = done.stderr.decode()
    assert error.startswith(f"error: {named} is ") and "relative path" in error
    assert len(error.splitlines()) == 1
    assert out.read_bytes() == b""
    assert sorted(folder.iterdir()) == before  # no ./relative, no ./c
    assert tracker_file.read_bytes() == content


def test_a_relative_cache_folder_is_an_error_in_the_core(tmp_path: Path) -> None:
    """Callers of the core (no CLI) get the same refusal, as a CondtrackError."""
    from condtrack.errors import CondtrackError
    from condtrack.storage import remembered

    with pytest.raises(CondtrackError, match=r"\$CONDTRACK_CACHE_DIR is 'rel'"):
        remembered.records_folder({"CONDTRACK_CACHE_DIR": "rel"})
    home = remembered.cache_folder({"CONDTRACK_CACHE_DIR": "~/x"})
    assert home == Path.home() / "x"
    assert remembered.cache_folder({"CONDTRACK_CACHE_DIR": ""}) is None


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-link", "relative-link"])
def test_init_force_through_a_link_keeps_its_files_beside_the_file_written(
    relative: bool, tracker_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init l.toml --force`, l.toml a link to a/conditions.toml: init writes through the
    link (as every command writes a linked tracker), so the .bak and the schema the new
    file's `#:schema` line names go beside a/conditions.toml, not beside the link."""
    from typer.testing import CliRunner

    from condtrack.cli import app

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    real = a / "conditions.toml"
    old = tracker_file.read_bytes()
    real.write_bytes(old)
    link = b / "l.toml"
    link.symlink_to(os.path.relpath(real, b) if relative else real)
    monkeypatch.chdir(b)
    result = CliRunner().invoke(app, ["init", "l.toml", "--force"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (a / "conditions.toml.bak").read_bytes() == old
    first = real.read_text(encoding="utf-8").splitlines()[0]
    assert first == "#:schema ./condtrack.schema.json"
    assert (a / "condtrack.schema.json").is_file()
    assert sorted(p.name for p in b.iterdir()) == ["l.toml"]
    assert str(a / "conditions.toml.bak") in result.stderr
    assert f"created {real.resolve()} (the file l.toml links to)" in result.stderr


@pytest.mark.parametrize("blank", ["", " "], ids=repr)
@pytest.mark.parametrize(
    ("words", "named"),
    [
        (["init"], "PATH"),
        (["validate"], "FILE"),
        (["validate", "conditions.toml"], "FILE"),
        (["import"], "FILE"),
    ],
    ids=["init", "validate", "validate-second", "import"],
)
def test_a_blank_file_argument_is_a_usage_error(
    words: list[str],
    named: str,
    blank: str,
    tracker_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`init ""`, `validate ""`, `import ""` were read as the folder `.` ("is a folder")."""
    from typer.testing import CliRunner

    from condtrack.cli import app

    folder = tracker_file.parent
    monkeypatch.chdir(folder)
    before = sorted(folder.iterdir())
    result = CliRunner().invoke(app, [*words, blank])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith(f"error: Invalid value for '{named}'")
    assert "names no file" in result.stderr
    assert sorted(folder.iterdir()) == before


@pytest.mark.parametrize(
    "command", [("status",), ("--version",), ("log", "x", "--summary", "s", "--source", "s")]
)
def test_a_tracker_that_is_a_link_loop_is_refused_in_one_line_when_stdout_is_a_file(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    """The stream guard works out the tracker's lock file, which needs the file a link
    leads to: a link that leads to itself has none, and must not crash the guard."""
    loop = tmp_path / "loop.toml"
    loop.symlink_to("loop.toml")
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        done = subprocess.run(
            [str(CONDTRACK), "--file", str(loop), *command],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, "CONDTRACK_CACHE_DIR": ""},
            timeout=60,
            check=False,
        )
    errors = done.stderr.decode()
    assert "Traceback" not in errors and "internal error" not in errors
    if command == ("--version",):
        assert done.returncode == 0 and out.read_bytes()
    else:
        assert done.returncode == 2
        assert errors.count("\n") == 1 and "loop.toml" in errors
