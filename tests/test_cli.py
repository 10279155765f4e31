"""Every command through the command line: what it prints, where, and its exit code.

Most tests drive the Typer app in-process through the ``cli``/``log`` fixtures; the last
section starts real ``python -m condtrack`` processes, as a user or a script would.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import io
import json
import os
import re
import select
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from condtrack import __version__
from condtrack.cli import app
from condtrack.render.as_csv import EVIDENCE_COLUMNS
from tests.conftest import REPO, SMALL_TRACKER, Invoke

LogFn = Callable[..., str]
StatusFn = Callable[..., dict[str, Any]]

SHIPPED = REPO / "conditions.toml"
TEMPLATE = REPO / "condtrack" / "templates" / "default.toml"
# Crockford base32 without i, l, o, u, after the "ev-" prefix.
EVIDENCE_ID = re.compile(r"ev-[0-9a-hjkmnp-tv-z]{10}")
WIDE = {"COLUMNS": "250"}  # keep rich from wrapping ids and text we look for


def evidence_json(cli: Invoke, *args: str) -> list[dict[str, Any]]:
    result = cli("evidence", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def evidence_csv(cli: Invoke, *args: str) -> list[list[str]]:
    result = cli("evidence", "--format", "csv", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")  # a byte-order mark, for Excel
    return list(csv.reader(io.StringIO(result.stdout[1:], newline="")))


def file_entries(path: Path, table: str = "evidence") -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text("utf-8")).get(table, [])
    return entries


def run_anywhere(runner: CliRunner, *args: str) -> Result:
    """Invoke without --file and without $CONDTRACK_FILE, so discovery decides."""
    return runner.invoke(app, list(args), env={"CONDTRACK_FILE": None})


# --- --version and help -------------------------------------------------------------------


def test_version_prints_package_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"condtrack {__version__}\n"
    # One source for the version: the package's, which the build reads (and so pip's).
    build = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "version" in build["project"]["dynamic"]
    assert build["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "condtrack.__version__"}
    assert importlib.metadata.version("condtrack") == __version__


def test_version_needs_no_tracker_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--file", str(tmp_path / "missing.toml"), "--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("condtrack ")


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"], env=WIDE)
    assert result.exit_code == 0
    for command in ("init", "conditions", "log", "retract", "evidence", "status", "explain"):
        assert command in result.stdout
    for command in ("check", "validate"):
        assert command in result.stdout


# --- init ---------------------------------------------------------------------------------


def test_init_writes_the_template(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "new.toml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == TEMPLATE.read_bytes()
    assert result.stdout == ""
    assert f"created {target}" in result.stderr
    check = runner.invoke(app, ["--file", str(target), "validate"])
    assert check.exit_code == 0, check.output
    assert "0 evidence entries, 0 retractions" in check.stdout


def test_init_creates_missing_folders(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "briefing" / "2026" / "conditions.toml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == TEMPLATE.read_bytes()


def test_init_without_path_writes_conditions_toml_here(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_anywhere(runner, "init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "conditions.toml").read_bytes() == TEMPLATE.read_bytes()


def test_init_honours_the_global_file_option(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    result = runner.invoke(app, ["--file", str(target), "init"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == TEMPLATE.read_bytes()


def test_init_refuses_to_overwrite(cli: Invoke, tracker_file: Path) -> None:
    before = tracker_file.read_bytes()
    result = cli("init")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "already exists" in result.stderr
    assert "--force" in result.stderr
    assert tracker_file.read_bytes() == before
    assert not tracker_file.with_name(tracker_file.name + ".bak").exists()


def test_init_force_keeps_a_backup(cli: Invoke, log: LogFn, tracker_file: Path) -> None:
    log("troops", date="2025-01-01")
    before = tracker_file.read_bytes()
    result = cli("init", "--force")
    assert result.exit_code == 0, result.output
    backup = tracker_file.with_name(tracker_file.name + ".bak")
    assert backup.read_bytes() == before
    assert tracker_file.read_bytes() == TEMPLATE.read_bytes()
    assert str(backup) in result.stderr


# --- conditions ---------------------------------------------------------------------------


def test_conditions_lists_every_id(cli: Invoke) -> None:
    result = cli("conditions", env=WIDE)
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(SMALL_TRACKER)
    assert doc["tracker"]["title"] in result.stdout
    for condition in doc["conditions"]:
        assert condition["id"] in result.stdout
        assert condition["title"] in result.stdout
        for item in condition.get("criteria", []) + condition.get("indicators", []):
            assert item["id"] in result.stdout


def test_conditions_on_the_shipped_file(cli: Invoke) -> None:
    result = cli("conditions", file=SHIPPED, env=WIDE)
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(SHIPPED.read_text("utf-8"))
    for condition in doc["conditions"]:
        assert condition["id"] in result.stdout
        for criterion in condition["criteria"]:
            assert criterion["id"] in result.stdout


# --- log ----------------------------------------------------------------------------------


def test_log_prints_exactly_the_new_id(cli: Invoke, tracker_file: Path) -> None:
    result = cli(
        "log", "troops", "--summary", "Base at X closed", "--source", "Monitor",
        "--criterion", "bases-closed", "--status", "met", "--date", "2025-03-04",
        "--reliability", "B2", "--tag", "field", "--tag", "base-x",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    new_id = result.stdout[:-1]
    assert result.stdout == new_id + "\n"
    assert EVIDENCE_ID.fullmatch(new_id)
    assert f"logged {new_id} against troops (bases-closed: met)" in result.stderr
    assert "warning" not in result.stderr
    [entry] = file_entries(tracker_file)
    assert entry["id"] == new_id
    assert entry["condition"] == "troops"
    assert entry["criterion"] == "bases-closed"
    assert entry["status"] == "met"
    assert entry["date"] == dt.date(2025, 3, 4)
    assert entry["summary"] == "Base at X closed"
    assert entry["source"] == "Monitor"
    assert entry["reliability"] == "B2"
    assert entry["tags"] == ["field", "base-x"]
    assert entry["logged"].tzinfo is not None
    assert "indicator" not in entry and "value" not in entry and "url" not in entry


def test_log_defaults_to_today_and_f6(cli: Invoke, tracker_file: Path) -> None:
    result = cli("log", "troops", "--summary", "s", "--source", "src")
    assert result.exit_code == 0, result.output
    [entry] = file_entries(tracker_file)
    assert entry["date"] == dt.date.today()
    assert entry["reliability"] == "F6"
    # F6 is below the tracker's C3 minimum: recorded, with a warning.
    assert "warning:" in result.stderr
    assert result.stdout == entry["id"] + "\n"


@pytest.mark.parametrize(
    ("grade", "counts"),
    [("A1", True), ("C3", True), ("B3", True), ("c1", True), ("C4", False), ("D3", False),
     ("F6", False), ("A6", False)],
)  # fmt: skip
def test_log_warns_below_the_minimum_grade(cli: Invoke, grade: str, counts: bool) -> None:
    """SMALL_TRACKER's minimum is C3: a grade counts when no worse on either axis."""
    result = cli("log", "troops", "--summary", "s", "--source", "src", "--reliability", grade)
    assert result.exit_code == 0, result.output
    assert EVIDENCE_ID.fullmatch(result.stdout.strip())
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    if counts:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert grade.upper() in warnings[0]
        assert "C3" in warnings[0]


