"""No command line, console or moment of start-up makes condtrack crash (issue 10, items 11-13).

A crash is exit code 70 (condtrack's "internal error") or a Python traceback. Each case is
run the way a user runs it: ``main()`` as the console script calls it, or a real process.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.main import get_command

from condtrack.cli import app, main
from tests.reliability.helpers import EVIDENCE, TRACKER

REPO = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {
    "console script": [str(Path(sys.executable).parent / "condtrack")],
    "python -m condtrack": [sys.executable, "-m", "condtrack"],
}


# --- item 11: any command line --------------------------------------------------------------


def _option_names() -> list[str]:
    command = get_command(app)
    names = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for sub in getattr(command, "commands", {}).values():
        names |= {opt for param in sub.params for opt in (*param.opts, *param.secondary_opts)}
    return sorted(names)


COMMAND_NAMES = sorted(get_command(app).commands)  # type: ignore[attr-defined]
OPTION_NAMES = _option_names()
VALUES = [
    *("troops", "prisoners", "economy", "bases-closed", "held", "balance", "nosuch"),
    *("ev-aaaaaaaaaa", "ev-cccccccccc", "ev-zzzzzzzzzz", "met", "partial", "B2", "Z9"),
    *("json", "csv", "html", "md", "markdown", "github", "junit", "table", "text"),
    *("bash", "zsh", "fish", "powershell", "2025-01-20", "2025-13-40", "0", "-1", "1e999"),
    *("nan", "conditions.toml", "missing.toml", ".", "/dev/null", "x=y", "--file=", "-fx"),
    *("Ж", "Отвод войск", "\u202e", "\x1b[31m", "\x00", "🙂", "a\nb", " ", "\udcff"),
]
TOKENS = st.one_of(
    st.sampled_from(COMMAND_NAMES),
    st.sampled_from(OPTION_NAMES),
    st.sampled_from(VALUES),
    st.sampled_from(["--", "-", "", "-h", "--help", "--version", "-f", "--file"]),
    st.text(max_size=6),
)


@contextlib.contextmanager
def sandbox(folder: Path) -> Iterator[Path]:
    """A fresh tracker in ``folder`` as the current one, and nothing outside it to touch:
    HOME (completion scripts), git's global config and repository search all point here."""
    folder.mkdir(exist_ok=True)
    tracker = folder / "conditions.toml"
    tracker.write_text(TRACKER + EVIDENCE, encoding="utf-8")
    env = {
        "HOME": str(folder),
        "GIT_CONFIG_GLOBAL": str(folder / "gitconfig"),
        "GIT_CEILING_DIRECTORIES": str(folder.parent),
        "CONDTRACK_FILE": str(tracker),
        "COLUMNS": "100",
        "SHELL": "/bin/bash",
    }
    previous = Path.cwd()
    os.chdir(folder)
    try:
        with mock.patch.dict(os.environ, env):
            os.environ.pop("CONDTRACK_DEBUG", None)
            yield tracker
    finally:
        os.chdir(previous)


