"""Findings of the second trial of the relief ledger (issues 12 and 14) that were left open:
the ledger as of a date and as known then, entries that do not count judged "ahead", `for`
on a renewal and the questions worded by action, an expiry before the date refused as it
is typed, and one schema hint per file.

Everything runs through the real CLI (in this process, and a pseudo-terminal for the
questions).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import TERMINAL_UNSAFE, ok, run
from tests.test_relief import add, hand_written, status


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def listed(path: Path, *args: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        ok(run(path, "relief", "list", "--format", "json", *args)).stdout
    )
    return data


def csv_rows(path: Path, *args: str) -> list[dict[str, str]]:
    text = ok(run(path, "relief", "list", "--format", "csv", *args)).stdout
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


# --- 1. `relief list --as-of D`: what stood on D; --known-at: what was known then ----------

STEPS = [  # (measure, action, date)
    ("Belavia", "eased", "2025-09-11"),
    ("Belavia", "lifted", "2025-11-04"),
    ("potash", "eased", "2025-12-15"),
    ("potash", "reimposed", "2026-02-01"),
    ("banks", "suspended", "2026-03-19"),
]


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    for measure, action, date in STEPS:
        add(path, measure=measure, action=action, date=date)
    return path


def test_relief_list_as_of_a_date_leaves_out_and_does_not_count_later_entries(
    ledger_file: Path,
) -> None:
    dates = {step["id"]: step["date"] for step in listed(ledger_file)}
    assert len(dates) == len(STEPS)
    as_of = "2025-11-30"
    before = sorted(i for i, d in dates.items() if d <= as_of)
    later = sorted(i for i, d in dates.items() if d > as_of)
    assert len(before) == 2 and len(later) == 3
    assert sorted(s["id"] for s in listed(ledger_file, "--as-of", as_of)) == before
    assert sorted(r["id"] for r in csv_rows(ledger_file, "--as-of", as_of)) == before
    for output_format in ("text", "markdown"):
        args = ("relief", "list", "--as-of", as_of, "--format", output_format)
        text = ok(run(ledger_file, *args, env={"COLUMNS": "200"})).stdout
        assert all(entry_id in text for entry_id in before), text
        assert not any(entry_id in text for entry_id in later), text
    text = ok(run(ledger_file, "relief", "list", "--as-of", as_of)).stdout
    assert "2 relief entries, as of 2025-11-30" in text
    # The same ledger as `status --as-of` judges: what it counts ahead is what is listed.
    data = status(ledger_file, as_of)
    events = {m["event"] for m in data["relief"] if m["event"] is not None}
    assert events <= set(before)
    ahead = [s for s in listed(ledger_file, "--as-of", as_of) if s["ahead"]]
    assert data["overall"]["relief_ahead"] == 1 and len(ahead) == 2  # one measure, two steps
    # A sender whose every entry is later has an empty ledger then, not a misspelt name.
    assert listed(ledger_file, "--as-of", "2024-01-01", "--sender", "us") == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.dates(dt.date(2025, 1, 1), dt.date(2026, 6, 30)))
def test_the_ledger_as_of_any_date_is_the_entries_dated_by_then(
    ledger_file: Path, day: dt.date
) -> None:
    everything = listed(ledger_file)
    shown = listed(ledger_file, "--as-of", day.isoformat())
    assert [s["id"] for s in shown] == [s["id"] for s in everything if s["date"] <= str(day)]
    text = ok(run(ledger_file, "relief", "list", "--as-of", day.isoformat())).stdout
    count = len(shown)
    noun = "relief entry" if count == 1 else "relief entries"
    assert text.startswith(f"{count} {noun}, as of {day}"), text
    counted = status(ledger_file, day.isoformat())["overall"]["relief_ahead"]
    in_effect = {(s["measure"]) for s in shown if s["ahead"] and s["state"] == "in-effect"}
    assert counted <= len(in_effect)


KNOWN = """
[[relief]]
id = "rl-first"
sender = "US"
measure = "Belavia"
action = "eased"
date = 2025-09-11
source = "OFAC"
reliability = "A1"
summary = "licence"
logged = 2025-09-12T09:00:00Z

[[relief]]
id = "rl-second"
sender = "US"
measure = "potash"
action = "eased"
date = 2025-10-01
source = "OFAC"
reliability = "A1"
summary = "licence"
logged = 2025-12-16T09:00:00Z

