"""The console script ends the process without freeing what it built (issue 15): the same
output, files and exit codes as an ordinary exit, only sooner.

``condtrack.main`` (the console script, ``python -m condtrack``) flushes its streams, runs
the ``atexit`` handlers and calls ``os._exit``; the app called in-process (CliRunner) never
does. Real processes check that nothing a user sees changes.
"""

from __future__ import annotations

import atexit
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import condtrack
from condtrack.cli import app

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "conditions.toml"
SCRIPT = str(Path(sys.executable).parent / "condtrack")


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _main_in_process(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[object, list[str]]:
    """``condtrack.main`` with these arguments, ``os._exit`` and the atexit machinery
    stood in for: the code it ended with, and what ran before it."""
    ran: list[str] = []

    def exit_now(code: int) -> None:
        ran.append("os._exit")
        raise _Exited(code)

    monkeypatch.setattr("os._exit", exit_now)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: ran.append("atexit"))
    monkeypatch.setattr(atexit, "_clear", lambda: ran.append("clear"))
    monkeypatch.delitem(sys.modules, "coverage", raising=False)
    monkeypatch.setattr(sys, "argv", ["condtrack", *argv])
    import signal

    handler = signal.getsignal(signal.SIGINT)
    try:
        condtrack.main()
    except _Exited as ended:
        return ended.code, ran
    except SystemExit as ended:  # an ordinary exit
        return ("ordinary", ended.code), ran
    finally:
        signal.signal(signal.SIGINT, handler)
        if hasattr(signal, "SIGPIPE"):
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return -2, ran


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["--file", str(SHIPPED), "status", "--format", "json"], 0),
        (["--file", str(SHIPPED), "check"], 1),
        (["--file", "/nonexistent/conditions.toml", "status"], 2),
        (["--file", str(SHIPPED), "status", "--no-such-option"], 2),
    ],
)
def test_the_console_script_ends_at_once_with_the_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], code: int
) -> None:
    ended, ran = _main_in_process(monkeypatch, *argv)
    assert ended == code
    # The handlers first (once: the ordinary exit would run none again), then the exit.
    assert ran == ["atexit", "clear", "os._exit"]
    expected = CliRunner().invoke(app, argv)
    assert expected.exit_code == code
    assert capsys.readouterr().out == expected.stdout


def test_an_exit_with_a_message_is_left_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    def say(*args: Any) -> None:
        raise SystemExit("a message")

    monkeypatch.setattr("condtrack.cli.main", say)
    ended, ran = _main_in_process(monkeypatch, "status")
    assert (ended, ran) == (("ordinary", "a message"), [])


def _run(argv: list[str], tmp_path: Path, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nsys.argv = ['condtrack', *{argv!r}]\nimport condtrack\n"
    code += "condtrack.main()\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def test_real_processes_give_what_an_ordinary_exit_gives(tmp_path: Path) -> None:
    """Through pipes, with ``-o``, on errors and on each exit code: as the app in-process."""
    runner = CliRunner()
    cases = [
        ["--file", str(SHIPPED), "status", "--format", "json"],
        ["--file", str(SHIPPED), "status"],
        ["--file", str(SHIPPED), "check", "--no-gate", "--min-score", "0"],
        ["--file", str(SHIPPED), "check"],
        ["--file", str(tmp_path / "missing.toml"), "status"],
        ["--file", str(SHIPPED), "status", "--as-of", "not-a-date"],
    ]
    codes = set()
    for argv in cases:
        done = _run(argv, tmp_path)
        expected = runner.invoke(app, argv)
        assert (done.returncode, done.stdout) == (expected.exit_code, expected.stdout), argv
        assert done.stderr.strip() == expected.stderr.strip(), argv
        codes.add(done.returncode)
    assert codes == {0, 1, 2}
    report = tmp_path / "report.md"
    done = _run(["--file", str(SHIPPED), "report", "-o", str(report)], tmp_path)
    assert done.returncode == 0, done.stderr
    expected = runner.invoke(app, ["--file", str(SHIPPED), "report", "-o", "-"])
    assert report.read_text(encoding="utf-8") == expected.stdout


def test_atexit_handlers_still_run_and_their_output_is_kept(tmp_path: Path) -> None:
    prelude = (
        "import atexit\n"
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "atexit.register(lambda: print('out too', end='', flush=False))\n"
    )
    done = _run(["--file", str(SHIPPED), "check"], tmp_path, prelude)
    assert done.returncode == 1
    assert done.stderr.count("handler ran") == 1
    assert done.stdout.endswith("out too")
