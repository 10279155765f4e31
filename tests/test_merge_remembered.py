"""What a fast merge leaves for the next command (issue 15): a record and a snapshot of its
result, made from the base's (or a side's record, less what that side appended) and the
merged entries, never from the whole tracker (``appended._remember``,
``remembered.remember_derived``).

Held against a plain read of the merged file: the record reads back with the same ids,
reports and relief entries a record written by a full read holds, the snapshot gives the
same tracker, and every command answers as it does with the cache off; also when the
base's snapshot is damaged or forged, or no record vouches for anything.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from condtrack.git.merge import appended, driver
from condtrack.storage import remembered, slices, snapshot, store
from condtrack.storage.remembered import ENV_CACHE
from tests.conftest import Invoke
from tests.fast_path_helpers import watching
from tests.test_merge import _version, histories
from tests.test_merge_fast import BASE, OURS, THEIRS, entry, files, full, relief, run_merge
from tests.test_snapshot import DAMAGE

COMMANDS = (
    ("status", "--format", "json", "--as-of", "2025-06-01"),
    ("check", "--format", "json", "--as-of", "2025-06-01"),
    ("evidence", "--all", "--format", "json"),
    ("relief", "list", "--format", "json"),
)
# A report both sides' entries repeat: `log` refuses it as a duplicate only if the record the
# merge leaves keeps its reports right.
DUPLICATE = ("log", "troops", "--summary", "ev-ours", "--source", "s", "--date", "2025-02-02")


@pytest.fixture(autouse=True)
def small_files_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)  # records and snapshots at any size


def merge(paths: tuple[Path, Path, Path]) -> bool:
    """``condtrack merge``'s fast path, as the command calls it."""
    return appended.merge_files(*paths, write=lambda *parts: store.write_atomic(paths[1], *parts))


def facts(known: remembered.Known | None) -> Any:
    assert known is not None
    return known.head_length, known.ids, dict(known.reports), known.relief


def plainly(data: bytes) -> tuple[Any, Any]:
    """The record and tracker a full read of ``data`` gives, in a cache of its own."""
    with tempfile.TemporaryDirectory() as cache:
        env = {ENV_CACHE: cache}
        with mock.patch.dict(os.environ, env):
            tracker = slices.read_tracker(data)  # records it
            assert tracker is not None
            return facts(remembered.recall(data, env)), tracker.model_dump()


def assert_left_as_a_plain_read(merged: bytes, *, snapshot_expected: bool) -> None:
    record, tracker = plainly(merged)
    assert facts(remembered.recall(merged)) == record
    remembered_tracker = snapshot.recall(merged)
    if snapshot_expected:
        assert remembered_tracker is not None
    if remembered_tracker is not None:
        assert remembered_tracker.model_dump() == tracker


def outputs(cli: Invoke, path: Path, cache: str | None = None) -> list[tuple[int, str]]:
    env = None if cache is None else {ENV_CACHE: cache}
    results = [cli(*command, file=path, env=env) for command in COMMANDS]
    return [(r.exit_code, r.stdout) for r in results]


def key_of(data: bytes) -> str:
    key = remembered.content_key(remembered.content_hash(data))
    assert key is not None
    return key


def prepare(paths: tuple[Path, Path, Path], vouching: str, base_snapshot: bool) -> bool:
    """The cache as commands before the merge leave it: the base read (a record, and a
    snapshot when ``base_snapshot``), and/or each side's (as its `log` leaves one, which
    replaces the base's record). Whether the base has a snapshot (a file without entries
    is read whole: no record, no snapshot)."""
    base, ours, theirs = (path.read_bytes() for path in paths)
    if base_snapshot:
        store.read_checked(base, paths[0])
    elif vouching == "base":
        slices.read_tracker(base)
    sides = {"ours": [ours], "theirs": [theirs], "sides": [ours, theirs]}.get(vouching, [])
    for side in sides:
        slices.read_tracker(side)
    if vouching != "base":
        folder = remembered.records_folder()
        assert folder is not None
        (folder / f"{key_of(base)}.ids").unlink(missing_ok=True)
    return snapshot.recall(base) is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=histories(),
    vouching=st.sampled_from(["base", "ours", "theirs", "sides", "none"]),
    base_snapshot=st.booleans(),
)
def test_the_record_and_snapshot_a_merge_leaves_are_a_plain_reads(
    history: list[dict[str, Any]], vouching: str, base_snapshot: bool
) -> None:
    base, ours, theirs = (_version(history, side).encode() for side in ("base", "ours", "theirs"))
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.dict(os.environ, {ENV_CACHE: str(Path(folder) / "cache")}),
    ):
        paths = files(Path(folder), base, ours, theirs)
        has_snapshot = prepare(paths, vouching, base_snapshot)
        if not merge(paths):
            assert paths[1].read_bytes() == ours  # declined: the full merge decides
            return
        merged = paths[1].read_bytes()
        assert merged == full(base, ours, theirs)
        assert_left_as_a_plain_read(merged, snapshot_expected=has_snapshot)