def test_log_normalises_the_reliability_code(cli: Invoke, tracker_file: Path) -> None:
    result = cli("log", "troops", "--summary", "s", "--source", "src", "--reliability", " b2 ")
    assert result.exit_code == 0, result.output
    assert file_entries(tracker_file)[0]["reliability"] == "B2"


def test_log_keeps_integers_and_floats_apart(cli: Invoke, log: LogFn) -> None:
    whole = log("prisoners", indicator="held", value="1200", date="2025-01-01")
    part = log("prisoners", indicator="freed", value="2.5", date="2025-01-02")
    rows = {row["id"]: row for row in evidence_json(cli)}
    assert rows[whole]["value"] == 1200 and isinstance(rows[whole]["value"], int)
    assert rows[part]["value"] == 2.5 and isinstance(rows[part]["value"], float)
    assert rows[whole]["indicator"] == "held"


def test_log_gives_every_entry_a_new_id(log: LogFn, tracker_file: Path) -> None:
    ids = [log("troops", summary=f"entry {n}") for n in range(6)]
    assert len(set(ids)) == 6
    assert [e["id"] for e in file_entries(tracker_file)] == ids


def test_log_accepts_a_url(cli: Invoke, log: LogFn) -> None:
    new_id = log("troops", url="https://example.org/report?id=1#p2")
    [row] = evidence_json(cli)
    assert row["id"] == new_id
    assert row["url"] == "https://example.org/report?id=1#p2"


