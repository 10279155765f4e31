"""A lock timeout is named by where it came from, and checked where it is used.

`--lock-timeout X` on the command line is refused at once, naming the option, whatever the
command; `$CONDTRACK_LOCK_TIMEOUT` is read (and a bad one refused, naming the variable)
only by a command that takes the lock, so a stale value in the environment never stops
`status`, `report` or any other command that only reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.helpers import TRACKER, ok, one_line_error, run

BAD = ["nan", "inf", "-1", "", "soon"]
READS = [
    ("status",),
    ("status", "--format", "json", "--as-of", "2025-12-31"),
    ("report", "--format", "csv", "--as-of", "2025-12-31"),
    ("evidence",),
    ("conditions",),
    ("validate",),
    ("relief", "list"),
    ("history", "ev-nothing-here"),  # refused for its own reason, not the variable
]
WRITES = [
    ("log", "troops", "--summary", "x", "--source", "y", "--date", "2025-01-20"),
    ("relief", "add", "--sender=US", "--measure=M", "--action=eased", "--date=2025-01-20",
     "--source=S", "--summary=T"),
    ("init", "--force"),
]  # fmt: skip


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", BAD)
def test_a_bad_variable_does_not_stop_a_command_that_only_reads(tracker: Path, value: str) -> None:
    for args in READS:
        plain = run(tracker, *args, env={"CONDTRACK_LOCK_TIMEOUT": None})
        bad = run(tracker, *args, env={"CONDTRACK_LOCK_TIMEOUT": value})
        assert (bad.exit_code, bad.stdout, bad.stderr) == (
            plain.exit_code,
            plain.stdout,
            plain.stderr,
        ), args
        assert "LOCK_TIMEOUT" not in bad.stderr


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("args", WRITES, ids=["log", "relief-add", "init"])
def test_a_bad_variable_stops_a_write_naming_the_variable(
    tracker: Path, value: str, args: tuple[str, ...]
) -> None:
    before = tracker.read_bytes()
    message = one_line_error(run(tracker, *args, env={"CONDTRACK_LOCK_TIMEOUT": value}))
    assert message == (
        f"error: $CONDTRACK_LOCK_TIMEOUT must be a finite number of seconds >= 0, not {value!r}\n"
    )
    assert tracker.read_bytes() == before


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_option_is_refused_naming_the_option(tracker: Path, value: str, where: str) -> None:
    before = tracker.read_bytes()
    for args in (READS[0], WRITES[0]):
        option = ("--lock-timeout", value)
        argv = (*option, *args) if where == "before" else (*args, *option)
        # Whatever the variable holds: the option is what this run was given.
        for env in ({"CONDTRACK_LOCK_TIMEOUT": "5"}, {"CONDTRACK_LOCK_TIMEOUT": "nan"}):
            message = one_line_error(run(tracker, *argv, env=env))
            assert message == (
                f"error: --lock-timeout must be a finite number of seconds >= 0, not {value!r}\n"
            )
    assert tracker.read_bytes() == before


def test_a_good_option_overrides_a_bad_variable(tracker: Path) -> None:
    env = {"CONDTRACK_LOCK_TIMEOUT": "nan"}
    entry = ok(run(tracker, "--lock-timeout", "5", *WRITES[0], env=env)).stdout.strip()
    listed = json.loads(ok(run(tracker, "evidence", "--format", "json")).stdout)
    assert entry in {e["id"] for e in listed}


def test_in_a_real_process_status_runs_with_a_bad_variable(tracker: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDTRACK_")}
    env["CONDTRACK_LOCK_TIMEOUT"] = "nan"
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "--file", str(tracker), "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "troops" in done.stdout
