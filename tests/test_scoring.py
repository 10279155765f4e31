"""Scoring rules, tested through the CLI (`log`, `retract`, `status`, `explain`, `check`).

Each section pins one rule of ``domain.scoring`` / ``domain.gate``. Expected figures are
worked out from the inputs in the test, never copied from the tool's output. The pure
``progress`` function is also tested on its own, with hypothesis, because its inputs are open.

Trackers: SMALL_TRACKER from conftest (``troops``, weight 1, snapback; ``prisoners``,
weight 3, decided by stock ``held`` and flow ``expelled``, offset freed/detained), plus
GAUGES below, for baselines, a "higher is better" stock, criterion weights and a short window.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from condtrack.cli import app
from condtrack.domain.scoring import progress
from tests.conftest import SMALL_TRACKER, Invoke

Log = Callable[..., str]
StatusJson = Callable[..., dict[str, Any]]

# Condition weights in SMALL_TRACKER: the overall score is (troops * 1 + prisoners * 3) / 4.
TROOPS_WEIGHT, PRISONERS_WEIGHT = 1.0, 3.0
WINDOW = dt.timedelta(days=90)  # SMALL_TRACKER's window_days
STALE_AFTER = 180  # SMALL_TRACKER's stale_after_days

# A second tracker. `media`: criteria weighted 1 and 3; `outlets` is a stock where higher is
# better, with a baseline; `jailed` is a flow with a baseline. window_days is 30.
GAUGES = """\
[tracker]
schema = 1
title = "Gauges"

[scoring]
min_reliability = "C3"
stale_after_days = 180
window_days = 30

[[conditions]]
id = "media"
title = "Independent media restored"

[[conditions.criteria]]
id = "outlets-open"
text = "Independent outlets may publish."
weight = 1.0

[[conditions.criteria]]
id = "journalists-free"
text = "Journalists are no longer jailed."
weight = 3.0

[[conditions.indicators]]
id = "outlets"
label = "Independent outlets"
kind = "stock"
better = "higher"
baseline = 2
target = 10
minimum = 0
criterion = "outlets-open"

[[conditions.indicators]]
id = "jailed"
label = "Journalists jailed"
kind = "flow"
better = "lower"
baseline = 20
target = 0
minimum = 0
criterion = "journalists-free"
"""


# --- helpers -------------------------------------------------------------------------------


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def shift(text: str, days: int) -> str:
    return (day(text) + dt.timedelta(days=days)).isoformat()


def condition(data: dict[str, Any], condition_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["conditions"] if c["id"] == condition_id)
    return found


def criterion(data: dict[str, Any], condition_id: str, criterion_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in condition(data, condition_id)["criteria"] if c["id"] == criterion_id
    )
    return found


def warning_codes(data: dict[str, Any], condition_id: str) -> list[str]:
    return [w["code"] for w in condition(data, condition_id)["warnings"]]


def edit_tracker(path: Path, anchor: str, addition: str) -> None:
    """Insert TOML lines after ``anchor`` in the tracker file (the anchor must exist)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(anchor) == 1, anchor
    path.write_text(text.replace(anchor, anchor + addition), encoding="utf-8")