# --- retract ------------------------------------------------------------------------------


def test_retract_withdraws_evidence_from_scoring(
    cli: Invoke, log: LogFn, status_json: StatusFn, tracker_file: Path
) -> None:
    new_id = log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    criteria = status_json("2025-02-01")["conditions"][0]["criteria"]
    assert criteria[0]["status"] == "met"

    result = cli("retract", new_id, "--reason", "source withdrew it", "--date", "2025-01-15")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"retracted {new_id}" in result.stderr

    criteria = status_json("2025-02-01")["conditions"][0]["criteria"]
    assert criteria[0]["status"] == "unknown"
    # Issue 13: a retraction applies at every as-of date, even one before it.
    assert status_json("2025-01-10")["conditions"][0]["criteria"][0]["status"] == "unknown"
    # The entry itself stays in the log, marked.
    [row] = evidence_json(cli)
    assert row["id"] == new_id
    [retraction] = file_entries(tracker_file, "retractions")
    assert retraction["evidence"] == new_id
    assert row["retracted"] == {
        "date": "2025-01-15",
        "logged": retraction["logged"].isoformat().replace("+00:00", "Z"),
        "reason": "source withdrew it",
    }


def test_retract_defaults_to_today(cli: Invoke, log: LogFn) -> None:
    new_id = log("troops")
    assert cli("retract", new_id, "--reason", "duplicate").exit_code == 0
    [row] = evidence_json(cli)
    assert row["retracted"]["date"] == dt.date.today().isoformat()


def test_retract_twice_is_refused(cli: Invoke, log: LogFn, tracker_file: Path) -> None:
    new_id = log("troops")
    assert cli("retract", new_id, "--reason", "first").exit_code == 0
    before = tracker_file.read_bytes()
    result = cli("retract", new_id, "--reason", "second")
    assert result.exit_code == 2
    assert "already retracted" in result.stderr
    assert tracker_file.read_bytes() == before


# --- evidence -----------------------------------------------------------------------------


@pytest.fixture
def logged(log: LogFn) -> dict[str, str]:
    """Four entries, logged out of date order; name -> id."""
    return {
        "a": log("troops", criterion="bases-closed", status="met", date="2025-01-10",
                 tags=["alpha"]),
        "b": log("prisoners", indicator="held", value="12", date="2025-02-15",
                 tags=["alpha", "beta"]),
        "c": log("prisoners", indicator="freed", value="3.5", date="2025-03-20", tags=["beta"],
                 summary="Three and a half", source="Wire", reliability="A1"),
        "d": log("troops", criterion="troops-gone", status="not-met", date="2025-01-05"),
    }  # fmt: skip


