"""Shared by test_slices.py and test_records.py: the plain path as the reference, spies, and
records (see those files' docstrings)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, settings
from typer.testing import Result

import condtrack.domain.entries
import condtrack.storage.appending
from condtrack.errors import CondtrackError
from condtrack.schema.models import Tracker
from condtrack.storage import remembered, slices, snapshot, store
from tests.reliability.helpers import (
    child_env,
    condtrack_argv,
    ok,
    run,
)

SMALL_SLICES = 200  # bytes: about one entry table per slice
AS_OF = "2026-11-01"  # generated evidence ends the day before
EARLY_AS_OF = "2025-03-01"
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Logs that succeed on WITH_EVIDENCE (SMALL_TRACKER plus an "economy" condition).
ASSESS = ("log", "troops", "--criterion", "bases-closed", "--status", "partial",
          "--summary", "Bases closing", "--source", "Monitor", "--reliability", "B2",
          "--date", "2025-02-01")  # fmt: skip
OBSERVE = ("log", "prisoners", "--indicator", "held", "--value", "1000", "--summary", "Count",
           "--source", "Viasna", "--tag", "monthly", "--url", "https://example.org/count",
           "--date", "2025-02-02")  # fmt: skip
ECONOMY = ("log", "economy", "--indicator", "balance", "--value", "-3.5",
           "--summary", "Deficit", "--source", "Ministry", "--date", "2025-02-03")  # fmt: skip

Verdict = Tracker | str  # a checked tracker, or the error message that refused it


# --- helpers --------------------------------------------------------------------------------


def plain_verdict(data: bytes, path: Path) -> Verdict:
    """What the plain path makes of these bytes: the whole document parsed, then checked."""
    try:
        document, text = store.parse(data, path)
        return store.check(document, text, path)
    except CondtrackError as error:
        return str(error)


def read_verdict(data: bytes, path: Path) -> Verdict:
    """What ``store`` makes of them, slice by slice where it can (as every command does)."""
    try:
        return store.read_tracker(data, path)
    except CondtrackError as error:
        return str(error)


def assert_same(actual: Verdict | None, expected: Verdict) -> None:
    assert actual is not None
    if isinstance(actual, str) or isinstance(expected, str):
        assert actual == expected
        return
    assert actual == expected
    # == compares values, so 1 == 1.0 and 09:00+02:00 == 07:00Z; the JSON keeps them apart.
    assert actual.model_dump_json() == expected.model_dump_json()


@contextlib.contextmanager
def plain_path_only() -> Iterator[None]:
    """Every read takes the plain path: the reference the fast path must match."""
    with (
        mock.patch.object(slices, "read_tracker", lambda data: None),
        mock.patch.object(snapshot, "recall", lambda data, **plain: None),
    ):
        yield


RAISED = object()


@contextlib.contextmanager
def watching(owner: Any, name: str) -> Iterator[list[Any]]:
    """What ``owner.name`` returns, call by call, while the block runs."""
    real = getattr(owner, name)
    results: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        results.append(RAISED)  # stays if the call raises
        result = real(*args, **kwargs)
        results[-1] = result
        return result

    with mock.patch.object(owner, name, spy):
        yield results


FIXED_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@contextlib.contextmanager
def deterministic(now: dt.datetime = FIXED_NOW) -> Iterator[None]:
    """New ids from a seeded generator (through the real ``new_id``) and a fixed clock, so
    two runs of the same commands write the same bytes."""
    fake_secrets = SimpleNamespace(choice=random.Random(1).choice)
    with (
        mock.patch.object(condtrack.domain.entries, "secrets", fake_secrets),
        mock.patch.object(condtrack.domain.entries, "utc_now", lambda: now),
    ):
        yield


def records(folder: Path) -> list[Path]:
    """The records condtrack keeps under the cache folder ``folder``."""
    return sorted((folder / remembered.RECORDS).glob("*.ids"))


def recall(data: bytes, folder: Path) -> remembered.Known | None:
    return remembered.recall(data, {remembered.ENV_CACHE: str(folder)})


Outcome = tuple[int, str, str, bytes]  # exit code, stdout, stderr, the file afterwards


def outcome(result: Result, path: Path) -> Outcome:
    return result.exit_code, result.stdout, result.stderr, path.read_bytes()


def with_and_without_records(
    path: Path,
    start: bytes,
    steps: Sequence[Sequence[str] | Callable[[Path], None]],
    cache: Path,
    now: dt.datetime = FIXED_NOW,
) -> dict[str, tuple[list[Outcome], int]]:
    """Run ``steps`` (commands, or edits of the file) from ``start``, once with records in
    ``cache`` and once with records off; each run's outcomes and count of full reads."""
    runs = {}
    for mode, folder in (("records", str(cache)), ("plain", "")):
        path.write_bytes(start)
        outcomes: list[Outcome] = []
        with deterministic(now), watching(store, "read_checked") as full_reads:
            for step in steps:
                if callable(step):
                    step(path)
                else:
                    result = run(path, *step, env={remembered.ENV_CACHE: folder})
                    assert result.exit_code in (0, 2), (result.output, result.exception)
                    outcomes.append(outcome(result, path))
        runs[mode] = (outcomes, len(full_reads))
    return runs


def ids_in(path: Path) -> list[str]:
    rows = json.loads(ok(run(path, "evidence", "--all", "--format", "json")).stdout)
    return [row["id"] for row in rows]


def status_both_ways(path: Path, as_of: str) -> tuple[Result, Result]:
    """``status --format json`` as the commands run it, and with the plain path forced."""
    command = ("status", "--format", "json", "--as-of", as_of)
    fast = run(path, *command)
    with plain_path_only():
        plain = run(path, *command)
    return fast, plain


def assert_same_run(fast: Result, plain: Result) -> None:
    assert (fast.exit_code, fast.stdout, fast.stderr) == (
        plain.exit_code,
        plain.stdout,
        plain.stderr,
    )


def rewrite_record(record: Path, change: Callable[[list[bytes], list[bytes]], None]) -> None:
    """Rewrite a record's first line (magic, size, head length, count, body hash) and body
    lines (ids) in place; ``change`` edits the two lists."""
    first, _, body = record.read_bytes().partition(b"\n")
    fields = first.split(b" ")
    lines = body.split(b"\n")
    change(fields, lines)
    record.write_bytes(b" ".join(fields) + b"\n" + b"\n".join(lines))


def to_crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def real_run(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """condtrack in a process of its own (its own interpreter and reader); must succeed."""
    process = subprocess.run(
        condtrack_argv(path, *args),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    return process


def record_seal(record: Path, numbers: bytes, body: bytes) -> bytes:
    """The seal condtrack would give a record with these numbers and body, in the record's
    own folder (``remembered.folder_secret``): a forgery that only its content can expose."""
    from condtrack.storage import remembered

    fd = os.open(record.parent, os.O_RDONLY)
    try:
        return remembered._seal(numbers, body, remembered.folder_secret(fd))
    finally:
        os.close(fd)
