"""Shared helpers for the reliability suite: fast in-process runs, real processes, checks."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import tomli_w
import typer.testing
from typer.main import get_command
from typer.testing import CliRunner, Result

from condtrack.cli import app
from condtrack.storage.store import lock_path
from tests.conftest import ECONOMY, SMALL_TRACKER

TRACKER = SMALL_TRACKER + ECONOMY

# The same tracker with a little of everything appended by hand: an assessment, figures,
# tags and a URL, an amendment with its reason, and a retraction.
EVIDENCE = """
[[evidence]]
id = "ev-aaaaaaaaaa"
condition = "troops"
criterion = "bases-closed"
status = "met"
date = 2025-01-10
source = "Monitor"
url = "https://example.org/a?b=1"
reliability = "B2"
summary = "Base closed."
tags = ["field", "q1"]
logged = 2025-01-11T09:00:00Z

[[evidence]]
id = "ev-bbbbbbbbbb"
condition = "prisoners"
indicator = "held"
value = 1150
date = 2025-01-12
source = "Viasna"
reliability = "A1"
summary = "Count."
logged = 2025-01-12T10:00:00Z

[[evidence]]
id = "ev-cccccccccc"
condition = "prisoners"
indicator = "held"
value = 1100
date = 2025-01-12
source = "Viasna"
reliability = "A1"
summary = "Corrected count."
supersedes = "ev-bbbbbbbbbb"
reason = "typo in the count"
logged = 2025-01-13T10:00:00Z

[[evidence]]
id = "ev-dddddddddd"
condition = "economy"
indicator = "balance"
value = -2.5
date = 2025-01-14
source = "Ministry"
summary = "Deficit."
logged = 2025-01-14T08:00:00+02:00

[[retractions]]
evidence = "ev-aaaaaaaaaa"
reason = "wrong base"
date = 2025-01-15
logged = 2025-01-15T12:00:00Z
"""
WITH_EVIDENCE = TRACKER + EVIDENCE
# Logged again and again by the write tests: the same report each time, on purpose.
LOG_ARGS = ("log", "troops", "--allow-duplicate", "--summary", "x", "--source", "y",
            "--date", "2025-01-20")  # fmt: skip

# What a terminal would act on instead of showing: C0 controls but newline, DEL, C1
# controls, the Unicode characters that reorder or hide text, and variation selectors that
# follow no character (ZWNJ, ZWJ and the marks LRM, RLM, ALM are shown as they are).
_CONTROLS = "\x00-\x09\x0b-\x1f\x7f-\x9f"
_HIDDEN = (
    "\u00ad\u115f\u1160\u3164\uffa0\u180e\u200b\u2028\u2029\u202a-\u202e\u2060-\u206f"
    "\ufeff\ufff0-\ufffb\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff"
)
_SELECTORS = "\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
TERMINAL_UNSAFE = re.compile(
    f"[{_CONTROLS}{_HIDDEN}]|(?:^|(?<=[{_SELECTORS}{_CONTROLS}{_HIDDEN}\\s]))[{_SELECTORS}]"
)
# Escape sequences proper: ESC, and the 8-bit C1 controls (CSI, OSC, ST ...).
ESCAPES = re.compile("[\x1b\x80-\x9f]")


# --- running condtrack ---------------------------------------------------------------------


@functools.cache
def click_command() -> Any:
    """condtrack's click command, built once."""
    return get_command(app)


def run(
    path: Path | None,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    color: bool = False,
) -> Result:
    """Run condtrack in this process on ``path`` (``--file``).

    Like the ``cli`` fixture, but Typer's click command is built once: rebuilding it costs
    40 ms a call, too slow for fuzzing. ``color=True`` behaves like a terminal: click then
    strips nothing from what is echoed, so escape sequences are seen as a terminal would.
    """
    argv = [*(["--file", str(path)] if path is not None else []), *args]
    runner = CliRunner()
    if not hasattr(typer.testing, "_get_command"):  # another Typer: build it every time
        return runner.invoke(app, argv, env=env, color=color)
    with mock.patch.object(typer.testing, "_get_command", lambda _: click_command()):
        return runner.invoke(app, argv, env=env, color=color)


def fork_condtrack(
    args: Sequence[str], stdout: Path | None = None, stderr: Path | None = None
) -> int:
    """Run condtrack with ``args`` in a forked child of this process; return its pid.

    A real process with its own file descriptors and locks, without the 0.4 s a fresh
    interpreter spends importing. What it prints goes to ``stdout`` and ``stderr`` files.
    """
    command = click_command()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 70
        try:
            # Inherited descriptors would share the parent's locks (an flock belongs to the
            # open file, not the process): close them, as an exec would have.
            os.closerange(3, 65536)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # nothing reaches pytest's captured streams
                os.dup2(devnull, fd)
            sys.stdout = open(stdout or os.devnull, "w", encoding="utf-8")  # noqa: SIM115
            sys.stderr = open(stderr or os.devnull, "w", encoding="utf-8")  # noqa: SIM115
            command.main(args=list(args), prog_name="condtrack")
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return pid


