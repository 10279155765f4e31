"""The fast assessment against the plain one (issue 15, second round: ``status`` and ``diff``).

``condtrack.domain.scoring`` reads each entry's fields once into a tuple, keeps only each
criterion's status and score on the days before the as-of date and makes the verdicts and
their reasons for the as-of date alone; ``chains`` works out withdrawn entries and the date
order from (id, supersedes) links. ``tests/scoring_reference.py`` is the code as it was
before (verbatim), and every figure, verdict, reason, history, exclusion and warning must
come out the same: on generated small trackers (amendments in their original's place,
retractions of any version, same-day entries, fractions in a flow's window, grades below
the minimum, knowledge cuts) and on the bench's generated trackers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import generate
from condtrack.domain import scoring
from condtrack.domain.chains import date_order, in_date_order, withdrawn
from condtrack.domain.changes import compare
from condtrack.domain.knowledge import KnownAt, end_of, known_at
from condtrack.schema.models import Evidence, Retraction, Tracker
from condtrack.storage import store
from tests import scoring_reference as reference
from tests.conftest import SMALL_TRACKER
from tests.fast_path_helpers import PROPERTY

MANY = settings(PROPERTY, max_examples=300)  # the flow's floor needs many to be reached
START = dt.date(2025, 1, 1)
LOGGED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def plain(value: Any) -> Any:
    """A result as nested tuples of field names and values, whichever classes hold them
    (the reference has its own); numbers by type and repr, so 1 and 1.0 differ."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (
            type(value).__name__,
            tuple((f.name, plain(getattr(value, f.name))) for f in fields),
        )
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return (type(value).__name__, tuple((f, plain(getattr(value, f))) for f in value._fields))
    if isinstance(value, list | tuple):
        return tuple(plain(item) for item in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (type(value).__name__, repr(value))
    return value


def assert_same_assessment(tracker: Tracker, as_of: dt.date, known: KnownAt | None) -> None:
    fast = scoring.assess(tracker, as_of, known)
    slow = reference.assess(tracker, as_of, known)
    for new, old in zip(fast.conditions, slow.conditions, strict=True):
        assert plain(new) == plain(old), new.id
    assert plain(fast) == plain(slow)


@functools.cache
def small_header(baseline: bool = False) -> Tracker:
    """The small tracker's header; with ``baseline``, the flow "expelled" has one, so its
    verdict moves by degrees (and its floor holds partial verdicts), not only 0 or 1."""
    content = SMALL_TRACKER
    if baseline:
        flow = 'kind = "flow"\nbetter = "lower"\ntarget = 0\n'
        assert flow in content
        content = content.replace(flow, flow + "baseline = 20\n", 1)
    document, text = store.parse(content.encode(), Path("conditions.toml"))
    return store.check(document, text, Path("conditions.toml"))


# (condition, criterion, indicator) an entry can speak to: "held" (a stock) decides
# "released", "expelled" (a flow, 90-day window) decides "no-exile", "freed" decides nothing.
TARGETS = [
    ("troops", "bases-closed", None),
    ("troops", "troops-gone", None),
    ("prisoners", "released", None),
    ("prisoners", "no-exile", None),
    ("prisoners", None, "held"),
    ("prisoners", None, "expelled"),
    ("prisoners", None, "expelled"),  # twice: the flow's window and floor need many
    ("prisoners", None, "freed"),
]
VALUES = st.one_of(
    st.integers(min_value=0, max_value=30),
    st.sampled_from([0.5, 2.25, 10.0, 0.1]),  # fractions: the window is summed, not counted
)
ENTRIES = st.lists(
    st.tuples(
        st.sampled_from(TARGETS),
        st.sampled_from(["met", "partial", "not-met"]),
        VALUES,
        st.integers(min_value=0, max_value=400),  # days after START: crosses the window
        st.sampled_from(["A1", "B2", "D4"]),  # D4 does not count
        st.integers(min_value=0, max_value=500),  # logged, days after START
    ),
    max_size=24,
)


def tracker_of(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    baseline: bool = False,
) -> Tracker:
    evidence: list[Evidence] = []
    for number, ((condition, criterion, indicator), status, value, day, grade, logged) in enumerate(
        drawn
    ):
        fields: dict[str, object] = {
            "id": f"ev-{number:010d}",
            "condition": condition,
            "date": START + dt.timedelta(days=day),
            "source": "Monitor",
            "reliability": grade,
            "summary": f"entry {number}",
            "logged": LOGGED + dt.timedelta(days=logged),
        }
        if criterion is not None:
            fields |= {"criterion": criterion, "status": status}
        else:
            fields |= {"indicator": indicator, "value": value}
        evidence.append(Evidence.model_validate(fields))
    for number, (index, shift) in enumerate(amend):  # amendments of any version, moved
        if index < len(evidence):
            older = evidence[index]
            evidence.append(
                older.model_copy(
                    update={
                        "id": f"ev-a{number:09d}",
                        "date": older.date + dt.timedelta(days=shift),
                        "supersedes": older.id,
                        "reason": "moved",
                        "logged": older.logged + dt.timedelta(days=shift + 1)
                        if older.logged
                        else None,
                    }
                )
            )
    retractions = [
        Retraction(
            evidence=evidence[index].id,
            reason="wrong",
            date=START + dt.timedelta(days=day),
            logged=LOGGED + dt.timedelta(days=day),
        )
        for index, day in retract
        if index < len(evidence)
    ]
    header = small_header(baseline).header
    return Tracker(header=header, evidence=evidence, retractions=retractions)


@MANY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
    as_of=st.integers(-5, 520),
    known=st.one_of(st.none(), st.integers(0, 520)),
    baseline=st.booleans(),
)
def test_the_fast_assessment_is_the_plain_one(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    as_of: int,
    known: int | None,
    baseline: bool,
) -> None:
    tracker = tracker_of(drawn, amend, retract, baseline)
    moment = None if known is None else end_of(START + dt.timedelta(days=known))
    assert_same_assessment(tracker, START + dt.timedelta(days=as_of), moment)


