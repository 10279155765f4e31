"""condtrack imports and runs where POSIX is missing (issue 11: the ecosystem's own tools).

Nothing POSIX-only is imported at module level: real ``python -m condtrack`` processes run
with ``fcntl``, ``termios``, ``pwd``, ``grp`` and ``resource`` unimportable (a
``sitecustomize`` on PYTHONPATH blocks them), and, to stand in for Windows, with the
POSIX-only parts of ``os`` removed too (user ids, ``fchown``/``fchmod``, ``O_NOFOLLOW``,
``O_DIRECTORY``, ``O_CLOEXEC``, ``O_NONBLOCK``). Reads give the same output as a normal run.

Writes need the operating system's lock (``filelock``'s: ``flock`` on Unix, ``LockFileEx`` on
Windows). A Unix Python without ``fcntl`` has none that dies with its process, so a write
there is refused, clearly and before any file is touched; with ``fcntl`` but the rest of
POSIX gone, writes work and keep their protections.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import filelock
import platformdirs
import pytest

import condtrack
from condtrack import __version__
from condtrack.storage import remembered
from condtrack.storage.store import lock_path, locked

from .conftest import REPO

BLOCKED_MODULES = "fcntl,termios,pwd,grp,resource"
POSIX_OS = (
    "geteuid,getuid,getegid,getgid,fchown,fchmod,chown,lchown,"
    "O_NOFOLLOW,O_DIRECTORY,O_CLOEXEC,O_NONBLOCK"
)
SITECUSTOMIZE = textwrap.dedent(
    """\
    # The test's stand-in for a system without POSIX (see tests/test_portable.py).
    import os
    import sys

    _BLOCKED = set(filter(None, os.environ.get("PORTABLE_TEST_BLOCK", "").split(",")))


    class _Unavailable:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in _BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    for _name in _BLOCKED:
        sys.modules.pop(_name, None)
    sys.meta_path.insert(0, _Unavailable())
    for _attribute in filter(None, os.environ.get("PORTABLE_TEST_DROP", "").split(",")):
        if hasattr(os, _attribute):
            delattr(os, _attribute)
    """
)
WITHOUT = {
    "without-posix-modules": {"PORTABLE_TEST_BLOCK": BLOCKED_MODULES},
    "without-posix-modules-or-os": {
        "PORTABLE_TEST_BLOCK": BLOCKED_MODULES,
        "PORTABLE_TEST_DROP": POSIX_OS,
    },
}
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped tracker (evidence, scores, a failing gate) in a folder of its own."""
    folder = tmp_path / "work"
    folder.mkdir()
    tracker = folder / "conditions.toml"
    tracker.write_bytes((REPO / "conditions.toml").read_bytes())
    return tracker


