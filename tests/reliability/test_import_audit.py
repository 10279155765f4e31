"""Bulk import (one write, all or nothing, duplicates) and the audit trail (amend, history,
validate, ``validate --against-git`` in a real git repository)."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import condtrack.storage.store
from tests.reliability.helpers import (
    TRACKER,
    document,
    evidence_block,
    evidence_of,
    invalid,
    logged_id,
    not_a_crash,
    ok,
    one_line_error,
    refused,
    run,
    write_csv,
    write_json,
)

HEADER = ("condition", "indicator", "value", "date", "source", "reliability", "summary", "tags")
ROWS = 10_000


def big_rows() -> list[dict[str, str]]:
    return [
        {"condition": "prisoners", "indicator": "freed", "value": str(n % 50),
         "date": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}", "source": f"registry {n % 7}",
         "reliability": "B2", "summary": f"release record {n}", "tags": "bulk;registry"}
        for n in range(ROWS)
    ]  # fmt: skip


class Writes:
    """Counts the atomic writes, renames and exclusive locks of one command."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.writes = self.renames = self.locks = 0
        real_write, real_replace, real_flock = (
            condtrack.storage.store.write_atomic,
            os.replace,
            fcntl.flock,
        )

        def write(*args: Any, **kwargs: Any) -> None:
            self.writes += 1
            real_write(*args, **kwargs)

        records = os.environ[
            "CONDTRACK_CACHE_DIR"
        ]  # condtrack.storage.remembered's, not the file's

        def replace(*args: Any, **kwargs: Any) -> None:
            # Records are renamed inside their folder's descriptor (dst_dir_fd).
            self.renames += "dst_dir_fd" not in kwargs and not str(args[1]).startswith(records)
            real_replace(*args, **kwargs)

        def flock(fd: int, operation: int) -> None:
            self.locks += bool(operation & fcntl.LOCK_EX)
            real_flock(fd, operation)

        monkeypatch.setattr(condtrack.storage.store, "write_atomic", write)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(fcntl, "flock", flock)


