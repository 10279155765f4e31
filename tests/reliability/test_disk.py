"""Disks that fail and files that move: one clear line, exit 2, and nothing lost.

Failures are injected in this process at each step of the atomic write (creating the
temporary, writing it, fsyncing it, renaming it); permissions are tested as ``nobody``
when the suite runs as root, since root ignores them.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import condtrack.storage.store
from condtrack.storage.store import lock_path
from tests.conftest import as_unprivileged
from tests.reliability.helpers import (
    LOG_ARGS,
    WITH_EVIDENCE,
    evidence_of,
    ok,
    one_line_error,
    refused,
    run,
    shared_folder,
    temporaries,
    write_csv,
    write_json,
)

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class FailingFile:
    """A file object that writes part of what it is given, then runs out of space."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __enter__(self) -> FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()

    def write(self, data: bytes) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise ENOSPC

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def fail_with(error: OSError) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise error

    return fail


def inject(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """Make one step of ``storage.store.write_atomic`` fail as a full or broken disk would."""
    if step == "create temporary":
        monkeypatch.setattr(tempfile, "mkstemp", fail_with(ENOSPC))
    elif step == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: FailingFile(real_fdopen(fd, *a, **k)))
    elif step == "fsync":
        monkeypatch.setattr(os, "fsync", fail_with(OSError(errno.EIO, os.strerror(errno.EIO))))
    elif step == "rename":
        quota = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))
        monkeypatch.setattr(os, "replace", fail_with(quota))
    else:  # pragma: no cover
        raise AssertionError(step)


STEPS = {  # the step that fails, and the reason the message must give
    "create temporary": os.strerror(errno.ENOSPC),
    "write": os.strerror(errno.ENOSPC),
    "fsync": os.strerror(errno.EIO),
    "rename": os.strerror(errno.EDQUOT),
}


def write_commands(folder: Path) -> dict[str, tuple[str, ...]]:
    rows = [{"condition": "troops", "summary": "imported", "source": "s", "date": "2025-02-01"}]
    source = write_csv(folder / "rows.csv", rows, ("condition", "summary", "source", "date"))
    items = write_json(folder / "rows.json", rows)
    return {
        "log": LOG_ARGS,
        "amend": ("amend", "ev-cccccccccc", "--value", "1099", "--reason", "recount"),
        "retract": ("retract", "ev-dddddddddd", "--reason", "withdrawn", "--date", "2025-02-01"),
        "import-csv": ("import", str(source)),
        "import-json": ("import", str(items)),
    }


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("command", ["log", "amend", "retract", "import-csv", "import-json"])
def test_a_failing_disk_changes_nothing(
    filled: Path, monkeypatch: pytest.MonkeyPatch, step: str, command: str
) -> None:
    args = write_commands(filled.parent)[command]
    inode = filled.stat().st_ino
    inject(monkeypatch, step)
    refused(filled, *args, expect=(f"cannot write {filled}", STEPS[step], "unchanged"))
    assert filled.stat().st_ino == inode
    assert temporaries(filled) == []  # the half-written temporary was removed
    monkeypatch.undo()
    ok(run(filled, *args))  # the same write works once the disk does


