"""Bad input: one clear line on standard error, exit code 2, no traceback, no change.

Every refusal is checked the same way (``refused``): exit code 2, nothing on standard
output, exactly one line on standard error starting ``error:`` and naming what is wrong,
and the tracker file byte-for-byte as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER, Invoke

# A valid [[evidence]] entry for SMALL_TRACKER, as raw TOML values; cases override fields.
BASE_ENTRY = {
    "id": '"ev-1"',
    "condition": '"troops"',
    "date": "2025-01-10",
    "source": '"Monitor"',
    "summary": '"Observed"',
    "logged": "2025-01-11T09:00:00Z",
}
# SMALL_TRACKER ends with a newline; an appended "\n[[evidence]]" starts two lines on.
FIRST_APPENDED_LINE = SMALL_TRACKER.count("\n") + 2
LOG_ARGS = ("log", "troops", "--summary", "x", "--source", "y", "--allow-duplicate")
WriteFn = Callable[[str | bytes], Path]


def evidence_block(**fields: str | None) -> str:
    """One [[evidence]] table: BASE_ENTRY with fields replaced (None drops one)."""
    merged: dict[str, str | None] = {**BASE_ENTRY, **fields}
    lines = [f"{key} = {value}" for key, value in merged.items() if value is not None]
    return "\n[[evidence]]\n" + "\n".join(lines) + "\n"


def replaced(old: str, new: str, text: str = SMALL_TRACKER) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once in the tracker"
    return text.replace(old, new)


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """Exit 2, empty stdout, one ``error:`` line on stderr holding every fragment."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("error: "), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def refused(cli: Invoke, path: Path, *args: str, expect: tuple[str, ...] = ()) -> str:
    """Run a command that must be refused, and check the file is untouched."""
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(p.name for p in path.parent.iterdir())
    result = cli(*args, file=path)
    err = assert_one_line_error(result, *expect)
    after = path.read_bytes() if path.is_file() else None
    assert after == before, "a refused command changed the file"
    # No temporary file left behind (the lock sidecar may appear; it holds nothing).
    new_names = {p.name for p in path.parent.iterdir()} - set(listing)
    assert {n for n in new_names if not n.endswith(".lock")} == set()
    return err


@pytest.fixture
def write(tmp_path: Path) -> WriteFn:
    """Write a tracker file with the given content; return its path."""

    def make(content: str | bytes) -> Path:
        path = tmp_path / "tracker.toml"
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return make


# --- the file cannot be found or read -----------------------------------------------------