def test_ten_thousand_rows_are_one_write(
    tracker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = big_rows()
    source = write_csv(tmp_path / "bulk.csv", rows, HEADER)
    old = tracker.read_bytes()
    inode = tracker.stat().st_ino
    count = Writes(monkeypatch)
    result = ok(run(tracker, "import", str(source)))
    assert (count.writes, count.renames, count.locks) == (1, 1, 1)
    assert tracker.stat().st_ino != inode
    assert result.stderr == f"imported {ROWS} entries into {tracker}\n"
    new = tracker.read_bytes()
    assert new.startswith(old)
    entries = evidence_of(tracker)
    assert [e["summary"] for e in entries] == [r["summary"] for r in rows]  # in order, once
    assert [e["id"] for e in entries] == result.stdout.split()
    assert len(set(result.stdout.split())) == ROWS
    assert entries[7]["value"] == 7 and entries[7]["tags"] == ["bulk", "registry"]
    ok(run(tracker, "validate"))


def test_one_bad_row_in_ten_thousand_writes_nothing(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = big_rows()
    rows[7776]["date"] = "2025-02-30"  # CSV row 7778: the header is row 1
    rows[9998]["value"] = "-3"  # below the minimum of 0
    source = write_csv(tmp_path / "bulk.csv", rows, HEADER)
    before, stat = filled.read_bytes(), filled.stat()
    count = Writes(monkeypatch)
    result = run(filled, "import", str(source))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{source}: row 7778, field 'date': '2025-02-30' is not a valid date",
        f"{source}: row 10000, field 'value': -3 is below freed's minimum of 0",
        "error: nothing imported: 2 bad rows",
    ]
    assert count.writes == count.renames == 0
    assert filled.read_bytes() == before
    assert (filled.stat().st_ino, filled.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)


def test_json_import_is_typed_and_all_or_nothing(filled: Path, tmp_path: Path) -> None:
    items: list[dict[str, Any]] = [
        {"condition": "prisoners", "indicator": "held", "value": 900, "date": "2025-02-01",
         "source": "Viasna", "summary": "count", "tags": ["monthly", "viasna"],
         "reliability": "a1"},
        {"condition": "economy", "indicator": "balance", "value": -2.5, "date": "2025-02-02",
         "source": "Ministry", "summary": "deficit", "tags": "q1;q2",
         "url": "https://example.org/deficit", "id": "gov-2025-02"},
        {"condition": "troops", "criterion": "troops-gone", "status": "partial",
         "date": "2025-02-03", "source": "Monitor", "summary": "some left",
         "logged": "ignored", "retracted": None},
    ]  # fmt: skip
    source = write_json(tmp_path / "rows.json", items)
    before = filled.read_bytes()
    result = ok(run(filled, "import", str(source)))
    new = evidence_of(filled)[-3:]
    assert [e["id"] for e in new] == result.stdout.split()
    assert type(new[0]["value"]) is int and type(new[1]["value"]) is float
    assert new[0]["tags"] == ["monthly", "viasna"] and new[1]["tags"] == ["q1", "q2"]
    assert new[0]["reliability"] == "A1" and new[1]["id"] == "gov-2025-02"
    assert filled.read_bytes().startswith(before)

    before = filled.read_bytes()
    broken = [*items[:2], {"condition": "troops", "date": "2025-02-03", "source": "s",
                           "summary": {"nested": "object"}}, 5]  # fmt: skip
    for payload, message in (
        (broken, "item 4 is not an object"),
        ({"not": "a list"}, "expected a JSON list"),
        ([{"condition": "troops", "colour": "red"}], "unknown field 'colour'"),
    ):
        refused(filled, "import", str(write_json(tmp_path / "bad.json", payload)),
                expect=(message,))  # fmt: skip
    (tmp_path / "broken.json").write_text('[{"condition": "troops",', "utf-8")
    refused(filled, "import", str(tmp_path / "broken.json"), expect=("not valid JSON",))
    assert filled.read_bytes() == before


def test_duplicates_are_reported_then_skipped_on_request(filled: Path, tmp_path: Path) -> None:
    header = ("condition", "criterion", "status", "date", "source", "summary", "url",
              "reliability")  # fmt: skip
    rows = [
        # the same report as ev-aaaaaaaaaa, by its summary ...
        {"condition": "troops", "criterion": "bases-closed", "status": "met",
         "date": "2025-01-10", "source": "Monitor", "summary": "Base closed.", "url": "",
         "reliability": "B2"},
        # ... and by its URL
        {"condition": "troops", "criterion": "bases-closed", "status": "met",
         "date": "2025-01-10", "source": "Monitor", "summary": "Reworded.",
         "url": "https://example.org/a?b=1", "reliability": "B2"},
        {"condition": "troops", "date": "2025-02-01", "source": "New", "summary": "fresh",
         "url": "", "reliability": "B2"},
        # the row before, twice more
        {"condition": "troops", "date": "2025-02-01", "source": "New", "summary": "fresh",
         "url": "", "reliability": "A1"},
        {"condition": "troops", "date": "2025-02-01", "source": " New ", "summary": "fresh",
         "url": "", "reliability": "C3"},
    ]  # fmt: skip
    source = write_csv(tmp_path / "dups.csv", rows, header)
    before = filled.read_bytes()
    result = run(filled, "import", str(source))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{source}: row 2: duplicate of ev-aaaaaaaaaa",
        f"{source}: row 3: duplicate of ev-aaaaaaaaaa",
        f"{source}: row 5: duplicate of row 4",
        f"{source}: row 6: duplicate of row 4",
        "error: nothing imported: 4 duplicates (--skip-duplicates leaves them out)",
    ]
    assert filled.read_bytes() == before

    result = ok(run(filled, "import", str(source), "--skip-duplicates"))
    [new_id] = result.stdout.split()
    assert result.stderr == f"imported 1 entry into {filled}, 4 duplicates skipped\n"
    assert evidence_of(filled)[-1]["id"] == new_id and len(evidence_of(filled)) == 5

    # Again: everything is a duplicate now, and nothing is written at all.
    stat = filled.stat()
    result = ok(run(filled, "import", str(source), "--skip-duplicates"))
    assert result.stdout == "" and "imported 0 entries" in result.stderr
    assert (filled.stat().st_ino, filled.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_an_export_imported_back_is_all_duplicates_of_its_own_ids(
    filled: Path, tmp_path: Path, kind: str
) -> None:
    exported = ok(run(filled, "evidence", "--format", kind)).stdout
    source = tmp_path / f"export.{kind}"
    source.write_text(exported, "utf-8")
    if kind == "csv":
        ids = [row["id"] for row in csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))]
    else:
        ids = [entry["id"] for entry in json.loads(exported)]
    assert len(ids) >= 3  # the control: the export holds entries to import back
    before = filled.read_bytes()
    result = run(filled, "import", str(source))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[:-1] == [
        f"{source}: row {number}: duplicate of {entry_id}"
        for number, entry_id in enumerate(ids, start=2 if kind == "csv" else 1)
    ]
    assert lines[-1].startswith(f"error: nothing imported: {len(ids)} duplicates")
    result = ok(run(filled, "import", str(source), "--skip-duplicates"))
    assert result.stdout == "" and "imported 0 entries" in result.stderr
    assert filled.read_bytes() == before