@PROPERTY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
)
def test_date_order_and_withdrawn_are_the_plain_ones(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
) -> None:
    tracker = tracker_of(drawn, amend, retract)
    entries = tracker.evidence
    assert in_date_order(entries) == reference.in_date_order(entries)
    links = [(e.id, e.supersedes) for e in entries]
    order = date_order([e.date for e in entries], links)
    assert [entries[at] for at in order] == reference.in_date_order(entries)
    assert withdrawn(entries, tracker.retractions) == reference.withdrawn(
        entries, tracker.retractions
    )
    assert list(withdrawn(entries, tracker.retractions)) == list(
        reference.withdrawn(entries, tracker.retractions)
    )


FLOW = st.lists(
    st.tuples(
        st.sampled_from([("prisoners", None, "expelled")] * 4 + [("prisoners", "no-exile", None)]),
        st.sampled_from(["met", "partial", "not-met"]),
        st.one_of(st.integers(min_value=0, max_value=12), st.sampled_from([0.5, 2.25])),
        st.integers(min_value=0, max_value=200),
        st.sampled_from(["A1", "B2"]),
        st.integers(min_value=0, max_value=200),
    ),
    max_size=10,
)


@MANY
@given(drawn=FLOW, as_of=st.integers(0, 260), baseline=st.booleans())
def test_a_flows_window_and_floor_walk_as_before(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    as_of: int,
    baseline: bool,
) -> None:
    """Observations of one flow, leaving its window (a verdict held at its floor) and
    coming in again (which lifts it), with assessments of its criterion among them."""
    tracker = tracker_of(drawn, [], [], baseline)
    assert_same_assessment(tracker, START + dt.timedelta(days=as_of), None)


def test_a_new_observation_lifts_a_flows_held_verdict() -> None:
    """15 and 1 people expelled; the 15 leaves the 90-day window, so the verdict is held at
    its floor; a new observation of 1 lifts it to the window's own progress."""
    flow: tuple[str, str | None, str | None] = ("prisoners", None, "expelled")
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]] = [
        (flow, "met", 15, 0, "A1", 0),
        (flow, "met", 1, 50, "A1", 50),
        (flow, "met", 1, 100, "A1", 100),
    ]
    tracker = tracker_of(drawn, [], [], baseline=True)
    assert_same_assessment(tracker, START + dt.timedelta(days=120), None)
    held = scoring.assess(tracker, START + dt.timedelta(days=95)).conditions[1].criteria[1]
    assert "held at partial" in held.verdict.reason
    lifted = scoring.assess(tracker, START + dt.timedelta(days=120)).conditions[1].criteria[1]
    assert lifted.verdict.score == 0.9


