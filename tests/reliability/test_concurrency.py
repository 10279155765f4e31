"""Many condtrack processes writing one tracker at once.

The barrier is the tracker's own lock: the test holds it while every process starts and
queues on it, then lets go, so all of them race for the same file at the same moment.
The fifty-writer storm forks its writers from this (already warm) interpreter: real
processes with their own descriptors and locks, minus 0.4 s of imports each. The race for
one entry runs ``python -m condtrack`` itself.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from condtrack.storage.store import load, lock_path
from tests.reliability.helpers import (
    TRACKER,
    child_env,
    condtrack_argv,
    evidence_of,
    fork_condtrack,
    has_open,
    holding_lock,
    logged_id,
    ok,
    reap,
    run,
    temporaries,
    wait_for,
    write_csv,
)

LOGGERS = 40
IMPORTERS = 10
ROWS = 5  # per imported CSV
IMPORT_HEADER = ("condition", "indicator", "value", "date", "source", "reliability", "summary")


class Writer(Protocol):
    pid: int

    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def result(self) -> tuple[int, str, str]: ...


class Forked:
    """A writer forked from this process, printing into two files."""

    def __init__(self, args: list[str], folder: Path, number: int) -> None:
        self.out, self.err = folder / f"{number}.out", folder / f"{number}.err"
        self.pid = fork_condtrack(args, self.out, self.err)
        self.code: int | None = None

    def poll(self) -> int | None:
        if self.code is None:
            self.code = reap(self.pid)
        return self.code

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.result()

    def result(self) -> tuple[int, str, str]:
        if self.code is None:
            self.code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.code, self.out.read_text("utf-8"), self.err.read_text("utf-8")


class Real:
    """``python -m condtrack``."""

    def __init__(self, argv: list[str]) -> None:
        env = child_env(CONDTRACK_LOCK_TIMEOUT="120")
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self.pid = self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def result(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=120)
        return self.process.returncode, out.decode(), err.decode()


def start_all_at_once(path: Path, starters: list[Callable[[], Writer]]) -> list[Writer]:
    """Start every writer while holding the lock; return once all wait on it, lock released."""
    with holding_lock(path):
        writers = [start() for start in starters]
        try:
            lock = lock_path(path)
            if has_open(writers[0].pid, lock) is not None:  # Linux: watch them queue
                wait_for(
                    lambda: all(w.poll() is not None or has_open(w.pid, lock) for w in writers),
                    90,
                    "every writer to queue on the lock",
                )
            else:  # pragma: no cover - elsewhere, give them time to start
                time.sleep(10)
            assert all(w.poll() is None for w in writers), "a writer did not wait"
        except BaseException:
            for writer in writers:
                writer.kill()
            raise
    return writers


def finish(writers: list[Writer]) -> list[tuple[int, str, str]]:
    return [writer.result() for writer in writers]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fifty_processes_log_and_import_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDTRACK_LOCK_TIMEOUT", "120")  # inherited by the forked writers
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    link = tmp_path / "via-link.toml"  # half the writers go through a symlink: one lock
    link.symlink_to(path.name)
    old = path.read_bytes()

    commands: list[list[str]] = []
    for n in range(LOGGERS):
        target = link if n % 2 else path
        args = ("log", "troops", "--summary", f"logger {n}", "--source", "load test")
        commands.append(["--file", str(target), *args, "-r", "B2", "--date", "2025-02-01"])
    for n in range(IMPORTERS):
        rows = [
            {"condition": "prisoners", "indicator": "freed", "value": str(k),
             "date": f"2025-01-{k + 1:02d}", "source": f"importer {n}", "reliability": "B2",
             "summary": f"importer {n} row {k}"}
            for k in range(ROWS)
        ]  # fmt: skip
        source = write_csv(tmp_path / f"rows-{n}.csv", rows, IMPORT_HEADER)
        commands.append(["--file", str(link if n % 2 else path), "import", str(source)])

    ok(run(path, "validate"))  # every import done in this process before forking
    output = tmp_path / "output"
    output.mkdir()
    processes = start_all_at_once(
        path,
        [functools.partial(Forked, argv, output, n) for n, argv in enumerate(commands)],
    )
    # While they race, readers keep looking (no lock): they must only ever see whole
    # versions, and condtrack itself must read every one of them.
    seen, loops = set(), 0
    while any(p.poll() is None for p in processes):
        seen.add(path.read_bytes())
        if loops % 4 == 0:
            result = run(path, "validate")
            assert result.exit_code == 0, result.output
        loops += 1
    results = finish(processes)

    for code, _, err in results:
        assert code == 0, err
    final = path.read_bytes()
    entries = evidence_of(path)
    assert len(entries) == LOGGERS + IMPORTERS * ROWS

    # Every entry landed exactly once, with the id its process printed.
    printed = [line for _, out, _ in results for line in out.split()]
    assert Counter(printed) == Counter(e["id"] for e in entries)
    summaries = Counter(e["summary"] for e in entries)
    expected = [f"logger {n}" for n in range(LOGGERS)]
    expected += [f"importer {n} row {k}" for n in range(IMPORTERS) for k in range(ROWS)]
    assert summaries == Counter(expected)
    for n, (_, out, _) in enumerate(results[LOGGERS:]):
        # One import is one write: its rows sit together, in order, in the file.
        ids = out.split()
        first = [e["id"] for e in entries].index(ids[0])
        assert [e["id"] for e in entries[first : first + ROWS]] == ids
        assert [e["summary"] for e in entries[first : first + ROWS]] == [
            f"importer {n} row {k}" for k in range(ROWS)
        ]

    assert final.startswith(old)
    assert ok(run(path, "validate")).stdout.startswith(f"{path}: valid")
    assert temporaries(path) == []
    assert link.is_symlink()

    # Each version a reader saw was complete: an earlier state of the final file that loads.
    for number, snapshot in enumerate(sorted(seen, key=len)):
        assert final.startswith(snapshot)
        copy = tmp_path / f"snapshot-{number}.toml"
        copy.write_bytes(snapshot)
        load(copy)


def test_racing_amendments_and_retractions_leave_exactly_one_of_each(tmp_path: Path) -> None:
    """Each writer decides under the lock: one amendment wins, the rest are told who won."""
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    first = logged_id(path, "log", "troops", "-s", "to amend", "--source", "s", "--date",
                      "2025-01-02")  # fmt: skip
    second = logged_id(path, "log", "troops", "-s", "to retract", "--source", "s", "--date",
                       "2025-01-03")  # fmt: skip
    racers = 6
    commands = [
        condtrack_argv(path, "amend", first, "--summary", f"amended by {n}",
                       "--reason", f"reason {n}")
        for n in range(racers)
    ] + [
        condtrack_argv(path, "retract", second, "--reason", f"retracted by {n}",
                       "--date", "2025-01-04")
        for n in range(racers)
    ]  # fmt: skip
    results = finish(start_all_at_once(path, [functools.partial(Real, a) for a in commands]))

    amends, retracts = results[:racers], results[racers:]
    winners = [n for n, (code, _, _) in enumerate(amends) if code == 0]
    assert len(winners) == 1, amends
    [winner] = winners
    amendment = amends[winner][1].strip()
    for n, (code, out, err) in enumerate(amends):
        if n != winner:
            assert (code, out) == (2, "")
            assert f"already amended by {amendment}" in err, err
    [entry] = [e for e in evidence_of(path) if e.get("supersedes") == first]
    assert (entry["id"], entry["summary"]) == (amendment, f"amended by {winner}")

    retracted = [n for n, (code, _, _) in enumerate(retracts) if code == 0]
    assert len(retracted) == 1, retracts
    for n, (code, _, err) in enumerate(retracts):
        if n != retracted[0]:
            assert code == 2 and "already retracted" in err, err
    withdrawals = tomllib.loads(path.read_text("utf-8"))["retractions"]
    assert [(r["evidence"], r["reason"]) for r in withdrawals] == [
        (second, f"retracted by {retracted[0]}")
    ]
    ok(run(path, "validate"))