@pytest.fixture
def condtrack_run(tmp_path: Path, shipped: Path) -> Run:
    """``run(*argv, without=None|{env})``: a real ``python -m condtrack`` in the tracker's
    folder (no --file: the search for it runs too), with the named parts of POSIX gone."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CONDTRACK_FILE", "PYTHONPATH", "COLUMNS", "FORCE_COLOR")
    }
    base.update(NO_COLOR="1", CONDTRACK_LOCK_TIMEOUT="5")

    def run(
        *argv: str, without: Mapping[str, str] | None = None, python: str = ""
    ) -> subprocess.CompletedProcess[str]:
        env = dict(base)
        if without is not None:
            env.update(without, PYTHONPATH=str(site))
        command = [sys.executable, "-c", python] if python else [sys.executable, "-m", "condtrack"]
        return subprocess.run(
            [*command, *argv],
            cwd=shipped.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.mark.parametrize("without", list(WITHOUT))
def test_the_stand_in_really_takes_posix_away(condtrack_run: Run, without: str) -> None:
    probe = textwrap.dedent(
        """\
        import importlib, os
        gone = []
        for name in "fcntl termios pwd grp resource".split():
            try:
                importlib.import_module(name)
            except ImportError:
                gone.append(name)
        gone += [name for name in ("geteuid", "O_NOFOLLOW", "fchown") if not hasattr(os, name)]
        print(" ".join(gone))
        """
    )
    done = condtrack_run(without=WITHOUT[without], python=probe)
    assert done.returncode == 0, done.stderr
    expected = BLOCKED_MODULES.split(",")
    if "PORTABLE_TEST_DROP" in WITHOUT[without]:
        expected += ["geteuid", "O_NOFOLLOW", "fchown"]
    assert done.stdout.split() == expected


@pytest.mark.parametrize("without", list(WITHOUT))
def test_every_module_of_condtrack_imports_without_posix(condtrack_run: Run, without: str) -> None:
    package = Path(condtrack.__file__).parent
    modules = sorted(
        ".".join(("condtrack", *path.relative_to(package).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in package.rglob("*.py")
        if path.name != "__main__.py"  # runs the CLI; `python -m condtrack` below imports it
    )
    probe = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = condtrack_run(*modules, without=WITHOUT[without], python=probe)
    assert (done.returncode, done.stderr) == (0, "")
    assert len(modules) > 40  # the whole package, not an empty list


READS = [
    ["--version"],
    ["status"],
    ["status", "--format", "json"],
    ["check"],
    ["evidence"],
    ["evidence", "--format", "json"],
    ["report"],
    ["validate"],
]


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_read_commands_run_and_print_the_same_without_posix(
    condtrack_run: Run, shipped: Path, argv: list[str]
) -> None:
    before = shipped.read_bytes()
    usual = condtrack_run(*argv)
    assert usual.returncode in (0, 1), usual.stderr  # check's gate may fail: exit 1
    assert usual.stdout
    if argv == ["--version"]:
        assert usual.stdout == f"condtrack {__version__}\n"
    for name, without in WITHOUT.items():
        done = condtrack_run(*argv, without=without)
        assert (done.returncode, done.stdout, done.stderr) == (
            usual.returncode,
            usual.stdout,
            usual.stderr,
        ), name
    assert shipped.read_bytes() == before


LOG = ("log", "russian-forces", "--summary", "portable", "--source", "test", "-r", "B2")


def test_a_write_without_fcntl_is_refused_before_any_file_is_touched(
    condtrack_run: Run, shipped: Path
) -> None:
    """No fcntl on a Unix: filelock would offer only a lock file its holder must remove,
    which a killed writer never does; condtrack says so instead of writing unlocked."""
    before = shipped.read_bytes()
    listing = sorted(os.listdir(shipped.parent))
    done = condtrack_run(*LOG, without=WITHOUT["without-posix-modules"])
    assert done.returncode == 2
    assert done.stderr == (
        f"error: cannot lock {shipped}: this Python has no fcntl.flock, the operating "
        "system's file lock; the file is unchanged\n"
    )
    assert shipped.read_bytes() == before
    assert sorted(os.listdir(shipped.parent)) == listing  # no lock file left either


def test_writes_work_with_the_rest_of_posix_gone(condtrack_run: Run, shipped: Path) -> None:
    """fcntl there, but no user ids, fchown, fchmod or POSIX-only open flags (as on Windows,
    whose lock filelock takes with LockFileEx): log, amend and retract land as usual."""
    without = {"PORTABLE_TEST_DROP": POSIX_OS}
    before = shipped.read_bytes()
    logged = condtrack_run(*LOG, without=without)
    assert logged.returncode == 0, logged.stderr
    entry = logged.stdout.strip()
    retracted = condtrack_run("retract", entry, "--reason", "a test", without=without)
    assert retracted.returncode == 0, retracted.stderr
    after = shipped.read_bytes()
    assert after.startswith(before) and after.count(entry.encode()) >= 2
    assert not lock_path(shipped).exists()  # the writer removed its lock file
    shown = condtrack_run("evidence", "--format", "json", without=without)
    assert shown.returncode == 0 and entry in shown.stdout


def test_a_link_planted_as_the_lock_file_is_refused_without_o_nofollow(
    condtrack_run: Run, shipped: Path, tmp_path: Path
) -> None:
    """Where open has no O_NOFOLLOW (Windows), condtrack looks for the link itself."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"someone else's")
    lock_path(shipped).symlink_to(victim)
    before = shipped.read_bytes()
    done = condtrack_run(*LOG, without={"PORTABLE_TEST_DROP": POSIX_OS})
    assert done.returncode == 2
    assert done.stderr == (
        f"error: cannot lock {shipped}: it is a symbolic link, which condtrack does not "
        f"follow ({lock_path(shipped)}); the file is unchanged\n"
    )
    assert shipped.read_bytes() == before
    assert victim.read_bytes() == b"someone else's"


