"""Two time axes (issue 13), through the real CLI: what was true on a date (``--as-of``)
and what the tracker knew at a moment (``--known-at``).

Entries are logged under a faked clock: ``condtrack.domain.entries.utc_now`` (what `log`,
`amend`, `retract` and `import` stamp as ``logged``) is patched for each write, so a test
can build the history an analyst would have built over months, and ask what the tracker
said at each step.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from tests.conftest import SMALL_TRACKER, Invoke

UTC = dt.UTC
WIDE = {"COLUMNS": "250"}


def at(moment: str) -> dt.datetime:
    """A clock reading: 2026-11-30T10:00 (UTC)."""
    return dt.datetime.fromisoformat(moment).replace(tzinfo=UTC)


@contextlib.contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """Writes made meanwhile are logged at ``moment``."""
    with mock.patch("condtrack.domain.entries.utc_now", return_value=moment):
        yield


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def json_of(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def log_at(cli: Invoke, moment: dt.datetime, condition: str, *args: str, file: Path | None = None):
    with clock(moment):
        result = cli(
            "log",
            condition,
            "--source",
            "Monitor",
            "--reliability",
            "B2",
            "--allow-duplicate",
            *args,
            file=file,
        )
    return ok(result).stdout.strip()


def criterion(data: dict[str, Any], condition: str, criterion_id: str) -> dict[str, Any]:
    found = next(c for c in data["conditions"] if c["id"] == condition)
    return next(c for c in found["criteria"] if c["id"] == criterion_id)


def indicator(data: dict[str, Any], condition: str, indicator_id: str) -> dict[str, Any]:
    found = next(c for c in data["conditions"] if c["id"] == condition)
    return next(i for i in found["indicators"] if i["id"] == indicator_id)


# --- the two cases of the issue ------------------------------------------------------------


def test_backdated_evidence_is_news_in_diff_since_the_last_briefing(cli: Invoke) -> None:
    log_at(
        cli,
        at("2026-11-20T09:00"),
        "prisoners",
        "--indicator",
        "held",
        "--value",
        "10",
        "--date",
        "2026-11-19",
        "--summary",
        "ten held",
    )
    # Logged today, dated long ago: by event date it is not in last week's span.
    late = log_at(
        cli,
        at("2026-11-30T10:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "not-met",
        "--date",
        "2024-01-01",
        "--summary",
        "backdated",
    )
    span = ["--since", "2026-11-23", "--until", "2026-11-30"]
    data = json_of(cli("diff", *span, "--format", "json"))
    troops = next(c for c in data["conditions"] if c["id"] == "troops")
    assert troops["status"] == {"before": "unknown", "after": "not-met"}
    assert troops["changed"] is True and troops["added"] == [late]
    assert troops["added_entries"] == [
        {"id": late, "date": "2024-01-01", "logged": "2026-11-30T10:00:00Z"}
    ]
    assert troops["marks"] == [f"{late} new: logged 2026-11-30, dated 2024-01-01"]
    assert (data["by"], data["as_of"], data["known_at"]) == ("logged", "2026-11-30", None)
    text = ok(cli("diff", *span, env=WIDE)).stdout
    assert "logged 2026-11-30, dated 2024-01-01" in text
    assert "unknown" in text and "→ not-met" in text
    markdown = ok(cli("diff", *span, "--format", "markdown")).stdout
    assert "logged 2026-11-30, dated 2024-01-01" in markdown
    # report --since uses the same rule, in every format.
    report = json_of(
        cli("report", "--as-of", "2026-11-30", "--since", "2026-11-23", "--format", "json")
    )
    changes = next(c for c in report["changes"]["conditions"] if c["id"] == "troops")
    assert changes["status"] == {"before": "unknown", "after": "not-met"}
    for form in ("markdown", "csv", "html"):
        page = ok(
            cli("report", "--as-of", "2026-11-30", "--since", "2026-11-23", "--format", form)
        ).stdout
        assert "logged 2026-11-30, dated 2024-01-01" in page, form
    # --by event keeps the event-date comparison: known now on both dates, nothing moved.
    event = json_of(cli("diff", *span, "--by", "event", "--format", "json"))
    troops = next(c for c in event["conditions"] if c["id"] == "troops")
    assert troops["status"] == {"before": "not-met", "after": "not-met"}
    assert troops["added"] == [] and troops["marks"] == [] and event["by"] == "event"


def test_a_late_retraction_removes_the_forgery_from_earlier_as_of_dates(cli: Invoke) -> None:
    forged = log_at(
        cli,
        at("2025-01-11T08:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "met",
        "--date",
        "2025-01-10",
        "--summary",
        "forged",
    )
    with clock(at("2026-11-30T11:00")):
        ok(cli("retract", forged, "--reason", "forged", "--date", "2026-11-30"))
    # Valid time: the state of the world on 2025-02-01, with everything known now.
    now = json_of(cli("status", "--as-of", "2025-02-01", "--format", "json"))
    assert criterion(now, "troops", "bases-closed")["status"] == "unknown"
    [row] = json_of(cli("evidence", "--format", "json"))
    assert row["retracted"] == {
        "date": "2026-11-30",
        "logged": "2026-11-30T11:00:00Z",
        "reason": "forged",
    }
    # Knowledge time: what the tracker said before the retraction was logged.
    then = json_of(
        cli("status", "--as-of", "2025-02-01", "--known-at", "2026-11-29", "--format", "json")
    )
    assert criterion(then, "troops", "bases-closed")["status"] == "met"
    assert (then["as_of"], then["known_at"]) == ("2025-02-01", "2026-11-29")
    [row] = json_of(cli("evidence", "--known-at", "2026-11-30T10:59:59Z", "--format", "json"))
    assert row["retracted"] is None
    assert (
        json_of(cli("history", forged, "--known-at", "2026-11-29", "--format", "json"))["retracted"]
        is None
    )
    # The same day, a minute after: known.
    after = json_of(
        cli(
            "status",
            "--as-of",
            "2025-02-01",
            "--known-at",
            "2026-11-30T11:00:00Z",
            "--format",
            "json",
        )
    )
    assert criterion(after, "troops", "bases-closed")["status"] == "unknown"
    # A late retraction is news for the weekly briefing, marked with both dates.
    diff = json_of(
        cli("diff", "--since", "2026-11-23", "--until", "2026-11-30", "--format", "json")
    )
    troops = next(c for c in diff["conditions"] if c["id"] == "troops")
    assert troops["marks"] == [f"{forged} retracted: logged 2026-11-30, dated 2025-01-10"]
    assert troops["status"] == {"before": "partial", "after": "unknown"}


def test_diff_until_an_earlier_date_counts_what_was_learned_dated_by_then(cli: Invoke) -> None:
    dated_in = log_at(
        cli,
        at("2025-03-10T09:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "met",
        "--date",
        "2025-01-20",
        "--summary",
        "in the span",
    )
    log_at(
        cli,
        at("2025-03-10T10:00"),
        "troops",
        "--criterion",
        "troops-gone",
        "--status",
        "met",
        "--date",
        "2025-03-01",
        "--summary",
        "after --until",
    )
    args = ["diff", "--since", "2025-02-01", "--until", "2025-02-15", "--format", "json"]
    troops = next(c for c in json_of(cli(*args))["conditions"] if c["id"] == "troops")
    assert troops["added"] == [dated_in]  # the other one does not count as of --until
    assert troops["status"] == {"before": "unknown", "after": "partial"}


# --- amendments, order, the options ------------------------------------------------------


def test_amendments_chained_several_times_apply_from_their_logged_time(cli: Invoke) -> None:
    first = log_at(
        cli,
        at("2025-03-01T09:00"),
        "prisoners",
        "--indicator",
        "held",
        "--value",
        "100",
        "--date",
        "2025-02-28",
        "--summary",
        "count",
    )
    ids = [first]
    for moment, value in (("2025-03-05T09:00", "80"), ("2025-03-09T09:00", "60")):
        with clock(at(moment)):
            amended = cli("amend", ids[-1], "--value", value, "--reason", "recount")
        ids.append(ok(amended).stdout.strip())
    with clock(at("2025-03-12T09:00")):
        ok(cli("retract", ids[1], "--reason", "the source was wrong", "--date", "2025-03-12"))
    expected = [
        ("2025-03-01", 100, ids[0]),
        ("2025-03-04T23:59:59Z", 100, ids[0]),
        ("2025-03-05T09:00:00Z", 80, ids[1]),
        ("2025-03-08", 80, ids[1]),
        ("2025-03-09", 60, ids[2]),
        ("2025-03-11", 60, ids[2]),
    ]
    for known, held, decided_by in expected:
        data = json_of(
            cli("status", "--as-of", "2025-03-20", "--known-at", known, "--format", "json")
        )
        assert indicator(data, "prisoners", "held")["value"] == held, known
        assert criterion(data, "prisoners", "released")["decided_by"] == decided_by, known
        versions = json_of(cli("history", ids[0], "--known-at", known, "--format", "json"))
        assert versions["current"] == decided_by
        assert versions["known_at"] == known.replace("Z", "+00:00")
        assert versions["retracted"] is None
    # Retracting the middle version withdraws the chain, from its logged time on.
    for withdrawn in ("2025-03-12", None):
        args = ["--known-at", withdrawn] if withdrawn else []
        data = json_of(cli("status", "--as-of", "2025-03-20", *args, "--format", "json"))
        assert indicator(data, "prisoners", "held")["value"] is None
    before = json_of(cli("evidence", "--all", "--known-at", "2025-03-06", "--format", "json"))
    assert [r["id"] for r in before] == ids[:2]
    text = ok(
        cli("explain", "prisoners", "--as-of", "2025-03-20", "--known-at", "2025-03-06", env=WIDE)
    ).stdout
    assert "as known at 2025-03-06" in text and f"superseded by {ids[1]}" in text
    assert "2025-02-28  " in text and "logged 2025-03-05" in text


def test_entries_logged_out_of_order_count_from_their_logged_time(cli: Invoke) -> None:
    # As a merge of two branches leaves them: file order is not the order they were logged.
    c = log_at(
        cli,
        at("2025-05-03T12:00"),
        "troops",
        "--criterion",
        "troops-gone",
        "--status",
        "met",
        "--date",
        "2025-05-01",
        "--summary",
        "third",
    )
    a = log_at(
        cli,
        at("2025-05-01T12:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "partial",
        "--date",
        "2025-04-30",
        "--summary",
        "first",
    )
    b = log_at(
        cli,
        at("2025-05-02T12:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "met",
        "--date",
        "2025-04-29",
        "--summary",
        "second",
    )
    known = {"2025-05-01": [a], "2025-05-02": [a, b], "2025-05-03": [c, a, b]}
    for moment, ids in known.items():
        rows = json_of(cli("evidence", "--known-at", moment, "--format", "json"))
        assert {r["id"] for r in rows} == set(ids), moment
    # On 2025-05-02, b (dated earlier than a) was known: a, the later-dated, decides.
    data = json_of(
        cli("status", "--as-of", "2025-05-10", "--known-at", "2025-05-02", "--format", "json")
    )
    assert criterion(data, "troops", "bases-closed")["decided_by"] == a
    assert criterion(data, "troops", "troops-gone")["status"] == "unknown"
    # --logged-since lists what was learned after a moment, whatever its date.
    since = json_of(cli("evidence", "--logged-since", "2025-05-01T12:00:00Z", "--format", "json"))
    assert [r["id"] for r in since] == [b, c]  # oldest (by date) first
    text = ok(cli("evidence", "--logged-since", "2025-05-01", env=WIDE)).stdout
    assert b in text and c in text and a not in text
    assert "2025-05-02" in text and "2025-04-29" in text  # both dates of b


def test_known_at_alone_sets_the_as_of_date_and_every_read_command_takes_it(cli: Invoke) -> None:
    log_at(
        cli,
        at("2025-06-01T10:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "met",
        "--date",
        "2025-06-01",
        "--summary",
        "closed",
    )
    status = json_of(cli("status", "--known-at", "2025-06-02", "--format", "json"))
    assert (status["as_of"], status["known_at"]) == ("2025-06-02", "2025-06-02")
    stamped = json_of(cli("status", "--known-at", "2025-06-02T23:30:00-05:00", "--format", "json"))
    assert (stamped["as_of"], stamped["known_at"]) == ("2025-06-02", "2025-06-02T23:30:00-05:00")
    check = json_of_code(cli("check", "--known-at", "2025-05-31", "--format", "json"))
    assert (check["as_of"], check["known_at"]) == ("2025-05-31", "2025-05-31")
    report = json_of(cli("report", "--known-at", "2025-06-02", "--format", "json"))
    assert (report["as_of"], report["known_at"]) == ("2025-06-02", "2025-06-02")
    diff = json_of(
        cli("diff", "--since", "2025-05-01", "--known-at", "2025-06-02", "--format", "json")
    )
    assert (diff["as_of"], diff["known_at"], diff["until"]) == ("2025-06-02",) * 3
    # Not given: null, and everything in the file counts.
    assert json_of(cli("status", "--as-of", "2025-06-02", "--format", "json"))["known_at"] is None


def json_of_code(result: Result) -> Any:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "value", ["yesterday", "2025-13-01", "2025-06-01T25:00", "1899-12-31", "2025-06-01T10:00+5"]
)
def test_a_bad_known_at_is_one_line_naming_the_option(cli: Invoke, value: str) -> None:
    for command in (
        ["status"],
        ["evidence"],
        ["check"],
        ["report"],
        ["diff", "--since", "2025-01-01"],
    ):
        result = cli(*command, "--known-at", value)
        assert result.exit_code == 2, (command, result.output)
        [line] = result.stderr.splitlines()
        assert line.startswith("error: Invalid value for '--known-at': ")
        assert "Traceback" not in result.output


def test_validate_warns_about_a_retraction_without_a_logged_time(
    cli: Invoke, tracker_file: Path
) -> None:
    entry = log_at(
        cli,
        at("2025-01-02T10:00"),
        "troops",
        "--criterion",
        "bases-closed",
        "--status",
        "met",
        "--date",
        "2025-01-01",
        "--summary",
        "closed",
    )
    with tracker_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[retractions]]\nevidence = "{entry}"\nreason = "r"\ndate = 2025-02-01\n')
    result = cli("validate")
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "no logged time" in warning and "2025-02-01" in warning and entry in warning
    # Known from the start of its date (UTC).
    for known, status in (("2025-01-31", "met"), ("2025-02-01T00:00:00Z", "unknown")):
        data = json_of(
            cli("status", "--as-of", "2025-03-01", "--known-at", known, "--format", "json")
        )
        assert criterion(data, "troops", "bases-closed")["status"] == status, known


# --- reproducing what the tracker said -----------------------------------------------------

STEPS: list[tuple[str, list[str]]] = [
    (
        "2025-01-05T09:00",
        ["log", "prisoners", "--indicator", "held", "--value", "120", "--date", "2025-01-04"],
    ),
    (
        "2025-01-20T09:00",
        ["log", "troops", "--criterion", "bases-closed", "--status", "met", "--date", "2025-01-19"],
    ),
    (
        "2025-01-20T15:00",
        ["log", "prisoners", "--indicator", "expelled", "--value", "4", "--date", "2025-01-18"],
    ),
    ("2025-02-10T09:00", ["amend", "{0}", "--value", "110", "--reason", "recount"]),
    (
        "2025-03-01T09:00",
        [
            "log",
            "troops",
            "--criterion",
            "troops-gone",
            "--status",
            "partial",
            "--date",
            "2024-06-01",
        ],
    ),  # backdated
    ("2025-03-15T09:00", ["retract", "{1}", "--reason", "forged", "--date", "2025-03-15"]),
    ("2025-04-02T09:00", ["amend", "{3}", "--value", "90", "--reason", "recount again"]),
    (
        "2025-04-02T18:00",
        ["log", "prisoners", "--criterion", "no-exile", "--status", "met", "--date", "2025-04-01"],
    ),
]
OUTPUTS = [
    ["report"],
    ["report", "--format", "csv"],
    ["report", "--format", "html"],
    ["status", "--format", "json"],
    ["evidence", "--all", "--format", "json"],
]


def test_report_known_at_reproduces_every_report_made_at_the_time(cli: Invoke) -> None:
    """Reports saved after each write, under a faked clock, are what `--known-at` gives on
    the final file, byte for byte (JSON but for its `known_at`, which says what was asked)."""
    ids: list[str] = []
    saved: list[tuple[str, list[bytes]]] = []
    for moment, template in STEPS:
        args = [word.format(*ids) for word in template]
        if args[0] == "log":
            args += ["--source", "Monitor", "--reliability", "B2", "--summary", f"step {len(ids)}"]
        with clock(at(moment)):
            ids.append(ok(cli(*args)).stdout.strip())
        day = moment[:10]
        made = [ok(cli(*output, "--as-of", day)).stdout_bytes for output in OUTPUTS[:4]]
        made.append(ok(cli(*OUTPUTS[4])).stdout_bytes)
        saved.append((moment, made))
    assert len({made[0] for _, made in saved}) == len(saved)  # each step changed the report
    for moment, made in saved:
        stamp = f"{moment}:00Z"
        now = [ok(cli(*output, "--known-at", stamp)).stdout_bytes for output in OUTPUTS]
        assert now[:3] == made[:3], moment
        status, past = json.loads(now[3]), json.loads(made[3])
        assert status.pop("known_at") == stamp.replace("Z", "+00:00")
        assert past.pop("known_at") is None
        assert status == past, moment
        assert now[4] == made[4], moment
    # A date as --known-at means the end of that day: the last report of the day.
    last_of_day = {moment[:10]: made for moment, made in saved}
    for day, made in last_of_day.items():
        assert ok(cli("report", "--known-at", day)).stdout_bytes == made[0], day


# --- a property: --known-at T on today's file is the file as it stood at T ---------------

CONDITIONS = {
    "troops": {"criteria": ["bases-closed", "troops-gone"], "indicators": []},
    "prisoners": {"criteria": ["released", "no-exile"], "indicators": ["held", "expelled"]},
}


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, str, int, int]]:
    """Operations: (hours after the previous one, kind, pick, date offset in days)."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(1, 24 * 20),
                st.sampled_from(["log", "log", "log", "amend", "retract"]),
                st.integers(0, 1000),
                st.integers(0, 400),
            ),
            min_size=1,
            max_size=7,
        )
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=histories(), probe=st.integers(0, 1000), as_of_days=st.integers(-200, 200))
def test_known_at_on_the_final_file_is_the_file_as_it_stood_then(
    history: list[tuple[int, str, int, int]], probe: int, as_of_days: int
) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conditions.toml"
        path.write_text(SMALL_TRACKER, encoding="utf-8")

        def run(*args: str, file: Path = path) -> Result:
            return runner.invoke(app, ["--file", str(file), *args])

        moment = at("2025-01-01T00:00")
        prefixes: list[tuple[dt.datetime, bytes]] = []
        live: list[str] = []  # ids that may be amended or retracted
        for number, (hours, kind, pick, back) in enumerate(history):
            moment += dt.timedelta(hours=hours)
            if kind != "log" and not live:
                kind = "log"
            if kind == "log":
                condition = list(CONDITIONS)[pick % 2]
                day = (moment - dt.timedelta(days=back)).date().isoformat()
                what = _what(condition, pick)
                args = [
                    "log",
                    condition,
                    *what,
                    "--date",
                    day,
                    "--source",
                    "Monitor",
                    "--reliability",
                    "B2",
                    "--summary",
                    f"entry {number}",
                    "--allow-duplicate",
                ]
            elif kind == "amend":
                target = live[pick % len(live)]
                args = ["amend", target, "--summary", f"amended {number}", "--reason", "fix"]
            else:
                target = live[pick % len(live)]
                args = ["retract", target, "--reason", "wrong", "--date", moment.date().isoformat()]
            with clock(moment):
                result = run(*args)
            assert result.exit_code == 0, result.output
            if kind == "log":
                live.append(result.stdout.strip())
            elif kind == "amend":
                live[live.index(target)] = result.stdout.strip()
            else:
                live.remove(target)
            prefixes.append((moment, path.read_bytes()))
        final = path.read_bytes()
        # A probe between two writes (or at one): the file as it stood then is a prefix.
        start, end = prefixes[0][0] - dt.timedelta(hours=1), prefixes[-1][0]
        known = start + (end - start) * (probe / 1000)
        stood = next(
            (data for when, data in reversed(prefixes) if when <= known), SMALL_TRACKER.encode()
        )
        assert final.startswith(stood)
        then = Path(folder) / "then.toml"
        then.write_bytes(stood)
        as_of = (known + dt.timedelta(days=as_of_days)).date()
        as_of = min(as_of, dt.date.today())
        stamp = known.isoformat()
        for output in (["status", "--format", "json"], ["report", "--format", "json"]):
            now = json.loads(ok(run(*output, "--as-of", str(as_of), "--known-at", stamp)).stdout)
            past = json.loads(ok(run(*output, "--as-of", str(as_of), file=then)).stdout)
            assert now.pop("known_at") == stamp and past.pop("known_at") is None
            assert now == past
        listed = ["evidence", "--all", "--format", "json"]
        assert ok(run(*listed, "--known-at", stamp)).stdout == ok(run(*listed, file=then)).stdout


def _what(condition: str, pick: int) -> list[str]:
    spec = CONDITIONS[condition]
    options = [("criterion", c) for c in spec["criteria"]]
    options += [("indicator", i) for i in spec["indicators"]]
    kind, name = options[pick % len(options)]
    if kind == "criterion":
        return ["--criterion", name, "--status", ["met", "partial", "not-met"][pick % 3]]
    return ["--indicator", name, "--value", str(pick % 50)]
