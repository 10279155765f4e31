"""Appending on a record's word (``storage.appending`` with ``storage.remembered``)
gives exactly the plain path's results: logs with records write what logs without them
write, a record vouches for its own bytes only, damaged records are ignored, and the short
way refuses what the plain way refuses."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import condtrack.domain.entries
import condtrack.storage.appending
from condtrack.errors import CondtrackError
from condtrack.storage import remembered, slices, store
from condtrack.storage.appending import Appended, append
from tests.conftest import Invoke, as_unprivileged
from tests.fast_path_helpers import (
    ASSESS,
    EARLY_AS_OF,
    ECONOMY,
    FIXED_NOW,
    OBSERVE,
    assert_same,
    assert_same_run,
    deterministic,
    ids_in,
    plain_verdict,
    real_run,
    recall,
    record_seal,
    records,
    rewrite_record,
    status_both_ways,
    to_crlf,
    watching,
    with_and_without_records,
)
from tests.reliability.helpers import (
    WITH_EVIDENCE,
    evidence_block,
    ok,
    one_line_error,
    run,
    shared_folder,
)

# --- 3. logging on a record -----------------------------------------------------------------


@pytest.fixture
def with_evidence(tracker_file: Path) -> Path:
    """The ``cli`` fixture's file, holding evidence, an amendment and a retraction."""
    tracker_file.write_text(WITH_EVIDENCE, encoding="utf-8")
    return tracker_file