def logged_sides(tmp_path: Path, cli: Invoke) -> tuple[Path, Path, Path]:
    """Base, ours and theirs as two analysts leave them: the base read once (its record and
    snapshot), then each side's `log` (whose record replaces the base's)."""
    paths = files(tmp_path, BASE, BASE, BASE)
    assert cli("status", file=paths[0]).exit_code == 0
    steps = {paths[1]: ("ev-ours", "2025-02-02"), paths[2]: ("ev-theirs", "2025-02-03")}
    for side, (summary, date) in steps.items():
        logged = cli("log", "troops", "--summary", summary, "--source", "s", "--date", date,
                     file=side)  # fmt: skip
        assert logged.exit_code == 0, logged.output
    added = relief("rl-theirs", "lifted", 1)
    with paths[2].open("ab") as handle:  # a relief entry too (as `relief add` writes it)
        handle.write(("\n" + added).encode())
    assert cli("status", file=paths[2]).exit_code == 0  # its record
    return paths


@pytest.mark.parametrize("case", ["intact", *sorted(DAMAGE)])
def test_after_a_merge_every_command_answers_as_with_the_cache_off(
    case: str, tmp_path: Path, cli: Invoke, private_cache: Path
) -> None:
    """Whatever became of the base's snapshot (the merge's result names it as its base):
    every command on the merged file, and a `log` that repeats a report, answer as they do
    with the cache off, and the record left is a full read's."""
    paths = logged_sides(tmp_path, cli)
    snap = private_cache / remembered.RECORDS / f"{key_of(BASE)}{snapshot.SUFFIX}"
    assert snap.exists()
    if case != "intact":
        DAMAGE[case](snap)
    before = [path.read_bytes() for path in paths]
    assert run_merge(cli, paths).exit_code == 0
    merged = paths[1]
    assert merged.read_bytes() == full(*before)
    assert outputs(cli, merged) == outputs(cli, merged, cache="")
    assert_left_as_a_plain_read(merged.read_bytes(), snapshot_expected=case == "intact")
    results: list[tuple[int, str]] = []
    for cache in (None, ""):
        copy = tmp_path / f"copy{len(results)}.toml"
        copy.write_bytes(merged.read_bytes())
        env = None if cache is None else {ENV_CACHE: cache}
        result = cli(*DUPLICATE, file=copy, env=env)
        results.append((result.exit_code, result.stderr.replace(str(copy), "FILE")))
    assert results[0] == results[1]
    assert results[0][0] == 2  # a duplicate of ev-ours' report, known from the record


