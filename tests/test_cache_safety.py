"""The cache folder is the user's, and a record is believed only when it is the user's own
(issue 10, S1 and S2; ``condtrack.storage.remembered``).

S1: condtrack never deletes or overwrites a file in the cache folder that it did not create.
Its records live in a folder of their own (``records-v2``), and only files there that are
named and marked as records are ever removed.

S2: a record vouches for bytes that the fast reader (rtoml, which reads TOML 1.1) may then
read. Like git's safe.directory, a record is believed only when it and its folder belong to
the current user and nobody else may write to them; any other is ignored, and left alone.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from condtrack.storage import remembered
from tests.conftest import NOBODY
from tests.fast_path_helpers import recall, records
from tests.reliability.helpers import TRACKER, evidence_block, run

LOG = ("log", "troops", "--allow-duplicate", "--summary", "seen", "--source", "Monitor",
       "--date", "2025-01-20")  # fmt: skip


def condtrack(
    cwd: Path, *args: str, cache: Path, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """condtrack in a process of its own, in ``cwd``, with ``cache`` as its cache folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDTRACK_")}
    env["CONDTRACK_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "condtrack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        umask=umask,
        timeout=300,
        check=False,
    )


def large_tracker(count: int = 400) -> str:
    """A valid tracker above ``remembered.SMALL_BYTES``, so its reads consult the records."""
    entries = "".join(
        evidence_block(id=f'"ev-{n:010d}"', criterion='"bases-closed"', status='"met"')
        for n in range(count)
    )
    text = TRACKER + entries
    assert len(text.encode()) > remembered.SMALL_BYTES
    return text


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# --- S1: the user's files in the cache folder -------------------------------------------------


def user_files(folder: Path, count: int = 40) -> dict[str, tuple[bytes, int]]:
    """``count`` old files of the user's named ``*.ids`` in ``folder``, one named exactly as a
    record would be; their snapshot."""
    folder.mkdir(parents=True, exist_ok=True)
    old = 1577836800  # 2020-01-01
    for n in range(count):
        name = "ab" * 32 + ".ids" if n == 0 else f"s{n}.ids"
        (folder / name).write_text(f"sample {n}\n", encoding="utf-8")
        os.utime(folder / name, (old, old))
    return snapshot(folder)


def test_records_never_delete_the_users_own_ids_files(tmp_path: Path) -> None:
    """The attacker trial's repro, in real processes: 40 old ``*.ids`` files of the user's
    in $CONDTRACK_CACHE_DIR, then a large tracker that condtrack records."""
    data = tmp_path / "data"
    before = user_files(data)
    done = condtrack(tmp_path, "init", cache=data)
    assert done.returncode == 0, done.stderr
    (tmp_path / "conditions.toml").write_text(large_tracker(), encoding="utf-8")
    for args in (("status",), LOG):  # a full check, then a write: each leaves a record
        done = condtrack(tmp_path, *args, cache=data)
        assert done.returncode == 0, done.stderr
    after = snapshot(data)
    assert {name: after.get(name) for name in before} == before
    # condtrack's own, in its own folder: the checked bytes' and the logged bytes'
    assert len(records(data)) == 2
    assert recall((tmp_path / "conditions.toml").read_bytes(), data) is not None


def test_pruning_removes_only_condtrack_records_from_its_own_folder(
    tmp_path: Path, tracker_file: Path, private_cache: Path
) -> None:
    """In the records folder itself, only files named as records and marked as records go:
    a file of another name, a record-named file without the mark, a link, all stay."""
    folder = private_cache / remembered.RECORDS
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    decoys = {
        "notes.ids": b"a note\n",
        "cd" * 32 + ".ids": b"not a record, named like one\n",
        "EF" * 32 + ".ids": remembered._MAGIC + b" but an upper-case name\n",
    }
    for name, content in decoys.items():
        (folder / name).write_bytes(content)
    (folder / ("01" * 32 + ".ids")).symlink_to(victim)
    old = 1577836800
    for entry in folder.iterdir():
        os.utime(entry, (old, old), follow_symlinks=False)
    before = snapshot(folder)
    for n in range(remembered.KEEP + 4):  # each tracker's log leaves a record; older ones go
        tracker_file.write_text(TRACKER.replace("Testland", f"Land {n}"), encoding="utf-8")
        result = run(tracker_file, *LOG)
        assert result.exit_code == 0, result.output
    assert snapshot(folder).items() >= before.items()
    assert (folder / ("01" * 32 + ".ids")).is_symlink()
    assert victim.read_text(encoding="utf-8") == "keep me"
    kept = [p for p in folder.glob("*.ids") if p.name not in decoys and not p.is_symlink()]
    assert len(kept) == remembered.KEEP  # condtrack's own records are still pruned
    assert recall(tracker_file.read_bytes(), private_cache) is not None


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_the_records_folder_is_0700_and_records_0600_whatever_the_umask(
    umask: int, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER, encoding="utf-8")
    done = condtrack(tmp_path, *LOG, cache=cache, umask=umask)
    assert done.returncode == 0, done.stderr
    folder = cache / remembered.RECORDS
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [record] = records(cache)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert recall(path.read_bytes(), cache) is not None