def test_a_log_after_a_recorded_one_reads_nothing_but_its_own_entry(
    cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    first = ok(cli(*ASSESS)).stdout.strip()
    [record] = records(private_cache)
    before = with_evidence.read_bytes()
    known = recall(before, private_cache)
    assert known is not None and first in known.ids

    with (
        watching(store, "read_checked") as full_reads,
        watching(slices, "read_tracker") as slice_reads,
        watching(condtrack.storage.appending, "_checked_briefly") as brief,
        watching(condtrack.storage.appending, "_checked_whole") as whole,
    ):
        second = ok(cli(*OBSERVE)).stdout.strip()

    assert full_reads == [] and slice_reads == [] and whole == [], "the file was read again"
    assert len(brief) == 1 and isinstance(brief[0], Appended)
    after = with_evidence.read_bytes()
    assert after.startswith(before)
    # A record now vouches for the new bytes, and the old one still for the old bytes
    # (they come back: a checkout, an undo), each for its own.
    assert len([name for name in records(private_cache) if name != record]) == 1
    assert record in records(private_cache)
    renewed = recall(after, private_cache)
    assert renewed is not None and renewed.ids == known.ids | {second}
    kept = recall(before, private_cache)
    assert kept is not None and kept.ids == known.ids
    # Read whole, the result is valid and holds the new entry once.
    ok(cli("validate"))
    assert ids_in(with_evidence).count(second) == 1
    fast, plain = status_both_ways(with_evidence, EARLY_AS_OF)
    assert_same_run(ok(fast), plain)


def test_the_first_log_on_a_tracker_without_evidence_leaves_a_record(
    cli: Invoke, tracker_file: Path, private_cache: Path
) -> None:
    """condtrack.storage.remembered: "After a write, condtrack records that the exact bytes it wrote
    form a valid tracker". A fresh tracker is where every log starts."""
    ok(cli(*ASSESS))
    assert recall(tracker_file.read_bytes(), private_cache) is not None, (
        "no record after the first log: the second log reads the whole file again"
    )
    with watching(store, "read_checked") as full_reads:
        ok(cli(*ASSESS, "--allow-duplicate"))
    assert full_reads == []


def test_logs_with_records_write_exactly_what_logs_without_write(
    tmp_path: Path, private_cache: Path
) -> None:
    path = tmp_path / "conditions.toml"
    again = [(*step, "--allow-duplicate") for step in (ASSESS, OBSERVE, ECONOMY)]
    # The last ASSESS is a duplicate (refused), the ones before are allowed.
    steps = [ASSESS, OBSERVE, ECONOMY, *again, ASSESS, again[0], ("validate",)]
    runs = with_and_without_records(path, WITH_EVIDENCE.encode(), steps, private_cache)
    (with_records, reads_with), (plain, reads_plain) = runs["records"], runs["plain"]

    assert with_records == plain
    assert [code for code, *_ in with_records] == [0] * 6 + [2, 0, 0]
    assert "duplicate of " in with_records[6][2]
    with_records.pop(6)
    assert reads_plain >= len(steps) - 1 and reads_with <= 2, (reads_with, reads_plain)
    new_ids = [stdout.strip() for _, stdout, _, _ in with_records[:-1]]
    assert len(set(new_ids)) == len(new_ids)
    assert sorted(ids_in(path)) == sorted(
        ["ev-aaaaaaaaaa", "ev-bbbbbbbbbb", "ev-cccccccccc", "ev-dddddddddd", *new_ids]
    )


def test_a_log_onto_bytes_that_came_back_reads_nothing_but_its_own_entry(
    cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    """A log, then the file as it was before it (a ``git checkout``, an undo, a copy made
    earlier): the old bytes' record is still there, so the next log checks its entry alone,
    and the result is what a full read makes of it."""
    ok(cli(*ASSESS))
    before = with_evidence.read_bytes()
    ok(cli(*OBSERVE))
    with_evidence.write_bytes(before)  # the file as it was
    with (
        watching(store, "read_checked") as full_reads,
        watching(slices, "read_tracker") as slice_reads,
        watching(condtrack.storage.appending, "_checked_whole") as whole,
    ):
        again = ok(cli(*OBSERVE, "--summary", "another report")).stdout.strip()
    assert full_reads == [] and slice_reads == [] and whole == [], "the file was read again"
    assert ids_in(with_evidence).count(again) == 1
    fast, plain = status_both_ways(with_evidence, EARLY_AS_OF)
    assert_same_run(ok(fast), plain)


def test_real_processes_log_on_each_others_records(
    with_evidence: Path, private_cache: Path
) -> None:
    def condtrack(*args: str) -> subprocess.CompletedProcess[str]:
        return real_run(with_evidence, *args)

    first = condtrack(*ASSESS).stdout.strip()
    before = with_evidence.read_bytes()
    known = recall(before, private_cache)
    assert known is not None and first in known.ids
    second = condtrack(*OBSERVE).stdout.strip()
    # A record used is extended: the new bytes' record is made from it, not from a full read
    # (which would have left its own), and the old bytes' record stays beside it.
    assert len(records(private_cache)) == 2
    kept = recall(before, private_cache)
    assert kept is not None and (kept.key, kept.ids) == (known.key, known.ids)
    renewed = recall(with_evidence.read_bytes(), private_cache)
    assert renewed is not None and renewed.ids == known.ids | {second}
    assert "valid (3 conditions, 6 evidence entries, 1 retraction)" in condtrack("validate").stdout


# A hypothesis-driven mix of writes, refusals and hand edits, with records and without.
OPERATIONS = st.lists(
    st.sampled_from(["assess", "observe", "economy", "bad-value", "bad-criterion", "amend",
                     "retract", "import", "hand-entry", "hand-title", "hand-break-and-undo"]),
    min_size=1,
    max_size=8,
)  # fmt: skip


def _steps(operations: list[str], texts: list[str], folder: Path) -> list[Any]:
    pieces = iter(texts)
    steps: list[Any] = []
    for number, operation in enumerate(operations):
        text = "t " + next(pieces, "plain")
        day = f"2025-03-{number + 1:02d}"
        common = (f"--summary={text}", "--source=Monitor", "--date", day)
        if operation == "assess":
            steps.append(("log", "troops", "-c", "troops-gone", "--status", "met", *common))
        elif operation == "observe":
            steps.append(("log", "prisoners", "-i", "held", "--value", str(900 - number), *common))
        elif operation == "economy":
            steps.append(("log", "economy", "-i", "balance", "--value", f"-{number}.5", *common))
        elif operation == "bad-value":
            steps.append(("log", "prisoners", "-i", "expelled", "--value", "-1", *common))
        elif operation == "bad-criterion":
            steps.append(("log", "troops", "-c", "troops-gon", *common))
        elif operation == "amend":  # once it works, then "already amended": both ways alike
            steps.append(("amend", "ev-dddddddddd", f"--summary={text}!", "--reason", "typo"))
        elif operation == "retract":
            steps.append(("retract", "ev-bbbbbbbbbb", "--reason", "wrong", "--date", day))
        elif operation == "import":
            rows = folder / f"rows{number}.json"
            row = {"condition": "troops", "date": day, "source": "Importer", "summary": text}
            rows.write_text(json.dumps([row, {**row, "summary": text + " (2)"}]), "utf-8")
            steps.append(("import", str(rows)))
        elif operation == "hand-entry":
            block = evidence_block(id=f'"ev-hand-{number}"')
            steps.append(
                lambda path, block=block: path.write_bytes(path.read_bytes() + block.encode())
            )
        elif operation == "hand-title":
            steps.append(
                lambda path: path.write_bytes(
                    re.sub(
                        rb'^title = "([^"]*)"',
                        rb'title = "\1+"',
                        path.read_bytes(),
                        count=1,
                        flags=re.M,
                    )
                )
            )
        else:  # break the file by hand, see a log refused, put the old bytes back
            saved: list[bytes] = []
            steps.append(lambda path, saved=saved: saved.append(path.read_bytes()))
            steps.append(lambda path: path.write_bytes(path.read_bytes() + b"\n[[evidence]]\n"))
            steps.append(("log", "troops", *common))
            steps.append(lambda path, saved=saved: path.write_bytes(saved[-1]))
            steps.append(("log", "troops", *common))
    return steps


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS, texts=st.lists(st.text(max_size=20)))
def test_any_mix_of_writes_comes_out_the_same_with_records_and_without(
    operations: list[str], texts: list[str], tmp_path: Path
) -> None:
    folder = Path(tmp_path) / f"run-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    cache = folder / "records"
    path = folder / "conditions.toml"
    steps = _steps(operations, texts, folder)

    runs = with_and_without_records(path, WITH_EVIDENCE.encode(), steps, cache)

    assert runs["records"][0] == runs["plain"][0]
    assert runs["records"][1] <= runs["plain"][1]
    ok(run(path, "validate"))


# --- 4. a record vouches for its own bytes only ---------------------------------------------


def _first_entry_condition_swapped(data: bytes) -> bytes:
    head = slices.head_length(data)
    assert head is not None
    at = data.index(b'condition = "troops"', head) + len(b'condition = "troop')
    return data[:at] + b"z" + data[at + 1 :]


def _first_entry_copied(data: bytes) -> bytes:
    head = slices.head_length(data)
    assert head is not None
    end = data.index(b"\n[[evidence]]", head + 1)
    return data + b"\n" + data[head:end] + b"\n"


BREAKING_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "an invalid entry appended": lambda data: (
        data + evidence_block(id='"ev-hand"', condition='"nowhere"').encode()
    ),
    "an entry table left empty": lambda data: data + b"\n[[evidence]]\n",
    "the head changed": lambda data: data.replace(b"schema = 1", b"schema = 4", 1),
    "a criterion renamed in the head": lambda data: data.replace(
        b'id = "bases-closed"', b'id = "bases-shut"', 1
    ),
    "truncated inside the last entry": lambda data: data[:-25],
    "a byte swapped inside an old entry": _first_entry_condition_swapped,
    "an old entry copied to the end": _first_entry_copied,
    "a stray byte that is not UTF-8": lambda data: data + b"# \xff\n",
}
HARMLESS_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "a summary reworded": lambda data: data.replace(b"Base closed.", b"Base shut.", 1),
    "the title changed": lambda data: data.replace(b"Testland:", b"Testland (2):", 1),
    "the last entry cut off": lambda data: data[: data.rindex(b"\n[[evidence]]") + 1],
    "a comment appended": lambda data: data + b"# checked by hand\n",
    "CRLF line endings": to_crlf,
    "a valid entry appended": lambda data: data + evidence_block(id='"ev-hand"').encode(),
}


