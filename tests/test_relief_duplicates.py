"""Duplicate relief entries: `relief add` and `import` refuse a step already recorded, as
`log` and `import` refuse a report already recorded (``schema.reports.relief_step``).

A step is the same sender and measure (case and spacing ignored, as the ledger identifies a
measure), action and date, and no different instrument: the source and the summary say who
reported it, not what the sender did.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import condtrack.storage.appending
from condtrack.storage import store
from tests.conftest import SMALL_TRACKER
from tests.fast_path_helpers import plain_path_only, watching
from tests.reliability.helpers import ok, refused, run

BASE = {"sender": "US", "measure": "Belavia", "action": "eased", "date": "2025-09-11",
        "source": "OFAC", "summary": "licence"}  # fmt: skip


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def args(*extra: str, **fields: str) -> list[str]:
    values = {**BASE, **fields}
    return ["relief", "add", *(f"--{k}={v}" for k, v in values.items()), *extra]


def add(path: Path, *extra: str, **fields: str) -> str:
    return ok(run(path, *args(*extra, **fields))).stdout.strip()


def relief_ids(path: Path) -> list[str]:
    listed = json.loads(ok(run(path, "relief", "list", "--format", "json")).stdout)
    return [entry["id"] for entry in listed]


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"source": "Reuters", "summary": "another report of it", "url": "https://x.org/a"},
        {"sender": "us", "measure": "  BELAVIA "},
        {"reliability": "A1", "for": "prisoners", "tag": "second"},
    ],
    ids=["identical", "other-source", "case-and-spacing", "other-details"],
)
def test_relief_add_refuses_the_same_step_naming_the_entry(
    tracker: Path, same: dict[str, str]
) -> None:
    first = add(tracker)
    error = refused(tracker, *args(**same), expect=[f"duplicate of {first}", "--allow-duplicate"])
    assert "same sender, measure, action and date" in error
    assert relief_ids(tracker) == [first]


def test_allow_duplicate_records_the_same_step_anyway(tracker: Path) -> None:
    first = add(tracker)
    second = add(tracker, "--allow-duplicate")
    assert second != first and relief_ids(tracker) == [first, second]
    ok(run(tracker, "validate"))  # a duplicate the user asked for is a valid file


@pytest.mark.parametrize(
    "other",
    [{"date": "2025-09-12"}, {"action": "lifted"}, {"measure": "potash"}, {"sender": "EU"}],
    ids=["date", "action", "measure", "sender"],
)
def test_another_step_is_not_a_duplicate(tracker: Path, other: dict[str, str]) -> None:
    first = add(tracker)
    second = add(tracker, **other)
    assert relief_ids(tracker) == [first, second]


def test_instruments_two_named_licences_are_two_steps_an_unnamed_one_is_either(
    tracker: Path,
) -> None:
    first = add(tracker, instrument="GL 11")
    second = add(tracker, instrument="GL 12")  # two licences, one day: two steps
    refused(tracker, *args(instrument="gl  11"), expect=[f"duplicate of {first}"])
    refused(tracker, *args(), expect=[f"duplicate of {first}"])  # names none: the same step
    assert relief_ids(tracker) == [first, second]
    other = tracker.with_name("other.toml")
    other.write_text(SMALL_TRACKER, encoding="utf-8")
    unnamed = add(other)
    refused(other, *args(instrument="GL 11"), expect=[f"duplicate of {unnamed}"])


def test_a_step_withdrawn_or_corrected_may_be_recorded_again(tracker: Path) -> None:
    first = add(tracker)
    ok(run(tracker, "retract", first, "--reason", "logged in error"))
    again = add(tracker)  # the retracted entry no longer records the step
    refused(tracker, *args(), expect=[f"duplicate of {again}"])
    corrected = ok(
        run(tracker, "relief", "amend", again, "--date", "2025-09-12", "--reason", "a day late")
    ).stdout.strip()
    # The amendment holds the step now (it is not refused as a copy of its original) ...
    refused(tracker, *args(date="2025-09-12"), expect=[f"duplicate of {corrected}"])
    # ... and the original's date is no longer on record.
    third = add(tracker)
    assert relief_ids(tracker) == [first, again, third, corrected]  # by date


def test_a_duplicate_is_refused_the_same_with_records_and_without(
    tracker: Path, private_cache: Path
) -> None:
    first = add(tracker)
    add(tracker, measure="potash")  # a record of the file now vouches for its bytes
    # A new step is checked against the record's relief entries: the file is not read.
    with (
        watching(store, "read_checked") as full_reads,
        watching(condtrack.storage.appending, "_checked_briefly") as brief,
    ):
        add(tracker, measure="Belavia, again")
    assert full_reads == [] and len(brief) == 1
    # A recorded step is refused (reading the retractions, which a record does not hold).
    with_records = refused(tracker, *args(), expect=[f"duplicate of {first}"])
    with plain_path_only():
        plain = refused(tracker, *args(), expect=[f"duplicate of {first}"])
    assert plain == with_records


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def test_import_refuses_relief_rows_of_recorded_steps_and_repeated_rows(
    tracker: Path, tmp_path: Path
) -> None:
    first = add(tracker)
    row = {"kind": "relief", **BASE, "source": "Reuters", "summary": "the same easing"}
    fresh = {**row, "measure": "potash", "date": "2025-12-15"}
    rows = write_rows(tmp_path / "rows.json", [row, fresh, {**fresh, "summary": "again"}])
    before = tracker.read_bytes()
    result = run(tracker, "import", str(rows))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"row 1: duplicate of {first}" in result.stderr
    assert "row 3: duplicate of row 2" in result.stderr
    assert "nothing imported: 2 duplicates" in result.stderr
    assert tracker.read_bytes() == before
    imported = ok(run(tracker, "import", str(rows), "--skip-duplicates"))
    assert len(imported.stdout.split()) == 1 and "2 duplicates skipped" in imported.stderr
    assert relief_ids(tracker) == [first, imported.stdout.strip()]


def test_an_exported_ledger_imports_back_as_duplicates(tracker: Path, tmp_path: Path) -> None:
    add(tracker)
    add(tracker, measure="potash")
    exported = tmp_path / "ledger.csv"
    ok(run(tracker, "relief", "list", "--format", "csv", "-o", str(exported)))
    other = tmp_path / "other.toml"
    other.write_text(SMALL_TRACKER, encoding="utf-8")
    ok(run(other, "import", str(exported)))
    # Into the same file, without ids: each row is a step already recorded.
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = [{k: v for k, v in row.items() if k != "id"} for row in csv.DictReader(handle)]
    stripped = tmp_path / "no-ids.csv"
    with stripped.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = other.read_bytes()
    result = run(other, "import", str(stripped))
    assert result.exit_code == 2 and "nothing imported: 2 duplicates" in result.stderr
    assert other.read_bytes() == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sender=st.sampled_from(["US", "us", "Us"]),
    spaces=st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=3, max_size=3),
    upper=st.booleans(),
)
def test_property_any_spelling_of_the_measure_is_the_same_step(
    tmp_path_factory: pytest.TempPathFactory, sender: str, spaces: list[str], upper: bool
) -> None:
    path = tmp_path_factory.mktemp("dup") / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    first = add(path, measure="potash: Belaruskali BPC")
    name = f"{spaces[0]}potash:{spaces[1]}Belaruskali{spaces[2]}BPC "
    refused(
        path,
        *args(sender=sender, measure=name.upper() if upper else name),
        expect=[f"duplicate of {first}"],
    )
