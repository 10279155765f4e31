"""The cache's housekeeping (``remembered.housekeeping``, the prunes): records of condtrack
versions before ``records-v2`` (``~/.cache/condtrack/checked``) and files crashed writes
left are removed, at most once a week, and only files provably condtrack's, in a folder
that is the user's alone, never through a link; snapshots and records are kept within a
size budget, the newest whatever its size.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from condtrack.storage import remembered, snapshot
from tests.conftest import Invoke
from tests.reliability.helpers import WITH_EVIDENCE

OLD_V1 = b"condtrack-checked-v1 1234 56 2 " + b"0" * 64 + b"\nev-a\nev-b"
OLD_V2 = b"condtrack-checked-v2 1234 56 2 " + b"0" * 64 + b"\nev-a\nev-b"
NAME_1, NAME_2, NAME_3 = ("1" * 64 + ".ids"), ("2" * 64 + ".ids"), ("3" * 64 + ".ids")
WEEK = remembered.HOUSEKEEPING_EVERY


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The platform's cache folder, under a home folder of the test's own."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv(remembered.ENV_CACHE, raising=False)
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)  # records at any size
    return folder


def legacy(home: Path, mode: int = 0o700) -> Path:
    """The old records folder as condtrack versions before records-v2 left it: two records
    of each mark and a temporary file of theirs, beside files that are not theirs."""
    folder = home / ".cache" / "condtrack" / "checked"
    folder.mkdir(parents=True)
    folder.chmod(mode)
    for name, content in ((NAME_1, OLD_V1), (NAME_2, OLD_V2), (".a1b2_c3d.tmp", OLD_V2)):
        (folder / name).write_bytes(content)
        (folder / name).chmod(0o600)
    (folder / "notes.txt").write_text("mine")  # the user's
    (folder / NAME_3).write_bytes(b"not a record")  # named as one, not marked
    outside = home / "elsewhere.ids"
    outside.write_bytes(OLD_V2)
    (folder / ("4" * 64 + ".ids")).symlink_to(outside)  # a link to a marked file
    return folder


def write_a_record(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    result = cli(
        "log", "troops", "--allow-duplicate", "--summary", "seen", "--source", "s", file=path
    )
    assert result.exit_code == 0, result.output
    assert remembered.recall(path.read_bytes()) is not None


def test_the_old_records_folder_is_emptied_of_old_records_only(
    home: Path, tmp_path: Path, cli: Invoke
) -> None:
    folder = legacy(home)
    write_a_record(cli, tmp_path)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([NAME_3, "4" * 64 + ".ids", "notes.txt"])
    assert (home / "elsewhere.ids").read_bytes() == OLD_V2  # a link is not followed


def test_an_old_folder_holding_only_old_records_goes(
    home: Path, tmp_path: Path, cli: Invoke
) -> None:
    folder = legacy(home)
    for name in ("notes.txt", NAME_3, "4" * 64 + ".ids"):
        (folder / name).unlink()
    write_a_record(cli, tmp_path)
    assert not folder.exists()
    assert (home / ".cache" / "condtrack" / remembered.RECORDS).is_dir()


@pytest.mark.parametrize("mode", [0o770, 0o707], ids=["group", "others"])
def test_an_old_folder_others_may_write_to_is_left_alone(
    mode: int, home: Path, tmp_path: Path, cli: Invoke
) -> None:
    folder = legacy(home, mode)
    before = sorted(p.name for p in folder.iterdir())
    write_a_record(cli, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_an_old_folder_that_is_a_link_is_left_alone(
    home: Path, tmp_path: Path, cli: Invoke
) -> None:
    real = legacy(home)
    moved = tmp_path / "moved"
    real.rename(moved)
    real.symlink_to(moved)
    before = sorted(p.name for p in moved.iterdir())
    write_a_record(cli, tmp_path)
    assert sorted(p.name for p in moved.iterdir()) == before


def test_with_a_cache_folder_of_ones_own_the_old_folder_is_not_looked_at(
    home: Path, tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = legacy(home)
    before = sorted(p.name for p in folder.iterdir())
    monkeypatch.setenv(remembered.ENV_CACHE, str(tmp_path / "cache"))
    write_a_record(cli, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_housekeeping_runs_at_most_once_a_week(home: Path, tmp_path: Path, cli: Invoke) -> None:
    folder = legacy(home)
    write_a_record(cli, tmp_path)
    assert not (folder / NAME_1).exists()
    (folder / NAME_1).write_bytes(OLD_V1)
    write_a_record(cli, tmp_path)
    assert (folder / NAME_1).exists()  # done lately: not again
    stamp = home / ".cache" / "condtrack" / remembered.RECORDS / remembered.HOUSEKEEPING
    past = time.time() - WEEK - 60
    os.utime(stamp, (past, past))
    write_a_record(cli, tmp_path)
    assert not (folder / NAME_1).exists()


def test_what_crashed_writes_left_in_the_records_folder_goes_when_stale(
    tmp_path: Path, cli: Invoke, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)
    records = private_cache / remembered.RECORDS
    records.mkdir(mode=0o700)
    day_ago = time.time() - 2 * 24 * 3600
    planted = {
        ".0123456789abcdef.tmp": (b"condtrack-checked-v2 12", day_ago),  # stale record
        ".1123456789abcdef.tmp": (b"condtrack-snapshot-v1 ab", day_ago),  # stale snapshot
        ".2123456789abcdef.tmp": (b"condtrack-checked-v2 12", time.time()),  # being written
        ".3123456789abcdef.tmp": (b"something else", day_ago),  # not marked
        "notes.txt": (b"condtrack-checked-v2 12", day_ago),  # not named so
    }
    for name, (content, moment) in planted.items():
        (records / name).write_bytes(content)
        (records / name).chmod(0o600)
        os.utime(records / name, (moment, moment))
    write_a_record(cli, tmp_path)
    left = {p.name for p in records.iterdir()} & set(planted)
    assert left == {".2123456789abcdef.tmp", ".3123456789abcdef.tmp", "notes.txt"}


def test_the_newest_files_within_a_count_and_a_size() -> None:
    found = [(5, 10, "e"), (4, 70, "d"), (3, 10, "c"), (2, 10, "b"), (1, 10, "a")]
    assert remembered.newest_within(found, 6, 100) == (["e", "d", "c", "b"], ["a"])
    assert remembered.newest_within(found, 2, 1000) == (["e", "d"], ["c", "b", "a"])
    big = [(9, 500, "new"), *found]
    assert remembered.newest_within(big, 6, 100) == (["new"], ["e", "d", "c", "b", "a"])


def test_snapshots_are_kept_within_their_budget_and_still_right(
    tmp_path: Path, cli: Invoke, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)
    paths = []
    for number in range(3):
        path = tmp_path / f"t{number}.toml"
        path.write_text(WITH_EVIDENCE.replace("Testland", f"Testland {number}"), "utf-8")
        paths.append(path)
    assert cli("status", file=paths[0]).exit_code == 0
    [first] = (private_cache / remembered.RECORDS).glob("*" + snapshot.SUFFIX)
    monkeypatch.setattr(snapshot, "MAX_TOTAL_BYTES", first.stat().st_size * 2 + 10)
    for path in paths[1:]:
        assert cli("status", file=path).exit_code == 0
    kept = list((private_cache / remembered.RECORDS).glob("*" + snapshot.SUFFIX))
    assert len(kept) == 2  # three full snapshots would pass the budget
    assert sum(p.stat().st_size for p in kept) <= snapshot.MAX_TOTAL_BYTES
    for path in paths:
        cached = cli("status", "--format", "json", file=path)
        plain = cli("status", "--format", "json", file=path, env={remembered.ENV_CACHE: ""})
        assert (cached.exit_code, cached.stdout) == (plain.exit_code, plain.stdout)
