"""Writing the tracker: byte-exact appends, refusals that change nothing, concurrent
writers, the lock, permissions and symlinks, exact round trips of any text, and hostile
text kept inert in every output.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from condtrack.cli import app
from condtrack.schema.models import MIN_MAGNITUDE
from condtrack.storage.store import lock_path
from tests.conftest import ECONOMY, SMALL_TRACKER, Invoke, as_unprivileged

LogFn = Callable[..., str]

TRACKER = SMALL_TRACKER + ECONOMY
LOG_ARGS = ("log", "troops", "--summary", "x", "--source", "y", "--allow-duplicate")
WIDE = {"COLUMNS": "500"}  # no wrapping: what we look for stays on one line


def evidence_rows(cli: Invoke, path: Path | None = None) -> list[dict[str, Any]]:
    result = cli("evidence", "--format", "json", file=path)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def condtrack_command(path: Path, *args: str) -> list[str]:
    """A real ``python -m condtrack --file PATH ...`` command line."""
    return [sys.executable, "-m", "condtrack", "--file", str(path), *args]


def parsed(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    return path


# --- appends are byte-exact ---------------------------------------------------------------


def test_log_appends_one_block_and_changes_no_byte(cli: Invoke, tracker: Path) -> None:
    old = tracker.read_bytes()
    result = cli("log", "prisoners", "--summary", "Count", "--source", "Viasna", "-i", "held",
                 "--value", "1150", "--date", "2025-03-02", "-r", "B2", "-t", "monthly",
                 file=tracker)  # fmt: skip
    assert result.exit_code == 0, result.output
    new = tracker.read_bytes()
    assert new[: len(old)] == old
    tail = new[len(old) :].decode("utf-8")
    assert tail.startswith("\n[[evidence]]\n")
    assert tail.count("[[") == 1 and tail.endswith("\n")
    [entry] = tomllib.loads(tail)["evidence"]
    assert entry["id"] == result.stdout.strip()
    assert entry["condition"] == "prisoners"
    assert (entry["indicator"], entry["value"]) == ("held", 1150)
    assert entry["date"] == dt.date(2025, 3, 2)
    # The whole file is the old document plus that one entry.
    assert parsed(tracker) == {**tomllib.loads(old.decode("utf-8")), "evidence": [entry]}


def test_retract_appends_one_block_and_changes_no_byte(
    cli: Invoke, log: LogFn, tracker_file: Path
) -> None:
    entry_id = log("troops", date="2025-01-01")
    old = tracker_file.read_bytes()
    result = cli("retract", entry_id, "--reason", "wrong base", "--date", "2025-01-02")
    assert result.exit_code == 0, result.output
    new = tracker_file.read_bytes()
    assert new[: len(old)] == old
    tail = new[len(old) :].decode("utf-8")
    assert tail.startswith("\n[[retractions]]\n") and tail.count("[[") == 1
    [retraction] = tomllib.loads(tail)["retractions"]
    assert retraction["evidence"] == entry_id
    assert retraction["reason"] == "wrong base"
    assert retraction["date"] == dt.date(2025, 1, 2)
    assert retraction["logged"].tzinfo is not None


def test_successive_appends_keep_every_earlier_byte(log: LogFn, tracker_file: Path) -> None:
    snapshots = [tracker_file.read_bytes()]
    for n in range(4):
        log("troops", summary=f"entry {n}")
        snapshots.append(tracker_file.read_bytes())
    for earlier, later in itertools.pairwise(snapshots):
        assert later.startswith(earlier) and len(later) > len(earlier)


@pytest.mark.parametrize(
    "original",
    [
        pytest.param(TRACKER.rstrip("\n"), id="no-final-newline"),
        pytest.param(TRACKER + "# trailing comment without newline", id="final-comment"),
        pytest.param(TRACKER.replace("\n", "\r\n"), id="crlf"),
        pytest.param("\ufeff" + TRACKER, id="byte-order-mark"),
        pytest.param(TRACKER + "\n\n\n", id="blank-lines"),
    ],
)
def test_append_to_unusual_files_keeps_their_bytes(
    cli: Invoke, tmp_path: Path, original: str
) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(original.encode("utf-8"))
    old = path.read_bytes()
    result = cli(*LOG_ARGS, file=path)
    assert result.exit_code == 0, result.output
    new = path.read_bytes()
    assert new.startswith(old)
    assert [e["id"] for e in evidence_rows(cli, path)] == [result.stdout.strip()]
    assert cli("validate", file=path).exit_code == 0


def test_a_write_keeps_the_file_mode_and_leaves_no_temporary(cli: Invoke, tracker: Path) -> None:
    tracker.chmod(0o640)
    before = set(os.listdir(tracker.parent))
    inode = tracker.stat().st_ino
    result = cli(*LOG_ARGS, file=tracker)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(tracker.stat().st_mode) == 0o640
    assert tracker.stat().st_ino != inode  # replaced by rename, not rewritten in place
    extra = set(os.listdir(tracker.parent)) - before
    assert extra <= {lock_path(tracker).name}


# --- a refused write changes nothing ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("log", "nope", "--summary", "x", "--source", "y"), id="log-bad-condition"),
        pytest.param(("log", "troops", "--summary", " ", "--source", "y"), id="log-blank"),
        pytest.param(
            (*LOG_ARGS, "--date", "2999-01-01"),
            id="log-future",
        ),
        pytest.param(("retract", "ev-0000000000", "--reason", "r"), id="retract-unknown"),
        pytest.param(("retract", "ev-0000000000", "--reason", ""), id="retract-blank"),
    ],
)
def test_failed_writes_leave_the_file_identical(
    cli: Invoke, log: LogFn, tracker_file: Path, args: tuple[str, ...]
) -> None:
    log("troops", date="2025-01-01")  # a file with evidence in it already
    before = tracker_file.read_bytes()
    listing = set(os.listdir(tracker_file.parent))
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert tracker_file.read_bytes() == before
    assert set(os.listdir(tracker_file.parent)) == listing


def test_an_append_that_would_break_the_file_is_refused(cli: Invoke, tmp_path: Path) -> None:
    """``evidence = []`` is valid on its own, but no [[evidence]] table can follow it."""
    path = tmp_path / "inline.toml"
    path.write_text("evidence = []\n" + TRACKER, "utf-8")
    assert cli("validate", file=path).exit_code == 0
    before = path.read_bytes()
    result = cli(*LOG_ARGS, file=path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert path.read_bytes() == before


def test_retract_refused_after_a_retraction_changes_nothing(
    cli: Invoke, log: LogFn, tracker_file: Path
) -> None:
    entry_id = log("troops")
    assert cli("retract", entry_id, "--reason", "first").exit_code == 0
    before = tracker_file.read_bytes()
    assert cli("retract", entry_id, "--reason", "again").exit_code == 2
    assert tracker_file.read_bytes() == before


# --- many writers at once -----------------------------------------------------------------


def test_twenty_concurrent_writers_all_land(cli: Invoke, tracker_file: Path) -> None:
    old = tracker_file.read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
    commands = [
        condtrack_command(tracker_file, "log", "troops", "--summary", f"writer {n}",
                          "--source", "load test", "--reliability", "B2")
        for n in range(20)
    ]  # fmt: skip
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for command in commands
    ]
    printed = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        printed.append(out.decode().strip())
    assert len(set(printed)) == 20
    entries = parsed(tracker_file)["evidence"]
    assert len(entries) == 20
    assert {e["id"] for e in entries} == set(printed)
    assert {e["summary"] for e in entries} == {f"writer {n}" for n in range(20)}
    assert tracker_file.read_bytes().startswith(old)
    assert cli("validate").exit_code == 0


# --- the lock -----------------------------------------------------------------------------


@pytest.fixture
def held_lock(tracker_file: Path) -> Iterator[Callable[[], None]]:
    """Hold the tracker's write lock as another condtrack would; yields a release()."""
    fd = os.open(lock_path(tracker_file), os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            released = True

    try:
        yield release
    finally:
        release()


def wait_until_waiting(process: subprocess.Popen[bytes], lock: Path) -> None:
    """Return once ``process`` has the lock file open (Linux), or after a fixed pause."""
    fds = Path(f"/proc/{process.pid}/fd")
    if not fds.is_dir():
        time.sleep(1.5)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if any(os.readlink(fd) == str(lock) for fd in fds.iterdir()):
                return
        except OSError:  # an fd closed while we looked
            pass
        time.sleep(0.02)
    pytest.fail("the writer never opened the lock file")


def test_a_writer_waits_for_the_lock(tracker_file: Path, held_lock: Callable[[], None]) -> None:
    before = tracker_file.read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
    env["CONDTRACK_LOCK_TIMEOUT"] = "60"
    command = condtrack_command(tracker_file, *LOG_ARGS)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_until_waiting(process, lock_path(tracker_file))
        time.sleep(0.3)
        assert process.poll() is None, "the writer did not wait for the lock"
        assert tracker_file.read_bytes() == before
    finally:
        held_lock()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    assert [e["id"] for e in parsed(tracker_file)["evidence"]] == [out.decode().strip()]


def test_a_writer_times_out_with_a_clear_error(
    cli: Invoke, tracker_file: Path, held_lock: Callable[[], None]
) -> None:
    before = tracker_file.read_bytes()
    started = time.monotonic()
    result = cli(*LOG_ARGS, env={"CONDTRACK_LOCK_TIMEOUT": "0.3"})
    waited = time.monotonic() - started
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "locked by another condtrack process" in err
    assert "0.3s" in err
    assert 0.3 <= waited < 10
    assert tracker_file.read_bytes() == before


def test_readers_do_not_wait_for_the_lock(
    cli: Invoke, tracker_file: Path, held_lock: Callable[[], None]
) -> None:
    started = time.monotonic()
    result = cli("status", "--format", "json", env={"CONDTRACK_LOCK_TIMEOUT": "5"})
    assert result.exit_code == 0
    assert time.monotonic() - started < 4


def test_an_unusable_lock_file_is_a_clear_error(cli: Invoke, tracker_file: Path) -> None:
    """Works as root too: a folder where the lock file should be cannot be opened."""
    lock_path(tracker_file).mkdir()
    before = tracker_file.read_bytes()
    result = cli(*LOG_ARGS)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot lock") and result.stderr.count("\n") == 1
    assert "unchanged" in result.stderr
    assert tracker_file.read_bytes() == before


# --- permissions --------------------------------------------------------------------------


def unprivileged(action: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """Run ``action`` as a user whom file permissions bind (see ``as_unprivileged``)."""
    code, message = as_unprivileged(action)
    return int(code), str(message)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder outside pytest's private tmp tree, reachable by an unprivileged user."""
    folder = Path(tempfile.mkdtemp(prefix="condtrack-perm-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        folder.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)


def log_as_unprivileged(path: Path) -> tuple[int, str]:
    runner = CliRunner()
    args = ["--file", str(path), *LOG_ARGS]
    # Warm up in this process, on a scratch copy, so the child imports nothing new.
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder) / "scratch.toml"
        scratch.write_text(TRACKER, "utf-8")
        assert runner.invoke(app, ["--file", str(scratch), *LOG_ARGS]).exit_code == 0

    def action() -> tuple[int, str]:
        result = runner.invoke(app, args)
        return result.exit_code, result.stderr

    return unprivileged(action)


@pytest.mark.parametrize("lock_exists", [False, True], ids=["no-lock-file", "lock-file"])
def test_a_read_only_folder_is_a_clear_error(shared_dir: Path, lock_exists: bool) -> None:
    folder = shared_dir / "ro"
    folder.mkdir()
    path = folder / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    path.chmod(0o666)  # the file itself is writable: only the folder is in the way
    if lock_exists:
        lock_path(path).touch()
        lock_path(path).chmod(0o666)
    before = path.read_bytes()
    folder.chmod(0o555)
    code, err = log_as_unprivileged(path)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Permission denied" in err
    assert "unchanged" in err
    assert path.read_bytes() == before
    assert sorted(os.listdir(folder)) == sorted(
        ["conditions.toml", *([lock_path(path).name] if lock_exists else [])]
    )


def test_a_read_only_file_is_not_replaced(shared_dir: Path) -> None:
    path = shared_dir / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    path.chmod(0o444)
    before = path.read_bytes()
    code, err = log_as_unprivileged(path)
    assert path.read_bytes() == before
    assert code == 2, err
    assert "Permission denied" in err or "read-only" in err


# --- symlinks -----------------------------------------------------------------------------


def test_a_symlinked_tracker_is_written_through(cli: Invoke, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    real = data / "real.toml"
    real.write_text(TRACKER, "utf-8")
    link = tmp_path / "conditions.toml.link"
    link.symlink_to(Path("data") / "real.toml")
    old = real.read_bytes()

    result = cli("log", "troops", "--summary", "via link", "--source", "y", file=link)
    assert result.exit_code == 0, result.output
    entry_id = result.stdout.strip()
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("data") / "real.toml")
    assert real.read_bytes().startswith(old) and len(real.read_bytes()) > len(old)
    assert [e["id"] for e in parsed(real)["evidence"]] == [entry_id]

    assert cli("retract", entry_id, "--reason", "test", file=link).exit_code == 0
    assert link.is_symlink()
    assert parsed(real)["retractions"][0]["evidence"] == entry_id
    # Writers through the link and to the file itself share one lock.
    assert lock_path(link) == lock_path(real)


def test_init_force_through_a_symlink_keeps_the_link(cli: Invoke, tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text(TRACKER, "utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    result = cli("init", "--force", file=link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real
    assert "[[conditions]]" in real.read_text("utf-8")
    assert real.read_text("utf-8") != TRACKER
    # The old content is kept beside the file that was replaced (not beside the link, which
    # may be in another folder), and the message names that file.
    assert (tmp_path / "real.toml.bak").read_text("utf-8") == TRACKER
    assert not (tmp_path / "link.toml.bak").exists()
    assert f"(the file {link} links to)" in result.stderr


# --- any text round-trips exactly ---------------------------------------------------------

AWKWARD = [
    '"', "'", '"""', "'''", "\\", "\\n", "\\u0041", "\n", "\r", "\r\n", "\t", "\x0b", "\x0c",
    "\x1b[31m", "\x1b]8;;https://x.example/\x1b\\", "\x7f", "\x85", "\x9b", "\u200b", "\u2028",
    "\u2029", "\u202e", "\u2066", "\ufeff", "\U0001f600", "\U0001f469\u200d\U0001f467", "é",
    "ﬁ", "[bold]", "[[evidence]]", "# not a comment", "= x", "\x00", " ",
]  # fmt: skip
awkward_text = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=12), st.sampled_from(AWKWARD)
    ),
    max_size=6,
).map("".join)
tags = st.lists(
    st.builds(
        lambda head, rest: head + rest,
        st.sampled_from("abzAZ09_éдß"),
        st.text(alphabet="abz09_.:/-éд", max_size=12),
    ),
    max_size=4,
)
values = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)
    .map(lambda x: x + 0.0)  # no -0.0, none nearer 0 than 1e-300: the model refuses them
    .filter(lambda x: x == 0 or abs(x) >= MIN_MAGNITUDE),
)
url_paths = st.text(  # log refuses what RFC 3986 allows nowhere in a URL (tests/test_input.py)
    st.characters(exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]).filter(
        lambda c: not c.isspace() and c not in '\\|<>"`{}^'
    ),
    max_size=20,
)
grades = st.builds(
    lambda letter, digit, pad: f"{pad}{letter}{digit}{pad}",
    st.sampled_from("ABCDEFabcdef"),
    st.sampled_from("123456"),
    st.sampled_from(["", " "]),
)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "summary": draw(awkward_text),
        "source": draw(awkward_text),
        "date": draw(st.dates(dt.date(1900, 1, 1), dt.date.today())),
        "tags": draw(tags),
        "reliability": draw(st.none() | grades),
        "url": draw(st.none() | url_paths.map(lambda p: "https://example.org/" + p)),
    }
    shape = draw(st.sampled_from(["context", "assessment", "figure", "both"]))
    entry["criterion"] = "trade-open" if shape in ("assessment", "both") else None
    entry["status"] = (
        draw(st.sampled_from([None, "met", "partial", "not-met"])) if entry["criterion"] else None
    )
    entry["value"] = draw(values) if shape in ("figure", "both") else None
    entry["indicator"] = "balance" if entry["value"] is not None else None
    return entry


