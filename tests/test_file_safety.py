"""Files condtrack must not touch or wait on: its own files as outputs, things that are not
regular files, other users' files found by the upward search, and a lock file that is a
link (issue 10, items 1, 5 and 6, and the lock's rough edges).

Tests that could hang on a regression (FIFOs) run condtrack in a process of its own with a
timeout, so a regression fails instead of hanging; so do the reads of an endless device,
under a memory limit, so a regression fails instead of filling the memory.
"""

from __future__ import annotations

import os
import resource
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import condtrack.storage.store
from condtrack.storage.store import lock_path
from tests.conftest import NOBODY
from tests.reliability.helpers import (
    LOG_ARGS,
    TRACKER,
    WITH_EVIDENCE,
    child_env,
    condtrack_argv,
    evidence_of,
    file_with,
    fork_condtrack,
    holding_lock,
    ok,
    one_line_error,
    run,
    write_csv,
)

AS_ROOT = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root: to give files to another user, or to make a device node",
)
HANG = 60  # seconds: far above any run, far below forever
OUTPUTS = {
    "report": ("report",),
    "report-html": ("report", "--format", "html"),
    "check-junit": ("check", "--format", "junit"),
    "check-json": ("check", "--format", "json"),
}


def subprocess_run(
    argv: list[str], *, cwd: Path | None = None, memory: int | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """condtrack in a process of its own; a hang fails the test after ``HANG`` seconds."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=HANG,
            env=child_env(**env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit if memory is not None else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"condtrack hung: {argv[3:]}")


def one_line(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, (fragment, done.stderr)


def fingerprint(path: Path) -> tuple[int, int, int, bytes | None]:
    """What must not change: the inode, the type, the owner, and a regular file's bytes."""
    info = os.lstat(path)
    data = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
    return info.st_ino, stat.S_IFMT(info.st_mode), info.st_uid, data


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    return file_with(tmp_path, WITH_EVIDENCE)


# --- 1. an output path can be the tracker itself ------------------------------------------


def spellings(tracker: Path) -> dict[str, Path]:
    """The tracker under other names: relative, with .., a symlink, a hard link."""
    folder = tracker.parent
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "link.md").symlink_to(tracker.name)
    os.link(tracker, folder / "hard.md")
    return {
        "as-is": tracker,
        "relative": Path(os.path.relpath(tracker)),
        "dotdot": folder / "sub" / ".." / tracker.name,
        "symlink": folder / "link.md",
        "hard-link": folder / "hard.md",
    }


@pytest.mark.parametrize("command", OUTPUTS)
def test_an_output_that_is_the_tracker_is_refused_however_spelled(
    filled: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(filled.parent)
    for name, spelled in spellings(filled).items():
        before = fingerprint(filled)
        err = one_line_error(run(filled, *OUTPUTS[command], "-o", str(spelled)), str(spelled))
        assert "the tracker" in err, (name, err)
        assert fingerprint(filled) == before, name
        assert (filled.parent / "link.md").is_symlink()
        for path in (filled.parent / "link.md").parent.iterdir():
            assert not path.name.endswith(".tmp"), path


@pytest.mark.parametrize("command", OUTPUTS)
def test_an_output_that_is_the_lock_file_is_refused(filled: Path, command: str) -> None:
    lock = lock_path(filled)
    # Whether or not a writer holds it now, the lock's name is condtrack's own.
    one_line_error(run(filled, *OUTPUTS[command], "-o", str(lock)), "lock file")
    assert not lock.exists()
    with holding_lock(filled):
        before = fingerprint(lock)
        one_line_error(run(filled, *OUTPUTS[command], "-o", str(lock)), "lock file")
        assert fingerprint(lock) == before  # the same inode: a waiting writer's lock holds
        os.link(lock, filled.parent / "hard-lock")
        one_line_error(run(filled, *OUTPUTS[command], "-o", str(filled.parent / "hard-lock")))
        assert fingerprint(lock) == before


def test_an_output_that_is_a_temporary_or_a_lock_of_another_file_is_refused(
    filled: Path,
) -> None:
    temporary = filled.parent / f".{filled.name}.abc123xy.tmp"
    temporary.write_bytes(b"half written")
    other = file_with(filled.parent, "notes", "notes.md")
    for target, words in [
        (temporary, "temporary file"),
        (filled.parent / ".notes.md.lock", "named like condtrack's lock"),
        (filled.parent / f".{other.name}.0a9b8c7d.tmp", "named like condtrack's lock"),
    ]:
        existed = target.exists()
        one_line_error(run(filled, "report", "-o", str(target)), words)
        assert target.exists() == existed
    assert temporary.read_bytes() == b"half written"


def test_an_output_in_the_record_folder_is_refused(filled: Path, private_cache: Path) -> None:
    ok(run(filled, *LOG_ARGS))  # leaves a record of the bytes it wrote
    records = sorted((private_cache / "records-v2").iterdir())
    assert records, "no record written"
    before = [fingerprint(r) for r in records]
    os.link(records[0], filled.parent / "record.json")
    inside = private_cache / "records-v2" / "new.json"
    for target in (records[0], inside, filled.parent / "record.json"):
        one_line_error(run(filled, "report", "--format", "json", "-o", str(target)), "cache")
    assert [fingerprint(r) for r in records] == before
    assert not inside.exists()


def test_dash_is_standard_output_and_dot_slash_dash_a_file(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(filled.parent)
    expected = ok(run(filled, "report")).stdout
    result = ok(run(filled, "report", "-o", "-"))
    assert result.stdout == expected
    assert not (filled.parent / "-").exists()
    done = run(filled, "check", "--format", "junit", "--output", "-", "--as-of", "2025-02-01")
    assert done.exit_code == 1, done.output  # the gate does not hold: still exit 1, not 2
    assert done.stdout.startswith("<?xml")
    assert not (filled.parent / "-").exists()
    ok(run(filled, "report", "-o", "./-"))
    assert (filled.parent / "-").read_text("utf-8") == expected


def test_an_output_that_is_not_a_regular_file_is_refused_without_waiting(
    filled: Path,
) -> None:
    fifo = filled.parent / "pipe.md"
    os.mkfifo(fifo)
    folder = filled.parent / "folder.md"
    folder.mkdir()
    for target in (fifo, folder):
        before = fingerprint(target)
        for args in (("report",), ("check", "--format", "json")):
            done = subprocess_run(condtrack_argv(filled, *args, "-o", str(target)))
            one_line(done, "not a regular file")
        assert fingerprint(target) == before
    assert list(folder.iterdir()) == []


@AS_ROOT
def test_an_output_that_is_a_device_is_not_replaced(filled: Path) -> None:
    device = filled.parent / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    before = fingerprint(device)
    err = one_line_error(run(filled, "report", "-o", str(device)), "a device", "-o -")
    assert "not a regular file" in err
    assert fingerprint(device) == before


def test_a_step_summary_that_is_the_tracker_or_a_fifo_is_not_written(filled: Path) -> None:
    before = fingerprint(filled)
    args = ("check", "--format", "github", "--as-of", "2025-02-01")
    result = run(filled, *args, env={"GITHUB_STEP_SUMMARY": str(filled)})
    assert result.exit_code in (0, 1, 3) and "GITHUB_STEP_SUMMARY" in result.stderr
    assert fingerprint(filled) == before
    fifo = filled.parent / "summary"
    os.mkfifo(fifo)
    done = subprocess_run(condtrack_argv(filled, *args), GITHUB_STEP_SUMMARY=str(fifo))
    assert done.returncode == result.exit_code, done.stderr
    assert "GITHUB_STEP_SUMMARY" in done.stderr and "named pipe" in done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_import_refuses_the_tracker_as_its_own_source(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(filled.parent)
    os.link(filled, filled.parent / "rows.csv")
    before = fingerprint(filled)
    for source in (filled.name, "rows.csv"):
        one_line_error(run(filled, "import", "--format", "csv", source), "this command reads")
    assert fingerprint(filled) == before


tracker_names = st.lists(
    st.sampled_from(["./", "sub/../", "sub/./../", "./sub/../", "link-dir/"]), max_size=4
).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=tracker_names, through=st.sampled_from(["name", "symlink", "hard link"]))
def test_any_spelling_of_the_tracker_is_refused(
    tmp_path_factory: pytest.TempPathFactory, prefix: str, through: str
) -> None:
    folder = tmp_path_factory.mktemp("spelled")
    tracker = file_with(folder, WITH_EVIDENCE)
    (folder / "sub").mkdir()
    (folder / "link-dir").symlink_to(".")
    name = {"name": tracker.name, "symlink": "alias.md", "hard link": "same.md"}[through]
    if through == "symlink":
        (folder / name).symlink_to(tracker)
    elif through == "hard link":
        os.link(tracker, folder / name)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        before = fingerprint(tracker)
        one_line_error(run(tracker, "report", "-o", prefix + name), "the tracker")
        assert fingerprint(tracker) == before
    finally:
        os.chdir(cwd)


# --- 5. writes to and reads from things that are not regular files --------------------------


@AS_ROOT
def test_init_force_does_not_replace_a_device(tmp_path: Path) -> None:
    device = tmp_path / "conditions.toml"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = fingerprint(device)
    one_line_error(run(None, "init", str(device), "--force"), "a device", "not a regular file")
    assert fingerprint(device) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conditions.toml"]


def test_init_force_on_a_fifo_neither_hangs_nor_replaces_it(tmp_path: Path) -> None:
    fifo = tmp_path / "conditions.toml"
    os.mkfifo(fifo)
    argv = [sys.executable, "-m", "condtrack", "init", str(fifo), "--force"]
    one_line(subprocess_run(argv), "named pipe", "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conditions.toml"]


def test_init_force_never_writes_its_backup_through_a_link(filled: Path) -> None:
    elsewhere = filled.parent / "elsewhere"
    (filled.parent / "conditions.toml.bak").symlink_to(elsewhere)  # dangling
    ok(run(None, "init", str(filled), "--force"))
    assert not elsewhere.exists()
    assert (filled.parent / "conditions.toml.bak.1").read_text("utf-8") == WITH_EVIDENCE


@pytest.mark.parametrize(
    "args",
    [("status",), ("validate",), LOG_ARGS, ("report", "-o", "out.md")],
    ids=["status", "validate", "log", "report"],
)
def test_a_fifo_as_the_tracker_is_refused_without_waiting(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    done = subprocess_run(condtrack_argv(fifo, *args), cwd=tmp_path)
    one_line(done, str(fifo), "named pipe")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.toml"]


# A FIFO that passes for a regular file when looked at by path, as if a regular file had
# been swapped for it between the look and the open.
SWAPPED = """
import os, sys
fifo, regular = sys.argv[1], sys.argv[2]
real_stat = os.stat
def stat(path, *args, **kwargs):
    if os.fspath(path) == fifo:
        return real_stat(regular)
    return real_stat(path, *args, **kwargs)
os.stat = stat
sys.argv = ["condtrack", "--file", fifo, *sys.argv[3:]]
from condtrack.cli.app import main
main()
"""


@pytest.mark.parametrize("args", [("status",), LOG_ARGS], ids=["status", "log"])
def test_a_fifo_swapped_in_after_the_look_is_caught_when_opened(
    filled: Path, args: tuple[str, ...]
) -> None:
    fifo = filled.parent / "swapped.toml"
    os.mkfifo(fifo)
    argv = [sys.executable, "-c", SWAPPED, str(fifo), str(filled), *args]
    one_line(subprocess_run(argv), str(fifo), "named pipe")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_as_a_version_for_the_merge_driver_is_refused_without_waiting(
    tmp_path: Path,
) -> None:
    versions = [file_with(tmp_path, TRACKER, name) for name in ("base", "ours", "theirs")]
    for index in (0, 1, 2):
        fifo = tmp_path / f"fifo{index}"
        os.mkfifo(fifo)
        argv = [str(v) for v in versions]
        argv[index] = str(fifo)
        done = subprocess_run(
            [sys.executable, "-m", "condtrack", "merge", *argv, "conditions.toml"]
        )
        one_line(done, "named pipe")
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert all(v.read_text("utf-8") == TRACKER for v in versions)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("how", ["--file", "import", "import-json"])
def test_an_endless_device_is_refused_before_reading(filled: Path, how: str) -> None:
    before = fingerprint(filled)
    if how == "--file":
        argv = condtrack_argv(Path("/dev/zero"), "status")
    else:
        fmt = ("--format", "json") if how == "import-json" else ()
        argv = condtrack_argv(filled, "import", "/dev/zero", *fmt)
    # 400 MiB of address space: enough for condtrack, not for reading /dev/zero to the limit
    done = subprocess_run(argv, memory=400 << 20)
    one_line(done, "/dev/zero", "a device")
    assert fingerprint(filled) == before


def test_an_import_file_larger_than_a_tracker_may_be_is_refused(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(condtrack.storage.store, "MAX_FILE_BYTES", 2**20)
    header = ("condition", "summary", "source", "date")
    rows = [
        {
            "condition": "troops",
            "summary": f"row {n} " + "x" * 200,
            "source": "s",
            "date": "2025-01-20",
        }
        for n in range(6000)
    ]
    source = write_csv(filled.parent / "rows.csv", rows, header)
    assert source.stat().st_size > 2**20
    before = fingerprint(filled)
    one_line_error(run(filled, "import", str(source)), str(source), "larger than 1 MiB")
    assert fingerprint(filled) == before


def test_a_folder_as_the_import_file_is_refused(filled: Path) -> None:
    folder = filled.parent / "rows.csv"
    folder.mkdir()
    one_line_error(run(filled, "import", str(folder)), str(folder), "a folder")


# --- 6. the search for conditions.toml trusts only the user's own files -------------------


@pytest.fixture
def nested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp/x/y as the current folder, with no CONDTRACK_FILE; yields tmp."""
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("CONDTRACK_FILE", raising=False)
    yield tmp_path


def found_from_here(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess_run([sys.executable, "-m", "condtrack", *args], cwd=Path.cwd())


@AS_ROOT
def test_the_search_stops_at_a_tracker_owned_by_another_user(nested: Path) -> None:
    tracker = file_with(nested, WITH_EVIDENCE)
    os.chown(tracker, NOBODY, NOBODY)
    before = fingerprint(tracker)
    for args in (("status",), LOG_ARGS):
        result = run(None, *args, env={"CONDTRACK_FILE": None})
        err = one_line_error(result, str(tracker), "belongs to", "--file")
        assert "not to you" in err
    done = found_from_here(*LOG_ARGS)
    one_line(done, str(tracker), "belongs to")
    assert fingerprint(tracker) == before
    assert sorted(p.name for p in nested.iterdir()) == ["conditions.toml", "x"]


@AS_ROOT
def test_root_rewriting_another_users_tracker_keeps_its_owner(filled: Path) -> None:
    os.chown(filled, NOBODY, NOBODY)
    before = filled.read_bytes()
    ok(run(filled, *LOG_ARGS))  # named explicitly: used
    assert (os.stat(filled).st_uid, os.stat(filled).st_gid) == (NOBODY, NOBODY)
    assert filled.read_bytes().startswith(before) and len(filled.read_bytes()) > len(before)


@AS_ROOT
def test_the_search_stops_at_a_folder_owned_by_another_user(nested: Path) -> None:
    file_with(nested, WITH_EVIDENCE)  # root's own file, but above a folder not root's
    os.chown(nested / "x", NOBODY, NOBODY)
    err = one_line_error(run(None, "status", env={"CONDTRACK_FILE": None}), "no conditions.toml")
    assert str(nested / "x") in err and "belongs to" in err
    os.chown(Path.cwd(), NOBODY, NOBODY)  # the current folder itself
    err = one_line_error(run(None, "status", env={"CONDTRACK_FILE": None}), "no conditions.toml")
    assert "does not look there" in err


@AS_ROOT
def test_a_link_planted_by_another_user_is_not_followed(nested: Path) -> None:
    real = file_with(nested / "x", WITH_EVIDENCE, "mine.toml")
    link = nested / "x" / "y" / "conditions.toml"
    link.symlink_to(real)
    os.lchown(link, NOBODY, NOBODY)
    one_line_error(run(None, "status", env={"CONDTRACK_FILE": None}), str(link), "belongs to")


def test_the_search_still_finds_the_users_own_file_above(nested: Path) -> None:
    tracker = file_with(nested, WITH_EVIDENCE)
    assert ok(run(None, "status", env={"CONDTRACK_FILE": None})).stdout
    done = found_from_here(*LOG_ARGS)
    assert done.returncode == 0, done.stderr
    assert f"in {tracker}" in done.stderr


def test_a_lock_file_that_is_a_symlink_is_not_followed(filled: Path) -> None:
    victim = filled.parent / "elsewhere" / "victim"
    victim.parent.mkdir()
    lock_path(filled).symlink_to(victim)
    before = fingerprint(filled)
    one_line_error(run(filled, *LOG_ARGS), "cannot lock", "symbolic link", "unchanged")
    assert not victim.exists()
    victim.write_bytes(b"keep")
    one_line_error(run(filled, *LOG_ARGS), "cannot lock", "symbolic link")
    assert victim.read_bytes() == b"keep"
    assert fingerprint(filled) == before


def test_a_lock_file_that_is_a_fifo_is_refused_without_waiting(filled: Path) -> None:
    os.mkfifo(lock_path(filled))
    before = fingerprint(filled)
    one_line(subprocess_run(condtrack_argv(filled, *LOG_ARGS)), "cannot lock", "named pipe")
    assert fingerprint(filled) == before


# --- the lock's rough edges -----------------------------------------------------------------


def test_the_lock_timeout_does_not_advise_deleting_the_lock(filled: Path) -> None:
    with holding_lock(filled):
        err = one_line_error(
            run(filled, *LOG_ARGS, env={"CONDTRACK_LOCK_TIMEOUT": "0.1"}), "locked", "0.1s"
        )
    assert "delete" not in err and str(lock_path(filled)) not in err


# `log` for the template `init` writes
TEMPLATE_LOG = ("log", "russian-forces", "--summary", "x", "--source", "y", "--date", "2025-01-20")


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_leave_no_lock_file_behind(tmp_path: Path) -> None:
    tracker = tmp_path / "conditions.toml"
    ok(run(None, "init", str(tracker)))
    # init writes the tracker and, beside it, the JSON Schema its #:schema line names
    made = ["conditions.toml", "condtrack.schema.json"]
    assert listing(tmp_path) == made
    ok(run(tracker, *TEMPLATE_LOG))
    assert listing(tmp_path) == made
    # A failed init (the file exists) leaves nothing either.
    one_line_error(run(None, "init", str(tracker)), "already exists")
    assert listing(tmp_path) == made
    ok(run(None, "init", str(tracker), "--force"))
    assert listing(tmp_path) == ["conditions.toml", "conditions.toml.bak", "condtrack.schema.json"]


def test_a_lock_file_someone_else_left_is_left_alone(filled: Path) -> None:
    lock = lock_path(filled)
    lock.write_bytes(b"")
    inode = lock.stat().st_ino
    ok(run(filled, *LOG_ARGS))
    assert lock.stat().st_ino == inode


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_init_and_log_in_a_git_work_tree_leave_only_the_tracker_and_schema_untracked(
    tmp_path: Path,
) -> None:
    git: Callable[..., subprocess.CompletedProcess[str]] = lambda *a: subprocess.run(  # noqa: E731
        ["git", *a], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=HANG
    )
    git("init", "-q")
    tracker = tmp_path / "conditions.toml"
    ok(run(None, "init", str(tracker)))
    ok(run(tracker, *TEMPLATE_LOG))
    untracked = git("status", "--porcelain", "--untracked-files=all").stdout
    assert untracked == "?? conditions.toml\n?? condtrack.schema.json\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_writers_racing_to_create_and_remove_the_lock_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No lock file to start with: each writer may create it, remove it, or find it gone
    after waiting on it, and every append must still land, one at a time."""
    monkeypatch.setenv("CONDTRACK_LOCK_TIMEOUT", "120")  # inherited by the forked writers
    path = file_with(tmp_path, TRACKER)
    ok(run(path, "validate"))  # import everything before forking
    count = 16
    out = tmp_path / "out"
    out.mkdir()
    pids = [
        fork_condtrack(
            ["--file", str(path), "log", "troops", "--summary", f"writer {n}", "--source", "s"],
            stdout=out / f"{n}.out",
            stderr=out / f"{n}.err",
        )
        for n in range(count)
    ]
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    printed = {(out / f"{n}.out").read_text("utf-8").strip() for n in range(count)}
    entries = evidence_of(path)
    assert {e["id"] for e in entries} == printed and len(entries) == count
    assert {e["summary"] for e in entries} == {f"writer {n}" for n in range(count)}
    assert listing(tmp_path) == ["conditions.toml", "out"]
    ok(run(path, "validate"))
