"""Snapshots of the checked tracker (issue 15; ``condtrack.storage.snapshot``) held against the
plain path.

A snapshot lets a command build the tracker without parsing the file. It must give exactly
what a full read gives (status, check, report, evidence), on generated trackers and after
appends; and anything that makes it untrustworthy (damage, a forged checksum, condtrack's
code changed, the file edited or checked out at another version, a snapshot someone else
could have written) must make condtrack read the file as before: the right answer, never
an error.

A "poisoned" snapshot below is one rewritten with another title and sealed again, as only
condtrack (or whoever can write to the records folder) could: a command that shows the
poisoned title has believed it. Each test that expects a snapshot to be refused first shows
that, trusted, it would have been believed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate
from condtrack.storage import remembered, slices, snapshot
from tests.conftest import NOBODY
from tests.fast_path_helpers import PROPERTY, plain_path_only, real_run, watching
from tests.reliability.helpers import TRACKER, WITH_EVIDENCE, run

AS_OF = "2026-11-01"
COMMANDS = (
    ("status", "--format", "json", "--as-of", AS_OF),
    ("check", "--format", "json", "--as-of", AS_OF),
    ("report", "--format", "markdown", "--as-of", AS_OF),
    ("evidence", "--all", "--format", "json"),
)
POISON = "POISONED BY A FORGED SNAPSHOT"
LOG = ("log", "troops", "--allow-duplicate", "--summary", "seen", "--source", "Monitor",
       "--date", "2025-01-20", "--reliability", "B2")  # fmt: skip
LOG_GENERATED = ("log", "political-prisoners", "--allow-duplicate", "--summary", "seen",
                 "--source", "Monitor", "--date", "2026-10-20", "--reliability", "B2")  # fmt: skip
OBSERVE = ("log", "political-prisoners", "--indicator", "prisoners-held", "--value", "12.5",
           "--summary", "Count", "--source", "Viasna", "--date", "2026-10-30")  # fmt: skip
RELIEF_ADD = ("relief", "add", "--sender", "US", "--measure", "Belavia", "--action", "eased",
              "--date", "2026-10-31", "--source", "Treasury", "--summary", "Licence")  # fmt: skip
# Odd values a snapshot must carry exactly: a fraction, an offset, non-ASCII text, relief
# with an expiry and conditions it is for.
ODD = """
[[evidence]]
id = "ev-odd-0001"
condition = "economy"
indicator = "balance"
value = 0.1
date = 2025-01-16
source = "Ministerstva \u0444\u0438\u043d\u0430\u043d\u0441\u043e\u0432 \u00ab\u0411\u00bb"
summary = "Tab\\tand \\"quotes\\", a backslash \\\\ and \U0001f600."
tags = ["a:b/c", "x.y"]
logged = 2025-01-16T23:30:00.123456+05:30

[[relief]]
id = "rl-odd-0001"
sender = "EU"
measure = "Potash  exports"
action = "suspended"
date = 2025-01-17
expires = 2025-07-17
for = ["prisoners", "troops"]
source = "Official Journal"
summary = "Suspended for six months."
logged = 2025-01-17T08:00:00-03:00
"""


@pytest.fixture(autouse=True)
def small_files_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records and snapshots for files of any size here (normally above 64 KiB only), so
    small generated trackers exercise them."""
    monkeypatch.setattr(remembered, "SMALL_BYTES", 0)


def snapshots(cache: Path) -> list[Path]:
    return sorted((cache / remembered.RECORDS).glob("*" + snapshot.SUFFIX))


def outputs(path: Path, env: dict[str, str] | None = None) -> list[tuple[int, str, str]]:
    results = [run(path, *command, env=env) for command in COMMANDS]
    for result in results:
        assert result.exception is None or isinstance(result.exception, SystemExit)
    return [(r.exit_code, r.stdout, r.stderr) for r in results]


def plain(path: Path) -> list[tuple[int, str, str]]:
    """The reference: records and snapshots off, every read a full one."""
    return outputs(path, env={remembered.ENV_CACHE: ""})


@pytest.fixture
def full_reads() -> Iterator[list[Any]]:
    """Each time a command parses the tracker (slice by slice, or whole)."""
    with watching(slices, "read_tracker") as calls:
        yield calls


def reseal(snap: Path, change: Callable[[Any], None]) -> None:
    """Rewrite a snapshot's document and seal it again, as condtrack would have written it."""
    first, _, body = snap.read_bytes().partition(b"\n")
    head = b" ".join(first.split(b" ")[:4])
    document = json.loads(body)
    change(document)
    body = json.dumps(document, ensure_ascii=False).encode()
    snap.write_bytes(head + b" " + seal_there(snap, head, body) + b"\n" + body)