def reap(pid: int) -> int | None:
    """The exit code of a finished child, or None while it runs."""
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def condtrack_argv(path: Path, *args: str) -> list[str]:
    """A real ``python -m condtrack --file PATH ...`` command line."""
    return [sys.executable, "-m", "condtrack", "--file", str(path), *args]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CONDTRACK_FILE", "CONDTRACK_DEBUG")}
    env.update(COLUMNS="200", **extra)
    return env


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


def logged_id(path: Path, *args: str) -> str:
    """Run a write that prints one new id (log, amend) and return the id."""
    return ok(run(path, *args)).stdout.strip()


# --- checking results ----------------------------------------------------------------------


def not_a_crash(result: Result) -> None:
    """condtrack handled it: exit 0 or 2, no exception escaped, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output


def one_line_error(result: Result, *fragments: str) -> str:
    """Exit 2, empty stdout, exactly one ``error:`` line on stderr holding every fragment."""
    not_a_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert not TERMINAL_UNSAFE.search(err[:-1]), err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def refused(path: Path, *args: str, expect: Sequence[str] = (), **kwargs: Any) -> str:
    """A command that must fail with one line and leave the tracker byte-for-byte as it was."""
    before = path.read_bytes() if path.is_file() else None
    listing = set(os.listdir(path.parent)) if path.parent.is_dir() else set()
    err = one_line_error(run(path, *args, **kwargs), *expect)
    assert (path.read_bytes() if path.is_file() else None) == before
    if path.parent.is_dir():
        extra = set(os.listdir(path.parent)) - listing
        assert extra <= {lock_path(path).name}, extra
    return err


def invalid(path: Path, *fragments: str, command: Sequence[str] = ("validate",)) -> list[str]:
    """``validate`` lists problems holding every fragment, then one ``error:`` line; exit 2."""
    before = path.read_bytes()
    result = run(path, *command)
    not_a_crash(result)
    assert result.exit_code == 2 and result.stdout == "", result.output
    *problems, last = result.stderr.splitlines()
    assert last.startswith("error: ") and last.endswith(f" in {path}"), last
    assert problems and all(p.startswith(f"{path}: ") for p in problems), problems
    for line in result.stderr.splitlines():
        assert not TERMINAL_UNSAFE.search(line), line
    for fragment in fragments:
        assert any(fragment in p for p in problems), f"{fragment!r} not in {problems}"
    assert path.read_bytes() == before
    return problems


# --- the tracker file ----------------------------------------------------------------------


def file_with(folder: Path, content: str | bytes, name: str = "conditions.toml") -> Path:
    """A tracker file in ``folder`` holding exactly ``content``."""
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def document(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_bytes().decode("utf-8").removeprefix("\ufeff"))


def evidence_of(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = document(path).get("evidence", [])
    return entries


def temporaries(path: Path) -> list[Path]:
    """Temporary files a write of ``path`` makes beside it (``.NAME.*.tmp``)."""
    target = path.resolve()
    return sorted(target.parent.glob(f".{target.name}.*.tmp"))


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    return tomli_w.dumps({"v": text})[len("v = ") :].rstrip("\n")


def evidence_block(**fields: str | None) -> str:
    """One hand-written [[evidence]] table: raw TOML values, ``None`` drops a field."""
    base: dict[str, str | None] = {
        "id": '"ev-hand"',
        "condition": '"troops"',
        "date": "2025-01-10",
        "source": '"Monitor"',
        "summary": '"Observed"',
        "logged": "2025-01-11T09:00:00Z",
    }
    base.update(fields)
    lines = [f"{key} = {value}" for key, value in base.items() if value is not None]
    return "\n[[evidence]]\n" + "\n".join(lines) + "\n"


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], header: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, items: Any) -> Path:
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


# --- locks and processes -------------------------------------------------------------------


@contextlib.contextmanager
def holding_lock(path: Path) -> Iterator[None]:
    """Hold the tracker's write lock as a condtrack writer would."""
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def lock_is_free(path: Path) -> bool:
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def has_open(pid: int, target: Path) -> bool | None:
    """Whether process ``pid`` has ``target`` open; None where /proc cannot tell."""
    folder = Path(f"/proc/{pid}/fd")
    if not folder.is_dir():
        return None
    wanted = os.path.realpath(target)
    try:
        fds = list(folder.iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(fd) == wanted:
                return True
    return False


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


# --- permissions ---------------------------------------------------------------------------


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, reachable by an unprivileged user."""
    folder = Path(tempfile.mkdtemp(prefix="condtrack-reliability-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        for sub in [folder, *folder.rglob("*")]:
            if sub.is_dir() and not sub.is_symlink():
                sub.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)