def test_evidence_json_is_sorted_by_date(cli: Invoke, logged: dict[str, str]) -> None:
    rows = evidence_json(cli)
    assert [r["id"] for r in rows] == [logged[k] for k in "dabc"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    c = rows[3]
    assert c["condition"] == "prisoners"
    assert c["indicator"] == "freed" and c["value"] == 3.5
    assert c["summary"] == "Three and a half" and c["source"] == "Wire"
    assert c["reliability"] == "A1" and c["tags"] == ["beta"]
    assert c["criterion"] is None and c["status"] is None and c["retracted"] is None
    assert dt.datetime.fromisoformat(c["logged"]).tzinfo is not None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--condition", "prisoners"), "bc"),
        (("--condition", "troops"), "da"),
        (("--since", "2025-01-10"), "abc"),
        (("--until", "2025-02-15"), "dab"),
        (("--since", "2025-01-10", "--until", "2025-02-15"), "ab"),
        (("--since", "2025-01-11", "--until", "2025-02-14"), ""),
        (("--tag", "beta"), "bc"),
        (("-t", "alpha", "--condition", "troops"), "a"),
        (("--tag", "gamma"), ""),
    ],
)
def test_evidence_filters(
    cli: Invoke, logged: dict[str, str], args: tuple[str, ...], expected: str
) -> None:
    want = [logged[k] for k in expected]
    assert [r["id"] for r in evidence_json(cli, *args)] == want
    rows = evidence_csv(cli, *args)
    assert [r[0] for r in rows[1:]] == want
    table = cli("evidence", *args, env=WIDE)
    assert table.exit_code == 0
    assert f"{len(want)} evidence {'entry' if len(want) == 1 else 'entries'}" in table.stdout
    for name, entry_id in logged.items():
        assert (entry_id in table.stdout) == (name in expected)


def test_evidence_csv_columns_and_cells(cli: Invoke, logged: dict[str, str]) -> None:
    header, *rows = evidence_csv(cli)
    assert tuple(header) == EVIDENCE_COLUMNS
    assert len(rows) == 4
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    b = by_id[logged["b"]]
    assert b["condition"] == "prisoners" and b["indicator"] == "held"
    assert b["value"] == "12" and b["date"] == "2025-02-15"
    assert b["tags"] == "alpha;beta"
    assert b["criterion"] == "" and b["retracted"] == "" and b["url"] == ""
    assert by_id[logged["c"]]["value"] == "3.5"
    assert by_id[logged["a"]]["status"] == "met"


def test_evidence_csv_uses_crlf_rows(cli: Invoke, logged: dict[str, str]) -> None:
    # RFC 4180 line ends (CliRunner's .stdout would fold them to \n; the bytes don't).
    result = cli("evidence", "--format", "csv")
    assert result.stdout_bytes.count(b"\r\n") == 1 + len(logged)
    assert result.stdout_bytes.count(b"\n") == 1 + len(logged)


def test_evidence_formats_show_retractions(cli: Invoke, logged: dict[str, str]) -> None:
    assert cli("retract", logged["b"], "--reason", "double count").exit_code == 0
    rows = {r["id"]: r for r in evidence_json(cli)}
    assert rows[logged["b"]]["retracted"]["reason"] == "double count"
    assert rows[logged["a"]]["retracted"] is None
    header, *csv_rows = evidence_csv(cli)
    reasons = {row[0]: row[header.index("retraction_reason")] for row in csv_rows}
    assert reasons[logged["b"]] == "double count" and reasons[logged["a"]] == ""
    table = cli("evidence", env=WIDE).stdout
    assert "retracted" in table and "double count" in table


def test_evidence_when_empty(cli: Invoke) -> None:
    assert evidence_json(cli) == []
    assert evidence_csv(cli) == [list(EVIDENCE_COLUMNS)]
    assert "0 evidence entries" in cli("evidence").stdout


# --- status -------------------------------------------------------------------------------


def test_status_json(log: LogFn, status_json: StatusFn) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    log("troops", criterion="troops-gone", status="met", date="2025-01-02")
    data = status_json("2025-02-01")
    assert data["as_of"] == "2025-02-01"
    assert data["title"] == "Testland: conditions for relief"
    troops, prisoners = data["conditions"]
    assert (troops["id"], troops["status"], troops["score"]) == ("troops", "met", 100.0)
    assert (prisoners["id"], prisoners["status"], prisoners["score"]) == (
        "prisoners",
        "unknown",
        0.0,
    )
    assert troops["last_evidence"] == "2025-01-02"
    # Condition weights 1 (troops) and 3 (prisoners): 100 * 1 / 4.
    assert data["overall"]["score"] == 25.0
    assert data["overall"]["relief_ready"] is False
    assert data["settings"]["min_reliability"] == "C3"
    # Before any evidence, nothing is known.
    early = status_json("2024-12-31")
    assert early["conditions"][0]["status"] == "unknown"