def seal_there(snap: Path, head: bytes, body: bytes) -> bytes:
    """The seal condtrack would give these bytes in the snapshot's own folder."""
    fd = os.open(snap.parent, os.O_RDONLY)
    try:
        return snapshot._seal(head, body, remembered.folder_secret(fd))
    finally:
        os.close(fd)


def poison(document: Any) -> None:
    document[0]["tracker"]["title"] = POISON


def status_title(path: Path) -> str:
    result = run(path, "status", "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    title: str = json.loads(result.stdout)["title"]
    return title


def poisoned(path: Path, cache: Path) -> Path:
    """The tracker's snapshot, poisoned, after showing that as it is it would be believed."""
    run(path, "status")  # writes the snapshot
    [snap] = snapshots(cache)
    reseal(snap, poison)
    assert status_title(path) == POISON  # the control: a trusted snapshot is believed
    return snap


# --- the same answers -----------------------------------------------------------------------


@given(
    n=st.integers(min_value=8, max_value=60),
    seed=st.integers(min_value=0, max_value=2**16),
    relief=st.sampled_from([0, 4]),
)
@PROPERTY
def test_a_snapshot_gives_what_a_full_read_gives_on_generated_trackers(
    n: int, seed: int, relief: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("generated")
    cache = folder / "cache"
    path = folder / "conditions.toml"
    path.write_text(generate(n, seed, relief), encoding="utf-8")
    env = {remembered.ENV_CACHE: str(cache)}
    expected = plain(path)
    assert outputs(path, env) == expected  # the first read writes the snapshot
    assert len(snapshots(cache)) == 1
    with watching(slices, "read_tracker") as parsed:
        assert outputs(path, env) == expected
    assert parsed == []  # every command built the tracker from the snapshot


WITH_ODD = WITH_EVIDENCE.replace("schema = 1", "schema = 2", 1) + ODD  # relief: schema 2


@pytest.mark.parametrize("content", [WITH_EVIDENCE, WITH_ODD], ids=["amended", "odd"])
def test_odd_values_come_back_exactly(
    content: str, tmp_path: Path, private_cache: Path, full_reads: list[Any]
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(content, encoding="utf-8")
    expected = plain(path)
    assert [code for code, _, _ in expected] == [0, 1, 0, 0]  # valid (check: not ready)
    outputs(path)
    full_reads.clear()
    assert outputs(path) == expected
    assert full_reads == []
    fast = store_read(path)
    with plain_path_only():
        slow = store_read(path)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()  # 1 and 1.0, offsets: exactly


def store_read(path: Path) -> Any:
    from condtrack.storage import store

    return store.read_tracker(path.read_bytes(), path)


def test_appends_carry_the_snapshot_on(
    tmp_path: Path, private_cache: Path, full_reads: list[Any]
) -> None:
    """Each write leaves a snapshot of the new bytes (the base and what was added), so the
    next read parses nothing; the answers are a full read's."""
    path = tmp_path / "conditions.toml"
    path.write_text(generate(40, 7, 4), encoding="utf-8")
    run(path, "status")  # the first read: a full snapshot
    for write in (LOG_GENERATED, OBSERVE, RELIEF_ADD):
        full_reads.clear()
        result = run(path, *write)
        assert result.exit_code == 0, result.output
        assert full_reads == []  # the append read nothing in full either
        expected = plain(path)
        full_reads.clear()
        assert outputs(path) == expected
        assert full_reads == []
    # The additions name a base; both are needed, and kept.
    assert len(snapshots(private_cache)) >= 2


def test_additions_without_their_base_mean_a_full_read(
    tmp_path: Path, private_cache: Path, full_reads: list[Any]
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(generate(30, 3), encoding="utf-8")
    run(path, "status")
    [base] = snapshots(private_cache)
    assert run(path, *LOG_GENERATED).exit_code == 0
    base.unlink()
    expected = plain(path)
    full_reads.clear()
    assert outputs(path) == expected
    assert full_reads  # read in full, and a full snapshot written for next time
    full_reads.clear()
    assert outputs(path) == expected
    assert full_reads == []


def test_many_additions_are_folded_into_a_full_snapshot(
    tmp_path: Path, private_cache: Path, full_reads: list[Any]
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(generate(16, 5), encoding="utf-8")
    run(path, "status")
    for _ in range(3):  # 3 additions to 16 entries: more than a sixteenth
        assert run(path, *LOG_GENERATED).exit_code == 0
    expected = plain(path)
    assert outputs(path) == expected  # the first of these writes a full snapshot
    key = remembered.content_key(remembered.content_hash(path.read_bytes()))
    first = (private_cache / remembered.RECORDS / f"{key}.snap").read_bytes().partition(b"\n")[0]
    assert first.split(b" ")[3] == b"-"  # full: no base
    full_reads.clear()
    assert outputs(path) == expected
    assert full_reads == []


# --- never trusted when anything differs ----------------------------------------------------


def flip_last_byte(snap: Path) -> None:
    data = bytearray(snap.read_bytes())
    data[-2] ^= 0x01
    snap.write_bytes(bytes(data))


def forge_checksum(snap: Path) -> None:
    """The body changed and the checksum made up, not computed."""
    first, _, body = snap.read_bytes().partition(b"\n")
    fields = first.split(b" ")
    fields[4] = b"0" * 64
    snap.write_bytes(b" ".join(fields) + b"\n" + body.replace(b'"title"', b'"title"'))


def changed_body_old_seal(snap: Path) -> None:
    first, _, body = snap.read_bytes().partition(b"\n")
    document = json.loads(body)
    document[0]["tracker"]["title"] += " again"
    snap.write_bytes(first + b"\n" + json.dumps(document, ensure_ascii=False).encode())


def truncated(snap: Path) -> None:
    data = snap.read_bytes()
    snap.write_bytes(data[: len(data) // 2])


def not_json(snap: Path) -> None:
    """Sealed, but not what condtrack writes (a pickle's opening bytes): never loaded."""
    first = snap.read_bytes().partition(b"\n")[0]
    head = b" ".join(first.split(b" ")[:4])
    body = b"\x80\x04\x95cos\nsystem\n"
    snap.write_bytes(head + b" " + seal_there(snap, head, body) + b"\n" + body)


def wrong_shape(snap: Path) -> None:
    reseal(snap, lambda document: document[1].append([1, 2, 3]))


def another_key(snap: Path) -> None:
    """A sealed snapshot of other bytes, under this name."""
    first, _, body = snap.read_bytes().partition(b"\n")
    fields = first.split(b" ")
    fields[1] = b"f" * 64
    head = b" ".join(fields[:4])
    snap.write_bytes(head + b" " + seal_there(snap, head, body) + b"\n" + body)


DAMAGE: dict[str, Callable[[Path], object]] = {
    "a flipped byte": flip_last_byte,
    "a forged checksum": forge_checksum,
    "a changed body under the old checksum": changed_body_old_seal,
    "truncated": truncated,
    "not JSON": not_json,
    "a row of the wrong shape": wrong_shape,
    "another key's snapshot": another_key,
    "empty": lambda snap: snap.write_bytes(b""),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_snapshot_means_a_full_read(
    case: str, tmp_path: Path, private_cache: Path, full_reads: list[Any]
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_ODD, encoding="utf-8")
    expected = plain(path)
    snap = poisoned(path, private_cache)
    DAMAGE[case](snap)
    full_reads.clear()
    assert outputs(path) == expected
    assert full_reads  # read in full, never an error


def test_a_snapshot_made_by_other_code_is_not_believed(tmp_path: Path, private_cache: Path) -> None:
    """condtrack's code is part of the key: an upgrade (any change to its source, the
    readers, Python) finds no snapshot."""
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    expected = plain(path)
    poisoned(path, private_cache)
    remembered._rules_fingerprint.cache_clear()
    try:
        with mock.patch.object(remembered, "_rules_fingerprint", lambda: b"another condtrack"):
            assert outputs(path) == expected
    finally:
        remembered._rules_fingerprint.cache_clear()


def test_a_hand_edit_between_runs_is_read_in_full(tmp_path: Path, private_cache: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    poisoned(path, private_cache)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('summary = "Count."', 'summary = "Count, edited."'), "utf-8")
    expected = plain(path)
    assert outputs(path) == expected
    assert status_title(path) != POISON


def test_a_restored_or_copied_cache_is_not_believed(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot rewritten and sealed again (what anyone can do: the seal is no secret to
    whoever made the files) is believed only in the folder it was sealed in. A cache
    restored from elsewhere (a CI cache, a backup) is a new folder: nothing in it counts,
    so a forged verdict cannot come in with it; the file is read in full."""
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    poisoned(path, private_cache)  # believed where it was sealed
    restored = tmp_path / "restored"
    shutil.copytree(private_cache, restored)  # owner and modes as they were
    monkeypatch.setenv(remembered.ENV_CACHE, str(restored))
    assert status_title(path) != POISON
    plain = run(
        path, "status", "--format", "json", "--as-of", AS_OF, env={remembered.ENV_CACHE: ""}
    )
    assert run(path, "status", "--format", "json", "--as-of", AS_OF).stdout == plain.stdout


def test_the_switch_turns_snapshots_off(tmp_path: Path, private_cache: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    poisoned(path, private_cache)
    off = {remembered.ENV_CACHE: ""}
    result = run(path, "status", "--format", "json", "--as-of", AS_OF, env=off)
    assert json.loads(result.stdout)["title"] != POISON
    other = tmp_path / "other.toml"
    other.write_text(TRACKER, encoding="utf-8")
    before = sorted(p.name for p in (private_cache / remembered.RECORDS).iterdir())
    run(other, "status", env=off)
    assert sorted(p.name for p in (private_cache / remembered.RECORDS).iterdir()) == before


def given_to_nobody(snap: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    os.chown(snap, NOBODY, NOBODY)


def linked(snap: Path) -> None:
    snap.rename(snap.with_suffix(".real"))
    snap.symlink_to(snap.with_suffix(".real").name)


UNTRUSTED: dict[str, Callable[[Path], None]] = {
    "the snapshot is world-writable": lambda snap: snap.chmod(0o606),
    "the snapshot is group-writable": lambda snap: snap.chmod(0o660),
    "the folder is world-writable": lambda snap: snap.parent.chmod(0o777),
    "the snapshot belongs to another user": given_to_nobody,
    "the snapshot is a link": lambda snap: linked(snap),
}


@pytest.mark.parametrize("case", sorted(UNTRUSTED))
def test_a_snapshot_someone_else_could_write_is_ignored_and_kept(
    case: str, tmp_path: Path, private_cache: Path
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(WITH_EVIDENCE, encoding="utf-8")
    expected = plain(path)
    snap = poisoned(path, private_cache)
    UNTRUSTED[case](snap)
    kept = snap.read_bytes()
    assert outputs(path) == expected
    assert status_title(path) != POISON
    assert snap.read_bytes() == kept  # ignored, never deleted or rewritten


# --- real processes, real git ---------------------------------------------------------------

GIT = shutil.which("git")


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_a_checkout_of_another_version_between_runs(tmp_path: Path, private_cache: Path) -> None:
    """Versions checked out in turn, each read by a process of its own: each gets its own
    snapshot, and the answers are those of a full read of the version checked out."""
    assert GIT is not None
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}

    def git(*args: str) -> None:
        subprocess.run(
            [GIT, "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
            cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    path = tmp_path / "conditions.toml"
    path.write_text(generate(150, 11, 2), encoding="utf-8")  # above 64 KiB
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "one")
    first = real_run(path, "status", "--format", "json", "--as-of", AS_OF).stdout
    real_run(path, *LOG_GENERATED)
    git("commit", "-q", "-am", "two")
    second = real_run(path, "status", "--format", "json", "--as-of", AS_OF).stdout
    assert len(snapshots(private_cache)) >= 2
    git("checkout", "-q", "HEAD~1")
    assert real_run(path, "status", "--format", "json", "--as-of", AS_OF).stdout == first
    assert outputs(path) == plain(path)
    git("checkout", "-q", "-")
    assert real_run(path, "status", "--format", "json", "--as-of", AS_OF).stdout == second
    assert outputs(path) == plain(path)


def test_a_large_file_gets_a_snapshot_in_a_real_process(
    tmp_path: Path, private_cache: Path
) -> None:
    """Above 64 KiB, as shipped (a process of its own: no test setting)."""
    path = tmp_path / "conditions.toml"
    path.write_text(generate(200, 2), encoding="utf-8")
    assert path.stat().st_size > 64 << 10
    command = ("status", "--format", "json", "--as-of", AS_OF)
    first = real_run(path, *command).stdout
    [snap] = snapshots(private_cache)
    assert snap.stat().st_mode & 0o777 == 0o600
    reseal(snap, poison)
    assert json.loads(real_run(path, *command).stdout)["title"] == POISON  # believed
    snap.chmod(0o666)  # now anyone could have written it: not believed
    assert real_run(path, *command).stdout == first


def test_every_date_and_time_field_has_its_json_form() -> None:
    """Dates travel as day numbers and times as ISO 8601 text; a new field of either kind
    that the snapshot did not know would make every snapshot fail to write (caught, but
    slow), so the lists must name them all."""
    from condtrack.schema.models import Evidence, Relief, Retraction

    for model in (Evidence, Retraction, Relief):
        for name, info in model.model_fields.items():
            text = str(info.annotation)
            if "Datetime" in text or "datetime.datetime" in text:
                assert name in snapshot._MOMENTS, (model.__name__, name)
            elif "date" in text:
                assert name in snapshot._DATES, (model.__name__, name)