def test_the_merge_decodes_no_reports_and_reads_no_tracker(
    tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory of a merge of a large tracker: what records say is read without their
    reports (most of a record), and the result's record is written from the source's lines,
    not from sets and maps of 100,000 ids and reports; nothing is parsed."""
    paths = logged_sides(tmp_path, cli)
    decoded: list[dict[str, Any]] = []
    real_decode = remembered._decode

    def decode(*args: Any, **kwargs: Any) -> Any:
        decoded.append(kwargs)
        return real_decode(*args, **kwargs)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("not in a merge of appends")

    with monkeypatch.context() as patch:
        patch.setattr(remembered, "_decode", decode)
        patch.setattr(remembered, "remember_hashed", refuse)
        patch.setattr(slices, "read_tracker", refuse)
        patch.setattr(store, "parse", refuse)
        assert run_merge(cli, paths).exit_code == 0
    assert decoded
    assert all(kwargs.get("with_reports") is False for kwargs in decoded)
    assert_left_as_a_plain_read(paths[1].read_bytes(), snapshot_expected=True)


def test_a_record_is_derived_only_from_a_source_that_holds_what_is_removed(
    tmp_path: Path,
) -> None:
    base = BASE + ("\n" + entry("ev-more", 1)).encode()
    assert slices.read_tracker(base) is not None
    source = remembered.content_hash(base)
    target = source.copy()
    target.update(b"\n")
    known = remembered.recall(base)
    assert known is not None

    def derive(**changes: Any) -> bool:
        arguments: dict[str, Any] = {
            "head_length": known.head_length,
            "removed": ["ev-more"],
            "removed_relief": [],
            "ids": ["ev-new"],
            "relief": [],
            "reports": {},
        }
        arguments.update(changes)
        return remembered.remember_derived(source, len(base), target, len(base) + 1, **arguments)

    assert not derive(removed=["ev-absent"])  # not in the source
    assert not derive(removed_relief=list(known.relief) * 2)  # more relief than it holds
    assert not derive(ids=["ev-base"])  # an id it keeps: twice
    assert not derive(ids=["ev-new", "ev-new"])
    assert not derive(head_length=known.head_length + 1)  # another head
    assert remembered.recall_hashed(target, len(base) + 1) is None  # none of those wrote
    assert derive()
    derived = remembered.recall_hashed(target, len(base) + 1)
    assert derived is not None
    assert derived.ids == (known.ids - {"ev-more"}) | {"ev-new"}
    assert set(derived.reports.values()) <= derived.ids
    assert derived.relief == known.relief


# --- the full merge leaves them too ----------------------------------------------------------


def retitled(data: bytes) -> bytes:
    """A head edit: the full merge's case."""
    return data.replace(b'title = "', b'title = "Edited: ', 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), edited=st.sampled_from(["ours", "theirs"]))
def test_a_full_merge_leaves_a_record_and_snapshot_a_plain_read_gives(
    history: list[dict[str, Any]], edited: str
) -> None:
    base, ours, theirs = (_version(history, side).encode() for side in ("base", "ours", "theirs"))
    if edited == "ours":
        ours = retitled(ours)
    else:
        theirs = retitled(theirs)
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.dict(os.environ, {ENV_CACHE: str(Path(folder) / "cache")}),
    ):
        result = driver.merge_trackers(base, ours, theirs)
        assert result.clean
        assert result.tracker is not None
        appended.remember_full(result.content, result.tracker)
        if slices.head_length(result.content) is None:
            assert remembered.recall(result.content) is None  # no entries: read whole
            return
        assert_left_as_a_plain_read(result.content, snapshot_expected=True)


def test_after_a_full_merge_the_next_command_reads_no_toml(tmp_path: Path, cli: Invoke) -> None:
    paths = files(tmp_path, BASE, retitled(OURS), THEIRS)
    before = [path.read_bytes() for path in paths]
    assert appended.merge_versions(*before) is None  # the full merge's case
    assert run_merge(cli, paths).exit_code == 0
    assert paths[1].read_bytes() == full(*before)
    with watching(slices, "read_tracker") as sliced, watching(store, "parse") as parsed:
        cached = outputs(cli, paths[1])
    assert (sliced, parsed) == ([], [])
    assert cached == outputs(cli, paths[1], cache="")
    assert_left_as_a_plain_read(paths[1].read_bytes(), snapshot_expected=True)


@pytest.mark.parametrize("path", ["fast", "full"])
def test_a_record_that_cannot_be_written_never_turns_a_merge_into_a_conflict(
    path: str, tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result is written before it is recorded: whatever goes wrong while recording it
    (a bug, a full disk), git must still see the merge succeed, with the merged bytes."""
    if path == "fast":
        paths = logged_sides(tmp_path, cli)
    else:
        paths = files(tmp_path, BASE, retitled(OURS), THEIRS)
    before = [p.read_bytes() for p in paths]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the cache broke")

    monkeypatch.setattr(remembered, "remember_derived", broken)
    monkeypatch.setattr(remembered, "remember", broken)
    monkeypatch.setattr(snapshot, "remember_appended", broken)
    monkeypatch.setattr(snapshot, "remember", broken)
    result = run_merge(cli, paths)
    assert result.exit_code == 0, result.output
    assert paths[1].read_bytes() == full(*before)