def log_arguments(entry: dict[str, Any]) -> list[str]:
    """``--option=value`` throughout, so text starting with '-' stays a value."""
    args = ["log", "economy", f"--summary={entry['summary']}", f"--source={entry['source']}",
            f"--date={entry['date'].isoformat()}"]  # fmt: skip
    for option in ("criterion", "status", "indicator", "url", "reliability"):
        if entry[option] is not None:
            args.append(f"--{option}={entry[option]}")
    if entry["value"] is not None:
        args.append(f"--value={entry['value']!r}")
    args += [f"--tag={tag}" for tag in entry["tags"]]
    return args


def acceptable(text: str) -> bool:
    """What the schema allows for summary and source: not blank, no NUL."""
    return bool(text.strip()) and "\x00" not in text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries())
def test_any_logged_entry_reads_back_identical(entry: dict[str, Any]) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_text(TRACKER, "utf-8")
        old = path.read_bytes()
        result = runner.invoke(app, ["--file", str(path), *log_arguments(entry)])

        if not (acceptable(entry["summary"]) and acceptable(entry["source"])):
            event("refused")
            assert result.exit_code == 2, result.output
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
            assert path.read_bytes() == old
            return

        event("accepted")
        assert result.exit_code == 0, result.output
        entry_id = result.stdout.strip()
        assert result.stdout == entry_id + "\n"
        assert path.read_bytes().startswith(old)
        shown = runner.invoke(app, ["--file", str(path), "evidence", "--format", "json"])
        assert shown.exit_code == 0, shown.output
        [row] = json.loads(shown.stdout)

    logged = row.pop("logged")
    assert dt.datetime.fromisoformat(logged).tzinfo is not None
    expected = {
        "id": entry_id,
        "condition": "economy",
        "criterion": entry["criterion"],
        "status": entry["status"],
        "indicator": entry["indicator"],
        "value": entry["value"],
        "date": entry["date"].isoformat(),
        "source": entry["source"].strip(),  # `log` strips every text field
        "url": entry["url"],
        "reliability": (entry["reliability"] or "F6").strip().upper(),
        "summary": entry["summary"].strip(),
        "tags": entry["tags"],
        "supersedes": None,
        "reason": None,
        "retracted": None,
    }
    assert row == expected
    assert type(row["value"]) is type(entry["value"])