def run_main(argv: Sequence[str]) -> tuple[int, str, str]:
    """The console script's ``main()`` with this command line: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.object(sys, "argv", ["condtrack", *argv]),
        mock.patch.object(sys, "stdin", io.StringIO("")),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def assert_no_crash(code: int, stdout: str, stderr: str) -> None:
    assert code != 70, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert code in (0, 1, 2, 3), (code, stderr)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--"],
        ["-"],
        [""],
        ["-f"],
        ["--file"],
        ["--file="],
        ["--file", ""],
        ["--show-completion", "zsh"],
        ["--", "--version"],
        ["status", "--"],
        ["-h", "zsh"],
        ["--show-completion"],
    ],
)
def test_odd_command_lines_are_no_crash(argv: list[str], tmp_path: Path) -> None:
    with sandbox(tmp_path):
        assert_no_crash(*run_main(argv))


@settings(
    max_examples=int(os.environ.get("CONDTRACK_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(argv=st.lists(TOKENS, max_size=7))
def test_no_command_line_crashes(argv: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    with sandbox(tmp_path_factory.mktemp("argv")):
        assert_no_crash(*run_main(argv))


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_no_arguments_show_the_usage(entry: str, tmp_path: Path) -> None:
    done = subprocess.run(
        ENTRY_POINTS[entry], capture_output=True, text=True, cwd=tmp_path, env=child_env()
    )
    assert done.returncode != 70, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    shown = done.stdout + done.stderr
    assert "Usage: " in shown and " [OPTIONS] COMMAND [ARGS]..." in shown
    assert all(name in shown for name in COMMAND_NAMES)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDTRACK_", "PYTHON"))}
    env.update(COLUMNS="100", **extra)
    env["CONDTRACK_CACHE_DIR"] = os.environ.get("CONDTRACK_CACHE_DIR", "")
    return env


# --- item 12: consoles that cannot show every character -------------------------------------

# The tracker in another script: a Cyrillic title, condition and summaries, a dash, an emoji
# (outside the BMP) and CJK (two cells wide) in user text.
IN_OTHER_SCRIPTS = {
    "Testland: conditions for relief": "Тестландия — условия 🙂",
    "Foreign troops withdrawn": "Вывод иностранных войск",
    "All foreign bases are closed.": "Все базы закрыты — 基地",  # noqa: RUF001
    "Base closed.": "База закрыта — 🙂 基地",
    '"Viasna"': '"Вясна"',
    "wrong base": "не та база",
}
CYRILLIC = TRACKER + EVIDENCE
for _latin, _other in IN_OTHER_SCRIPTS.items():
    CYRILLIC = CYRILLIC.replace(_latin, _other)
NARROW_CONSOLES = {  # name: (environment, the encoding of standard output)
    "PYTHONIOENCODING=ascii": ({"PYTHONIOENCODING": "ascii"}, "ascii"),
    "PYTHONIOENCODING=latin-1": ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
    "PYTHONIOENCODING=cp1252": ({"PYTHONIOENCODING": "cp1252"}, "cp1252"),
    "LC_ALL=C PYTHONUTF8=0": ({"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}, "ascii"),
}
SINCE = ("--since", "2025-01-01", "--until", "2025-02-01")
EVERY_OUTPUT = [
    ["status"],
    ["status", "--format", "json", "--as-of", "2025-02-01"],
    ["report"],
    ["report", "--format", "csv"],
    ["report", "--format", "html"],
    ["report", "--format", "json", "--as-of", "2025-02-01"],
    ["report", "--since", "2025-01-01", "--as-of", "2025-02-01"],
    ["evidence", "--all"],
    ["evidence", "--format", "json"],
    ["evidence", "--format", "csv"],
    ["conditions"],
    ["explain", "troops"],
    ["explain", "prisoners"],
    ["history", "ev-aaaaaaaaaa"],
    ["history", "ev-cccccccccc", "--format", "json"],
    ["diff", *SINCE],
    ["diff", *SINCE, "--format", "json"],
    ["diff", *SINCE, "--format", "markdown"],
    ["check"],
    ["check", "--format", "json"],
    ["check", "--format", "github"],
    ["check", "--format", "junit"],
    ["validate"],
    ["explain", "войска"],  # an error quoting user text, on stderr
    [
        "log",
        "troops",
        "--summary",
        "Войска ушли — 🙂",
        "--source",
        "Вясна",
        "--date",
        "2025-01-20",
        "--reliability",
        "F6",
    ],  # fmt: skip  (a warning quoting user text)
    ["--help"],
    ["status", "--help"],
]
TABLES = {"status", "evidence", "conditions", "explain", "history", "diff"}  # Rich's views


def decoded(output: bytes, encoding: str) -> str:
    """What was written, in the encoding it was written in: the console's, or UTF-8 where
    click judged an ASCII console misconfigured and wrote UTF-8 instead."""
    try:
        return output.decode(encoding)
    except UnicodeDecodeError:
        return output.decode("utf-8")


@pytest.mark.parametrize("console", sorted(NARROW_CONSOLES))
def test_every_output_survives_a_narrow_console(console: str, tmp_path: Path) -> None:
    """Every command and format, with user text in other scripts, through a real process:
    the same exit code as with UTF-8, no traceback, JSON that reads as the same data, and
    the terminal views in the console's own encoding."""
    extra, encoding = NARROW_CONSOLES[console]
    tracker = tmp_path / "conditions.toml"
    for argv in EVERY_OUTPUT:
        tracker.write_text(CYRILLIC, encoding="utf-8")
        with sandbox(tmp_path / "reference"):
            expected = run_main(["--file", str(tracker), *argv])
        tracker.write_text(CYRILLIC, encoding="utf-8")
        done = subprocess.run(
            [*ENTRY_POINTS["console script"], "--file", str(tracker), *argv],
            capture_output=True,
            env=child_env(**extra),
            cwd=tmp_path,
        )
        stdout, stderr = decoded(done.stdout, encoding), decoded(done.stderr, encoding)
        what = f"{console} condtrack {' '.join(argv)}: {stderr}"
        assert done.returncode == expected[0], what
        assert "Traceback" not in stderr and "internal error" not in stderr, what
        assert bool(stdout) == bool(expected[1]), what
        if "json" in argv:  # escapes keep JSON exact, whatever the console
            assert json.loads(stdout) == json.loads(expected[1]), what
        if argv[0] in TABLES and "--format" not in argv:
            done.stdout.decode(encoding)  # narrowed to what the console can show


def test_narrowed_tables_keep_their_shape(tmp_path: Path) -> None:
    """ASCII lookalikes of the same width: each line of a table is as wide as in UTF-8."""
    tracker = tmp_path / "conditions.toml"
    tracker.write_text(CYRILLIC, encoding="utf-8")
    widths = {}
    for encoding in ("utf-8", "ascii"):
        done = subprocess.run(
            [*ENTRY_POINTS["console script"], "--file", str(tracker), "evidence", "--all"],
            capture_output=True,
            env=child_env(PYTHONIOENCODING=encoding),
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.decode(encoding).splitlines()
        widths[encoding] = [cell_len(line) for line in lines]
    assert widths["ascii"] == widths["utf-8"]
