"""Issue 15: `diff` and `report` cost little beyond reading the tracker, and `import` checks
only its new rows against what a record of the file vouches for, as `log` does.

Speed itself is `make bench`'s to measure (no timed assertions here); these tests hold the
means (one knowledge cut per point, no full read on a record) and that the outputs are
those of the plain path.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import condtrack.domain.changes
import condtrack.domain.knowledge
import condtrack.domain.scoring
from condtrack.storage import store
from tests.conftest import Invoke
from tests.fast_path_helpers import ASSESS, recall, watching, with_and_without_records
from tests.reliability.helpers import WITH_EVIDENCE, ok, run

ROWS = [
    {"condition": "troops", "criterion": "bases-closed", "status": "met", "date": "2025-03-01",
     "source": "Monitor", "summary": "Bases closed", "reliability": "B2"},
    {"condition": "prisoners", "indicator": "held", "value": "900", "date": "2025-03-02",
     "source": "Viasna", "summary": "Count", "url": "https://example.org/c", "tags": "a;b"},
    {"condition": "economy", "indicator": "balance", "value": "-2", "date": "2025-03-03",
     "source": "Ministry", "summary": "Deficit"},
]  # fmt: skip


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    names = sorted({name for row in rows for name in row})
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, names)
        writer.writeheader()
        writer.writerows(rows)


def test_import_on_a_record_reads_no_entry_of_the_file(tmp_path: Path, private_cache: Path) -> None:
    """The file's entries are not read: the rows are checked against the record `log` left,
    the file is written once, and a record of the result is left for the next command."""
    path = tmp_path / "conditions.toml"
    path.write_bytes(WITH_EVIDENCE.encode())
    rows = tmp_path / "rows.csv"
    write_rows(rows, ROWS)
    ok(run(path, *ASSESS))  # reads the file whole once, and leaves a record
    assert recall(path.read_bytes(), private_cache) is not None
    with watching(store, "read_checked") as full_reads, watching(store, "write_atomic") as writes:
        result = ok(run(path, "import", str(rows)))
    assert full_reads == [], "import read every entry of a file a record vouches for"
    assert len(writes) == 1
    assert len(result.stdout.split()) == len(ROWS)
    assert recall(path.read_bytes(), private_cache) is not None, "no record after the import"
    with watching(store, "read_checked") as full_reads:
        ok(run(path, *ASSESS, "--allow-duplicate"))
    assert full_reads == []


def test_import_on_a_record_does_what_the_plain_import_does(
    tmp_path: Path, private_cache: Path
) -> None:
    """Byte for byte the same files, outputs and refusals with records and without:
    new rows, rows already recorded (an export imported back), a bad row, a duplicate."""
    path = tmp_path / "conditions.toml"
    rows, bad, export = tmp_path / "rows.csv", tmp_path / "bad.csv", tmp_path / "export.csv"
    write_rows(rows, ROWS)
    write_rows(bad, [{**ROWS[0], "summary": "Other"}, {**ROWS[1], "condition": "nowhere"}])

    def exported(target: Path) -> None:
        ok(run(target, "evidence", "--all", "--format", "csv", "-o", str(export)))

    steps: list[Any] = [
        ASSESS,
        ("import", str(rows)),
        ("import", str(rows)),  # duplicates: refused
        ("import", str(bad)),  # a bad row: refused, nothing written
        exported,
        ("import", str(export), "--skip-duplicates"),  # every row recorded already
        ("import", str(rows), "--dry-run", "--skip-duplicates"),
        ("status", "--format", "json", "--as-of", "2025-06-01"),
    ]
    runs = with_and_without_records(path, WITH_EVIDENCE.encode(), steps, private_cache)
    (with_records, reads_with), (plain, _) = runs["records"], runs["plain"]
    assert with_records == plain
    assert [code for code, *_ in with_records] == [0, 0, 2, 2, 0, 0, 0]
    assert "nowhere" in with_records[3][2]
    # The first log reads the file whole, as does the export of every entry (and status);
    # the imports read it only for the export's rows, which carry ids of its entries.
    assert reads_with <= 4


def test_diff_cuts_the_tracker_once_for_each_point(cli: Invoke, log: Any) -> None:
    """`diff` compares two assessments; each knowledge cut (a walk through every entry,
    which builds a new tracker) is made once, not once per use."""
    log("troops", criterion="bases-closed", status="partial", date="2025-01-10")
    log("troops", criterion="bases-closed", status="met", date="2025-02-10")
    real = condtrack.domain.knowledge.known_at
    cuts: list[object] = []

    def counted(tracker: Any, moment: Any) -> Any:
        if moment is not None:
            cuts.append(moment)
        return real(tracker, moment)

    real_kept = condtrack.domain.knowledge.known_at_kept

    def counted_kept(tracker: Any, moment: Any) -> Any:  # the cut, and what it kept
        if moment is not None:
            cuts.append(moment)
        return real_kept(tracker, moment)

    with (
        mock.patch.object(condtrack.domain.knowledge, "known_at", counted),
        mock.patch.object(condtrack.domain.changes, "known_at", counted),
        mock.patch.object(condtrack.domain.scoring, "known_at", counted),
        mock.patch.object(condtrack.domain.changes, "known_at_kept", counted_kept),
    ):
        result = ok(cli("diff", "--since", "2025-01-31", "--until", "2025-03-01"))
        known = ok(
            cli("diff", "--since", "2025-01-31", "--known-at", "2025-03-01", "--format", "json")
        )
    assert "partial" in result.stdout and "met" in result.stdout
    assert '"known_at"' in known.stdout
    # By logged time: known at the end of --since, and known at --known-at (the second run).
    assert len(cuts) == 3, cuts


@pytest.mark.parametrize("output_format", ["html", "markdown", "csv", "json"])
def test_report_of_a_tracker_with_history_is_unchanged_by_the_shortcuts(
    cli: Invoke, log: Any, output_format: str
) -> None:
    """The report's chart and figures from a walk of many observations: the same with the
    short ways as the values drawn say (each value shown)."""
    for day, value in ((10, 1000), (11, 950), (12, 955.5), (13, 900)):
        log("prisoners", indicator="held", value=str(value), date=f"2025-01-{day}")
    result = ok(cli("report", "--format", output_format, "--as-of", "2025-02-01"))
    assert "900" in result.stdout
    if output_format == "html":
        assert result.stdout.count("<circle ") == 4