@functools.cache
def bench_tracker(n: int, seed: int) -> Tracker:
    data = generate(n, seed).encode("utf-8")
    document, text = store.parse(data, Path("conditions.toml"))
    return store.check(document, text, Path("conditions.toml"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_benchs_trackers_score_as_before(seed: int) -> None:
    """The shipped header's conditions (stocks, flows, offsets, snapback) over generated
    evidence with retractions, on dates across its span, with and without a cut."""
    tracker = bench_tracker(400, seed)
    for as_of in ["2022-06-30", "2024-01-01", "2026-08-01", "2026-11-01"]:
        day = dt.date.fromisoformat(as_of)
        assert_same_assessment(tracker, day, None)
        assert_same_assessment(tracker, day, end_of(day - dt.timedelta(days=30)))


@pytest.mark.parametrize("seed", [0, 1])
def test_diff_compares_the_plain_assessments(seed: int) -> None:
    """``diff``'s two assessments are ``assess`` on each point, with each point's cut."""
    tracker = bench_tracker(400, seed)
    since, until = dt.date(2025, 8, 1), dt.date(2026, 11, 1)
    changes = compare(tracker, since, until)
    then = end_of(since)
    assert plain(changes.before) == plain(reference.assess(tracker, since, then))
    assert plain(changes.after) == plain(reference.assess(tracker, until, None))
    assert known_at(tracker, None) is tracker


@MANY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
    since=st.integers(-5, 520),
    span=st.integers(0, 200),
    baseline=st.booleans(),
)
def test_diff_with_entries_logged_between_compares_the_plain_assessments(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    since: int,
    span: int,
    baseline: bool,
) -> None:
    """``diff`` reads the evidence once and takes the earlier cut's facts (and date order)
    from the later one's (``scoring.facts_within``): with entries, amendments (logged
    after their original, or, hand-written, before it) and retractions logged between the
    two moments, both assessments are still the plain ones on each point's cut."""
    tracker = tracker_of(drawn, amend, retract, baseline)
    start = START + dt.timedelta(days=since)
    until = start + dt.timedelta(days=span)
    changes = compare(tracker, start, until)
    assert plain(changes.before) == plain(reference.assess(tracker, start, end_of(start)))
    assert plain(changes.after) == plain(reference.assess(tracker, until, None))


@MANY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
    known=st.integers(-5, 520),
)
def test_a_cuts_facts_are_the_wholes_filtered(
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]],
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    known: int,
) -> None:
    """``facts_within`` (the later facts filtered) is ``facts_of`` the cut (read and
    sorted afresh): the same facts in file order and in ``in_date_order``'s order."""
    tracker = tracker_of(drawn, amend, retract)
    cut = known_at(tracker, end_of(START + dt.timedelta(days=known)))
    whole = scoring.facts_of(tracker)
    within, fresh = scoring.facts_within(whole, cut), scoring.facts_of(cut)
    assert within.tracker is cut
    assert (within.in_file, within.in_dates, within.amended) == (
        fresh.in_file,
        fresh.in_dates,
        fresh.amended,
    )
    assert [fact[-1] for fact in within.in_dates] == reference.in_date_order(cut.evidence)


def test_a_cut_keeps_the_later_facts_when_originals_are_known_first() -> None:
    """Amendments logged after their originals: the cut's facts are the whole's filtered
    (no second read), and they are the ones read afresh; a cut that is not a subsequence
    of the tracker's entries is read afresh."""
    flow: tuple[str, str | None, str | None] = ("prisoners", None, "expelled")
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]] = [
        (flow, "met", 3, 10, "A1", 10),
        (("prisoners", "released", None), "met", 0, 10, "A1", 11),
        (flow, "met", 5, 10, "A1", 40),
        (flow, "met", 1, 60, "A1", 70),
    ]
    tracker = tracker_of(drawn, [(0, 5), (2, -30)], [(1, 80)])
    cut = known_at(tracker, end_of(START + dt.timedelta(days=50)))
    assert 0 < len(cut.evidence) < len(tracker.evidence)
    whole = scoring.facts_of(tracker)
    within = scoring.facts_within(whole, cut)
    assert within.in_dates == scoring.facts_of(cut).in_dates
    assert all(any(fact is kept for kept in whole.in_file) for fact in within.in_file)
    # A cut that is not a subsequence of the tracker's entries is read afresh.
    shuffled = tracker.model_copy(update={"evidence": tracker.evidence[::-1]})
    assert scoring.facts_within(whole, shuffled).in_file == scoring.facts_of(shuffled).in_file


def test_an_amendment_stamped_before_its_original_is_sorted_afresh() -> None:
    """A hand-written ``logged`` time puts an amendment before its original: known at a
    moment between the two, the amendment has no original in the cut, so it sorts at its
    own place, after the other entry of its date, not at its original's (before it). The
    cut's order is then not the whole's filtered, and ``facts_within`` sorts it afresh."""
    bases: tuple[str, str | None, str | None] = ("troops", "bases-closed", None)
    drawn: list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]] = [
        (bases, "met", 0, 10, "A1", 100),  # the original, logged on day 100
        (bases, "not-met", 0, 5, "A1", 5),
    ]
    tracker = tracker_of(drawn, [(0, -5)], [])  # dated day 5, logged day 96
    since = START + dt.timedelta(days=98)
    cut = known_at(tracker, end_of(since))
    assert [e.id for e in cut.evidence] == ["ev-0000000001", "ev-a000000000"]
    whole = scoring.facts_of(tracker)
    within = scoring.facts_within(whole, cut)
    assert [fact[-1] for fact in within.in_dates] == reference.in_date_order(cut.evidence)
    assert [fact[-1].id for fact in within.in_dates] == ["ev-0000000001", "ev-a000000000"]
    changes = compare(tracker, since, since + dt.timedelta(days=10))
    assert plain(changes.before) == plain(reference.assess(tracker, since, end_of(since)))
    assert changes.before.conditions[0].criteria[0].verdict.status == "met"
