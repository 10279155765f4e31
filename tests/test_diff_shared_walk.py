"""``diff`` sorts out both points' evidence in one walk (issue 15: `diff` at 100k).

``scoring.assess_both`` used to put each point's facts through ``_sorted_out`` on its own:
two walks through 100,000 facts in date order. ``_sorted_out_both`` walks the later facts
once, and takes the earlier point's (the cut's, ``_within``: the same facts, those the cut
keeps) in the same pass. What it puts where, with which reason, must be what the two
walks give, on generated trackers with amendments, retractions and entries logged late.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from condtrack.domain import scoring
from condtrack.domain.changes import compare
from condtrack.domain.knowledge import end_of, known_at, known_at_kept, learned_between
from tests.test_scoring_reference import ENTRIES, MANY, START, bench_tracker, tracker_of

Drawn = list[tuple[tuple[str, str | None, str | None], str, float, int, str, int]]


@MANY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
    since=st.integers(-5, 520),
    span=st.integers(0, 200),
)
def test_one_walk_sorts_out_both_points_as_two_walks_do(
    drawn: Drawn,
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    since: int,
    span: int,
) -> None:
    tracker = tracker_of(drawn, amend, retract)
    start = START + dt.timedelta(days=since)
    until = start + dt.timedelta(days=span)
    cut = known_at(tracker, end_of(start))
    read = scoring.facts_of(tracker)
    within, known_then = scoring._within(read, cut)
    assert within == scoring.facts_within(read, cut)
    assert within.links == scoring.facts_of(cut).links  # the cut's (id, supersedes)
    both = scoring._sorted_out_both(
        (cut, start, end_of(start)), within, (tracker, until, None), read, known_then
    )
    if known_then is None:  # the cut was read afresh: the two walks, as before
        assert both is None
        return
    assert both is not None
    assert both[0] == scoring._sorted_out(cut, start, scoring.facts_of(cut))
    assert both[1] == scoring._sorted_out(tracker, until, read)
    # The flags pick out the cut's facts in date order from the whole's.
    assert [f for f, kept in zip(read.in_dates, known_then, strict=True) if kept] == (
        within.in_dates
    )


def test_the_benchs_diff_takes_the_one_walk_and_compares_the_two_walks() -> None:
    """On a bench tracker (entries logged late, retractions), the one walk is taken, and
    ``compare``'s assessments are those of the two walks."""
    tracker = bench_tracker(2000, 0)
    since, until = dt.date(2026, 8, 1), dt.date(2026, 11, 1)
    cut = known_at(tracker, end_of(since))
    read = scoring.facts_of(tracker)
    within, known_then = scoring._within(read, cut)
    assert known_then is not None and not all(known_then)  # some learned since
    both = scoring._sorted_out_both(
        (cut, since, end_of(since)), within, (tracker, until, None), read, known_then
    )
    assert both is not None
    assert both[0] == scoring._sorted_out(cut, since, within)
    assert both[1] == scoring._sorted_out(tracker, until, read)
    changes = compare(tracker, since, until)
    assert changes.before == scoring._assess(cut, since, end_of(since), scoring.facts_of(cut))
    assert changes.after == scoring._assess(tracker, until, None, read)


@given(
    figures=st.lists(
        st.tuples(
            st.sampled_from(["met", "partial", "not-met", "unknown"]),
            st.floats(min_value=0, max_value=1) | st.sampled_from([0.0, 0.5, 1.0]),
        ),
        min_size=1,
        max_size=5,
    ),
    weights=st.lists(st.sampled_from([1.0, 2.0, 0.5, 3.0]), min_size=5, max_size=5),
    last_met=st.none() | st.dates(),
)
def test_a_days_figures_are_worked_out_once_as_each_day_did(
    figures: list[tuple[scoring.Status, float]],
    weights: list[float],
    last_met: dt.date | None,
) -> None:
    """The walk works out what a day's criteria figures make (score, all met, status) once
    for each set of figures: the same as working it out on the day, whatever the day's
    ``last_met``."""
    weights = weights[: len(figures)]
    score, all_met, never_met, met_before = scoring._day_figures(figures, weights)
    expected = scoring.rounded(
        scoring._weighted(list(zip(weights, (s for _, s in figures), strict=True))) * 100
    )
    kinds = {status for status, _ in figures}
    assert score == expected
    assert all_met == all(status == "met" for status, _ in figures)
    status = never_met if last_met is None else met_before
    assert status == scoring._status_of(kinds, expected, last_met)


@MANY
@given(
    drawn=ENTRIES,
    amend=st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 40)), max_size=4),
    retract=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 450)), max_size=3),
    since=st.integers(-5, 520),
    span=st.integers(0, 200),
)
def test_the_cut_says_what_it_kept_and_diff_adds_what_it_left_out(
    drawn: Drawn,
    amend: list[tuple[int, int]],
    retract: list[tuple[int, int]],
    since: int,
    span: int,
) -> None:
    """``known_at_kept`` is ``known_at`` and, for each entry, whether the cut keeps it: the
    rest are those learned since (``learned_between``), which ``diff`` adds (those dated
    by its later date), without looking for them again."""
    tracker = tracker_of(drawn, amend, retract)
    start = START + dt.timedelta(days=since)
    until = start + dt.timedelta(days=span)
    cut, kept = known_at_kept(tracker, end_of(start))
    assert cut == known_at(tracker, end_of(start)) and kept is not None
    assert cut.evidence == [e for e, k in zip(tracker.evidence, kept, strict=True) if k]
    learned = learned_between(tracker.evidence, end_of(start), None)
    assert [e for e, k in zip(tracker.evidence, kept, strict=True) if not k] == learned
    changes = compare(tracker, start, until)
    for change in changes.conditions:
        assert change.added == tuple(
            e for e in learned if e.date <= until and e.condition == change.id
        )
