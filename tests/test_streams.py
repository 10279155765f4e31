"""An output that is condtrack's own standard output or error is written to that stream
(issue 10, S3; ``condtrack.cli.app.emit``, ``condtrack.storage.store.standard_stream``).

``-o /dev/stdout`` with stdout redirected to a file used to replace that file by a rename
(and print "wrote /dev/stdout"). Now any name of our own stdout or stderr (``/dev/stdout``,
``/dev/fd/1``, ``/proc/self/fd/2``, a link to one, or the very file stdout goes to) is
written to as ``-o -`` writes; another descriptor's name is refused; and a stream that is
the tracker is refused, as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from tests.reliability.helpers import TRACKER

AS_OF = ("--as-of", "2025-07-01")
EMITTERS = {
    "report": ("report", *AS_OF),
    "report csv": ("report", "--format", "csv", *AS_OF),
    "check json": ("check", "--format", "json", *AS_OF),
}


def condtrack(
    tracker: Path,
    *args: str,
    stdout: IO[bytes] | int = subprocess.PIPE,
    stderr: IO[bytes] | int = subprocess.PIPE,
    stdin: IO[bytes] | int = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("CONDTRACK_FILE", "CONDTRACK_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "condtrack", "--file", str(tracker), *args],
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=env,
        cwd=tracker.parent,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    return path


def expected(tracker: Path, args: tuple[str, ...]) -> bytes:
    """What ``-o -`` prints: the reference."""
    done = condtrack(tracker, *args, "-o", "-")
    assert done.returncode in (0, 1), done.stderr  # check's gate may fail; the output stands
    return done.stdout


STDOUT_NAMES = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "link", "the same file"]


@pytest.mark.parametrize("command", sorted(EMITTERS))
@pytest.mark.parametrize("spelling", STDOUT_NAMES)
def test_an_output_that_is_our_stdout_is_written_to_it_not_replaced(
    spelling: str, command: str, tracker: Path, tmp_path: Path
) -> None:
    args = EMITTERS[command]
    out = tmp_path / "out.txt"
    out.write_bytes(b"")
    name = {"link": str(tmp_path / "link"), "the same file": str(out)}.get(spelling, spelling)
    if spelling == "link":
        (tmp_path / "link").symlink_to("/dev/stdout")
    inode = out.stat().st_ino
    with out.open("ab") as handle:
        done = condtrack(tracker, *args, "-o", name, stdout=handle)
    assert done.returncode in (0, 1), done.stderr
    assert out.stat().st_ino == inode  # the same file, not one renamed over it
    assert out.read_bytes() == expected(tracker, args)
    assert b"wrote" not in done.stderr


@pytest.mark.parametrize("name", ["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"])
def test_an_output_that_is_our_stderr_is_written_to_it(
    name: str, tracker: Path, tmp_path: Path
) -> None:
    errors = tmp_path / "errors.txt"
    errors.write_bytes(b"")
    inode = errors.stat().st_ino
    with errors.open("ab") as handle:
        done = condtrack(tracker, *EMITTERS["report"], "-o", name, stderr=handle)
    assert done.returncode == 0
    assert done.stdout == b""
    assert errors.stat().st_ino == inode
    assert errors.read_bytes() == expected(tracker, EMITTERS["report"])


@pytest.mark.parametrize("output", ["/dev/stdout", "/dev/fd/1", "-", None])
def test_a_stdout_that_is_the_tracker_is_refused(output: str | None, tracker: Path) -> None:
    before = tracker.read_bytes()
    chosen = () if output is None else ("-o", output)
    with tracker.open("ab") as handle:
        done = condtrack(tracker, *EMITTERS["report"], *chosen, stdout=handle)
    assert done.returncode == 2
    message = done.stderr.decode()
    assert message.startswith("error: refusing to write") and "the tracker" in message
    assert len(message.strip().splitlines()) == 1, message
    assert tracker.read_bytes() == before


@pytest.mark.parametrize("name", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/dev/fd/7"])
def test_another_descriptor_is_refused_and_its_file_kept(
    name: str, tracker: Path, tmp_path: Path
) -> None:
    source = tmp_path / "stdin.txt"
    source.write_bytes(b"the user's input\n")
    inode = source.stat().st_ino
    with source.open("rb") as handle:
        done = condtrack(tracker, *EMITTERS["report"], "-o", name, stdin=handle)
    assert done.returncode == 2, done.stderr
    message = done.stderr.decode()
    assert message.startswith(f"error: refusing to write {name}"), message
    assert (source.read_bytes(), source.stat().st_ino) == (b"the user's input\n", inode)


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1"])
def test_init_into_our_stdout_is_refused_not_renamed_over(name: str, tmp_path: Path) -> None:
    """``init`` writes a file by rename too: a name of our stdout is no file for it."""
    out = tmp_path / "out.txt"
    out.write_bytes(b"kept\n")
    inode = out.stat().st_ino
    with out.open("ab") as handle:
        done = condtrack(tmp_path / "unused.toml", "init", name, stdout=handle)
    assert done.returncode == 2, done.stderr
    assert b"standard output" in done.stderr
    assert (out.read_bytes(), out.stat().st_ino) == (b"kept\n", inode)


@pytest.mark.parametrize("name", ["/dev/stdin", "/dev/fd/0"])
def test_a_tracker_named_by_a_descriptor_is_never_renamed_over(name: str, tracker: Path) -> None:
    """Every write by rename refuses a descriptor's name: ``--file /dev/stdin`` reads the
    tracker given on standard input, but a `log` would replace that file behind its back."""
    before = tracker.read_bytes()
    inode = tracker.stat().st_ino
    args = ("log", "troops", "--summary", "seen", "--source", "Monitor", "--date", "2025-01-20")
    with tracker.open("rb") as handle:
        done = condtrack(Path(name), *args, stdin=handle)
    assert done.returncode == 2, done.stderr
    message = done.stderr.decode()
    assert message.startswith(f"error: cannot write {name}: it is standard input"), message
    assert (tracker.read_bytes(), tracker.stat().st_ino) == (before, inode)