# --- the lock is filelock's -----------------------------------------------------------------


def test_a_writer_waits_for_filelocks_lock_and_times_out_in_the_same_words(
    condtrack_run: Run, shipped: Path
) -> None:
    """Another program holding the lock through filelock's FileLock excludes condtrack, and
    the time-out reads as it always has."""
    before = shipped.read_bytes()
    with filelock.FileLock(lock_path(shipped)):
        done = subprocess.run(
            [sys.executable, "-m", "condtrack", "--file", str(shipped), *LOG],
            env={**os.environ, "CONDTRACK_LOCK_TIMEOUT": "0.3"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {shipped} is locked by another condtrack process; waited 0.3s for it to "
        "finish; try again, or wait longer with --lock-timeout SECONDS (or "
        "$CONDTRACK_LOCK_TIMEOUT)\n"
    )
    assert shipped.read_bytes() == before
    after = condtrack_run(*LOG)  # free again: the write goes through
    assert after.returncode == 0, after.stderr


def test_condtracks_lock_excludes_filelock_and_a_second_writer(shipped: Path) -> None:
    with locked(shipped):
        assert lock_path(shipped).exists()
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(lock_path(shipped)).acquire(timeout=0)
        # a second condtrack writer (its own descriptor) is refused too
        second = os.open(lock_path(shipped), os.O_RDWR)
        try:
            assert filelock.lock_descriptor(second, blocking=False) is False
        finally:
            os.close(second)
    assert not lock_path(shipped).exists()
    with filelock.FileLock(lock_path(shipped), timeout=0):  # released: anyone may take it
        pass


# --- the cache folder is platformdirs' -----------------------------------------------------


def test_the_cache_folder_is_platformdirs_and_on_linux_where_it_always_was(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CONDTRACK_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    default = Path(platformdirs.user_cache_dir("condtrack", appauthor=False))
    assert remembered.cache_folder() == default
    assert remembered.records_folder() == default / "records-v2"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):  # records stay where earlier versions kept them
        assert default == tmp_path / "home" / ".cache" / "condtrack"
        assert remembered.cache_folder() == tmp_path / "xdg" / "condtrack"
    monkeypatch.setenv("CONDTRACK_CACHE_DIR", str(tmp_path / "mine"))  # still wins
    assert remembered.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("CONDTRACK_CACHE_DIR", "")  # still turns records off
    assert remembered.cache_folder() is None and remembered.records_folder() is None


def test_records_are_judged_without_user_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where os has no geteuid (Windows) the owner is not compared, and nothing crashes."""
    private = tmp_path / "private"
    private.write_bytes(b"")
    private.chmod(0o600)
    shared = tmp_path / "shared"
    shared.write_bytes(b"")
    shared.chmod(0o666)
    monkeypatch.delattr(os, "geteuid")
    assert remembered.trusted(private.stat()) is True
    assert remembered.trusted(shared.stat()) is False  # writable by others: never trusted