# --- hostile text stays inert -------------------------------------------------------------

MARKUP = "[bold red]x[/]"
HOSTILE = (
    f"{MARKUP} \x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
    "over\rwrite \u202eevil \x9b2J bell\x07"
)
# Each raw character or sequence must be absent from terminal output ...
RAW = ["\x1b", "\x9b", "\r", "\u202e", "\x07"]
# ... and shown instead as a visible escape.
SHOWN = [MARKUP, "\\x1b[31mred", "\\x1b]8;;https://evil.example/", "over\\x0dwrite",
         "\\u202eevil", "\\x9b2J", "bell\\x07"]  # fmt: skip


def toml_string(text: str) -> str:
    return tomli_w.dumps({"v": text})[len("v = ") :].rstrip("\n")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A tracker whose own text and whose evidence are hostile."""
    text = (
        TRACKER.replace('"Testland: conditions for relief"', toml_string(HOSTILE))
        .replace('"Foreign troops withdrawn"', toml_string("Troops " + HOSTILE))
        .replace('text = "All political prisoners are released."', "text = " + toml_string(HOSTILE))
        .replace('label = "revolving door"', "label = " + toml_string("door " + HOSTILE))
    )
    assert text.count(MARKUP) == 4
    path = tmp_path / "hostile.toml"
    path.write_text(text, "utf-8")
    return path


def assert_inert(output: str) -> None:
    for raw in RAW:
        assert raw not in output, f"raw {raw!r} reached the terminal"
    for shown in SHOWN:
        assert shown in output, f"{shown!r} not shown"


def test_hostile_text_is_inert_in_terminal_output(cli: Invoke, hostile: Path) -> None:
    def run(*args: str) -> str:
        result = cli(*args, file=hostile, env=WIDE)
        assert result.exit_code == 0, result.output
        return result.stdout

    for condition in ("troops", "prisoners"):
        entry = run("log", condition, "--summary", HOSTILE, "--source", "src " + HOSTILE,
                    "-r", "A1", "--date", "2025-01-01").strip()  # fmt: skip
    assert run("retract", entry, "--reason", "why " + HOSTILE) == ""
    run("log", "prisoners", "-s", "freed", "--source", "s", "-i", "freed", "--value", "5",
        "-r", "A1", "--date", "2025-01-02")  # fmt: skip
    run("log", "prisoners", "-s", "held", "--source", "s", "-i", "detained", "--value", "9",
        "-r", "A1", "--date", "2025-01-03")  # fmt: skip

    status = run("status", "--as-of", "2025-01-10")
    assert_inert(status)
    assert "door " + MARKUP in status  # the offset's label
    for command in (
        ("explain", "troops", "--as-of", "2025-01-10"),
        ("explain", "prisoners", "--as-of", "2025-01-10"),
        ("evidence",),
        ("conditions",),
    ):
        assert_inert(run(*command))
    evidence = run("evidence")
    assert "src " + MARKUP in evidence and "why " + MARKUP in evidence


def test_hostile_text_in_errors_and_warnings_is_inert(cli: Invoke, tracker_file: Path) -> None:
    result = cli(*LOG_ARGS, "--criterion", HOSTILE)
    assert result.exit_code == 2
    assert not any(raw in result.stderr for raw in RAW)
    assert result.stderr.count("\n") == 1


# --- CSV cells cannot become formulas -----------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+1",
    "-1+2",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "-",
]


def test_csv_neutralises_formulas_but_keeps_negative_numbers(cli: Invoke, tracker: Path) -> None:
    def log(*args: str) -> str:
        result = cli("log", *args, file=tracker)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    formula_ids = {
        log("troops", f"--summary={formula}", "--source=+44 20 7946 0000", "-r", "B2"): formula
        for formula in FORMULAS
    }
    minus_int = log("economy", "--summary=-5", "--source=s", "-i", "balance", "--value=-3")
    minus_float = log("economy", "--summary=-2.5e3", "--source=s", "-i", "balance",
                      "--value=-2.5")  # fmt: skip
    assert cli("retract", minus_int, "--reason==evil()", file=tracker).exit_code == 0

    result = cli("evidence", "--format", "csv", file=tracker)
    assert result.exit_code == 0
    header, *rows = csv.reader(io.StringIO(result.stdout, newline=""))
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    for entry_id, formula in formula_ids.items():
        assert by_id[entry_id]["summary"] == "'" + formula
        assert by_id[entry_id]["source"] == "'+44 20 7946 0000"
    # Plain negative numbers stay numbers, in figures and in text alike.
    assert by_id[minus_int]["value"] == "-3"
    assert by_id[minus_int]["summary"] == "-5"
    assert by_id[minus_float]["value"] == "-2.5"
    assert by_id[minus_float]["summary"] == "-2.5e3"
    assert by_id[minus_int]["retraction_reason"] == "'=evil()"
    # No cell of the whole file starts a formula.
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                pytest.fail(f"formula-like cell {cell!r}")
            if cell.startswith("-"):
                float(cell)  # only plain numbers may start with '-'