def test_a_row_whose_id_names_another_report_is_refused(filled: Path, tmp_path: Path) -> None:
    taken = evidence_of(filled)[0]["id"]
    row = {"id": taken, "condition": "troops", "date": "2025-03-01", "source": "Elsewhere",
           "summary": "A different report."}  # fmt: skip
    source = write_csv(tmp_path / "clash.csv", [row], tuple(row))
    before = filled.read_bytes()
    result = run(filled, "import", str(source))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{source}: row 2, field 'id': id {taken!r} is used twice",
        "error: nothing imported: 1 bad row",
    ]
    assert filled.read_bytes() == before


def test_dry_run_checks_everything_and_writes_nothing(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = big_rows()[:50]
    source = write_csv(tmp_path / "rows.csv", rows, HEADER)
    before, inode = filled.read_bytes(), filled.stat().st_ino
    count = Writes(monkeypatch)
    result = ok(run(filled, "import", str(source), "--dry-run", env={"COLUMNS": "200"}))
    assert "release record 49" in result.stdout
    assert result.stderr == f"would import 50 entries into {filled}\n"
    assert count.writes == 0 and filled.read_bytes() == before
    assert filled.stat().st_ino == inode
    rows[3]["condition"] = "nope"
    result = run(filled, "import", str(write_csv(tmp_path / "bad.csv", rows, HEADER)), "--dry-run")
    assert result.exit_code == 2 and result.stdout == ""
    assert "row 5, field 'condition'" in result.stderr
    assert filled.read_bytes() == before


def test_a_giant_csv_cell_is_a_clear_error(filled: Path, tmp_path: Path) -> None:
    rows = [{"condition": "troops", "date": "2025-01-02", "source": "s", "summary": "x" * 200_000}]
    source = write_csv(tmp_path / "giant.csv", rows, ("condition", "date", "source", "summary"))
    before = filled.read_bytes()
    result = run(filled, "import", str(source))
    not_a_crash(result)
    assert result.exit_code == 2 and "giant.csv" in result.stderr
    assert filled.read_bytes() == before


def test_deeply_nested_json_is_a_clear_error(filled: Path, tmp_path: Path) -> None:
    source = tmp_path / "deep.json"
    source.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    one_line_error(run(filled, "import", str(source)))


# --- amendments and their history -----------------------------------------------------------


def status_of(path: Path, condition: str) -> dict[str, Any]:
    result = ok(run(path, "status", "--format", "json", "--as-of", "2025-03-01"))
    data: dict[str, Any] = next(
        c for c in json.loads(result.stdout)["conditions"] if c["id"] == condition
    )
    return data


def test_an_amendment_supersedes_and_history_shows_the_chain(tracker: Path) -> None:
    first = logged_id(tracker, "log", "troops", "-s", "Bases closed", "--source", "Monitor",
                      "-c", "bases-closed", "--status", "met", "-r", "A1", "--date",
                      "2025-02-01")  # fmt: skip
    logged_id(tracker, "log", "troops", "-s", "Troops gone", "--source", "Monitor",
              "-c", "troops-gone", "--status", "met", "-r", "A1",
              "--date", "2025-02-01")  # fmt: skip
    assert status_of(tracker, "troops")["status"] == "met"

    # Corrected: not met, and observed earlier than first logged. Were the original still
    # counted, it would be the latest assessment and the condition would stay met.
    second = logged_id(tracker, "amend", first, "--status", "not-met", "--date", "2025-01-15",
                       "--reason", "the base reopened")  # fmt: skip
    third = logged_id(tracker, "amend", second, "--summary", "One base still open",
                      "--reason", "wording")  # fmt: skip
    # The superseded versions no longer count ...
    assert status_of(tracker, "troops")["status"] != "met"
    explained = ok(run(tracker, "explain", "troops", "--as-of", "2025-03-01",
                       env={"COLUMNS": "200"})).stdout  # fmt: skip
    assert f"superseded by {second}" in explained and f"superseded by {third}" in explained
    # ... are hidden from the evidence list, and shown with --all.
    listed = json.loads(ok(run(tracker, "evidence", "--format", "json")).stdout)
    everything = json.loads(ok(run(tracker, "evidence", "--all", "--format", "json")).stdout)
    assert first not in {r["id"] for r in listed} and second not in {r["id"] for r in listed}
    assert {first, second, third} <= {r["id"] for r in everything}
    newest = next(r for r in everything if r["id"] == third)
    assert (newest["supersedes"], newest["reason"], newest["status"]) == (
        second, "wording", "not-met")  # fmt: skip

    # Any version's id gives the whole chain, oldest first.
    for version in (first, second, third):
        chain = json.loads(ok(run(tracker, "history", version, "--format", "json")).stdout)
        assert [v["id"] for v in chain["versions"]] == [first, second, third]
        assert chain["current"] == third
    table = ok(run(tracker, "history", first, env={"COLUMNS": "200"})).stdout
    assert "v1" in table and "v2" in table and "v3" in table
    assert "changed: status, date" in table and "reason: the base reopened" in table
    assert "changed: summary" in table and "reason: wording" in table
    assert table.index("(superseded)") < table.index("(current)")

    # A superseded version cannot be amended again; the current one is named.
    refused(tracker, "amend", first, "--summary", "x", "--reason", "r",
            expect=(f"already amended by {second}",))  # fmt: skip
    refused(tracker, "amend", third, "--summary", "One base still open", "--reason", "r",
            expect=("changes nothing",))  # fmt: skip
    ok(run(tracker, "retract", third, "--reason", "withdrawn"))
    refused(tracker, "amend", third, "--summary", "y", "--reason", "r", expect=("retracted",))
    table = ok(run(tracker, "history", second, env={"COLUMNS": "200"})).stdout
    assert "retracted" in table and "withdrawn" in table


@pytest.mark.parametrize(
    "args",
    [("amend", "ev-cccccccccc", "--summary", "x"), ("retract", "ev-dddddddddd"),
     ("amend", "ev-cccccccccc", "--summary", "x", "--reason", " "),
     ("retract", "ev-dddddddddd", "--reason", "")],
    ids=["amend-missing", "retract-missing", "amend-blank", "retract-blank"],
)  # fmt: skip
def test_amend_and_retract_require_a_reason(filled: Path, args: tuple[str, ...]) -> None:
    refused(filled, *args, expect=("--reason",))


def test_history_shows_logged_times_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER + evidence_block(logged="2025-01-11T09:00:00+05:00"), "utf-8")
    table = ok(run(path, "history", "ev-hand", env={"COLUMNS": "200"})).stdout
    assert "2025-01-11 04:00Z" in table, table