@pytest.mark.parametrize(
    "args", [("status",), LOG_ARGS, ("retract", "ev-x", "--reason", "r"), ("validate",)]
)
def test_missing_file_suggests_init(cli: Invoke, tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "nope.toml"
    err = refused(cli, missing, *args, expect=("does not exist", "condtrack init"))
    assert str(missing) in err
    assert not missing.exists()


@pytest.mark.parametrize("args", [LOG_ARGS, ("retract", "ev-x", "--reason", "r")])
def test_missing_file_in_a_missing_folder(
    cli: Invoke, tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "no-such-folder" / "conditions.toml"
    result = cli(*args, file=missing)
    assert_one_line_error(result, str(missing.parent.name))
    assert not missing.parent.exists()


def test_missing_folder_also_suggests_init(cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "conditions.toml"
    assert_one_line_error(cli(*LOG_ARGS, file=missing), "does not exist", "condtrack init")


def test_no_file_found_anywhere(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if any((folder / "conditions.toml").is_file() for folder in tmp_path.parents):
        pytest.skip("a conditions.toml above the temporary folder would be found")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONDTRACK_FILE", raising=False)
    result = runner.invoke(app, ["status"], env={"CONDTRACK_FILE": None})
    assert_one_line_error(result, "no conditions.toml", "condtrack init", "--file")


def test_a_folder_is_not_a_tracker(cli: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "tracker.toml"
    folder.mkdir()
    for args in (("status",), LOG_ARGS):
        refused(cli, folder, *args, expect=("is a folder",))
    assert folder.is_dir()


def test_invalid_utf8_names_the_line(cli: Invoke, write: WriteFn) -> None:
    path = write(SMALL_TRACKER.encode() + b"\n# caf\xe9\n")
    refused(cli, path, "status", expect=(f"line {FIRST_APPENDED_LINE}", "not valid UTF-8"))


# --- malformed TOML -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        "\n[[evidence]\nid = 'x'\n",  # unclosed array-of-tables header
        '\n[[evidence]]\nid = "x\n',  # unterminated string
        "\n[[evidence]]\ndate = 2025-02-30\n",  # impossible date in TOML itself
        "\n[[evidence]]\nsummary = 'a'\nsummary = 'b'\n",  # duplicate key
    ],
    ids=["header", "string", "date", "duplicate-key"],
)
@pytest.mark.parametrize(
    "command", [("status",), LOG_ARGS, ("validate",)], ids=["status", "log", "validate"]
)
def test_malformed_toml_gives_line_and_column(
    cli: Invoke, write: WriteFn, tail: str, command: tuple[str, ...]
) -> None:
    path = write(SMALL_TRACKER + tail)
    err = refused(cli, path, *command, expect=("malformed TOML",))
    match = re.search(r"line (\d+), column (\d+)", err)
    assert match, err
    line = int(match.group(1))
    # The problem is on the appended [[evidence]] header or the line after it.
    assert line in (FIRST_APPENDED_LINE, FIRST_APPENDED_LINE + 1, FIRST_APPENDED_LINE + 2)
    assert int(match.group(2)) >= 1


def test_malformed_toml_exact_position(cli: Invoke, write: WriteFn) -> None:
    path = write(SMALL_TRACKER + "\n[[evidence]]\nid = = 1\n")
    err = refused(cli, path, "status")
    assert f"line {FIRST_APPENDED_LINE + 1}, column 6" in err


# --- schema errors in the file: entry and field named -------------------------------------

SCHEMA_CASES = [
    # (id, fields to change in the entry, fragments the message must hold)
    ("date-before-1900", {"date": "1899-12-31"}, ("'date'", "before 1900")),
    ("date-with-time", {"date": "2025-01-10T10:00:00"}, ("'date'",)),
    ("date-after-logged", {"date": "2025-03-01"}, ("'date'", "logged on 2025-01-11")),
    ("unknown-field", {"colour": '"red"'}, ("'colour'", "unknown field")),
    ("summary-wrong-type", {"summary": "5"}, ("'summary'", "must be text, not a whole number 5")),
    ("tags-wrong-type", {"tags": '"x"'}, ("'tags'", "list")),
    ("value-boolean", {"condition": '"prisoners"', "indicator": '"held"', "value": "true"},
     ("'value'", "true/false")),
    ("value-not-a-number", {"condition": '"prisoners"', "indicator": '"held"', "value": '"1,5"'},
     ("'value'",)),
    ("value-too-large", {"condition": '"prisoners"', "indicator": '"held"', "value": "1e16"},
     ("'value'", "implausibly large")),
    ("value-nan", {"condition": '"prisoners"', "indicator": '"held"', "value": "nan"},
     ("'value'", "finite")),
    ("value-below-minimum", {"condition": '"prisoners"', "indicator": '"held"', "value": "-3"},
     ("'value'", "below held's minimum of 0")),
    ("missing-source", {"source": None}, ("'source'", "is required")),
    ("logged-without-zone", {"logged": "2025-01-11T09:00:00"}, ("'logged'", "no time zone")),
    ("status-without-criterion", {"status": '"met"'}, ("status needs the criterion",)),
    ("value-without-indicator", {"value": "3"}, ("indicator and a value go together",)),
    ("unknown-condition", {"condition": '"nope"'}, ("'condition'", "troops, prisoners")),
    ("unknown-criterion", {"criterion": '"released"'},
     ("'criterion'", "bases-closed, troops-gone")),
    ("unknown-indicator", {"indicator": '"held"', "value": "1"},
     ("'indicator'", "none defined")),
    ("bad-status", {"criterion": '"bases-closed"', "status": '"done"'}, ("'status'",)),
    ("bad-url", {"url": '"javascript:alert(1)"'}, ("'url'", "http(s)")),
    ("bad-reliability", {"reliability": '"Z9"'}, ("'reliability'", "Admiralty")),
    ("blank-summary", {"summary": '" \\t "'}, ("'summary'", "must not be empty")),
    ("bad-id", {"id": '"has space"'}, ("'id'",)),
    ("too-many-tags", {"tags": "[" + ", ".join(f'"t{n}"' for n in range(21)) + "]"},
     ("'tags'",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [pytest.param(fields, fragments, id=name) for name, fields, fragments in SCHEMA_CASES],
)
@pytest.mark.parametrize("command", [("status",), LOG_ARGS], ids=["status", "log"])
def test_schema_error_names_entry_and_field(
    cli: Invoke,
    write: WriteFn,
    fields: dict[str, str | None],
    fragments: tuple[str, ...],
    command: tuple[str, ...],
) -> None:
    entry_id = fields.get("id") or BASE_ENTRY["id"]
    path = write(SMALL_TRACKER + evidence_block(**fields))
    err = refused(cli, path, *command, expect=fragments)
    assert f"evidence #1 (id {entry_id.replace(chr(34), chr(39))}" in err
    assert f"line {FIRST_APPENDED_LINE}" in err
    if any(f.startswith("'") for f in fragments):
        assert "field '" in err


def test_entry_number_counts_from_the_top(cli: Invoke, write: WriteFn) -> None:
    good = evidence_block()
    bad = evidence_block(id='"ev-2"', reliability='"B9"')
    path = write(SMALL_TRACKER + good + bad)
    refused(cli, path, "status", expect=("evidence #2 (id 'ev-2'", "field 'reliability'"))


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        pytest.param(
            lambda: SMALL_TRACKER + evidence_block() + evidence_block(),
            ("evidence #2 (id 'ev-1'", "field 'id'", "used twice"),
            id="duplicate-evidence-id",
        ),
        pytest.param(
            lambda: replaced('id = "prisoners"', 'id = "troops"'),
            ("condition id 'troops' is used twice",),
            id="duplicate-condition-id",
        ),
        pytest.param(
            lambda: replaced('id = "troops-gone"', 'id = "bases-closed"'),
            ("conditions #1 (id 'troops')", "criterion id 'bases-closed' is used twice"),
            id="duplicate-criterion-id",
        ),
        pytest.param(
            lambda: replaced('id = "expelled"', 'id = "held"'),
            ("indicator id 'held' is used twice",),
            id="duplicate-indicator-id",
        ),
        pytest.param(
            lambda: replaced("schema = 1", "schema = 4"),
            ("[tracker]", "schema 4 is not supported"),
            id="future-schema",
        ),
        pytest.param(
            lambda: replaced('min_reliability = "C3"', 'min_reliability = "Q9"'),
            ("[scoring], field 'min_reliability'", "Admiralty"),
            id="bad-minimum-grade",
        ),
        pytest.param(
            lambda: SMALL_TRACKER + "\n[extra]\nx = 1\n",
            ("unknown table or key 'extra'",),
            id="unknown-table",
        ),
        pytest.param(
            lambda: (
                SMALL_TRACKER + '\n[[retractions]]\nevidence = "ev-9"\nreason = "r"\n'
                "date = 2025-01-01\n"
            ),
            ("retractions #1", "field 'evidence'", "retracts unknown evidence 'ev-9'"),
            id="retraction-of-unknown-evidence",
        ),
        pytest.param(
            lambda: "",
            ("field 'tracker'", "is required"),
            id="empty-file",
        ),
    ],
)
def test_file_level_errors(
    cli: Invoke, write: WriteFn, make: Callable[[], str], fragments: tuple[str, ...]
) -> None:
    path = write(make())
    refused(cli, path, "status", expect=fragments)
    refused(cli, path, *LOG_ARGS, expect=fragments)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"date": "86400"}, "date", id="integer-date-read-as-unix-time"),
        pytest.param(
            {"date": "2020-01-01", "logged": "1700000000"},
            "logged",
            id="integer-logged-read-as-unix-time",
        ),
        pytest.param({"date": '"2025-01-10"'}, "date", id="quoted-date"),
        pytest.param(
            {"condition": '"prisoners"', "indicator": '"held"', "value": '"12"'},
            "value",
            id="quoted-number",
        ),
    ],
)
def test_wrong_toml_types_are_refused(
    cli: Invoke, write: WriteFn, fields: dict[str, str], field: str
) -> None:
    """A TOML integer is not a date, and a TOML string is not a date or a number."""
    path = write(SMALL_TRACKER + evidence_block(**fields))
    refused(cli, path, "status", expect=(f"field '{field}'",))