def test_an_output_in_the_records_folder_or_the_cache_folder_is_refused(
    tmp_path: Path, tracker_file: Path, private_cache: Path
) -> None:
    """store.check_output still knows condtrack's records, now in their own folder (and
    the cache folder's own path), however the output is spelled."""
    assert run(tracker_file, *LOG).exit_code == 0
    [record] = records(private_cache)
    linked = tmp_path / "linked.json"
    os.link(record, linked)
    via = tmp_path / "via"
    via.symlink_to(record.parent)
    before = record.read_bytes()
    for target in (
        record,
        record.parent / "new.json",
        record.parent / "sub" / "deeper" / "new.json",
        private_cache / "x" / ".." / remembered.RECORDS / "new.json",
        via / "new.json",
        linked,
    ):
        result = run(tracker_file, "report", "--format", "json", "-o", str(target))
        assert result.exit_code == 2, result.output
        assert "condtrack's cache" in result.stderr, result.stderr
    assert record.read_bytes() == before
    assert not (record.parent / "new.json").exists()


def test_an_output_elsewhere_in_a_cache_dir_of_the_users_is_written(
    tmp_path: Path, tracker_file: Path
) -> None:
    """$CONDTRACK_CACHE_DIR may name a folder holding anything of the user's: condtrack
    writes only in ``records-v2`` there, so only that folder is refused to ``-o``."""
    cache = tmp_path / "mine"
    assert condtrack(tmp_path, "-f", str(tracker_file), *LOG, cache=cache).returncode == 0
    assert records(cache)
    for target in (cache / "brief.md", cache / "out" / "sub" / "brief.md"):
        target.parent.mkdir(parents=True, exist_ok=True)
        done = condtrack(tmp_path, "-f", str(tracker_file), "report", "-o", str(target),
                         cache=cache)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert target.read_text(encoding="utf-8").startswith("#")
    refused = cache / remembered.RECORDS / "brief.md"
    done = condtrack(tmp_path, "-f", str(tracker_file), "report", "-o", str(refused),
                     cache=cache)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "condtrack's cache" in done.stderr
    assert not refused.exists()


# --- S2: records someone else could have written -----------------------------------------------


def forge(path: Path, cache: Path) -> tuple[bytes, Path]:
    """A large tracker with a TOML 1.1 escape that tomllib refuses, and a record vouching
    for it, made as anyone able to write the records could: with condtrack's own writer,
    from the record of its valid twin."""
    good = large_tracker()
    path.write_text(good, encoding="utf-8")
    assert run(path, "status").exit_code == 0  # the valid twin gets its record
    known = recall(path.read_bytes(), cache)
    assert known is not None
    bad = good.replace('summary = "Observed"', 'summary = "Obs\\x65rved"', 1).encode()
    remembered.remember(bad, known.head_length, known.ids, known.reports)
    key = remembered.content_key(hashlib.sha256(bad))
    [record] = cache.rglob(f"{key}.ids")  # wherever this condtrack keeps its records
    path.write_bytes(bad)
    return bad, record


def refused_everywhere(path: Path, cache: Path, bad: bytes) -> None:
    """Real processes read the forged file as tomllib does: malformed, and no write."""
    for args in (("status",), ("evidence",), LOG):
        done = condtrack(path.parent, "--file", str(path), *args, cache=cache)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "malformed TOML" in done.stderr, (args, done.stderr)
        assert path.read_bytes() == bad


def chown_nobody(target: Path) -> None:
    os.chown(target, NOBODY, NOBODY, follow_symlinks=False)


def given_away(*parts: str) -> Callable[[Path], None]:
    """Give the record's folder and/or the record itself to ``nobody``."""

    def give(record: Path) -> None:
        if os.geteuid() != 0:
            pytest.skip("giving a file to another user needs root")
        for part in parts:
            chown_nobody(record.parent if part == "folder" else record)

    return give


def made_writable(part: str, mode: int) -> Callable[[Path], None]:
    def loosen(record: Path) -> None:
        (record.parent if part == "folder" else record).chmod(mode)

    return loosen


UNTRUSTED: dict[str, Callable[[Path], None]] = {
    "the folder belongs to nobody": given_away("folder"),
    "the record belongs to nobody": given_away("record"),
    "both belong to nobody": given_away("folder", "record"),
    "the folder is world-writable": made_writable("folder", 0o777),
    "the folder is group-writable": made_writable("folder", 0o770),
    "the record is world-writable": made_writable("record", 0o606),
    "the record is group-writable": made_writable("record", 0o660),
}


@pytest.mark.parametrize("case", sorted(UNTRUSTED))
def test_a_record_someone_else_could_write_is_ignored_and_kept(
    case: str, tmp_path: Path, private_cache: Path
) -> None:
    path = tmp_path / "conditions.toml"
    bad, record = forge(path, private_cache)
    UNTRUSTED[case](record)
    forged = record.read_bytes()
    refused_everywhere(path, private_cache, bad)
    assert recall(bad, private_cache) is None
    assert record.read_bytes() == forged  # ignored, never deleted


def test_a_records_folder_that_is_a_link_is_ignored(tmp_path: Path, private_cache: Path) -> None:
    """A link planted as the records folder (say, into a shared folder) is not followed."""
    path = tmp_path / "conditions.toml"
    bad, record = forge(path, private_cache)
    folder = private_cache / remembered.RECORDS
    if record.parent == folder:
        elsewhere = tmp_path / "elsewhere"
        folder.rename(elsewhere)
        folder.symlink_to(elsewhere)
    assert recall(bad, private_cache) is None
    refused_everywhere(path, private_cache, bad)


def test_an_untrusted_records_folder_is_not_written_to(
    tmp_path: Path, tracker_file: Path, private_cache: Path
) -> None:
    folder = private_cache / remembered.RECORDS
    folder.mkdir()
    folder.chmod(0o777)
    assert run(tracker_file, *LOG).exit_code == 0
    assert list(folder.iterdir()) == []
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777  # and left as it was