def test_a_short_retraction_can_be_appended(tracker: Path, tmp_path: Path) -> None:
    rows = [{"id": "a1", "condition": "troops", "date": "2025-01-02", "source": "s",
             "summary": "x"}]  # fmt: skip
    source = write_csv(tmp_path / "ids.csv", rows, ("id", "condition", "date", "source", "summary"))
    ok(run(tracker, "import", str(source)))
    old = tracker.read_bytes()
    ok(run(tracker, "retract", "a1", "--reason", "dup", "--date", "2025-01-03"))
    assert tracker.read_bytes()[len(old) :].startswith(b"\n[[retractions]]\n")
    assert document(tracker)["retractions"][0]["evidence"] == "a1"


# --- validate: what only a hand edit can cause ---------------------------------------------


def test_validate_reports_amendments_of_unknown_or_later_entries(tmp_path: Path) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(
        TRACKER
        + evidence_block(id='"ev-1"')
        + evidence_block(id='"ev-2"', supersedes='"ev-ghost"', reason='"fix"')
        + evidence_block(id='"ev-3"', supersedes='"ev-4"', reason='"fix"')  # a later entry
        + evidence_block(id='"ev-4"', summary='"other"')
        + evidence_block(id='"ev-5"', supersedes='"ev-1"', reason='"first fix"')
        + evidence_block(id='"ev-6"', supersedes='"ev-1"', reason='"second fix"')
        + evidence_block(id='"ev-7"', supersedes='"ev-1"')  # no reason
        + evidence_block(id='"ev-8"', supersedes='"ev-8"', reason='"self"'),
        "utf-8",
    )
    problems = invalid(
        path,
        "evidence #2 (id 'ev-2'",
        "supersedes unknown evidence 'ev-ghost'",
        "supersedes unknown evidence 'ev-4'",
        "'ev-1' was already amended by 'ev-5'",
        "needs both what it supersedes and a reason",
        "cannot supersede itself",
    )
    assert all("field 'supersedes'" in p for p in problems if "supersedes unknown" in p)
    refused(path, "status", expect=("4 more", "condtrack validate"))