def test_status_table(cli: Invoke, log: LogFn) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    result = cli("status", "--as-of", "2025-02-01", env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Testland: conditions for relief — as of 2025-02-01" in out
    assert "troops" in out and "prisoners" in out
    troops_line = next(line for line in out.splitlines() if "Foreign troops withdrawn" in line)
    assert "partial" in troops_line
    assert re.search(r"\s50\b", troops_line)
    assert "Overall:" in out
    assert "not relief-ready: 2 of 2 conditions unmet" in out


def test_status_on_the_shipped_file(cli: Invoke) -> None:
    result = cli("status", "--format", "json", file=SHIPPED)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    doc = tomllib.loads(SHIPPED.read_text("utf-8"))
    assert [c["id"] for c in data["conditions"]] == [c["id"] for c in doc["conditions"]]
    assert data["title"] == doc["tracker"]["title"]
    assert 0 <= data["overall"]["score"] <= 100


# --- explain ------------------------------------------------------------------------------


def test_explain_shows_the_arithmetic_and_evidence(cli: Invoke, log: LogFn) -> None:
    met = log("troops", criterion="bases-closed", status="met", date="2025-01-01",
              summary="Last base handed over")  # fmt: skip
    weak = log("troops", criterion="troops-gone", status="met", date="2025-01-03",
               reliability="E5", summary="Rumour of withdrawal")  # fmt: skip
    result = cli("explain", "troops", "--as-of", "2025-02-01", env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Foreign troops withdrawn (troops)" in out
    assert "bases-closed" in out and "troops-gone" in out
    # The arithmetic as shown: two criteria of weight 1, one met (1), one unknown (0).
    match = re.search(r"score = 100 \* \((.+)\) / (\S+) = (\S+)", out)
    assert match, out
    terms = [[float(x) for x in term.split(" * ")] for term in match.group(1).split(" + ")]
    assert terms == [[1.0, 1.0], [1.0, 0.0]]
    assert float(match.group(2)) == 2 and float(match.group(3)) == 50
    assert met in out and "Last base handed over" in out
    assert weak in out and "graded E5, below the minimum C3" in out


def test_explain_before_any_evidence(cli: Invoke) -> None:
    result = cli("explain", "prisoners")
    assert result.exit_code == 0, result.output
    assert "Evidence: none logged" in result.stdout


# --- check --------------------------------------------------------------------------------


def test_check_fails_until_conditions_are_met(cli: Invoke, log: LogFn) -> None:
    result = cli("check", "--as-of", "2025-02-01")
    assert result.exit_code == 1
    assert "gate failed" in result.stdout
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    log("troops", criterion="troops-gone", status="met", date="2025-01-01")
    passed = cli("check", "--require", "troops", "--as-of", "2025-02-01")
    assert passed.exit_code == 0, passed.output
    assert "gate passed" in passed.stdout
    still = cli("check", "--require", "all", "--as-of", "2025-02-01", "--format", "json")
    assert still.exit_code == 1
    data = json.loads(still.stdout)
    assert data["passed"] is False and data["exit_code"] == 1
    assert [f["condition"] for f in data["failures"]] == ["prisoners"]


def test_check_exits_3_on_snapback(cli: Invoke, log: LogFn) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    log("troops", criterion="troops-gone", status="met", date="2025-01-01")
    log("troops", criterion="troops-gone", status="not-met", date="2025-03-01")
    result = cli("check", "--require", "troops", "--as-of", "2025-04-01")
    assert result.exit_code == 3
    assert "snapback" in result.stdout
    assert cli("check", "--require", "troops", "--as-of", "2025-02-01").exit_code == 0


# --- validate -----------------------------------------------------------------------------


def test_validate_the_shipped_file(cli: Invoke) -> None:
    result = cli("validate", file=SHIPPED)
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(SHIPPED.read_text("utf-8"))
    counts = (
        f"({len(doc['conditions'])} conditions, {len(doc.get('evidence', []))} evidence "
        f"entries, {len(doc.get('retractions', []))} retractions"
    )
    relief = f", {len(doc['relief'])} relief entries" if doc.get("relief") else ""
    assert result.stdout == f"{SHIPPED}: valid {counts}{relief})\n"


def test_validate_counts_what_was_logged(cli: Invoke, log: LogFn) -> None:
    first = log("troops")
    log("prisoners", indicator="held", value="3")
    assert cli("retract", first, "--reason", "wrong").exit_code == 0
    result = cli("validate")
    assert result.exit_code == 0
    assert "valid (2 conditions, 2 evidence entries, 1 retraction)" in result.stdout


# --- finding the tracker file -------------------------------------------------------------


def test_finds_the_file_in_a_parent_folder(
    runner: CliRunner, tracker_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tracker_file.parent / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("CONDTRACK_FILE", raising=False)
    result = run_anywhere(runner, "log", "troops", "--summary", "from below", "--source", "s")
    assert result.exit_code == 0, result.output
    assert str(tracker_file) in result.stderr
    assert [e["id"] for e in file_entries(tracker_file)] == [result.stdout.strip()]
    assert not (deep / "conditions.toml").exists()


def test_the_nearest_file_wins(
    runner: CliRunner, tracker_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    middle = tracker_file.parent / "a"
    deep = middle / "b"
    deep.mkdir(parents=True)
    (middle / "conditions.toml").write_text(
        SMALL_TRACKER.replace("Testland: conditions", "Nearer: conditions"), "utf-8"
    )
    monkeypatch.chdir(deep)
    result = run_anywhere(runner, "status", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Nearer: conditions for relief"


def test_condtrack_file_variable(
    runner: CliRunner, tracker_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = runner.invoke(app, ["status", "--format", "json"],
                           env={"CONDTRACK_FILE": str(tracker_file)})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Testland: conditions for relief"


def test_file_option_beats_the_variable(
    runner: CliRunner, tracker_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text(SMALL_TRACKER.replace("Testland", "Otherland"), "utf-8")
    result = runner.invoke(
        app,
        ["--file", str(other), "status", "--format", "json"],
        env={"CONDTRACK_FILE": str(tracker_file)},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Otherland: conditions for relief"


def test_variable_beats_the_current_folder(
    runner: CliRunner, tracker_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "conditions.toml").write_text(SMALL_TRACKER.replace("Testland", "Hereland"), "utf-8")
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["status", "--format", "json"],
                           env={"CONDTRACK_FILE": str(tracker_file)})  # fmt: skip
    assert json.loads(result.stdout)["title"] == "Testland: conditions for relief"


# --- the shipped tracker and the template -------------------------------------------------


def test_shipped_file_carries_the_templates_comments() -> None:
    # The shipped file opens with its own note (what it is, when it was brought up to
    # date), then the template's explanation of the layout, word for word.
    template = TEMPLATE.read_text("utf-8")
    shipped = SHIPPED.read_text("utf-8")
    first, _, rest = template.partition("\n")
    assert shipped.startswith(first + "\n")
    layout = rest[rest.index("# Layout, top to bottom:") : rest.index("\n[tracker]")]
    assert layout in shipped
    assert "Last brought up to date:" in shipped.partition("[tracker]")[0]


def test_shipped_conditions_section_is_the_template_plus_what_the_record_needs() -> None:
    # The record needed two changes to the template's conditions (issue 14): Viasna's
    # monthly count of new political prisoners as a flow with its own revolving-door
    # offset, and prisoners-held no longer deciding all-released (an all-or-nothing
    # criterion that dated assessments decide). Everything else is the template's.
    template = tomllib.loads(TEMPLATE.read_text("utf-8"))
    shipped = tomllib.loads(SHIPPED.read_text("utf-8"))
    assert set(template) == {"tracker", "scoring", "conditions"}
    assert shipped["scoring"] == template["scoring"]
    for key in ("title", "subject", "source"):
        assert shipped["tracker"][key] == template["tracker"][key], key
    # The shipped record holds relief and the EU's renewals, which need schema 3 (the
    # action `renewed`); a new tracker starts at 1.
    assert (template["tracker"]["schema"], shipped["tracker"]["schema"]) == (1, 3)
    assert shipped["relief"]
    assert shipped["tracker"]["description"].startswith(template["tracker"]["description"][:-1])
    assert len(shipped["conditions"]) == len(template["conditions"])
    for mine, theirs in zip(shipped["conditions"], template["conditions"], strict=True):
        for key in set(theirs) - {"indicators", "offsets"}:
            assert mine[key] == theirs[key], (theirs["id"], key)
        indicators = {i["id"]: i for i in mine.get("indicators", [])}
        for indicator in theirs.get("indicators", []):
            expected = dict(indicator)
            if indicator["id"] == "prisoners-held":
                expected.pop("criterion")
            assert indicators.pop(indicator["id"]) == expected, indicator["id"]
        added_offsets = [o for o in mine.get("offsets", []) if o not in theirs.get("offsets", [])]
        assert len(mine.get("offsets", [])) - len(added_offsets) == len(theirs.get("offsets", []))
        assert set(indicators) <= {"newly-recognised"}
        assert all(o["inflow"] in indicators for o in added_offsets)
    # All the shipped file adds is the log: evidence, retractions and relief.
    assert set(shipped) - set(template) <= {"evidence", "retractions", "relief"}
    assert shipped.get("evidence"), "the shipped tracker should carry its sourced evidence"


# --- real processes -----------------------------------------------------------------------


def process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CONDTRACK_FILE", "FORCE_COLOR")}
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def run_condtrack(
    *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "condtrack", *args],
        capture_output=True,
        env=dict(env) if env is not None else process_env(),
        timeout=60,
        check=False,
    )


def test_process_status_on_the_shipped_file() -> None:
    # A colour-capable TERM, but the output is a pipe: no escape sequences at all.
    done = run_condtrack("--file", str(SHIPPED), "status",
                         env=process_env(TERM="xterm-256color"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert "Overall:" in out
    title = tomllib.loads(SHIPPED.read_text("utf-8"))["tracker"]["title"]
    assert title in out
    assert b"\x1b" not in done.stdout
    assert done.stderr == b""


def test_process_log_prints_only_the_id(tracker_file: Path) -> None:
    done = run_condtrack("--file", str(tracker_file), "log", "troops", "--summary", "x",
                         "--source", "y", "--reliability", "E5")  # fmt: skip
    assert done.returncode == 0, done.stderr
    new_id = done.stdout.decode("ascii").rstrip("\n")
    assert done.stdout == new_id.encode() + b"\n"
    assert EVIDENCE_ID.fullmatch(new_id)
    err = done.stderr.decode("utf-8")
    assert f"logged {new_id}" in err and "warning:" in err
    assert b"\x1b" not in done.stderr
    assert [e["id"] for e in file_entries(tracker_file)] == [new_id]


def test_process_reads_condtrack_file_variable(tracker_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "evidence", "--format", "json"],
        capture_output=True,
        cwd=tmp_path.parent,  # no conditions.toml here
        env=process_env(CONDTRACK_FILE=str(tracker_file)),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def run_on_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run condtrack with a pseudo-terminal as its output; return what it wrote."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "condtrack", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
        process.wait(timeout=30)
    assert process.returncode == 0, output
    return output


COLOUR_PARAMETERS = {*range(30, 50), *range(90, 98), *range(100, 108)}


def sgr_parameters(output: bytes) -> set[int]:
    found: set[int] = set()
    for params in re.findall(rb"\x1b\[([0-9;]*)m", output):
        found.update(int(p) for p in params.split(b";") if p)
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_no_color_on_a_terminal(cli: Invoke, log: LogFn, tracker_file: Path) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    args = ["--file", str(tracker_file), "status", "--as-of", "2025-02-01"]
    coloured = run_on_terminal(args, process_env(TERM="xterm-256color"))
    # The control: on a terminal, statuses are coloured ...
    assert sgr_parameters(coloured) & COLOUR_PARAMETERS
    # ... and NO_COLOR takes every colour away (bold and dim may stay, as the spec allows).
    plain = run_on_terminal(args, process_env(TERM="xterm-256color", NO_COLOR="1"))
    assert not sgr_parameters(plain) & COLOUR_PARAMETERS
    assert b"partial" in plain