@pytest.mark.parametrize("edit", list(BREAKING_EDITS))
def test_a_log_after_a_breaking_hand_edit_is_refused_as_without_a_record(
    edit: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    recorded = with_evidence.read_bytes()
    assert recall(recorded, private_cache) is not None
    edited = BREAKING_EDITS[edit](recorded)
    assert edited != recorded
    with_evidence.write_bytes(edited)

    plain = one_line_error(cli(*OBSERVE, env={remembered.ENV_CACHE: ""}))
    assert with_evidence.read_bytes() == edited
    with watching(store, "read_checked") as full_reads:
        refused = one_line_error(cli(*OBSERVE))

    assert refused == plain
    assert with_evidence.read_bytes() == edited
    assert full_reads, "the edited file was not read in full"
    assert recall(edited, private_cache) is None


@pytest.mark.parametrize("edit", list(HARMLESS_EDITS))
def test_a_log_after_a_harmless_hand_edit_writes_what_the_plain_path_writes(
    edit: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    recorded = with_evidence.read_bytes()
    assert recall(recorded, private_cache) is not None
    edited = HARMLESS_EDITS[edit](recorded)
    assert edited != recorded

    runs = with_and_without_records(with_evidence, edited, [OBSERVE, ECONOMY], private_cache)

    assert runs["records"][0] == runs["plain"][0]
    assert all(code == 0 for code, *_ in runs["records"][0])
    ok(cli("validate"))


def _set_field(index: int, value: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        fields[index] = value(fields[index])

    return lambda record: rewrite_record(record, change)


def _leave_out_an_id(record: Path) -> None:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        lines.remove(b"ev-aaaaaaaaaa")
        fields[3] = str(len(lines)).encode()  # the count agrees; the body hash does not

    rewrite_record(record, change)


def _record_folder(record: Path) -> None:
    record.unlink()
    record.mkdir()
    (record / "inside").write_bytes(b"x")


def _undecodable_body(record: Path) -> None:
    def change(fields: list[bytes], lines: list[bytes]) -> None:
        lines[:] = [b"ev-\xff"]
        fields[3] = b"1"
        fields[4] = record_seal(record, b" ".join(fields[1:4]), b"ev-\xff")

    rewrite_record(record, change)


DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": lambda record: record.write_bytes(record.read_bytes()[:40]),
    "truncated in its ids": lambda record: record.write_bytes(record.read_bytes()[:-5]),
    "empty": lambda record: record.write_bytes(b""),
    "garbage": lambda record: record.write_bytes(b"\x00\xff garbage \n\n\x1b[2J" * 7),
    "wrong magic": _set_field(0, lambda magic: magic[:-1] + b"0"),
    "wrong size": _set_field(1, lambda size: str(int(size) + 1).encode()),
    "not a number": _set_field(1, lambda size: size + b"x"),
    "a 5000-digit number": _set_field(2, lambda head: b"9" * 5000),
    "head length zero": _set_field(2, lambda head: b"0"),
    "head length past the end": _set_field(2, lambda head: b"99999999"),
    "wrong count": _set_field(3, lambda count: str(int(count) + 1).encode()),
    "wrong body hash": _set_field(4, lambda h: h[:-1] + (b"1" if h.endswith(b"0") else b"0")),
    "an id left out": _leave_out_an_id,
    "an undecodable body": _undecodable_body,
    "a folder": _record_folder,
}  # fmt: skip


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_record_is_ignored(
    damage: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    assert recall(start, private_cache) is not None
    DAMAGE[damage](record)
    assert recall(start, private_cache) is None

    runs = with_and_without_records(with_evidence, start, [OBSERVE, ECONOMY], private_cache)

    assert runs["records"][0] == runs["plain"][0]
    assert all(code == 0 for code, *_ in runs["records"][0])
    assert runs["records"][1] >= 1, "a damaged record was trusted"
    ok(cli("validate"))


@pytest.mark.parametrize(
    ("command", "plain_outcome"),
    [
        (("log", "prisoners", "-i", "held", "--value", "-5", "-s", "x", "--source", "y"), 2),
        (("log", "economy", "-i", "balance", "--value", "7", "-s", "x", "--source", "y"), 0),
    ],
    ids=["below the minimum the record's head forgot", "a condition the record's head forgot"],
)
def test_a_record_with_a_wrong_head_length_is_not_trusted(
    command: tuple[str, ...],
    plain_outcome: int,
    cli: Invoke,
    with_evidence: Path,
    private_cache: Path,
) -> None:
    """A record's first line (size, head length, count) is covered by no hash: a head length
    damaged to another table boundary gives a shorter header that still validates."""
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    cut = start.index(b"minimum = 0\ncriterion")  # inside "held", before "economy"
    assert slices.read_header(start[:cut]) is not None  # a valid header, but not the file's
    _set_field(2, lambda head: str(cut).encode())(record)

    runs = with_and_without_records(with_evidence, start, [command, ("validate",)], private_cache)

    assert runs["plain"][0][0][0] == plain_outcome, runs["plain"][0][0]
    assert runs["records"][0] == runs["plain"][0]


def test_a_record_with_an_id_left_out_cannot_let_a_duplicate_in(
    cli: Invoke, with_evidence: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    [record] = records(private_cache)
    _leave_out_an_id(record)
    assert recall(start, private_cache) is None  # its body no longer matches its hash
    # The id generator offers the left-out id first, then a free one.
    offered = iter("aaaaaaaaaa" + "2222222222")
    monkeypatch.setattr(
        condtrack.domain.entries, "secrets", SimpleNamespace(choice=lambda _: next(offered))
    )

    new = ok(cli(*OBSERVE)).stdout.strip()

    assert new == "ev-2222222222"
    ok(cli("validate"))
    assert ids_in(with_evidence).count("ev-aaaaaaaaaa") == 1


@pytest.mark.parametrize("kind", ["a regular file", "inside a regular file"])
def test_a_record_location_that_is_no_folder_is_ignored(
    kind: str, cli: Invoke, with_evidence: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"x")
    location = blocker if kind == "a regular file" else blocker / "records"
    env = {remembered.ENV_CACHE: str(location)}
    new = [ok(cli(*command, env=env)).stdout.strip() for command in (ASSESS, OBSERVE, ECONOMY)]
    ok(cli("validate"))
    assert all(ids_in(with_evidence).count(n) == 1 for n in new)
    assert blocker.read_bytes() == b"x"


def test_an_unreadable_record_folder_is_ignored(private_cache: Path) -> None:
    with shared_folder() as folder:
        path = folder / "conditions.toml"
        path.write_text(WITH_EVIDENCE, encoding="utf-8")
        path.chmod(0o666)
        cache = folder / "records"
        cache.mkdir()
        env = {remembered.ENV_CACHE: str(cache)}
        ok(run(path, *ASSESS, env=env))
        start = path.read_bytes()
        assert recall(start, cache) is not None
        cache.chmod(0)  # a record for these bytes exists, but nobody may look

        def log_twice() -> list[list[Any]]:
            assert recall(start, cache) is None  # the record is out of reach
            with deterministic():
                results = [run(path, *command, env=env) for command in (OBSERVE, ECONOMY)]
            return [[r.exit_code, r.stdout, r.stderr] for r in results]

        unprivileged = as_unprivileged(log_twice)
        written = path.read_bytes()
        cache.chmod(0o700)
        runs = with_and_without_records(path, start, [OBSERVE, ECONOMY], private_cache)

    assert [[code, out, err] for code, out, err, _ in runs["plain"][0]] == unprivileged
    assert runs["plain"][0][-1][3] == written


# --- 5. the short way refuses what the plain way refuses ------------------------------------

EARLY_NOW = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
BASICS = ("-s", "Observed", "--source", "Monitor")
REFUSED_LOGS: dict[str, tuple[str, ...]] = {
    "an unknown condition": ("log", "nowhere", *BASICS),
    "an unknown criterion": ("log", "troops", "-c", "bases-close", "--status", "met", *BASICS),
    "an unknown indicator": ("log", "prisoners", "-i", "heldd", "--value", "3", *BASICS),
    "an indicator of another condition": ("log", "troops", "-i", "held", "--value", "3", *BASICS),
    "a value below the minimum": ("log", "prisoners", "-i", "held", "--value", "-1", *BASICS),
    "a float below the minimum": ("log", "prisoners", "-i", "freed", "--value", "-0.5", *BASICS),
    "a value without an indicator": ("log", "prisoners", "--value", "3", *BASICS),
    "a status without a criterion": ("log", "troops", "--status", "met", *BASICS),
    "a bad grade": ("log", "troops", "-r", "Z9", *BASICS),
    "a bad URL": ("log", "troops", "--url", "ftp://example.org", *BASICS),
    "a bad tag": ("log", "troops", "-t", "two words", *BASICS),
    "a date in the future": ("log", "troops", "--date", "2999-01-01", *BASICS),
    "a date after it was logged": ("log", "troops", "--date", "2025-01-20", *BASICS),
    "a blank summary": ("log", "troops", "-s", "  ", "--source", "Monitor"),
}
CLOCK = {"a date after it was logged": EARLY_NOW}  # the entry is logged before its date


@pytest.mark.parametrize("case", list(REFUSED_LOGS))
def test_a_log_refused_on_a_record_is_refused_the_same_without(
    case: str, cli: Invoke, with_evidence: Path, private_cache: Path
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    assert recall(start, private_cache) is not None
    command, now = REFUSED_LOGS[case], CLOCK.get(case, FIXED_NOW)

    runs = with_and_without_records(with_evidence, start, [command], private_cache, now)

    [(code, stdout, stderr, after)] = runs["records"][0]
    assert runs["records"][0] == runs["plain"][0]
    assert code == 2 and stdout == "" and stderr.startswith("error: ") and stderr.count("\n") == 1
    assert after == start
    assert runs["records"][1] == 0, "refused on the record's word, without a full read"


def _raw(**fields: Any) -> dict[str, Any]:
    entry = {
        "id": "ev-raw0000001",
        "condition": "troops",
        "date": dt.date(2025, 3, 1),
        "source": "Monitor",
        "summary": "Raw entry.",
        "logged": dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
    }
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


# Entries handed to ``append`` as they are, past the checks ``log`` makes first: only the
# short way (or the plain way) stands between them and the file. Each with what must come
# of it: "refused", appended the "short" way (on the record's word), or checked "whole".
RETRACT_D = {"evidence": "ev-dddddddddd", "reason": "x", "date": dt.date(2025, 3, 1)}
RAW_APPENDS: dict[str, tuple[list[tuple[str, dict[str, Any]]], str]] = {
    "an id already in the file": ([("evidence", _raw(id="ev-aaaaaaaaaa"))], "refused"),
    "the id of an amendment": ([("evidence", _raw(id="ev-cccccccccc"))], "refused"),
    "two new entries sharing an id": ([("evidence", _raw()), ("evidence", _raw())], "refused"),
    "an unknown condition": ([("evidence", _raw(condition="nowhere"))], "refused"),
    "an unknown criterion": ([("evidence", _raw(criterion="nope"))], "refused"),
    "a value below the minimum": (
        [("evidence", _raw(condition="prisoners", indicator="held", value=-3))],
        "refused",
    ),
    "dated days after it was logged": (
        [("evidence", _raw(date=dt.date(2025, 3, 9)))],
        "refused",
    ),
    "an unknown field": ([("evidence", _raw(bogus=1))], "refused"),
    "a status without a criterion": ([("evidence", _raw(status="met"))], "refused"),
    "a retraction of an unknown id": (
        [("retractions", {**RETRACT_D, "evidence": "ev-none"})],
        "refused",
    ),
    "an amendment of an unknown id": (
        [("evidence", _raw(supersedes="ev-none", reason="fix"))],
        "refused",
    ),
    "an amendment of an entry already amended": (
        [("evidence", _raw(supersedes="ev-bbbbbbbbbb", reason="fix"))],
        "refused",
    ),
    "two amendments of one entry": (
        [
            ("evidence", _raw(supersedes="ev-dddddddddd", reason="fix")),
            ("evidence", _raw(id="ev-raw0000002", supersedes="ev-dddddddddd", reason="again")),
        ],
        "refused",
    ),
    "two valid entries": (
        [("evidence", _raw()), ("evidence", _raw(id="ev-raw0000002", tags=["a", "b:c"]))],
        "short",
    ),
    "text with hidden characters and a header line": (
        [("evidence", _raw(summary="a\u202eb\n[[evidence]]\nc\x1b[0m", source="x\u200by"))],
        "short",
    ),
    "a float figure at the minimum": (
        [("evidence", _raw(condition="prisoners", indicator="freed", value=0.0))],
        "short",
    ),
    "an amendment": ([("evidence", _raw(supersedes="ev-dddddddddd", reason="fix"))], "whole"),
    "a retraction and new evidence": ([("retractions", RETRACT_D), ("evidence", _raw())], "whole"),
}


@pytest.mark.parametrize("case", list(RAW_APPENDS))
def test_an_append_on_a_record_is_checked_as_the_plain_path_checks_it(
    case: str,
    cli: Invoke,
    with_evidence: Path,
    private_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok(cli(*ASSESS))
    start = with_evidence.read_bytes()
    assert recall(start, private_cache) is not None
    new, expected = RAW_APPENDS[case]

    def attempt(folder: str) -> tuple[Appended | str, bytes, int]:
        with_evidence.write_bytes(start)
        monkeypatch.setenv(remembered.ENV_CACHE, folder)
        with watching(store, "read_checked") as full_reads:
            try:
                added: Appended | str = append(with_evidence, lambda current: new)
            except CondtrackError as error:
                added = str(error)
        return added, with_evidence.read_bytes(), len(full_reads)

    with_record = attempt(str(private_cache))
    plain = attempt("")

    assert with_record[:2] == plain[:2]
    if expected != "refused":
        assert isinstance(with_record[0], Appended)
        assert (with_record[2] == 0) == (expected == "short"), with_record[2]
        assert plain[1].startswith(start) and len(plain[1]) > len(start)
        assert_same(store.load(with_evidence).tracker, plain_verdict(plain[1], with_evidence))
    else:
        assert isinstance(with_record[0], str) and "refusing to append" in with_record[0]
        assert with_record[1] == start


def _fingerprint_of(package_root: Path) -> str:
    """The rules fingerprint that the copy of condtrack under ``package_root`` computes."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from condtrack.storage.remembered import _rules_fingerprint as f; "
            "d = f(); print(d.hex() if d else None)",
        ],
        env={**os.environ, "PYTHONPATH": str(package_root)},
        capture_output=True,
        text=True,
        check=True,
        cwd=package_root,
    )
    return done.stdout.strip()


def test_records_expire_with_any_change_to_condtrack_even_a_renamed_module(
    tmp_path: Path,
) -> None:
    """The rules a record stands for are all of condtrack's source, not a list of names
    that a rename or a new module could slip past."""
    import condtrack

    copy = tmp_path / "site" / "condtrack"
    shutil.copytree(
        Path(condtrack.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    root = copy.parent
    first = _fingerprint_of(root)
    assert first != "None" and first == _fingerprint_of(root)
    seen = {first}
    # a module moved or renamed ...
    (copy / "domain" / "chains.py").rename(copy / "domain" / "withdrawals.py")
    seen.add(_fingerprint_of(root))
    with (copy / "domain" / "withdrawals.py").open("a", encoding="utf-8") as renamed:
        renamed.write("\n# a rule changed\n")  # ... still counts under its new name
    seen.add(_fingerprint_of(root))
    (copy / "helpers_new.py").write_text("RULE = 1\n", encoding="utf-8")  # a new module
    seen.add(_fingerprint_of(root))
    with (copy / "render" / "markdown.py").open("a", encoding="utf-8") as nested:
        nested.write("\n# changed\n")  # and one in a subpackage
    seen.add(_fingerprint_of(root))
    assert len(seen) == 5


def test_records_expire_with_an_upgrade_of_pydantic_alone(tmp_path: Path) -> None:
    """Pydantic checks the entries: another version of it (found first on the path, as an
    upgrade would be) is other rules, though condtrack's source is the same."""
    import pydantic

    import condtrack

    copy = tmp_path / "site" / "condtrack"
    shutil.copytree(
        Path(condtrack.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    root = copy.parent
    installed = _fingerprint_of(root)
    fake = root / "pydantic"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('never imported')\n", encoding="utf-8")
    version = Path(pydantic.__file__).with_name("version.py").read_text(encoding="utf-8")
    (fake / "version.py").write_text(version, encoding="utf-8")
    assert _fingerprint_of(root) == installed  # the control: the same version, the same rules
    (fake / "version.py").write_text(
        version.replace(f"VERSION = '{pydantic.VERSION}'", "VERSION = '9.9.9'"), encoding="utf-8"
    )
    assert "9.9.9" in (fake / "version.py").read_text(encoding="utf-8")
    upgraded = _fingerprint_of(root)
    assert upgraded not in ("None", installed)
