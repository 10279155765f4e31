"""Settings read from the environment refuse what they cannot mean (issue 10):
``$CONDTRACK_LOCK_TIMEOUT`` must be a finite number of seconds >= 0 (NaN or infinity would
wait forever), and a ``$GITHUB_STEP_SUMMARY`` that is empty or ``-`` names no file."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from condtrack.errors import CondtrackError
from condtrack.storage.store import ENV_LOCK_TIMEOUT, lock_timeout
from tests.reliability.helpers import LOG_ARGS, TRACKER, holding_lock, one_line_error, run

BAD_TIMEOUTS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1", "-0.5", "", "soon"]


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
def test_a_lock_timeout_that_is_no_finite_number_of_seconds_is_refused(
    value: str, tracker: Path
) -> None:
    before = tracker.read_bytes()
    message = one_line_error(run(tracker, *LOG_ARGS, env={ENV_LOCK_TIMEOUT: value}))
    assert message == (
        f"error: ${ENV_LOCK_TIMEOUT} must be a finite number of seconds >= 0, not {value!r}\n"
    )
    assert tracker.read_bytes() == before


def test_a_nan_timeout_does_not_wait_forever_on_a_held_lock(tracker: Path) -> None:
    """The defect itself, in a real process: NaN never passes a deadline, so a writer
    waiting on a held lock used to wait for ever (the timeout here only guards the suite)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDTRACK_")}
    env[ENV_LOCK_TIMEOUT] = "nan"
    before = tracker.read_bytes()
    with holding_lock(tracker):
        done = subprocess.run(
            [sys.executable, "-m", "condtrack", "--file", str(tracker), *LOG_ARGS],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert "must be a finite number of seconds" in done.stderr
    assert tracker.read_bytes() == before


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_lock_timeout_accepts_exactly_the_finite_non_negative_numbers(value: float) -> None:
    env = {ENV_LOCK_TIMEOUT: repr(value)}
    if math.isfinite(value) and value >= 0:
        assert lock_timeout(env) == value
    else:
        with pytest.raises(CondtrackError, match="finite number of seconds >= 0"):
            lock_timeout(env)


@pytest.mark.parametrize("value", ["", "-"])
def test_a_step_summary_naming_no_file_writes_none_and_warns(
    value: str, tracker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plain = run(tracker, "check", "--as-of", "2025-12-31", "--format", "github")
    result = run(
        tracker,
        "check",
        "--as-of",
        "2025-12-31",
        "--format",
        "github",
        env={"GITHUB_STEP_SUMMARY": value, "GITHUB_WORKSPACE": None},
    )
    assert result.exit_code == plain.exit_code
    assert result.stdout == plain.stdout
    assert (
        result.stderr
        == f"warning: $GITHUB_STEP_SUMMARY is {value!r}, not a file: no step summary written\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conditions.toml"]