def check_json(cli: Invoke, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("check", "--format", "json", *args)
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["exit_code"] == result.exit_code  # the JSON tells the truth about the exit
    return result.exit_code, data


def explain(cli: Invoke, condition_id: str, as_of: str) -> str:
    # A wide terminal so Rich does not wrap the reasons or the arithmetic.
    result = cli("explain", condition_id, "--as-of", as_of, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def troops_met(log: Log, on: str) -> list[str]:
    return [
        log("troops", criterion="bases-closed", status="met", date=on),
        log("troops", criterion="troops-gone", status="met", date=on),
    ]


def prisoners_met(log: Log, on: str) -> list[str]:
    return [
        log("prisoners", indicator="held", value=0, date=on),
        log("prisoners", indicator="expelled", value=0, date=on),
    ]


@pytest.fixture
def gauges(tracker_file: Path) -> Path:
    tracker_file.write_text(GAUGES, encoding="utf-8")
    return tracker_file


# --- the progress function on its own ------------------------------------------------------
# Stock (and flow) verdicts are this fraction; pin the worked examples, then its shape.


@pytest.mark.parametrize(
    ("start", "current", "target", "better", "expected"),
    [
        (100, 40, 0, "lower", 0.6),  # 60 of the 100 to go
        (100, 100, 0, "lower", 0.0),  # no progress
        (100, 0, 0, "lower", 1.0),  # target reached
        (100, 120, 0, "lower", 0.0),  # worse than the start: clamped, not negative
        (50, 5, 10, "lower", 1.0),  # past the target still counts as reaching it
        (2, 6, 10, "higher", 0.5),
        (2, 14, 10, "higher", 1.0),  # overshoot upwards
        (None, 5, 0, "lower", 0.0),  # no start: nothing to measure progress from
        (None, 0, 0, "lower", 1.0),  # but reaching the target needs no start
        (0, 5, 0, "lower", 0.0),  # started at the target, then moved away
    ],
)
def test_progress_examples(
    start: float | None, current: float, target: float, better: str, expected: float
) -> None:
    assert progress(start, current, target, better) == pytest.approx(expected)


finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)
direction = st.sampled_from(["lower", "higher"])


@given(st.none() | finite, finite, finite, direction)
def test_progress_is_a_fraction(
    start: float | None, current: float, target: float, better: str
) -> None:
    assert 0.0 <= progress(start, current, target, better) <= 1.0


@given(st.none() | finite, finite, finite, finite, direction)
def test_progress_is_monotonic_in_the_current_value(
    start: float | None, a: float, b: float, target: float, better: str
) -> None:
    nearer, further = sorted((a, b)) if better == "lower" else sorted((a, b), reverse=True)
    assert progress(start, nearer, target, better) >= progress(start, further, target, better)


@given(st.none() | finite, finite, finite, direction)
def test_progress_reaching_the_target_is_complete(
    start: float | None, current: float, target: float, better: str
) -> None:
    reached = current <= target if better == "lower" else current >= target
    fraction = progress(start, current, target, better)
    if reached:
        assert fraction == 1.0
    elif start is None:
        assert fraction == 0.0  # short of the target, with nothing to measure from


@given(finite, finite, direction)
def test_progress_without_movement_is_zero_unless_already_there(
    start: float, target: float, better: str
) -> None:
    reached = start <= target if better == "lower" else start >= target
    assert progress(start, start, target, better) == (1.0 if reached else 0.0)


@given(st.none() | finite, finite, finite)
def test_progress_is_symmetric_between_directions(
    start: float | None, current: float, target: float
) -> None:
    mirrored = None if start is None else -start
    assert progress(start, current, target, "lower") == progress(
        mirrored, -current, -target, "higher"
    )


# --- which evidence counts: as-of date, reliability, retraction -----------------------------


def test_evidence_after_the_as_of_date_is_ignored(log: Log, status_json: StatusJson) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-03-01")
    assert criterion(status_json("2025-02-28"), "troops", "bases-closed")["status"] == "unknown"
    # On the day itself it counts.
    assert criterion(status_json("2025-03-01"), "troops", "bases-closed")["status"] == "met"


def test_later_evidence_does_not_change_an_earlier_as_of(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    log("troops", criterion="bases-closed", status="not-met", date="2025-02-10")
    assert criterion(status_json("2025-02-09"), "troops", "bases-closed")["status"] == "met"
    assert criterion(status_json("2025-02-10"), "troops", "bases-closed")["status"] == "not-met"


# Both sides of the C3 boundary on each axis, and the extremes: A/C/D/F x 1/3/4/6.
GRADES = [letter + digit for letter in "ACDF" for digit in "1346"]


@pytest.mark.parametrize("grade", GRADES)
def test_reliability_must_reach_the_minimum_on_both_axes(
    grade: str, log: Log, status_json: StatusJson
) -> None:
    # SMALL_TRACKER's minimum is C3: A-C on the source axis AND 1-3 on the information axis.
    counts = grade[0] in "ABC" and int(grade[1]) <= 3
    log("troops", criterion="bases-closed", status="met", date="2025-01-10", reliability=grade)
    verdict = criterion(status_json("2025-02-01"), "troops", "bases-closed")
    assert verdict["status"] == ("met" if counts else "unknown")


@pytest.mark.parametrize(("grade", "counts"), [("B4", False), ("D2", False), ("C3", True)])
def test_low_grade_evidence_cannot_override_good_evidence(
    grade: str, counts: bool, log: Log, status_json: StatusJson
) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-10", reliability="A1")
    later = log(
        "troops", criterion="bases-closed", status="not-met", date="2025-01-20", reliability=grade
    )
    verdict = criterion(status_json("2025-02-01"), "troops", "bases-closed")
    assert verdict["status"] == ("not-met" if counts else "met")
    assert (verdict["decided_by"] == later) == counts


def test_the_minimum_comes_from_the_tracker(
    tracker_file: Path, log: Log, status_json: StatusJson
) -> None:
    tracker_file.write_text(
        SMALL_TRACKER.replace('min_reliability = "C3"', 'min_reliability = "B2"'), encoding="utf-8"
    )
    log("troops", criterion="bases-closed", status="met", date="2025-01-10", reliability="C3")
    log("troops", criterion="troops-gone", status="met", date="2025-01-10", reliability="B2")
    data = status_json("2025-02-01")
    assert data["settings"]["min_reliability"] == "B2"
    assert criterion(data, "troops", "bases-closed")["status"] == "unknown"
    assert criterion(data, "troops", "troops-gone")["status"] == "met"


def test_retraction_applies_at_every_as_of_date(
    cli: Invoke, log: Log, status_json: StatusJson
) -> None:
    # Issue 13 changed this rule: a retraction once counted from its own date on. What the
    # tracker said before the retraction was logged is `--known-at`'s (test_time_axes.py).
    entry = log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    result = cli("retract", entry, "--reason", "source recanted", "--date", "2025-03-01")
    assert result.exit_code == 0, result.output
    assert criterion(status_json("2025-01-10"), "troops", "bases-closed")["status"] == "unknown"
    assert criterion(status_json("2025-02-28"), "troops", "bases-closed")["status"] == "unknown"
    assert criterion(status_json("2025-03-01"), "troops", "bases-closed")["status"] == "unknown"
    assert criterion(status_json("2025-06-01"), "troops", "bases-closed")["status"] == "unknown"


def test_retracting_the_deciding_evidence_falls_back_to_the_one_before(
    cli: Invoke, log: Log, status_json: StatusJson
) -> None:
    first = log("troops", criterion="bases-closed", status="partial", date="2025-01-10")
    second = log("troops", criterion="bases-closed", status="met", date="2025-01-20")
    assert criterion(status_json("2025-02-01"), "troops", "bases-closed")["decided_by"] == second
    cli("retract", second, "--reason", "misread the report", "--date", "2025-02-15")
    verdict = criterion(status_json("2025-03-01"), "troops", "bases-closed")
    assert (verdict["decided_by"], verdict["status"], verdict["score"]) == (first, "partial", 0.5)


def test_explain_strikes_excluded_evidence_with_the_reason(cli: Invoke, log: Log) -> None:
    weak = log(
        "troops", criterion="bases-closed", status="met", date="2025-01-10", reliability="D2"
    )
    text = explain(cli, "troops", "2025-02-01")
    assert weak in text
    assert "below the minimum C3" in text


# --- a criterion: latest assessment or deciding indicator, whichever is more recent ---------


@pytest.mark.parametrize(("assessed", "score"), [("met", 1.0), ("partial", 0.5), ("not-met", 0.0)])
def test_assessment_scores(assessed: str, score: float, log: Log, status_json: StatusJson):
    entry = log("troops", criterion="bases-closed", status=assessed, date="2025-01-10")
    data = status_json("2025-02-01")
    verdict = criterion(data, "troops", "bases-closed")
    assert (verdict["status"], verdict["score"]) == (assessed, score)
    assert (verdict["decided_by"], verdict["via"], verdict["date"]) == (
        entry,
        "assessment",
        "2025-01-10",
    )
    # The other criterion is unknown (0), weights are equal: the mean of the two.
    assert condition(data, "troops")["score"] == pytest.approx(100 * (score + 0) / 2)


def test_the_latest_assessment_wins(log: Log, status_json: StatusJson) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    latest = log("troops", criterion="bases-closed", status="partial", date="2025-01-20")
    # Logged later but dated earlier: the date decides, not the order of logging.
    log("troops", criterion="bases-closed", status="not-met", date="2025-01-05")
    verdict = criterion(status_json("2025-02-01"), "troops", "bases-closed")
    assert (verdict["status"], verdict["decided_by"]) == ("partial", latest)


def test_same_day_assessments_the_later_line_wins(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    last = log("troops", criterion="bases-closed", status="not-met", date="2025-01-10")
    verdict = criterion(status_json("2025-02-01"), "troops", "bases-closed")
    assert (verdict["status"], verdict["decided_by"]) == ("not-met", last)


def test_a_newer_indicator_overrides_an_older_assessment(log: Log, status_json: StatusJson):
    log("prisoners", criterion="released", status="met", date="2025-01-10")
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    reading = log("prisoners", indicator="held", value=40, date="2025-01-20")
    verdict = criterion(status_json("2025-02-01"), "prisoners", "released")
    assert (verdict["via"], verdict["decided_by"]) == ("indicator", reading)
    assert verdict["score"] == pytest.approx((100 - 40) / (100 - 0))


def test_a_newer_assessment_overrides_an_older_indicator(log: Log, status_json: StatusJson):
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    log("prisoners", indicator="held", value=40, date="2025-01-10")
    assessment = log("prisoners", criterion="released", status="not-met", date="2025-01-20")
    verdict = criterion(status_json("2025-02-01"), "prisoners", "released")
    assert (verdict["via"], verdict["decided_by"], verdict["status"]) == (
        "assessment",
        assessment,
        "not-met",
    )


@pytest.mark.parametrize("assessment_first", [True, False])
def test_an_assessment_wins_a_tie_on_date(
    assessment_first: bool, log: Log, status_json: StatusJson
) -> None:
    # Whatever the file order, on the same date the analyst's assessment decides.
    ids: dict[str, str] = {}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("assessment", dict(criterion="released", status="partial")),
        ("indicator", dict(indicator="held", value=0)),
    ]
    for kind, fields in steps if assessment_first else steps[::-1]:
        ids[kind] = log("prisoners", date="2025-01-10", **fields)
    verdict = criterion(status_json("2025-02-01"), "prisoners", "released")
    assert (verdict["via"], verdict["decided_by"], verdict["status"]) == (
        "assessment",
        ids["assessment"],
        "partial",
    )


# --- stock indicators: progress from the baseline (or first observation) to the target ------


def test_stock_partial_progress_from_the_first_observation(
    log: Log, status_json: StatusJson
) -> None:
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    latest = log("prisoners", indicator="held", value=40, date="2025-02-01")
    data = status_json("2025-03-01")
    verdict = criterion(data, "prisoners", "released")
    fraction = (100 - 40) / (100 - 0)
    assert (verdict["status"], verdict["decided_by"]) == ("partial", latest)
    assert verdict["score"] == pytest.approx(fraction)
    assert "progress 60%" in verdict["reason"]
    held = next(i for i in condition(data, "prisoners")["indicators"] if i["id"] == "held")
    assert (held["value"], held["progress"], held["trend"]) == (40, pytest.approx(fraction), "down")
    # no-exile is unknown: the condition is the mean of 0.6 and 0.
    assert condition(data, "prisoners")["score"] == pytest.approx(100 * fraction / 2)


def test_stock_fractions_are_not_rounded_to_whole_percent(log: Log, status_json: StatusJson):
    log("prisoners", indicator="held", value=3, date="2025-01-01")
    log("prisoners", indicator="held", value=1, date="2025-02-01")
    data = status_json("2025-03-01")
    assert criterion(data, "prisoners", "released")["score"] == pytest.approx(2 / 3, abs=1e-4)
    assert condition(data, "prisoners")["score"] == round(100 * (2 / 3) / 2, 2)


def test_a_single_stock_observation_is_no_progress(log: Log, status_json: StatusJson):
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    data = status_json("2025-02-01")
    verdict = criterion(data, "prisoners", "released")
    assert (verdict["status"], verdict["score"]) == ("not-met", 0.0)
    assert condition(data, "prisoners")["status"] == "not-met"


def test_a_stock_reaching_its_target_is_met(log: Log, status_json: StatusJson) -> None:
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    log("prisoners", indicator="held", value=0, date="2025-02-01")
    verdict = criterion(status_json("2025-03-01"), "prisoners", "released")
    assert (verdict["status"], verdict["score"]) == ("met", 1.0)


def test_a_stock_getting_worse_is_not_met_not_negative(log: Log, status_json: StatusJson):
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    log("prisoners", indicator="held", value=150, date="2025-02-01")
    data = status_json("2025-03-01")
    verdict = criterion(data, "prisoners", "released")
    assert (verdict["status"], verdict["score"]) == ("not-met", 0.0)
    held = next(i for i in condition(data, "prisoners")["indicators"] if i["id"] == "held")
    assert held["trend"] == "up"


def test_a_stock_baseline_replaces_the_first_observation(
    tracker_file: Path, log: Log, status_json: StatusJson
) -> None:
    edit_tracker(tracker_file, 'id = "held"\n', "baseline = 200\n")
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    log("prisoners", indicator="held", value=50, date="2025-02-01")
    verdict = criterion(status_json("2025-03-01"), "prisoners", "released")
    # From the baseline 200, not from the first observation 100 (which would give 50%).
    assert verdict["score"] == pytest.approx((200 - 50) / (200 - 0))
    assert "baseline 200" in verdict["reason"]


def test_with_a_baseline_a_single_observation_can_show_progress(
    tracker_file: Path, log: Log, status_json: StatusJson
) -> None:
    edit_tracker(tracker_file, 'id = "held"\n', "baseline = 80\n")
    log("prisoners", indicator="held", value=60, date="2025-01-01")
    verdict = criterion(status_json("2025-02-01"), "prisoners", "released")
    assert (verdict["status"], verdict["score"]) == ("partial", pytest.approx((80 - 60) / 80))


@pytest.mark.parametrize(
    ("value", "status", "fraction"),
    [
        (2, "not-met", 0.0),  # at the baseline
        (6, "partial", (6 - 2) / (10 - 2)),
        (10, "met", 1.0),  # exactly the target
        (14, "met", 1.0),  # overshoot: still met, never above 1
    ],
)
def test_a_higher_is_better_stock_with_a_baseline(
    value: int, status: str, fraction: float, gauges: Path, log: Log, status_json: StatusJson
) -> None:
    log("media", indicator="outlets", value=value, date="2025-01-10")
    verdict = criterion(status_json("2025-01-20"), "media", "outlets-open")
    assert (verdict["status"], verdict["score"]) == (status, pytest.approx(fraction))


def test_a_retracted_first_observation_moves_the_start(
    cli: Invoke, log: Log, status_json: StatusJson
) -> None:
    wrong = log("prisoners", indicator="held", value=1000, date="2025-01-01")
    log("prisoners", indicator="held", value=100, date="2025-01-05")
    log("prisoners", indicator="held", value=75, date="2025-02-01")
    assert criterion(status_json("2025-03-01"), "prisoners", "released")["score"] == (
        pytest.approx((1000 - 75) / 1000)
    )
    cli("retract", wrong, "--reason", "typo", "--date", "2025-03-02")
    assert criterion(status_json("2025-03-02"), "prisoners", "released")["score"] == (
        pytest.approx((100 - 75) / 100)
    )


# --- flow indicators: the total over the window, only when observed in it ------------------


def test_a_flow_at_its_target_over_the_window_is_met(log: Log, status_json: StatusJson):
    entry = log("prisoners", indicator="expelled", value=0, date="2025-01-10")
    verdict = criterion(status_json("2025-02-01"), "prisoners", "no-exile")
    assert (verdict["status"], verdict["score"], verdict["via"]) == ("met", 1.0, "indicator")
    assert verdict["decided_by"] == entry


def test_a_flow_without_baseline_off_target_is_not_met(log: Log, status_json: StatusJson):
    log("prisoners", indicator="expelled", value=3, date="2025-01-10")
    verdict = criterion(status_json("2025-02-01"), "prisoners", "no-exile")
    assert (verdict["status"], verdict["score"]) == ("not-met", 0.0)


def test_a_flow_sums_only_the_observations_in_the_window(log: Log, status_json: StatusJson):
    log("prisoners", indicator="expelled", value=5, date="2025-01-01")  # out of the window
    log("prisoners", indicator="expelled", value=0, date="2025-04-20")
    log("prisoners", indicator="expelled", value=0, date="2025-05-01")
    as_of = "2025-05-10"
    assert day("2025-01-01") <= day(as_of) - WINDOW < day("2025-04-20")
    data = status_json(as_of)
    assert criterion(data, "prisoners", "no-exile")["status"] == "met"
    expelled = next(i for i in condition(data, "prisoners")["indicators"] if i["id"] == "expelled")
    assert expelled["window_total"] == 0


def test_a_flow_window_total_with_a_baseline_gives_a_fraction(
    gauges: Path, log: Log, status_json: StatusJson
) -> None:
    # GAUGES: jailed baseline 20, target 0, window 30 days.
    log("media", indicator="jailed", value=9, date="2025-01-01")  # out of the window
    log("media", indicator="jailed", value=4, date="2025-02-05")
    last = log("media", indicator="jailed", value=6, date="2025-02-20")
    verdict = criterion(status_json("2025-03-01"), "media", "journalists-free")
    total = 4 + 6
    assert (verdict["status"], verdict["decided_by"]) == ("partial", last)
    assert verdict["score"] == pytest.approx((20 - total) / 20)


def test_the_window_edge(log: Log, status_json: StatusJson) -> None:
    # An observation counts for window_days days, its own day included.
    log("prisoners", indicator="expelled", value=0, date="2025-01-01")
    last_in = shift("2025-01-01", WINDOW.days - 1)
    first_out = shift("2025-01-01", WINDOW.days)
    assert criterion(status_json(last_in), "prisoners", "no-exile")["status"] == "met"
    assert criterion(status_json(first_out), "prisoners", "no-exile")["status"] == "unknown"


def test_a_flow_leaving_the_window_does_not_bring_back_the_assessment_it_overruled(
    log: Log, status_json: StatusJson
) -> None:
    log("prisoners", criterion="no-exile", status="met", date="2025-01-01")
    log("prisoners", indicator="expelled", value=4, date="2025-01-15")
    assert criterion(status_json("2025-02-01"), "prisoners", "no-exile")["status"] == "not-met"
    # Once the flow observation leaves the window it no longer decides, but the older
    # assessment it contradicted stays overruled: the criterion lapses to unknown.
    verdict = criterion(status_json(shift("2025-01-15", WINDOW.days)), "prisoners", "no-exile")
    assert (verdict["status"], verdict["score"], verdict["decided_by"]) == ("unknown", 0, None)
    assert "the assessment of 2025-01-01 it overruled does not count again" in verdict["reason"]


# --- a condition: weighted mean of its criteria, and its status ----------------------------


def test_no_counting_evidence_is_unknown_with_score_zero(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-10", reliability="E5")
    troops = condition(status_json("2025-02-01"), "troops")
    assert (troops["status"], troops["score"], troops["last_evidence"]) == ("unknown", 0.0, None)
    for verdict in troops["criteria"]:
        assert (verdict["status"], verdict["score"], verdict["decided_by"]) == ("unknown", 0, None)


@pytest.mark.parametrize(
    ("first", "second", "status", "score"),
    [
        ("met", "met", "met", 100.0),
        ("met", None, "partial", 50.0),  # unknown counts as 0 but does not make it unknown
        ("met", "not-met", "partial", 50.0),
        ("partial", "partial", "partial", 50.0),
        ("partial", "not-met", "partial", 25.0),
        ("not-met", "not-met", "not-met", 0.0),
        ("not-met", None, "not-met", 0.0),
    ],
)
def test_condition_status_follows_its_criteria(
    first: str, second: str | None, status: str, score: float, log: Log, status_json: StatusJson
) -> None:
    log("troops", criterion="bases-closed", status=first, date="2025-01-10")
    if second is not None:
        log("troops", criterion="troops-gone", status=second, date="2025-01-10")
    troops = condition(status_json("2025-02-01"), "troops")
    assert (troops["status"], troops["score"]) == (status, score)


def test_a_partial_condition_never_shows_a_score_of_zero(log: Log, status_json: StatusJson):
    # One release out of 100,000: progress 1e-5, condition score 100 * 1e-5 / 2 = 0.0005.
    log("prisoners", indicator="held", value=100_000, date="2025-01-10")
    log("prisoners", indicator="held", value=99_999, date="2025-01-20")
    prisoners = condition(status_json("2025-02-01"), "prisoners")
    assert (prisoners["status"] == "not-met") == (prisoners["score"] == 0)


def test_criterion_weights_make_a_weighted_mean(
    gauges: Path, log: Log, status_json: StatusJson
) -> None:
    # outlets-open weighs 1, journalists-free weighs 3.
    log("media", indicator="outlets", value=6, date="2025-01-10")  # (6-2)/(10-2) = 0.5
    log("media", indicator="jailed", value=0, date="2025-01-10")  # met: 1
    media = condition(status_json("2025-01-20"), "media")
    assert media["score"] == pytest.approx(100 * (1 * 0.5 + 3 * 1.0) / (1 + 3))
    assert media["status"] == "partial"


# --- overall: weighted mean of conditions; relief only when every condition is met ---------


def test_overall_is_the_weighted_mean_of_conditions(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")  # troops 50
    prisoners_met(log, "2025-01-10")  # prisoners 100
    data = status_json("2025-02-01")
    troops, prisoners = condition(data, "troops")["score"], condition(data, "prisoners")["score"]
    assert (troops, prisoners) == (50.0, 100.0)
    expected = (TROOPS_WEIGHT * troops + PRISONERS_WEIGHT * prisoners) / (
        TROOPS_WEIGHT + PRISONERS_WEIGHT
    )
    assert data["overall"]["score"] == pytest.approx(expected)  # 87.5, not the plain mean 75
    assert data["overall"]["status"] == "partial"
    assert data["overall"]["relief_ready"] is False


def test_relief_ready_only_when_every_condition_is_met(log: Log, status_json: StatusJson):
    troops_met(log, "2025-01-10")
    prisoners_met(log, "2025-01-20")
    before = status_json("2025-01-15")
    assert before["overall"]["relief_ready"] is False
    after = status_json("2025-01-20")
    assert after["overall"] == {
        "score": 100.0,
        "status": "met",
        "relief_ready": True,
        "snapback": False,
        "relief_ahead": 0,  # no relief logged (issue 12)
        "snapback_due": 0,
    }


def test_overall_with_no_evidence_is_unknown(status_json: StatusJson) -> None:
    overall = status_json("2025-02-01")["overall"]
    assert (overall["status"], overall["score"], overall["relief_ready"]) == ("unknown", 0, False)


# --- regression and snapback ---------------------------------------------------------------


def test_met_then_not_met_is_regressed_and_snaps_back(log: Log, status_json: StatusJson):
    troops_met(log, "2025-01-10")
    log("troops", criterion="troops-gone", status="not-met", date="2025-03-01")
    before = condition(status_json("2025-02-01"), "troops")
    assert (before["status"], before["regressed"], before["snapback"]) == ("met", False, False)
    data = status_json("2025-03-15")
    troops = condition(data, "troops")
    assert (troops["status"], troops["regressed"], troops["snapback"]) == ("regressed", True, True)
    assert troops["score"] == 50.0  # the score still reflects the criteria
    assert "snapback" in warning_codes(data, "troops")
    assert (data["overall"]["status"], data["overall"]["snapback"]) == ("regressed", True)
    assert data["overall"]["relief_ready"] is False


def test_never_met_is_not_regressed(log: Log, status_json: StatusJson) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    log("troops", criterion="bases-closed", status="not-met", date="2025-02-10")
    troops = condition(status_json("2025-03-01"), "troops")
    assert (troops["status"], troops["regressed"], troops["snapback"]) == ("not-met", False, False)


def test_met_again_after_regressing_is_met(log: Log, status_json: StatusJson) -> None:
    troops_met(log, "2025-01-10")
    log("troops", criterion="troops-gone", status="partial", date="2025-02-10")
    log("troops", criterion="troops-gone", status="met", date="2025-03-10")
    assert condition(status_json("2025-03-01"), "troops")["status"] == "regressed"
    troops = condition(status_json("2025-04-01"), "troops")
    assert (troops["status"], troops["snapback"]) == ("met", False)


def test_a_regressed_condition_without_snapback(
    cli: Invoke, log: Log, status_json: StatusJson
) -> None:
    prisoners_met(log, "2025-01-10")
    log("prisoners", indicator="held", value=30, date="2025-02-10")
    data = status_json("2025-02-20")
    prisoners = condition(data, "prisoners")
    assert (prisoners["status"], prisoners["regressed"], prisoners["snapback"]) == (
        "regressed",
        True,
        False,
    )
    assert "regressed" in warning_codes(data, "prisoners")
    assert "snapback" not in warning_codes(data, "prisoners")
    assert (data["overall"]["status"], data["overall"]["snapback"]) == ("regressed", False)
    code, result = check_json(cli, "--as-of", "2025-02-20", "--require", "prisoners")
    assert code == 1
    assert result["failures"] == [
        {
            "requirement": "met",
            "condition": "prisoners",
            "message": "prisoners: regressed (required: met)",
        }
    ]


def test_a_flow_leaving_the_window_is_missing_data_not_a_regression(
    log: Log, status_json: StatusJson
) -> None:
    # A met condition whose flow evidence ages out drops to partial (the flow is unknown),
    # but only evidence against a criterion makes it "regressed"; missing data does not.
    prisoners_met(log, "2025-01-10")
    last_in = status_json(shift("2025-01-10", WINDOW.days - 1))
    assert condition(last_in, "prisoners")["status"] == "met"
    lapsed = status_json(shift("2025-01-10", WINDOW.days))
    assert criterion(lapsed, "prisoners", "no-exile")["status"] == "unknown"
    prisoners = condition(lapsed, "prisoners")
    assert (prisoners["status"], prisoners["score"], prisoners["regressed"]) == (
        "partial",
        50.0,
        False,
    )
    assert "regressed" not in warning_codes(lapsed, "prisoners")
    # New evidence against the criterion does make it a regression.
    log("prisoners", indicator="expelled", value=2, date=shift("2025-01-10", WINDOW.days + 5))
    breached = status_json(shift("2025-01-10", WINDOW.days + 5))
    assert condition(breached, "prisoners")["status"] == "regressed"


def test_a_bad_flow_leaving_the_window_does_not_make_the_condition_met(
    log: Log, status_json: StatusJson
) -> None:
    # The expulsions overruled the older assessment of no-exile; when they leave the
    # window the criterion lapses to unknown, so the condition is never met on a day
    # without evidence, and a later breach is no regression from a "met" that never was.
    log("prisoners", criterion="no-exile", status="met", date="2025-01-01")
    log("prisoners", indicator="expelled", value=2, date="2025-01-02")
    log("prisoners", indicator="held", value=0, date="2025-01-02")
    cleared = shift("2025-01-02", WINDOW.days)
    assert condition(status_json(shift(cleared, -1)), "prisoners")["status"] == "partial"
    assert condition(status_json(cleared), "prisoners")["status"] == "partial"
    log("prisoners", indicator="held", value=5, date=shift(cleared, 20))
    later = condition(status_json(shift(cleared, 25)), "prisoners")
    assert (later["status"], later["regressed"]) == ("not-met", False)


def test_retracting_what_made_it_met_undoes_the_regression(
    cli: Invoke, log: Log, status_json: StatusJson
) -> None:
    made_it, _ = troops_met(log, "2025-01-10")
    log("troops", criterion="bases-closed", status="not-met", date="2025-02-10")
    assert condition(status_json("2025-02-20"), "troops")["snapback"] is True
    cli("retract", made_it, "--reason", "fabricated", "--date", "2025-03-01")
    # Never met as known now, as of any date (issue 13: a retraction applies at every
    # date): bases-closed not-met (0), troops-gone met (1).
    for day in ("2025-02-20", "2025-03-01"):
        troops = condition(status_json(day), "troops")
        assert (troops["status"], troops["score"], troops["snapback"]) == ("partial", 50.0, False)


# --- staleness -----------------------------------------------------------------------------


def test_stale_when_the_latest_counting_evidence_is_too_old(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    at_limit = condition(status_json(shift("2025-01-01", STALE_AFTER)), "troops")
    assert at_limit["stale"] is False
    data = status_json(shift("2025-01-01", STALE_AFTER + 1))
    assert condition(data, "troops")["stale"] is True
    assert "stale" in warning_codes(data, "troops")
    assert condition(data, "prisoners")["stale"] is False  # no evidence is not stale


def test_evidence_that_does_not_count_does_not_freshen(log: Log, status_json: StatusJson):
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    log("troops", criterion="bases-closed", status="met", date="2025-07-01", reliability="D2")
    troops = condition(status_json(shift("2025-01-01", STALE_AFTER + 1)), "troops")
    assert (troops["stale"], troops["last_evidence"]) == (True, "2025-01-01")


# --- offsets: the revolving door ------------------------------------------------------------


@pytest.mark.parametrize(
    ("freed", "detained", "warned"),
    [
        ([10], [12], True),  # more taken in than let out
        ([10], [10], True),  # as many: still a revolving door
        ([10], [4], False),
        ([6, 4], [3, 3, 5], True),  # totals over the window, not single observations
        ([10], [0], False),  # an inflow of 0 is no warning
        ([], [2], True),  # nobody freed, two detained
    ],
)
def test_revolving_door_warning(
    freed: list[int], detained: list[int], warned: bool, log: Log, status_json: StatusJson
) -> None:
    for n, value in enumerate(freed):
        log("prisoners", indicator="freed", value=value, date=shift("2025-01-01", n))
    for n, value in enumerate(detained):
        log("prisoners", indicator="detained", value=value, date=shift("2025-01-01", n))
    data = status_json("2025-02-01")
    (offset,) = condition(data, "prisoners")["offsets"]
    assert (offset["outflow_total"], offset["inflow_total"]) == (sum(freed), sum(detained))
    assert offset["net"] == sum(freed) - sum(detained)
    assert offset["warning"] is warned
    assert ("offset" in warning_codes(data, "prisoners")) is warned


def test_revolving_door_counts_only_the_window(log: Log, status_json: StatusJson) -> None:
    log("prisoners", indicator="detained", value=50, date="2025-01-01")  # out of the window
    log("prisoners", indicator="freed", value=10, date="2025-04-20")
    log("prisoners", indicator="detained", value=3, date="2025-04-25")
    data = status_json("2025-05-10")
    (offset,) = condition(data, "prisoners")["offsets"]
    assert (offset["outflow_total"], offset["inflow_total"], offset["net"]) == (10, 3, 7)
    assert offset["warning"] is False
    assert "offset" not in warning_codes(data, "prisoners")


def test_revolving_door_without_observations(log: Log, status_json: StatusJson) -> None:
    log("prisoners", indicator="freed", value=10, date="2025-01-10")
    (offset,) = condition(status_json("2025-02-01"), "prisoners")["offsets"]
    assert (offset["inflow_total"], offset["inflow_observed"], offset["warning"]) == (
        0,
        False,
        False,
    )


# --- check: the CI gate ---------------------------------------------------------------------


def test_check_passes_when_every_condition_is_met(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    prisoners_met(log, "2025-01-10")
    code, data = check_json(cli, "--as-of", "2025-02-01")
    assert (code, data["passed"], data["failures"]) == (0, True, [])
    text = cli("check", "--as-of", "2025-02-01")
    assert text.exit_code == 0
    assert "gate passed" in text.stdout


def test_check_fails_for_each_unmet_condition(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    log("prisoners", indicator="held", value=10, date="2025-01-10")
    code, data = check_json(cli, "--as-of", "2025-02-01")
    assert (code, data["passed"]) == (1, False)
    assert data["failures"] == [
        {
            "requirement": "met",
            "condition": "prisoners",
            "message": "prisoners: not-met (required: met)",
        }
    ]
    text = cli("check", "--as-of", "2025-02-01")
    assert text.exit_code == 1
    assert "FAIL prisoners: not-met" in text.stdout


def test_check_require_all_is_the_default(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    default = check_json(cli, "--as-of", "2025-02-01")
    explicit = check_json(cli, "--as-of", "2025-02-01", "--require", "all")
    # the same gate; only where the requirement came from differs (issue 11)
    assert default[1]["policy"].pop("from")["require"] == "default"
    assert explicit[1]["policy"].pop("from")["require"] == "flag"
    assert default == explicit
    assert default[0] == 1
    assert [f["condition"] for f in default[1]["failures"]] == ["prisoners"]


@pytest.mark.parametrize(
    ("require", "code", "failing"),
    [
        ("troops", 0, []),
        ("prisoners", 1, ["prisoners"]),
        ("troops, prisoners", 1, ["prisoners"]),
    ],
)
def test_check_require_only_the_named_conditions(
    require: str, code: int, failing: list[str], cli: Invoke, log: Log
) -> None:
    troops_met(log, "2025-01-10")
    result = check_json(cli, "--as-of", "2025-02-01", "--require", require)
    assert result[0] == code
    assert [f["condition"] for f in result[1]["failures"]] == failing


@pytest.mark.parametrize("require", ["troop", "troops,nonsense", ""])
def test_check_unknown_require_is_a_usage_error(require: str, cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    result = cli("check", "--as-of", "2025-02-01", "--require", require)
    assert result.exit_code == 2
    assert "--require: unknown condition" in result.stderr
    assert result.stdout == ""


def test_check_min_score(cli: Invoke, log: Log) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")  # troops 50
    prisoners_met(log, "2025-01-10")  # prisoners 100
    overall = (TROOPS_WEIGHT * 50 + PRISONERS_WEIGHT * 100) / (TROOPS_WEIGHT + PRISONERS_WEIGHT)
    # Only the score is checked when --min-score is given: troops being unmet does not fail.
    code, data = check_json(cli, "--as-of", "2025-02-01", "--min-score", f"{overall}")
    assert (code, data["passed"], data["overall"]["score"]) == (0, True, overall)
    code, data = check_json(cli, "--as-of", "2025-02-01", "--min-score", f"{overall + 0.5}")
    assert code == 1
    assert data["failures"] == [
        {
            "requirement": "min-score",
            "condition": None,
            "message": f"overall score {overall:g} is below {overall + 0.5:g}",
        }
    ]


def test_check_min_score_with_require_applies_both(cli: Invoke, log: Log) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-10")
    prisoners_met(log, "2025-01-10")
    code, data = check_json(
        cli, "--as-of", "2025-02-01", "--min-score", "90", "--require", "troops"
    )
    assert code == 1
    assert sorted(f["requirement"] for f in data["failures"]) == ["met", "min-score"]


@pytest.mark.parametrize("score", ["-1", "100.5", "lots"])
def test_check_min_score_out_of_range_is_a_usage_error(score: str, cli: Invoke) -> None:
    assert cli("check", "--as-of", "2025-02-01", "--min-score", score).exit_code == 2


def test_check_max_age(cli: Invoke, log: Log) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-01")
    log("prisoners", indicator="held", value=10, date="2025-01-21")
    as_of = "2025-02-01"
    troops_age = (day(as_of) - day("2025-01-01")).days  # 31
    prisoners_age = (day(as_of) - day("2025-01-21")).days  # 11
    # Only freshness is checked: neither condition is met, yet the gate passes.
    assert check_json(cli, "--as-of", as_of, "--max-age", str(troops_age))[0] == 0
    code, data = check_json(cli, "--as-of", as_of, "--max-age", str(troops_age - 1))
    assert code == 1
    assert data["failures"] == [
        {
            "requirement": "max-age",
            "condition": "troops",
            "message": f"troops: latest evidence is {troops_age} days old (2025-01-01), "
            f"limit {troops_age - 1}",
        }
    ]
    code, data = check_json(cli, "--as-of", as_of, "--max-age", str(prisoners_age - 1))
    assert [f["condition"] for f in data["failures"]] == ["troops", "prisoners"]


def test_check_max_age_fails_a_condition_without_evidence(cli: Invoke, log: Log) -> None:
    log("troops", criterion="bases-closed", status="met", date="2025-01-30")
    code, data = check_json(cli, "--as-of", "2025-02-01", "--max-age", "30")
    assert code == 1
    assert data["failures"] == [
        {"requirement": "max-age", "condition": "prisoners", "message": "prisoners has no evidence"}
    ]


def test_check_max_age_with_require_only_looks_at_those(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-30")
    code, data = check_json(cli, "--as-of", "2025-02-01", "--max-age", "30", "--require", "troops")
    assert (code, data["failures"]) == (0, [])


def test_check_snapback_exits_3(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    prisoners_met(log, "2025-01-10")
    log("troops", criterion="bases-closed", status="partial", date="2025-02-10")
    code, data = check_json(cli, "--as-of", "2025-02-20")
    assert (code, data["passed"], data["overall"]["snapback"]) == (3, False, True)
    assert {(f["requirement"], f["condition"]) for f in data["failures"]} == {
        ("met", "troops"),
        ("snapback", "troops"),
    }
    assert cli("check", "--as-of", "2025-02-20").exit_code == 3


def test_check_snapback_wins_over_other_failures(cli: Invoke, log: Log) -> None:
    troops_met(log, "2025-01-10")
    log("troops", criterion="troops-gone", status="not-met", date="2025-02-10")
    log("prisoners", indicator="held", value=10, date="2025-02-10")
    code, data = check_json(cli, "--as-of", "2025-02-20", "--min-score", "99")
    assert code == 3
    assert {f["requirement"] for f in data["failures"]} == {"min-score", "snapback"}


def test_check_snapback_is_reported_even_outside_the_required_conditions(
    cli: Invoke, log: Log
) -> None:
    troops_met(log, "2025-01-10")
    prisoners_met(log, "2025-01-10")
    log("troops", criterion="troops-gone", status="not-met", date="2025-02-10")
    code, data = check_json(cli, "--as-of", "2025-02-20", "--require", "prisoners")
    assert code == 3
    assert [(f["requirement"], f["condition"]) for f in data["failures"]] == [
        ("snapback", "troops")
    ]
    # Before the regression, the same gate passes.
    assert check_json(cli, "--as-of", "2025-02-01", "--require", "prisoners")[0] == 0


def test_check_on_a_broken_tracker_is_a_data_error(cli: Invoke, tracker_file: Path) -> None:
    tracker_file.write_text(
        SMALL_TRACKER.replace('min_reliability = "C3"', 'min_reliability = "Z9"')
    )
    result = cli("check", "--as-of", "2025-02-01")
    assert result.exit_code == 2
    assert "Z9" in result.stderr


# --- explain: the arithmetic and the deciding evidence --------------------------------------


def test_explain_shows_the_arithmetic_and_deciding_evidence(cli: Invoke, log: Log) -> None:
    log("prisoners", indicator="held", value=100, date="2025-01-01")
    reading = log("prisoners", indicator="held", value=40, date="2025-02-01")
    assessment = log("prisoners", criterion="no-exile", status="partial", date="2025-02-05")
    text = explain(cli, "prisoners", "2025-03-01")
    released, no_exile = (100 - 40) / 100, 0.5
    score = 100 * (1 * released + 1 * no_exile) / 2
    assert f"score = 100 * (1 * {released:.4g} + 1 * {no_exile:.4g}) / 2 = {score:g}" in text
    assert f"partial, score {score:g}/100 as of 2025-03-01" in text
    assert reading in text and assessment in text
    assert "held 40 on 2025-02-01; first observation 100 on 2025-01-01, target 0" in text
    assert "progress 60% -> partial" in text


def test_explain_uses_criterion_weights(gauges: Path, cli: Invoke, log: Log) -> None:
    log("media", indicator="outlets", value=6, date="2025-01-10")
    log("media", indicator="jailed", value=0, date="2025-01-10")
    text = explain(cli, "media", "2025-01-20")
    score = 100 * (1 * 0.5 + 3 * 1.0) / 4
    assert f"score = 100 * (1 * {0.5:.4g} + 3 * {1.0:.4g}) / 4 = {score:g}" in text


def test_explain_shows_regression_and_the_offset(cli: Invoke, log: Log) -> None:
    prisoners_met(log, "2025-01-10")
    log("prisoners", indicator="held", value=5, date="2025-02-01")
    log("prisoners", indicator="freed", value=4, date="2025-02-01")
    log("prisoners", indicator="detained", value=7, date="2025-02-02")
    text = explain(cli, "prisoners", "2025-02-10")
    assert "regressed: met on 2025-01-10, no longer met" in text
    assert "revolving door: freed 4, detained 7, net -3 over 90 days" in text


def test_explain_unknown_condition_is_a_usage_error(cli: Invoke) -> None:
    result = cli("explain", "prisoner", "--as-of", "2025-02-01")
    assert result.exit_code == 2
    assert "unknown condition 'prisoner'" in result.stderr


# --- properties through the CLI ------------------------------------------------------------
# Hypothesis runs many examples per test call, and function-scoped fixtures would carry the
# file over between them, so each example writes its own tracker in a fresh folder from the
# session-scoped tmp_path_factory (cleaned up by pytest like tmp_path).

_RUNNER = CliRunner()
START = dt.date(2025, 1, 1)
PAIRS = [
    ("troops", "bases-closed"),
    ("troops", "troops-gone"),
    ("prisoners", "released"),
    ("prisoners", "no-exile"),
]
SCORES = {"met": 1.0, "partial": 0.5, "not-met": 0.0}


def _fresh_tracker(factory: pytest.TempPathFactory) -> Path:
    path = factory.mktemp("example") / "conditions.toml"
    path.write_text(SMALL_TRACKER, encoding="utf-8")
    return path


def _run(path: Path, *args: str) -> Result:
    return _RUNNER.invoke(app, ["--file", str(path), *args])


def _log_to(path: Path, condition_id: str, when: dt.date, grade: str, *extra: str) -> str:
    result = _run(
        path, "log", condition_id, "--summary", "s", "--source", "Monitor",
        "--reliability", grade, "--date", when.isoformat(), "--allow-duplicate", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _status(path: Path, as_of: dt.date) -> dict[str, Any]:
    result = _run(path, "status", "--format", "json", "--as-of", as_of.isoformat())
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


assessment_entries = st.lists(
    st.tuples(
        st.sampled_from(PAIRS),
        st.sampled_from(sorted(SCORES)),
        st.integers(min_value=0, max_value=40),  # days after START
        st.sampled_from(["A1", "C3", "B4", "D2"]),  # two that count, two that don't
    ),
    max_size=6,
)


@settings(max_examples=12, deadline=None)
@given(entries=assessment_entries, as_of_day=st.integers(min_value=0, max_value=45))
def test_any_assessments_give_scores_and_statuses_matching_a_model(
    entries: list[tuple[tuple[str, str], str, int, str]],
    as_of_day: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = _fresh_tracker(tmp_path_factory)
    for (condition_id, criterion_id), assessed, offset, grade in entries:
        when = START + dt.timedelta(days=offset)
        _log_to(path, condition_id, when, grade, "--criterion", criterion_id, "--status", assessed)
    as_of = START + dt.timedelta(days=as_of_day)
    data = _status(path, as_of)

    # The model: the latest counting assessment per criterion (file order breaks ties).
    counting = [(o, n, pair, s) for n, (pair, s, o, g) in enumerate(entries) if g in ("A1", "C3")]

    def verdicts(on: int) -> dict[tuple[str, str], str]:
        latest: dict[tuple[str, str], str] = {}
        for _, _, pair, assessed in sorted(e for e in counting if e[0] <= on):
            latest[pair] = assessed
        return latest

    def is_met(condition_id: str, on: int) -> bool:
        found = verdicts(on)
        return all(found.get(pair) == "met" for pair in PAIRS if pair[0] == condition_id)

    scores: dict[str, float] = {}
    for condition_id in ("troops", "prisoners"):
        found = verdicts(as_of_day)
        mine = [found.get(pair) for pair in PAIRS if pair[0] == condition_id]
        score = 100 * sum(SCORES[s] if s else 0.0 for s in mine) / len(mine)
        earlier = {o for o, _, pair, _ in counting if pair[0] == condition_id and o < as_of_day}
        if all(s == "met" for s in mine):
            status = "met"
        elif any(is_met(condition_id, d) for d in earlier):
            status = "regressed"
        elif all(s is None for s in mine):
            status = "unknown"
        else:
            status = "not-met" if score == 0 else "partial"
        result = condition(data, condition_id)
        assert 0 <= result["score"] <= 100
        assert (result["status"], result["score"]) == (status, score)
        assert result["snapback"] == (status == "regressed" and condition_id == "troops")
        for verdict, expected in zip(result["criteria"], mine, strict=True):
            assert verdict["status"] == (expected or "unknown")
        scores[condition_id] = score

    overall = data["overall"]
    expected_overall = (
        TROOPS_WEIGHT * scores["troops"] + PRISONERS_WEIGHT * scores["prisoners"]
    ) / (TROOPS_WEIGHT + PRISONERS_WEIGHT)
    assert overall["score"] == pytest.approx(expected_overall)
    statuses = {condition(data, c)["status"] for c in ("troops", "prisoners")}
    assert overall["relief_ready"] == (statuses == {"met"})
    assert overall["snapback"] == condition(data, "troops")["snapback"]


@settings(max_examples=10, deadline=None)
@given(
    readings=st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=5),
    gaps=st.lists(st.integers(min_value=1, max_value=10), min_size=5, max_size=5),
)
def test_any_held_series_scores_its_progress_from_the_first_reading(
    readings: list[int], gaps: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = _fresh_tracker(tmp_path_factory)
    # no-exile met for the whole run (within the 90-day window), so only `held` decides.
    _log_to(path, "prisoners", START, "B2", "--indicator", "expelled", "--value", "0")
    when = START
    for value, gap in zip(readings, gaps, strict=False):
        when += dt.timedelta(days=gap)
        _log_to(path, "prisoners", when, "B2", "--indicator", "held", "--value", str(value))
    data = _status(path, when)

    first, last = readings[0], readings[-1]
    if last == 0:
        fraction = 1.0
    elif first == 0:
        fraction = 0.0  # started at the target and moved away
    else:
        fraction = min(max((first - last) / first, 0.0), 1.0)
    verdict = criterion(data, "prisoners", "released")
    assert verdict["score"] == pytest.approx(fraction, abs=1e-4)
    assert verdict["status"] == (
        "met" if fraction == 1 else "not-met" if fraction == 0 else "partial"
    )
    prisoners = condition(data, "prisoners")
    assert prisoners["score"] == pytest.approx(100 * (fraction + 1.0) / 2, abs=0.01)
    was_met = 0 in readings[:-1]
    if last == 0:
        assert prisoners["status"] == "met"
    else:
        assert prisoners["status"] == ("regressed" if was_met else "partial")


mixed_entries = st.lists(
    st.one_of(
        st.tuples(
            st.just("assess"),
            st.sampled_from(["released", "no-exile"]),
            st.sampled_from(sorted(SCORES)),
        ),
        st.tuples(st.just("observe"), st.sampled_from(["held", "expelled"]), st.integers(0, 300)),
    ).flatmap(
        lambda what: st.tuples(
            st.just(what),
            st.integers(min_value=0, max_value=150),  # days after START: crosses the window
            st.sampled_from(["B2", "B2", "D2"]),
        )
    ),
    max_size=6,
)


@settings(max_examples=12, deadline=None)
@given(entries=mixed_entries, as_of_day=st.integers(min_value=0, max_value=160))
def test_any_mixed_evidence_gives_a_condition_consistent_with_its_criteria(
    entries: list[tuple[tuple[str, str, Any], int, str]],
    as_of_day: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = _fresh_tracker(tmp_path_factory)
    logged: list[tuple[str, str, str, int]] = []  # (id, kind, target, day) of counting entries
    for (kind, target, value), offset, grade in entries:
        when = START + dt.timedelta(days=offset)
        if kind == "assess":
            extra = ("--criterion", target, "--status", value)
        else:
            extra = ("--indicator", target, "--value", str(value))
        entry = _log_to(path, "prisoners", when, grade, *extra)
        if grade == "B2" and offset <= as_of_day:
            logged.append((entry, kind, target, offset))
    data = _status(path, START + dt.timedelta(days=as_of_day))
    prisoners = condition(data, "prisoners")
    criteria = {c["id"]: c for c in prisoners["criteria"]}
    statuses = {c["status"] for c in criteria.values()}

    # The score is the (equal-weight) mean of the criteria, and within 0-100.
    assert 0 <= prisoners["score"] <= 100
    mean = 100 * sum(c["score"] for c in criteria.values()) / len(criteria)
    assert prisoners["score"] == pytest.approx(mean, abs=0.01)
    # The status agrees with the criteria.
    status = prisoners["status"]
    assert (status == "met") == (statuses == {"met"})
    assert (status == "unknown") == (statuses == {"unknown"})
    if status == "regressed":
        assert statuses & {"not-met", "partial"}
    if status == "not-met":
        assert prisoners["score"] == 0
    if status == "partial":
        assert 0 < prisoners["score"] < 100

    # Each criterion is decided by the more recent of its latest assessment and its
    # indicator (a flow only while observed in the window); the assessment wins a tie.
    window_start = as_of_day - WINDOW.days
    for criterion_id, indicator_id, is_flow in (
        ("released", "held", False),
        ("no-exile", "expelled", True),
    ):
        assessed = [e for e in logged if e[1] == "assess" and e[2] == criterion_id]
        observed = [
            e
            for e in logged
            if e[1] == "observe" and e[2] == indicator_id and (not is_flow or e[3] > window_start)
        ]
        # Entries are in file order; the latest by date (file order breaking ties) decides.
        latest_assessment = max(assessed, key=lambda e: e[3], default=None)
        latest_observation = max(observed, key=lambda e: e[3], default=None)
        ever_observed = [e for e in logged if e[1] == "observe" and e[2] == indicator_id]
        newest_observation = max(ever_observed, key=lambda e: e[3], default=None)
        verdict = criteria[criterion_id]
        overruled = (  # a newer observation overruled it, even once out of the window
            latest_assessment is not None
            and newest_observation is not None
            and newest_observation[3] > latest_assessment[3]
        )
        if overruled and latest_observation is None:
            assert (verdict["status"], verdict["via"]) == ("unknown", None)
        elif latest_assessment is None and latest_observation is None:
            assert (verdict["status"], verdict["decided_by"]) == ("unknown", None)
        elif latest_observation is None or (
            latest_assessment is not None and latest_assessment[3] >= latest_observation[3]
        ):
            assert latest_assessment is not None
            assert verdict["via"] == "assessment"
            assert verdict["date"] == (START + dt.timedelta(days=latest_assessment[3])).isoformat()
        else:
            assert verdict["via"] == "indicator"
            assert verdict["date"] == (START + dt.timedelta(days=latest_observation[3])).isoformat()