@pytest.mark.parametrize(
    ("date", "logged", "valid"),
    [("2025-03-05", "2025-03-01T10:00:00Z", False),
     ("2025-03-03", "2025-03-01T23:59:59Z", False),
     ("2025-03-02", "2025-03-01T23:59:59Z", True),  # a day ahead of UTC: a local date
     ("2025-03-02", "2025-03-01T00:00:00-12:00", True)],
)  # fmt: skip
def test_validate_reports_evidence_dated_after_it_was_logged(
    tmp_path: Path, date: str, logged: str, valid: bool
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(TRACKER + evidence_block(date=date, logged=logged), "utf-8")
    if valid:
        ok(run(path, "validate"))
    else:
        invalid(path, "field 'date'", f"dated {date} but logged on {logged[:10]}")


# --- validate --against-git ----------------------------------------------------------------

GIT = shutil.which("git")


@pytest.fixture
def repo(tmp_path: Path) -> Callable[..., str]:
    if GIT is None:
        pytest.skip("git is not installed")
    folder = tmp_path / "repo"
    folder.mkdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip

    def git(*args: str) -> str:
        done = subprocess.run([GIT, *args], cwd=folder, env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
        return done.stdout

    git("init", "-q")
    return git


def test_validate_against_git_catches_hand_edits_of_committed_evidence(
    tmp_path: Path, repo: Callable[..., str]
) -> None:
    path = tmp_path / "repo" / "conditions.toml"
    path.write_text(TRACKER, "utf-8")
    ids = [logged_id(path, "log", "troops", "-s", f"entry {n}", "--source", "Monitor",
                     "--date", "2025-01-0" + str(n + 1)) for n in range(3)]  # fmt: skip
    ok(run(path, "retract", ids[2], "--reason", "wrong", "--date", "2025-01-05"))
    repo("add", "conditions.toml")
    repo("commit", "-q", "-m", "evidence")
    committed = path.read_bytes()
    assert ok(run(path, "validate", "--against-git")).stdout.startswith(f"{path}: valid")

    # Appending through condtrack after the commit is fine.
    ok(run(path, "log", "prisoners", "-s", "new", "--source", "Viasna"))
    ok(run(path, "amend", ids[0], "--summary", "entry 0, corrected", "--reason", "typo"))
    ok(run(path, "validate", "--against-git"))
    appended = path.read_bytes()

    # A hand edit of a committed entry is caught, naming the entry and the field.
    path.write_bytes(appended.replace(b'summary = "entry 1"', b'summary = "entry one"'))
    against = ("validate", "--against-git")
    problems = invalid(
        path, f"evidence #2 (id '{ids[1]}')", "changed since HEAD (summary)", command=against
    )
    assert len(problems) == 1
    # ... and so are a changed value, a removed entry and an edited retraction.
    path.write_bytes(
        committed.replace(b"date = 2025-01-01\n", b"date = 2025-01-02\n", 1)
        .replace(b'reason = "wrong"', b'reason = "right"')
        .replace(b'summary = "entry 2"', b'summary = "entry 2"\nurl = "https://x.example"')
    )
    problems = invalid(path, command=against)
    assert any(f"id '{ids[0]}'" in p and "(date)" in p for p in problems), problems
    assert any(f"id '{ids[2]}'" in p and "(url)" in p for p in problems), problems
    assert any("retractions #1" in p and "(reason)" in p for p in problems), problems
    blocks = committed.split(b"\n[[evidence]]")
    path.write_bytes(b"\n[[evidence]]".join(blocks[:-1]))  # the last entry and retraction gone
    problems = invalid(path, command=against)
    assert any(f"'{ids[2]}'" in p and "deleted since HEAD" in p for p in problems), problems

    # Restored, it passes again; a file git does not know is only a note, but a file
    # outside any repository has nothing to be compared with: an error.
    path.write_bytes(appended)
    ok(run(path, "validate", "--against-git"))
    loose = tmp_path / "repo" / "loose.toml"
    loose.write_bytes(appended)
    result = ok(run(loose, "validate", "--against-git"))
    assert "not in git at HEAD" in result.stderr
    outside = tmp_path / "outside.toml"
    outside.write_bytes(appended)
    result = run(outside, "validate", "--against-git")
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr
