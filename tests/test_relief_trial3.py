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
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_TRACKER
from tests.reliability.helpers import TERMINAL_UNSAFE, invalid, ok, refused, run, write_csv
from tests.test_relief import add, hand_written, relief_block, status


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


# --- 3. `for` where the action takes it; questions worded by action ------------------------


def test_for_on_a_renewal_is_refused_by_add_amend_import_and_validate(
    tracker: Path, tmp_path: Path
) -> None:
    renewal = ["relief", "add", "--sender", "EU", "--measure", "potash", "--action", "renewed",
               "--date", "2026-02-26", "--source", "Council", "--summary", "kept"]  # fmt: skip
    err = refused(tracker, *renewal, "--for", "prisoners", expect=["--for: 'renewed'"])
    assert "takes no conditions" in err
    renewed = add(tracker, sender="EU", measure="potash", action="renewed", date="2026-02-26")
    refused(tracker, "relief", "amend", renewed, "--for", "prisoners", "--reason", "r",
            expect=["--for: 'renewed' takes no conditions"])  # fmt: skip
    eased = add(tracker, "--for=prisoners", date="2025-09-11")
    err = refused(tracker, "relief", "amend", eased, "--action", "renewed", "--reason", "r",
                  expect=["--for: ", "--clear for removes it"])  # fmt: skip
    ok(run(tracker, "relief", "amend", eased, "--action", "renewed", "--clear", "for",
           "--reason", "it was a renewal"))  # fmt: skip
    header = ["kind", "sender", "measure", "action", "date", "source", "summary", "for"]
    row = dict(zip(header, ["relief", "UK", "potash", "renewed", "2026-02-26", "FCDO", "kept",
                            "prisoners"], strict=True))  # fmt: skip
    rows = write_csv(tmp_path / "rows.csv", [row], header)
    before = tracker.read_bytes()
    result = run(tracker, "import", str(rows))
    assert result.exit_code == 2 and "field 'for'" in result.stderr, result.output
    assert tracker.read_bytes() == before
    # A reimposition or an expiry still names the conditions it answers.
    add(tracker, "--for=troops", measure="gold", date="2025-09-11")
    add(tracker, "--for=troops", measure="gold", action="reimposed", date="2025-12-01")
    hand = tmp_path / "hand"
    hand.mkdir()
    path = hand_written(hand, relief_block(action='"renewed"', **{"for": '["prisoners"]'}))
    path.write_text(path.read_text("utf-8").replace("schema = 2", "schema = 3"), "utf-8")
    invalid(path, "relief #1 (id 'rl-hand', line ", "field 'for'", "'renewed' takes no conditions")
    refused(path, "status", expect=["field 'for'"])


def test_the_tracker_schema_says_a_renewal_names_no_conditions() -> None:
    """The editor's schema (condtrack.schema.json) has the rule too."""
    import jsonschema

    from condtrack.schema.jsonschema import tracker_schema

    def errors(text: str) -> list[str]:
        document = json.loads(json.dumps(tomllib.loads(text), default=str))  # dates as text
        validator = jsonschema.Draft7Validator(tracker_schema())
        return [error.message for error in validator.iter_errors(document)]

    text = SMALL_TRACKER.replace("schema = 1", "schema = 3") + relief_block(
        action='"renewed"', **{"for": '["prisoners"]'}
    )
    assert errors(text), "the editor's schema let `for` on a renewal pass"
    assert errors(text.replace('for = ["prisoners"]', "for = []")) == []
    assert errors(text.replace('"renewed"', '"eased"')) == []


def terminal(tracker: Path, *args: str) -> Any:
    if sys.platform == "win32":
        pytest.skip("needs a POSIX pseudo-terminal")
    from tests.test_terminal import Terminal

    return Terminal(["--file", str(tracker), "relief", "add", *args], tracker.parent)


def answer_rest(session: Any, summary_words: str) -> tuple[int, str]:
    session.expect("Source (who reported it): ")
    session.answer("Gazette")
    for question in ("Link", "[F6]: "):
        session.expect(question)
        session.answer("")
    session.expect(f"Summary ({summary_words}): ")
    session.answer("step")
    session.expect("Tags")
    session.answer("")
    code: int
    shown: str
    code, shown = session.finish()
    return code, shown


def test_the_questions_are_worded_by_action_and_a_renewal_is_not_asked_for_conditions(
    tracker: Path,
) -> None:
    add(tracker, measure="m", date="2025-09-11")
    session = terminal(tracker, "--sender", "EU", "--measure", "m", "--action", "renewed")
    try:
        session.expect("Date it took effect")
        session.answer("2026-02-26")
        asked = session.expect("Instrument, the legal act (Enter for none): ")
        assert "For (" not in asked and "granted for" not in asked, asked
        session.answer("")
        code, shown = answer_rest(session, "what was kept in force")
    finally:
        session.close()
    assert code == 0, shown
    session = terminal(tracker, "--sender", "US", "--measure", "m", "--action", "reimposed")
    try:
        session.expect("Date it took effect")
        session.answer("2025-12-01")
        asked = session.expect("For (numbers or ids")
        assert "Conditions it was reimposed over (ones not met):" in asked, asked
        assert "granted for" not in asked
        session.answer("troops")
        session.expect("Instrument")
        session.answer("")
        code, shown = answer_rest(session, "what was reimposed")
    finally:
        session.close()
    assert code == 0, shown
    entries = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert [(e["action"], e.get("for")) for e in entries] == [
        ("eased", None), ("renewed", None), ("reimposed", ["troops"]),
    ]  # fmt: skip


def test_an_action_typed_against_a_given_for_is_asked_again(tracker: Path) -> None:
    session = terminal(tracker, "--sender", "EU", "--measure", "m", "--for", "prisoners")
    try:
        session.expect("Action (number or id): ")
        session.answer("renewed")
        assert "'renewed' takes no conditions" in session.expect("Action (number or id): ")
        session.answer("eased")
        session.expect("Date it took effect")
        session.answer("2025-09-11")
        asked = session.expect("Instrument")
        assert "For (" not in asked  # given on the command line
        session.answer("")
        session.expect("Last day it holds")
        session.answer("")
        code, shown = answer_rest(session, "what was granted")
    finally:
        session.close()
    assert code == 0, shown
    (entry,) = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert (entry["action"], entry["for"]) == ("eased", ["prisoners"])


# --- 4. an expiry before the date: refused as it is typed ----------------------------------


def test_an_expiry_before_the_date_is_refused_as_typed_and_options_before_asking(
    tracker: Path,
) -> None:
    session = terminal(tracker, "--sender", "US", "--measure", "m", "--action", "eased",
                       "--date", "2025-09-11", "--for", "troops")  # fmt: skip
    try:
        session.expect("Instrument")
        session.answer("")
        session.expect("Last day it holds, YYYY-MM-DD (Enter for none): ")
        session.answer("2025-09-10")
        again = session.expect("Last day it holds")
        assert "expires 2025-09-10, before the relief's date 2025-09-11" in again, again
        assert "Source" not in again
        session.answer("2025-09-11")  # its own day is its last
        code, shown = answer_rest(session, "what was granted")
    finally:
        session.close()
    assert code == 0, shown
    (entry,) = tomllib.loads(tracker.read_text(encoding="utf-8"))["relief"]
    assert entry["expires"] == dt.date(2025, 9, 11)
    # Given as options, with a field left to ask: refused before any question.
    before = tracker.read_bytes()
    session = terminal(tracker, "--sender", "US", "--measure", "n", "--action", "eased",
                       "--date", "2025-09-11", "--expires", "2025-09-01")  # fmt: skip
    try:
        code, shown = session.finish()
    finally:
        session.close()
    assert code == 2 and shown.startswith("error: --expires: expires 2025-09-01, before"), shown
    assert tracker.read_bytes() == before
    # An expiry given, the date typed: a date after it is asked again.
    session = terminal(tracker, "--sender", "US", "--measure", "n", "--action", "eased",
                       "--expires", "2025-09-01", "--for", "troops")  # fmt: skip
    try:
        session.expect("Date it took effect")
        session.answer("2025-09-11")
        again = session.expect("Date it took effect")
        assert "before the relief's date 2025-09-11" in again, again
        session.answer("2025-08-01")
        session.expect("Instrument")
        session.answer("")
        code, shown = answer_rest(session, "what was granted")
    finally:
        session.close()
    assert code == 0, shown


# --- 5. one schema hint per file, the number the whole file needs --------------------------


@pytest.mark.parametrize("declared", [1, 2])
def test_validate_gives_one_schema_hint_the_number_the_file_needs(
    tmp_path: Path, declared: int
) -> None:
    blocks = [
        relief_block(),
        relief_block(id='"rl-two"', sender='"EU"', action='"renewed"', date="2024-02-26"),
        relief_block(id='"rl-three"', sender='"EU"', action='"renewed"', date="2025-02-26"),
    ]
    path = hand_written(tmp_path, *blocks)
    path.write_text(path.read_text("utf-8").replace("schema = 2", f"schema = {declared}"), "utf-8")
    problems = invalid(path, "[tracker], field 'schema'", "needs schema 3")
    hints = [p for p in problems if "write schema" in p]
    assert len(hints) == 1, problems
    assert re.findall(r"write schema = (\d)", hints[0]) == ["3"]
    assert f"is {declared}, but relief action 'renewed' needs schema 3" in hints[0]
    # Each entry that needs it is named, where it is, without a hint of its own.
    located = [p for p in problems if "field 'action'" in p]
    assert [("rl-two" in p, "rl-three" in p) for p in located] == [(True, False), (False, True)]
    # The other commands stop at the first problem: the hint.
    refused(path, "status", expect=["field 'schema'", "write schema = 3"])
    fixed = path.read_text("utf-8").replace(f"schema = {declared}", "schema = 3")
    path.write_text(fixed, "utf-8")
    ok(run(path, "validate"))


# --- 6. `import --dry-run` when every row is a duplicate ----------------------------------


def test_a_dry_run_of_only_duplicates_says_so_in_one_line_as_the_import_does(
    tmp_path: Path,
) -> None:
    import shutil

    from tests.conftest import REPO

    path = tmp_path / "conditions.toml"
    shutil.copy(REPO / "conditions.toml", path)
    export = tmp_path / "ledger.csv"
    ok(run(path, "relief", "list", "--format", "csv", "-o", str(export)))
    rows = len(csv_rows(path))
    assert rows >= 10  # the control: the record's ledger, every row of it recorded already
    before = path.read_bytes()
    dry = ok(run(path, "import", str(export), "--dry-run", "--skip-duplicates"))
    assert dry.stdout == ""  # no empty table
    assert dry.stderr == (
        f"would import 0 entries into {path}: every row is a duplicate ({rows} duplicates "
        "skipped)\n"
    )
    done = ok(run(path, "import", str(export), "--skip-duplicates"))
    assert done.stdout == ""
    assert done.stderr == dry.stderr.replace("would import", "imported")
    refused_dry = run(path, "import", str(export), "--dry-run")
    assert refused_dry.exit_code == 2 and refused_dry.stdout == ""
    last = refused_dry.stderr.splitlines()[-1]
    assert last == (
        f"error: nothing would be imported: {rows} duplicates (--skip-duplicates leaves them out)"
    )
    assert path.read_bytes() == before


# --- 7. `init` fills the empty file a redirect or `touch` leaves ---------------------------


def _init_template() -> bytes:
    from importlib.resources import files

    return files("condtrack").joinpath("templates/default.toml").read_bytes()


@pytest.mark.parametrize("blank", [b"", b"  \n\t\n", b"\r\n"], ids=["empty", "spaces", "crlf"])
def test_init_fills_an_empty_or_blank_file_and_still_refuses_one_with_content(
    tmp_path: Path, blank: bytes
) -> None:
    path = tmp_path / "conditions.toml"
    path.write_bytes(blank)
    result = ok(run(None, "init", str(path)))
    assert result.stdout == "" and result.stderr.startswith(f"created {path}")
    assert path.read_bytes() == _init_template()
    # Nothing to keep: no .bak beside it.
    kept = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert kept == ["conditions.toml", "condtrack.schema.json"]
    path.write_bytes(b"# my notes\n")
    refused(path, "init", str(path), expect=["already exists", "--force"])


def test_init_of_a_blank_file_waits_for_the_lock(tmp_path: Path) -> None:
    from tests.reliability.helpers import holding_lock

    path = tmp_path / "conditions.toml"
    path.write_bytes(b"")
    with holding_lock(path):
        result = run(None, "init", str(path), env={"CONDTRACK_LOCK_TIMEOUT": "0.2"})
    assert result.exit_code == 2 and "lock" in result.stderr, result.output
    assert path.read_bytes() == b""


def test_init_redirected_into_its_own_file_is_refused_clearly_and_then_runs(
    tmp_path: Path,
) -> None:
    """`condtrack init > conditions.toml`, in a real shell: standard output is the file init
    would write. Refused in one line that says what to do, nothing written into it; the
    empty file the redirect left is then what `condtrack init` fills."""
    import os
    import shlex
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "CONDTRACK_FILE"}
    python = shlex.quote(sys.executable)
    for line, target in [
        (f"{python} -m condtrack init > conditions.toml", "conditions.toml"),
        (f"{python} -m condtrack init other.toml > other.toml", "other.toml"),
    ]:
        done = subprocess.run(
            ["sh", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(
            "error: refusing to write standard output: it is the tracker"
        ), done.stderr
        assert "init writes the tracker itself" in done.stderr
        assert (tmp_path / target).read_bytes() == b""
        again = subprocess.run(
            [sys.executable, "-m", "condtrack", "init", target],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert (tmp_path / target).read_bytes() == _init_template()
    # With standard error there too, nothing is written anywhere (no error line in it).
    done = subprocess.run(
        ["sh", "-c", f"{python} -m condtrack init new.toml > new.toml 2>&1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and (tmp_path / "new.toml").read_bytes() == b""