@pytest.mark.parametrize("step", list(STEPS))
def test_a_failing_disk_keeps_an_existing_report_file(
    filled: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    output = filled.parent / "briefing.md"
    output.write_text("last week's briefing\n", "utf-8")
    inject(monkeypatch, step)
    result = run(filled, "report", "-o", str(output), "--as-of", "2025-02-01")
    one_line_error(result, STEPS[step], "unchanged")
    assert output.read_text("utf-8") == "last week's briefing\n"
    assert temporaries(output) == []


# --- permissions --------------------------------------------------------------------------


@pytest.fixture
def shared() -> Iterator[Path]:
    with shared_folder() as folder:
        yield folder


def run_all(path: Path, commands: dict[str, tuple[str, ...]]) -> dict[str, list[Any]]:
    """Run each command; return {name: [exit code, stderr]} (JSON-friendly for a child)."""
    results = {}
    for name, args in commands.items():
        result = run(path, *args)
        results[name] = [result.exit_code, result.stderr]
    return results


def warm_up(folder: Path, commands: dict[str, tuple[str, ...]]) -> None:
    """Import everything every command needs, so that an unprivileged child imports nothing."""
    scratch = Path(tempfile.mkdtemp())
    try:
        copy = scratch / "conditions.toml"
        copy.write_text(WITH_EVIDENCE, "utf-8")
        for args in [*commands.values(), ("status",), ("evidence", "--all"), ("validate",)]:
            run(copy, *args)
    finally:
        shutil.rmtree(scratch)


READS = {
    "status": ("status", "--as-of", "2025-02-01"),
    "evidence": ("evidence", "--all"),
    "validate": ("validate",),
}


@pytest.mark.parametrize("layout", ["read-only file", "read-only folder", "read-only both"])
def test_read_only_places_refuse_every_write_and_allow_every_read(
    shared: Path, layout: str
) -> None:
    folder = shared / "data"
    folder.mkdir()
    path = folder / "conditions.toml"
    path.write_text(WITH_EVIDENCE, "utf-8")
    lock_path(path).touch()  # an earlier writer left it: the lock itself can be taken
    lock_path(path).chmod(0o666)
    commands = write_commands(shared)
    warm_up(shared, commands)
    path.chmod(0o444 if "file" in layout or "both" in layout else 0o666)
    folder.chmod(0o555 if "folder" in layout or "both" in layout else 0o777)
    before = path.read_bytes()
    listing = sorted(os.listdir(folder))

    results = as_unprivileged(lambda: run_all(path, {**commands, **READS}))

    for name in commands:
        code, err = results[name]
        assert code == 2, (name, err)
        assert err.startswith("error: ") and err.count("\n") == 1, (name, err)
        assert "Permission denied" in err and "unchanged" in err, (name, err)
    for name in READS:
        assert results[name][0] == 0, (name, results[name])
    assert path.read_bytes() == before
    assert sorted(os.listdir(folder)) == listing


def test_a_read_only_folder_without_a_lock_file_refuses_cleanly(shared: Path) -> None:
    folder = shared / "data"
    folder.mkdir()
    path = folder / "conditions.toml"
    path.write_text(WITH_EVIDENCE, "utf-8")
    path.chmod(0o666)
    commands = write_commands(shared)
    warm_up(shared, commands)
    folder.chmod(0o555)
    results = as_unprivileged(lambda: run_all(path, commands))
    for name, (code, err) in results.items():
        assert code == 2 and err.count("\n") == 1, (name, err)
        assert err.startswith(f"error: cannot lock {path}: Permission denied"), (name, err)
    assert os.listdir(folder) == ["conditions.toml"]


# --- the file changes under a running command ---------------------------------------------


def swap_after_reading(monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]) -> None:
    """Apply ``change`` to the tracker right after a writer has read it, under the lock."""
    real_read = condtrack.storage.store.read_bytes

    def read_then_change(path: Path) -> Any:
        data = real_read(path)
        change(path)
        return data

    monkeypatch.setattr(condtrack.storage.store, "read_bytes", read_then_change)


def test_a_file_replaced_by_a_folder_mid_write(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def to_folder(path: Path) -> None:
        path.unlink()
        path.mkdir()
        (path / "inside.txt").write_text("someone else's", "utf-8")

    swap_after_reading(monkeypatch, to_folder)
    result = run(filled, *LOG_ARGS)
    one_line_error(result, str(filled))
    assert filled.is_dir() and [p.name for p in filled.iterdir()] == ["inside.txt"]
    assert temporaries(filled) == []


@pytest.mark.parametrize("change", ["deleted", "renamed"])
def test_a_file_deleted_or_renamed_mid_write_is_not_recreated(
    filled: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    moved = filled.with_name("moved.toml")
    old = filled.read_bytes()

    def remove(path: Path) -> None:
        if change == "deleted":
            path.unlink()
        else:
            path.rename(moved)

    swap_after_reading(monkeypatch, remove)
    result = run(filled, *LOG_ARGS)
    assert not filled.exists(), "the deleted tracker came back from stale bytes"
    one_line_error(result, str(filled))
    if change == "renamed":
        assert moved.read_bytes() == old
    assert temporaries(filled) == []


@pytest.mark.parametrize("command", ["log", "amend", "retract", "import-csv", "status"])
def test_a_folder_where_the_file_should_be(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "conditions.toml"
    folder.mkdir()
    (folder / "inside.txt").write_text("keep", "utf-8")
    args = {**write_commands(tmp_path), "status": ("status",)}[command]
    one_line_error(run(folder, *args), str(folder), "is a folder")
    assert [p.name for p in folder.iterdir()] == ["inside.txt"]


def test_a_file_deleted_before_the_command_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    for args in (LOG_ARGS, ("status",), ("import", str(tmp_path / "rows.csv"))):
        refused(path, *args, expect=("does not exist",))
    assert not path.exists()


@pytest.mark.parametrize(
    "args",
    [("status",), ("validate",), LOG_ARGS, ("retract", "ev-x", "--reason", "r"),
     ("import", "rows.csv")],
    ids=["status", "validate", "log", "retract", "import"],
)  # fmt: skip
def test_a_windows_path_is_just_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "rows.csv", [], ("condition", "summary", "source", "date"))
    windows = Path("C:\\data\\conditions.toml")
    err = refused(windows, *args, expect=("C:\\data\\conditions.toml", "does not exist"))
    assert "condtrack init" in err or args[0] == "import"
    assert sorted(os.listdir(tmp_path)) == ["rows.csv"]  # nothing created, not even a lock


def test_a_windows_path_to_an_import_is_a_missing_file(filled: Path) -> None:
    refused(filled, "import", "C:\\data\\rows.csv", expect=("C:\\data\\rows.csv does not exist",))
    assert len(evidence_of(filled)) == 4