def test_string_snapback_is_refused(cli: Invoke, write: WriteFn) -> None:
    path = write(replaced("snapback = true", 'snapback = "yes"'))
    refused(cli, path, "status", expect=("'snapback'",))


# --- validate lists every problem ---------------------------------------------------------


def test_validate_lists_every_problem(cli: Invoke, write: WriteFn) -> None:
    path = write(
        SMALL_TRACKER
        + evidence_block()  # valid
        + evidence_block(id='"ev-2"', colour='"red"')
        + evidence_block(id='"ev-3"', url='"ftp://x.org/a"', reliability='"G1"')
        + evidence_block(id='"ev-1"', condition='"nope"')
        + '\n[[retractions]]\nevidence = "ev-404"\nreason = "r"\ndate = 2025-01-01\n'
    )
    before = path.read_bytes()
    result = cli("validate", file=path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    *problems, last = result.stderr.splitlines()
    assert last == f"error: 6 problems in {path}"
    expected = [
        ("evidence #2 (id 'ev-2'", "field 'colour'"),
        ("evidence #3 (id 'ev-3'", "field 'url'"),
        ("evidence #3 (id 'ev-3'", "field 'reliability'"),
        ("evidence #4 (id 'ev-1'", "field 'id'"),
        ("evidence #4 (id 'ev-1'", "field 'condition'"),
    ]
    assert len(problems) == len(expected) + 1  # and the retraction
    for place, field in expected:
        assert any(place in p and field in p for p in problems), (place, field, problems)
    assert any("retractions #1" in p and "ev-404" in p for p in problems)
    assert all(p.startswith(f"{path}: ") for p in problems)
    assert path.read_bytes() == before


def test_other_commands_stop_at_the_first_problem_and_point_to_validate(
    cli: Invoke, write: WriteFn
) -> None:
    path = write(SMALL_TRACKER + evidence_block(colour='"red"', reliability='"G1"'))
    refused(cli, path, "status", expect=("1 more", "condtrack validate"))


# --- bad options to log -------------------------------------------------------------------

LOG_CASES = [
    # (id, extra arguments after `log`, fragments of the message)
    ("unknown-condition", ("nope",), ("unknown condition 'nope'", "troops, prisoners")),
    ("condition-typo", ("troop",), ("did you mean 'troops'",)),
    ("unknown-criterion", ("troops", "-c", "released"),
     ("--criterion", "unknown criterion 'released'", "bases-closed, troops-gone")),
    ("unknown-indicator", ("prisoners", "-i", "helt", "--value", "1"),
     ("--indicator", "held, expelled, freed, detained", "did you mean 'held'")),
    ("indicator-of-other-condition", ("troops", "-i", "held", "--value", "1"),
     ("--indicator", "none defined")),
    ("status-without-criterion", ("troops", "--status", "met"), ("needs the criterion",)),
    ("value-without-indicator", ("prisoners", "--value", "3"), ("indicator and a value",)),
    ("indicator-without-value", ("prisoners", "-i", "held"), ("indicator and a value",)),
    ("impossible-date", ("troops", "--date", "2025-02-30"), ("--date", "not a valid date")),
    ("not-a-leap-year", ("troops", "--date", "2023-02-29"), ("--date", "not a valid date")),
    ("month-13", ("troops", "--date", "2025-13-01"), ("--date", "not a valid date")),
    ("short-date", ("troops", "--date", "2025-1-5"), ("--date", "YYYY-MM-DD")),
    ("word-date", ("troops", "--date", "yesterday"), ("--date", "YYYY-MM-DD")),
    ("before-1900", ("troops", "--date", "1899-12-31"), ("--date", "before 1900")),
    ("javascript-url", ("troops", "--url", "javascript:alert(1)"), ("--url", "http(s)")),
    ("ftp-url", ("troops", "--url", "ftp://example.org/a"), ("--url", "http(s)")),
    ("file-url", ("troops", "--url", "file:///etc/passwd"), ("--url", "http(s)")),
    ("hostless-url", ("troops", "--url", "https://"), ("--url",)),
    ("url-with-space", ("troops", "--url", "https://exa mple.org/"), ("--url", "spaces")),
    ("reliability-letter", ("troops", "-r", "G1"), ("--reliability", "Admiralty")),
    ("reliability-digit", ("troops", "-r", "A7"), ("--reliability", "Admiralty")),
    ("reliability-long", ("troops", "-r", "B22"), ("--reliability", "Admiralty")),
    ("reliability-empty", ("troops", "-r", ""), ("--reliability",)),
    ("value-comma", ("prisoners", "-i", "held", "--value", "1,5"), ("--value", "'1,5'")),
    ("value-word", ("prisoners", "-i", "held", "--value", "ten"), ("--value", "not a number")),
    ("value-hex", ("prisoners", "-i", "held", "--value", "0x10"), ("--value", "not a number")),
    ("value-nan", ("prisoners", "-i", "held", "--value", "nan"), ("--value",)),
    ("value-overflow", ("prisoners", "-i", "held", "--value", "1e999"), ("--value", "finite")),
    ("value-huge", ("prisoners", "-i", "held", "--value", "2e15"), ("--value", "large")),
    ("value-below-minimum", ("prisoners", "-i", "held", "--value", "-1"),
     ("--value", "below held's minimum of 0")),
    ("bad-tag", ("troops", "--tag", "two words"), ("--tag",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [pytest.param(extra, fragments, id=name) for name, extra, fragments in LOG_CASES],
)
def test_log_refuses_bad_options(
    cli: Invoke, tracker_file: Path, extra: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    condition, *rest = extra
    refused(cli, tracker_file, "log", condition, "--summary", "s", "--source", "src", *rest,
            expect=fragments)  # fmt: skip


@pytest.mark.parametrize(
    ("option", "value"),
    [("--summary", ""), ("--summary", "   "), ("--summary", "\n\t"), ("--source", ""),
     ("--source", " ")],
)  # fmt: skip
def test_log_refuses_blank_text(cli: Invoke, tracker_file: Path, option: str, value: str) -> None:
    args = {"--summary": "s", "--source": "src", option: value}
    refused(cli, tracker_file, "log", "troops", *[x for kv in args.items() for x in kv],
            expect=(option, "must not be empty"))  # fmt: skip


@pytest.mark.parametrize(
    ("option", "limit"), [("--summary", 4000), ("--source", 300)], ids=["summary", "source"]
)
def test_log_refuses_overlong_text(
    cli: Invoke, tracker_file: Path, option: str, limit: int
) -> None:
    args = {"--summary": "s", "--source": "src"}
    args[option] = "x" * (limit + 1)
    refused(cli, tracker_file, "log", "troops", *[x for kv in args.items() for x in kv],
            expect=(option, str(limit)))  # fmt: skip
    args[option] = "x" * limit
    assert cli("log", "troops", *[x for kv in args.items() for x in kv]).exit_code == 0


def test_log_refuses_nul(cli: Invoke, tracker_file: Path) -> None:
    refused(cli, tracker_file, "log", "troops", "--summary", "a\x00b", "--source", "s",
            expect=("--summary", "NUL"))  # fmt: skip


def test_log_refuses_a_future_date(cli: Invoke, tracker_file: Path) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refused(cli, tracker_file, *LOG_ARGS, "--date", tomorrow,
            expect=("--date", tomorrow, "in the future"))  # fmt: skip


@pytest.mark.parametrize(
    "day", ["1900-01-01", "2024-02-29", dt.date.today().isoformat()], ids=["1900", "leap", "today"]
)
def test_log_accepts_the_edge_dates(cli: Invoke, day: str) -> None:
    """The controls for the refusals above: the limits themselves are fine."""
    result = cli(*LOG_ARGS, "--date", day)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("url", ["http://example.org", "HTTPS://Example.org/a?b=c#d"])
def test_log_accepts_http_urls(cli: Invoke, url: str) -> None:
    assert cli(*LOG_ARGS, "--url", url).exit_code == 0


def test_error_text_from_the_user_stays_on_one_line(cli: Invoke, tracker_file: Path) -> None:
    """An unknown id carrying a newline and an escape cannot break the one-line message."""
    err = refused(cli, tracker_file, "log", "no\nsuch\x1b[31m", "-s", "x", "--source", "y")
    assert "\x1b" not in err


# --- retract, read commands, check --------------------------------------------------------


def test_retract_unknown_evidence(cli: Invoke, log: Callable[..., str], tracker_file: Path) -> None:
    real = log("troops")
    typo = real[:-1] + ("y" if real[-1] == "x" else "x")  # ids are random: it may end in x
    refused(cli, tracker_file, "retract", typo, "--reason", "r",
            expect=("no evidence with id", f"did you mean '{real}'"))  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (("--reason", ""), ("--reason", "must not be empty")),
        (("--reason", "  "), ("--reason", "must not be empty")),
        (("--reason", "r", "--date", "2025-02-30"), ("--date", "not a valid date")),
        (("--reason", "r", "--date", "1850-01-01"), ("--date", "before 1900")),
        (
            ("--reason", "r", "--date", (dt.date.today() + dt.timedelta(days=3)).isoformat()),
            ("--date", "in the future"),
        ),
    ],
    ids=["empty-reason", "blank-reason", "impossible-date", "old-date", "future-date"],
)
def test_retract_refuses_bad_options(
    cli: Invoke,
    log: Callable[..., str],
    tracker_file: Path,
    extra: tuple[str, ...],
    fragments: tuple[str, ...],
) -> None:
    entry = log("troops")
    refused(cli, tracker_file, "retract", entry, *extra, expect=fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("explain", "nope"), ("unknown condition 'nope'", "troops, prisoners")),
        (("explain", "prisoner"), ("did you mean 'prisoners'",)),
        (("evidence", "--condition", "nope"), ("--condition", "troops, prisoners")),
        (("evidence", "--since", "2025-02-30"), ("--since", "not a valid date")),
        (("evidence", "--until", "last week"), ("--until", "YYYY-MM-DD")),
        (("status", "--as-of", "2025-13-01"), ("--as-of", "not a valid date")),
        (("status", "--as-of", "1800-01-01"), ("--as-of", "before 1900")),
        (("explain", "troops", "--as-of", "someday"), ("--as-of",)),
        (("check", "--require", "nope"),
         ("--require", "unknown condition 'nope'", "troops, prisoners")),
        (("check", "--require", "troops,nope"), ("--require", "'nope'")),
        (("check", "--require", "troops, prisoner"), ("did you mean 'prisoners'",)),
        (("check", "--as-of", "2025-02-30"), ("--as-of",)),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, tuple) and v and v[0][0] != "-" else None,
)  # fmt: skip
def test_read_commands_refuse_bad_options(
    cli: Invoke, tracker_file: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    refused(cli, tracker_file, *args, expect=fragments)


def test_check_unknown_require_is_not_a_gate_failure(cli: Invoke, tracker_file: Path) -> None:
    """Exit 2 (bad input), not 1 (gate failed): a typo must not look like a verdict."""
    result = cli("check", "--require", "trops")
    assert_one_line_error(result, "did you mean 'troops'")


# --- usage errors (Typer's own) -----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("log", "troops", "--summary", "x"), id="missing-option"),
        pytest.param((*LOG_ARGS, "-c", "bases-closed", "--status", "done"), id="bad-choice"),
        pytest.param(("check", "--min-score", "200"), id="out-of-range"),
        pytest.param(("status", "--format", "xml"), id="bad-format"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    cli: Invoke, tracker_file: Path, args: tuple[str, ...]
) -> None:
    before = tracker_file.read_bytes()
    result = cli(*args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert tracker_file.read_bytes() == before


def test_usage_errors_are_one_line(cli: Invoke) -> None:
    assert_one_line_error(cli("log", "troops", "--summary", "x"), "--source")


# --- a real process -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [SMALL_TRACKER + "\n[[evidence]\n", SMALL_TRACKER + evidence_block(date="1800-01-01")],
)
def test_process_reports_bad_files_in_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "conditions.toml"
    path.write_text(content, "utf-8")
    before = path.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "condtrack", "--file", str(path), *LOG_ARGS],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode("utf-8")
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert b"Traceback" not in done.stderr
    assert path.read_bytes() == before