[[retractions]]
evidence = "rl-first"
reason = "no such licence"
date = 2026-01-05
logged = 2026-01-05T09:00:00Z
"""


def test_relief_list_known_at_shows_the_ledger_as_it_was_known_and_says_so(
    tmp_path: Path,
) -> None:
    path = hand_written(tmp_path, KNOWN)
    then = listed(path, "--known-at", "2025-12-20", "--as-of", "2025-12-31")
    assert [(s["id"], s["counts"]) for s in then] == [("rl-first", True), ("rl-second", True)]
    now = listed(path, "--as-of", "2025-12-31")
    assert [(s["id"], s["counts"]) for s in now] == [("rl-first", False), ("rl-second", True)]
    # Known on 2025-11-01 (its as-of date too): the second, logged later, is not there.
    assert [s["id"] for s in listed(path, "--known-at", "2025-11-01")] == ["rl-first"]
    text = ok(run(path, "relief", "list", "--known-at", "2025-11-01")).stdout
    assert text.startswith("1 relief entry, as of 2025-11-01, as known at 2025-11-01"), text
    markdown = ok(run(path, "relief", "list", "--known-at", "2025-11-01", "--format", "markdown"))
    assert "# Relief ledger as of 2025-11-01, as known at 2025-11-01" in markdown.stdout


def test_relief_list_help_says_what_as_of_and_known_at_mean(tracker: Path) -> None:
    text = " ".join(
        ok(run(tracker, "relief", "list", "--help", env={"COLUMNS": "200"})).stdout.split()
    )
    assert "The ledger as it stood on this date" in text
    assert "entries dated later are left out" in text
    assert "The ledger as it was known then" in text


# --- 2. an entry that does not count is not judged ahead ----------------------------------


def test_an_entry_that_does_not_count_is_not_judged_ahead_and_says_why(tracker: Path) -> None:
    original = add(tracker, measure="Belavia", date="2025-09-11")
    amended = ok(
        run(tracker, "relief", "amend", original, "--summary", "GL 11", "--reason", "wording")
    ).stdout.strip()
    low = add(tracker, measure="potash", date="2025-10-01", reliability="E5")
    hostile = "forged | [red]x[/red] \x1b[31m"
    withdrawn = add(tracker, measure="banks", date="2025-10-02")
    ok(run(tracker, "retract", withdrawn, "--reason", hostile))
    why = {original: "superseded by", low: "graded E5, below the minimum C3",
           withdrawn: "retracted on"}  # fmt: skip
    steps = {s["id"]: s for s in listed(tracker, "--as-of", "2025-12-31")}
    assert steps[amended]["ahead"] is True and steps[amended]["counts"] is True
    for entry_id, reason in why.items():
        step = steps[entry_id]
        assert (step["counts"], step["ahead"]) == (False, None), step
        assert reason in step["excluded"]
    rows = {r["id"]: r for r in csv_rows(tracker, "--as-of", "2025-12-31")}
    assert rows[amended]["ahead"] == "yes"
    for entry_id, reason in why.items():
        assert rows[entry_id]["ahead"] == "", rows[entry_id]
        assert rows[entry_id]["sequencing"].startswith("not counted: "), rows[entry_id]
        assert reason in rows[entry_id]["sequencing"]
    markdown = ok(run(tracker, "relief", "list", "--format", "markdown")).stdout
    for line in markdown.splitlines():
        if any(f"`{entry_id}`" in line for entry_id in why):
            assert "ahead" not in line and "not counted: " in line, line
            assert line.count(" | ") == 8, line  # the reason's pipe is escaped
    text = ok(run(tracker, "relief", "list", env={"COLUMNS": "250"})).stdout
    assert not TERMINAL_UNSAFE.search(text)
    for line in text.splitlines():
        if any(entry_id in line for entry_id in why):
            assert "ahead" not in line and "not counted: " in line, line
    # Everywhere else the flag shows, a measure is judged by the entry that counts.
    data = status(tracker, "2025-12-31")
    assert data["overall"]["relief_ahead"] == 1
    assert {m["measure"]: m["ahead"] for m in data["relief"]} == {
        "Belavia": True, "potash": False, "banks": False,
    }  # fmt: skip
