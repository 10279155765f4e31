"""Writers killed with SIGKILL at random points: the file is always the old one or the new one.

Most kills hit forked children of this process (a real process running the real command,
without paying for a fresh interpreter each time); a few hit ``python -m condtrack``.
Half the kills are aimed: the parent waits for the writer's temporary file to appear and
kills it a random moment later, so many land between the first written byte and the rename.

What a kill can leave: a temporary ``.NAME.XXXX.tmp`` beside the tracker, holding a prefix
of what would have been written. Nothing removes it later (not the next write, not any
command); it is never read, so it corrupts nothing, and it can be deleted by hand.
The lock file stays too, but an flock dies with its process, so it never blocks anyone.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from condtrack.storage.store import load, lock_path
from tests.reliability.helpers import (
    TRACKER,
    child_env,
    condtrack_argv,
    evidence_of,
    fork_condtrack,
    lock_is_free,
    ok,
    reap,
    run,
    temporaries,
    write_csv,
)

KILLS = 200
IMPORT_ROWS = 20
HEADER = ("condition", "date", "source", "reliability", "summary")
LOG = ["log", "troops", "--summary", "x", "--source", "crash test", "--date", "2025-01-02",
       "--allow-duplicate"]  # fmt: skip


def padded(path: Path, megabytes: float) -> Path:
    """TRACKER with a long description, so that reading and writing it take a few ms."""
    line = "The description is long so that every write of this file takes a while.\n"
    filler = line * int(megabytes * 2**20 / len(line))
    text = TRACKER.replace(
        'subject = "Testland"\n', f"subject = \"Testland\"\ndescription = '''\n{filler}'''\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


def check_outcome(old: bytes, new: bytes, summaries: list[str], path: Path) -> str:
    """``new`` is ``old``, or ``old`` plus exactly the expected blocks, and it loads."""
    if new == old:
        return "old"
    assert new.startswith(old), "the old bytes changed"
    tail = tomllib.loads(new[len(old) :].decode("utf-8"))
    assert list(tail) == ["evidence"], "a partial or foreign block was appended"
    assert [e["summary"] for e in tail["evidence"]] == summaries
    load(path)  # the whole file parses and validates
    return "new"


def check_temporary(temporary: Path, old: bytes) -> None:
    """A leftover holds a prefix of old + the new blocks: never anything else."""
    data = temporary.read_bytes()
    assert old.startswith(data[: len(old)]), f"{temporary.name} is not a prefix of the file"
    assert b"\n[[evidence]]\n".startswith(data[len(old) : len(old) + 14])


def timing(path: Path, args: list[str]) -> tuple[float, float]:
    """(whole run, temporary-to-rename) seconds of an unkilled forked write."""
    inode = path.stat().st_ino
    started = time.perf_counter()
    pid = fork_condtrack(args)
    appeared = None
    while (code := reap(pid)) is None:
        if appeared is None and temporaries(path):
            appeared = time.perf_counter()
        if appeared is not None and path.stat().st_ino != inode:
            break
    finished = time.perf_counter()
    if code is None:
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    assert code == 0
    window = finished - appeared if appeared is not None else 0.002
    return finished - started, max(window, 0.001)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_at_random_points_leaves_old_or_new_file(tmp_path: Path) -> None:
    path = padded(tmp_path / "conditions.toml", 0.5)
    ok(run(path, *LOG))  # warm up every import before forking
    rows = [
        {"condition": "troops", "date": "2025-01-02", "source": "s", "reliability": "B2",
         "summary": f"row {k}"}
        for k in range(IMPORT_ROWS)
    ]  # fmt: skip
    source = write_csv(tmp_path / "rows.csv", rows, HEADER)
    commands = {
        "log": ["--file", str(path), *LOG],
        "import": ["--file", str(path), "import", str(source)],
    }
    durations = {kind: timing(path, args) for kind, args in commands.items()}
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    leftovers: set[Path] = set()
    landed = len(evidence_of(path))  # the warm-up and timing runs

    for kill in range(KILLS):
        kind = "log" if kill % 2 else "import"
        args = list(commands[kind])
        if kind == "log":
            args[args.index("x")] = summary = f"kill {kill}"
            expected = [summary]
        else:  # new rows each time: the same ones again would be refused as duplicates
            for row in rows:
                row["source"] = f"kill {kill}"
            write_csv(source, rows, HEADER)
            expected = [row["summary"] for row in rows]
        total, window = durations[kind]
        old = path.read_bytes()
        aimed = kill % 4 >= 2
        pid = fork_condtrack(args)
        finished = False
        if aimed:  # wait for the temporary file, then kill during the write
            while not (finished := reap(pid) is not None):
                if set(temporaries(path)) - leftovers:
                    break
            time.sleep(rng.uniform(0, window * 1.5))
        else:
            time.sleep(rng.uniform(0, total * 1.2))
        if not finished:  # never signal a reaped pid: it may belong to someone else now
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

        new = path.read_bytes()
        context = f"kill {kill} ({kind}, aimed={aimed}, seed {seed})"
        outcome = check_outcome(old, new, expected, path)
        outcomes[outcome] += 1
        landed += len(expected) if outcome == "new" else 0
        now = set(temporaries(path))
        assert leftovers <= now, f"{context}: something removed a leftover"
        for temporary in now - leftovers:
            assert outcome == "old", f"{context}: a temporary survived a finished rename"
            check_temporary(temporary, old)
            outcomes["temporary left"] += 1
        leftovers = now
        assert lock_is_free(path), f"{context}: the dead writer still holds the lock"
        if len(leftovers) >= 20:  # by hand, as a user would: nothing else removes them
            for temporary in leftovers:
                temporary.unlink()
            leftovers = set()

    # Kills landed before, during and after the write.
    print(f"seed {seed}: {dict(outcomes)}")
    assert outcomes["old"] and outcomes["new"] and outcomes["temporary left"], outcomes
    # The file holds exactly the writes that finished, and the next write still works.
    ok(run(path, *LOG))
    ok(run(path, "validate"))
    assert len(evidence_of(path)) == landed + 1


def test_sigkill_of_real_processes_mid_import(tmp_path: Path) -> None:
    """The same with ``python -m condtrack import``: aimed at the write, then at random."""
    path = padded(tmp_path / "conditions.toml", 2)
    rows = [
        {"condition": "troops", "date": "2025-01-02", "source": "s", "reliability": "B2",
         "summary": f"row {k}"}
        for k in range(200)
    ]  # fmt: skip
    env = child_env()
    rng = random.Random()
    outcomes: Counter[str] = Counter()
    for attempt in range(4):
        for row in rows:
            row["source"] = f"attempt {attempt}"
        source = write_csv(tmp_path / f"rows-{attempt}.csv", rows, HEADER)
        old = path.read_bytes()
        before = set(temporaries(path))
        process = subprocess.Popen(
            condtrack_argv(path, "import", str(source)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if attempt < 3:
            started = time.monotonic()
            while process.poll() is None and not set(temporaries(path)) - before:
                assert time.monotonic() - started < 60, "no temporary file appeared"
            time.sleep(rng.uniform(0, 0.004))
        else:
            time.sleep(rng.uniform(0.2, 0.8))
        process.send_signal(signal.SIGKILL)
        process.wait()
        outcome = check_outcome(old, path.read_bytes(), [r["summary"] for r in rows], path)
        outcomes[outcome] += 1
        for temporary in set(temporaries(path)) - before:
            assert outcome == "old"
            check_temporary(temporary, old)
            outcomes["temporary left"] += 1
    assert outcomes["old"] + outcomes["new"] == 4
    ok(run(path, "validate"))


def locks_held_by(pid: int, inode: int) -> bool:
    """Whether /proc/locks shows ``pid`` holding an flock on the file with ``inode``."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and (fields[1], fields[4], fields[5].rsplit(":", 1)[-1]) == (
            "FLOCK",
            str(pid),
            str(inode),
        ):
            return True
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_a_writer_killed_holding_the_lock_blocks_nobody(tmp_path: Path) -> None:
    path = padded(tmp_path / "conditions.toml", 8)  # the writer holds the lock ~0.2 s
    lock = lock_path(path)
    lock.touch()
    inode = lock.stat().st_ino
    old = path.read_bytes()
    for _ in range(5):  # catch it while it holds the lock
        process = subprocess.Popen(
            condtrack_argv(path, *LOG),
            env=child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while process.poll() is None and not locks_held_by(process.pid, inode):
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)  # a no-op if it has finished
        if process.wait() == -signal.SIGKILL:
            break
        old = path.read_bytes()  # it finished first: try again
    else:
        pytest.fail("never caught a writer holding the lock")
    assert path.read_bytes() == old
    assert lock.exists()  # the stale lock file stays ...
    assert lock_is_free(path)  # ... but holds nothing
    started = time.monotonic()
    result = run(path, *LOG, env={"CONDTRACK_LOCK_TIMEOUT": "5"})
    ok(result)
    assert time.monotonic() - started < 3
    new = path.read_bytes()
    assert (
        new.startswith(old)
        and tomllib.loads(new[len(old) :].decode())["evidence"][0]["id"] == result.stdout.strip()
    )
