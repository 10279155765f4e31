"""Issue 15: at a terminal, long work shows a progress bar on standard error, and it goes.

A bar waits ``CONDTRACK_PROGRESS_DELAY`` seconds (1 by default) before it is drawn; these
tests set 0, so the small trackers here show one without a slow command and without a
timed assertion. Standard error is a pseudo-terminal of the child's own, standard output a
pipe: whatever the bar draws, the output is the one a pipe gets without it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from condtrack import progress
from condtrack.cli import progressbar
from tests.conftest import Invoke
from tests.reliability.helpers import WITH_EVIDENCE, child_env, condtrack_argv, ok

HIDE_CURSOR, SHOW_CURSOR, ERASE_LINE = b"\x1b[?25l", b"\x1b[?25h", b"\x1b[2K"


def at_a_terminal(path: Path, *args: str, **env: str) -> tuple[int, bytes, bytes]:
    """Run condtrack with standard error on a pseudo-terminal: (code, stdout, stderr)."""
    leader, follower = os.openpty()
    environment = child_env(**{"CONDTRACK_PROGRESS_DELAY": "0", "TERM": "xterm-256color", **env})
    for name in ("CI", "NO_COLOR"):
        if name not in env:
            environment.pop(name, None)
    process = subprocess.Popen(
        condtrack_argv(path, *args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=environment,
    )
    os.close(follower)
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed its end
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    assert process.stdout is not None
    stdout = process.stdout.read()
    code = process.wait(timeout=120)
    reader.join(timeout=60)
    os.close(leader)
    return code, stdout, bytes(shown)


def piped(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = child_env(CONDTRACK_PROGRESS_DELAY="0")
    return subprocess.run(condtrack_argv(path, *args), capture_output=True, env=env, timeout=120)


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    return path


REPORT = ("report", "--format", "html", "--as-of", "2025-06-01")


def test_report_at_a_terminal_shows_a_bar_on_stderr_that_goes(tracker: Path) -> None:
    code, stdout, stderr = at_a_terminal(tracker, *REPORT)
    assert code == 0
    assert b"scoring" in stderr, stderr
    assert HIDE_CURSOR in stderr and SHOW_CURSOR in stderr, stderr
    # Erased: after the cursor comes back, only moves up and erasures of the bar's lines.
    tail = stderr[stderr.rindex(SHOW_CURSOR) :]
    assert tail.endswith(ERASE_LINE), stderr
    assert re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", tail).strip() == b"", tail
    plain = piped(tracker, *REPORT)
    assert plain.returncode == 0 and plain.stderr == b""
    assert stdout == plain.stdout, "the bar reached standard output"


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("status", "--as-of", "2025-06-01"), b"reading the tracker"),
        (("diff", "--since", "2025-01-01", "--until", "2025-06-01"), b"scoring"),
    ],
)
def test_reading_and_diff_show_their_bars(
    tracker: Path, args: tuple[str, ...], label: bytes
) -> None:
    code, stdout, stderr = at_a_terminal(tracker, *args)
    assert code == 0, stderr
    assert label in stderr, stderr
    assert stdout == piped(tracker, *args).stdout


def test_import_shows_its_rows_being_checked(tracker: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "condition,summary,source,date\ntroops,Bases closing,Monitor,2025-03-01\n",
        encoding="utf-8",
    )
    code, stdout, stderr = at_a_terminal(tracker, "import", str(rows))
    assert code == 0, stderr
    assert b"checking rows" in stderr, stderr
    assert stdout.startswith(b"ev-")


@pytest.mark.parametrize("env", [{"CI": "true"}, {"TERM": "dumb"}])
def test_no_bar_in_ci_or_on_a_dumb_terminal(tracker: Path, env: dict[str, str]) -> None:
    code, stdout, stderr = at_a_terminal(tracker, *REPORT, **env)
    assert code == 0
    assert stderr == b""
    assert stdout == piped(tracker, *REPORT).stdout


def test_no_color_means_a_bar_without_colour(tracker: Path) -> None:
    code, _, stderr = at_a_terminal(tracker, *REPORT, NO_COLOR="1")
    assert code == 0
    assert b"scoring" in stderr
    assert b"\x1b[38;" not in stderr and b"\x1b[3" + b"1m" not in stderr, stderr


def test_no_bar_when_stderr_is_not_a_terminal(cli: Invoke, log: object) -> None:
    """CliRunner's streams are no terminal: output exactly as it was, nothing on stderr."""
    result = ok(cli(*REPORT, env={"CONDTRACK_PROGRESS_DELAY": "0"}))
    assert result.stderr == ""
    assert result.stdout.startswith("<!DOCTYPE html>") or "<html" in result.stdout


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, label: str, total: int | None) -> None:
        self.events.append(("start", (label, total)))

    def advance(self, amount: int) -> None:
        self.events.append(("advance", amount))

    def finish(self) -> None:
        self.events.append(("finish", None))


def test_tasks_reach_the_reporter_set_and_nested_ones_speak_through_the_outer() -> None:
    with progress.task("nobody listens", 3) as advance:
        advance(1)  # no reporter: nothing happens, nothing fails
    recorder = Recorder()
    with progress.listening(recorder):
        with progress.task("outer", 10) as advance:
            advance(4)
            with progress.task("inner", 2) as inner:
                inner(1)
            advance(6)
        with pytest.raises(KeyError), progress.task("refused", None):
            raise KeyError("x")
    assert recorder.events == [
        ("start", ("outer", 10)),
        ("advance", 4),
        ("advance", 6),
        ("finish", None),
        ("start", ("refused", None)),
        ("finish", None),
    ]


def test_the_bar_is_wanted_only_at_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progressbar.wanted({"TERM": "xterm"})
    assert progressbar.wanted({"TERM": "xterm", "NO_COLOR": "1"})
    assert not progressbar.wanted({"TERM": "xterm", "CI": "1"})
    assert not progressbar.wanted({"TERM": "dumb"})
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progressbar.wanted({"TERM": "xterm"})
    assert progressbar.delay({}) == progressbar.DELAY
    assert progressbar.delay({progressbar.ENV_DELAY: "0"}) == 0
    assert progressbar.delay({progressbar.ENV_DELAY: "soon"}) == progressbar.DELAY


def test_merge_shows_a_bar_while_it_reads_and_merges(tracker: Path, tmp_path: Path) -> None:
    """The merge command (git's driver) reads three versions: its bar, from cli/merge.py."""
    base, theirs = tmp_path / "base.toml", tmp_path / "theirs.toml"
    base.write_bytes(tracker.read_bytes())
    theirs.write_bytes(tracker.read_bytes())
    leader_code, stdout, stderr = at_a_terminal(
        tracker, "merge", str(base), str(tracker), str(theirs)
    )
    assert leader_code == 0, stderr
    assert b"merging" in stderr, stderr
    assert stdout == b""
