"""Compliance scoring: pure functions from a tracker and an as-of date to results.

No I/O and no clock: the caller passes the as-of date. Every result carries the
reason for it, so ``explain`` can show the arithmetic and ``status`` the figures.
The rules are documented in the README under "How scoring works".
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import gc
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any, Literal, NamedTuple

from condtrack.domain.chains import date_order, withdrawal_reason, withdrawn_links
from condtrack.domain.knowledge import KnownAt, known_at
from condtrack.schema.shapes import (
    Condition,
    Evidence,
    Indicator,
    Offset,
    Relief,
    Retraction,
    Tracker,
    grade_counts,
)

Status = Literal["met", "partial", "not-met", "unknown", "regressed"]
ASSESSMENT_SCORES = {"met": 1.0, "partial": 0.5, "not-met": 0.0}


@dataclass(frozen=True)
class Verdict:
    """A criterion's state: its status, score (0-1), and what decided it."""

    status: Status
    score: float
    date: dt.date | None = None
    decided_by: str | None = None  # evidence id
    via: Literal["assessment", "indicator"] | None = None
    reason: str = "no counting evidence"


UNKNOWN = Verdict("unknown", 0.0)


@dataclass(frozen=True)
class CriterionResult:
    id: str
    text: str
    weight: float
    verdict: Verdict


class Observation(NamedTuple):
    """One counting observation of an indicator (a tuple: there are tens of thousands)."""

    date: dt.date
    value: float
    evidence: str


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    value: float | None  # stock: latest value; flow: latest observation in the window
    date: dt.date | None
    previous: float | None  # stock: the observation before; flow: the previous window's total
    progress: float | None  # 0-1 towards the target, where one is set
    window_total: float | None  # flows only
    history: tuple[Observation, ...]  # counting observations up to the as-of date

    @property
    def trend(self) -> Literal["up", "down", "flat"] | None:
        current = self.window_total if self.indicator.kind == "flow" else self.value
        if current is None or self.previous is None:
            return None
        if current == self.previous:
            return "flat"
        return "up" if current > self.previous else "down"

    @property
    def improving(self) -> bool | None:
        return improving(self.trend, self.indicator.better)


def improving(trend: str | None, better: str) -> bool | None:
    """Whether a move is for the better, given which way is better; None when flat."""
    if trend in (None, "flat"):
        return None
    return (trend == "down") == (better == "lower")


@dataclass(frozen=True)
class OffsetResult:
    label: str
    outflow: str
    inflow: str
    outflow_total: float
    inflow_total: float
    inflow_observed: bool  # without observations of the inflow, the net means nothing

    @property
    def net(self) -> float:
        return self.outflow_total - self.inflow_total

    @property
    def warning(self) -> bool:
        return self.inflow_total > 0 and self.inflow_total >= self.outflow_total


@dataclass(frozen=True)
class Warning:
    code: str
    message: str


class Exclusion(NamedTuple):
    """An entry that does not count, and why (a tuple: there can be tens of thousands)."""

    evidence: str
    reason: str


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    status: Status
    score: float  # 0-100
    criteria: tuple[CriterionResult, ...]
    indicators: tuple[IndicatorResult, ...]
    offsets: tuple[OffsetResult, ...]
    counted: tuple[Evidence, ...]
    excluded: tuple[Exclusion, ...]
    last_evidence: dt.date | None
    stale: bool
    met_since: dt.date | None  # start of the current run of "met"
    last_met: dt.date | None  # the latest earlier date on which it was met
    history: tuple[tuple[dt.date, float], ...] = ()  # score on each earlier day it could change
    # The status on each of those days, as ``assess`` on that day gives it (see ``standings``).
    statuses: tuple[Status, ...] = ()
    warnings: tuple[Warning, ...] = ()
    stale_since: dt.date | None = None  # the first day it was stale, when it is

    @property
    def id(self) -> str:
        return self.condition.id

    @property
    def regressed(self) -> bool:
        return self.status == "regressed"

    @property
    def snapback(self) -> bool:
        return self.regressed and self.condition.snapback

    @property
    def previous_score(self) -> float | None:
        """The score just before the latest evidence date, for the direction arrow."""
        if self.last_evidence is None:
            return None
        earlier = [score for day, score in self.history if day < self.last_evidence]
        return earlier[-1] if earlier else None

    @property
    def direction(self) -> Literal["up", "down", "flat"] | None:
        previous = self.previous_score
        if previous is None:
            return None
        if self.score == previous:
            return "flat"
        return "up" if self.score > previous else "down"


@dataclass(frozen=True)
class Overall:
    score: float
    status: Status
    relief_ready: bool
    snapback: bool


@dataclass(frozen=True)
class Assessment:
    as_of: dt.date
    title: str
    overall: Overall
    conditions: tuple[ConditionResult, ...]
    window_days: int
    stale_after_days: int
    min_reliability: str
    known_at: KnownAt | None = None  # None: everything in the file, known now

    def condition(self, condition_id: str) -> ConditionResult | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


def assess(tracker: Tracker, as_of: dt.date, known: KnownAt | None = None) -> Assessment:
    """Score every condition of the tracker as of ``as_of`` (valid time), with what was
    known at ``known`` (knowledge time; None: everything in the file)."""
    return assess_known(known_at(tracker, known), as_of, known)


def assess_known(tracker: Tracker, as_of: dt.date, known: KnownAt | None = None) -> Assessment:
    """``assess`` of a tracker already cut back to what was known at ``known``
    (``knowledge.known_at``): for callers that assess one cut more than once."""
    with _collector_paused():
        result = _assess(tracker, as_of, known, facts_of(tracker))
    return result


Point = tuple[Tracker, dt.date, "KnownAt | None"]  # a cut, its as-of date, its knowledge time


def assess_both(
    earlier: Point,
    later: Point,
    done: Callable[[], object] = lambda: None,
    kept: list[bool] | None = None,
) -> tuple[Assessment, Assessment]:
    """``assess_known`` on each (cut, as-of date, knowledge time), the earlier first, with
    the evidence read (and put in date order) once: the earlier cut's facts are the later
    one's without the entries learned in between (``facts_within``). ``done`` is called
    after each. The facts are freed before the collector runs again (as ``assess_known``
    frees its own), so it never walks them. ``kept``, when the caller made the earlier cut
    from the later one (``knowledge.known_at_kept``): for each of the later cut's evidence
    entries, whether the earlier one keeps it (then not worked out again)."""
    with _collector_paused():
        read = facts_of(later[0])
        within, known_then = _within(read, earlier[0], kept)
        both = _sorted_out_both(earlier, within, later, read, known_then)
        before = _assess(*earlier, within, both and both[0])
        done()
        after = _assess(*later, read, both and both[1])
        done()
        del read, within, both
    return before, after


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Scoring builds a few hundred thousand objects (the facts, the walks' figures) and
    frees none of them until it is done, so the cyclic collector, run every few hundred of
    them, would only walk them again and again for nothing (as ``store`` pauses it while
    reading)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _assess(
    tracker: Tracker,
    as_of: dt.date,
    known: KnownAt | None,
    facts: Facts,
    sorted_out: _SortedOut | None = None,
) -> Assessment:
    """The assessment of ``facts``; ``sorted_out``: ``_sorted_out``'s, when the caller has it."""
    scoring = tracker.scoring
    by_condition, excluded = sorted_out or _sorted_out(tracker, as_of, facts)
    results = tuple(
        _assess_facts(
            condition,
            by_condition[condition.id],
            as_of,
            window_days=scoring.window_days,
            stale_after_days=scoring.stale_after_days,
            excluded=excluded[condition.id],
        )
        for condition in tracker.conditions
    )
    return Assessment(
        as_of=as_of,
        title=tracker.header.tracker.title,
        overall=_overall(results),
        conditions=results,
        window_days=scoring.window_days,
        stale_after_days=scoring.stale_after_days,
        min_reliability=scoring.min_reliability,
        known_at=known,
    )


# What scoring reads of an entry, taken from it in one pass: (date, id, reliability,
# condition, criterion, status, indicator, value, supersedes, the entry). Reading the
# fields of 100,000 entries again and again in the walks below cost more than the walks.
_Fact = tuple[Any, ...]
_FIELDS = attrgetter(
    "date", "id", "reliability", "condition", "criterion", "status", "indicator", "value",
    "supersedes",
)  # fmt: skip
_DATE, _ID, _GRADE, _CONDITION, _CRITERION, _STATUS, _INDICATOR, _VALUE, _SUPERSEDES, _ENTRY = (
    range(10)
)
_date_of = itemgetter(_DATE)
_OBSERVED = itemgetter(_DATE, _VALUE, _ID)  # an Observation's fields, in its order
_entry_of = itemgetter(_ENTRY)


def _facts(evidence: Iterable[Evidence]) -> list[_Fact]:
    fields = _FIELDS
    return [(*fields(entry), entry) for entry in evidence]


@dataclass(frozen=True)
class Facts:
    """A tracker's evidence as scoring reads it, read once for every assessment of it.

    ``in_file``: each entry's fact (``_facts``), in file order; ``in_dates``: the same
    facts in ``chains.in_date_order``'s order; ``amended``: whether an entry supersedes
    another; ``links``: each entry's (id, supersedes), in file order. Nothing in it
    depends on an as-of date.
    """

    tracker: Tracker
    in_file: list[_Fact]
    in_dates: list[_Fact]
    amended: bool
    links: list[tuple[str, str | None]]


def facts_of(tracker: Tracker) -> Facts:
    """The tracker's evidence read for scoring (``Facts``)."""
    facts = _facts(tracker.evidence)
    amended = any(map(itemgetter(_SUPERSEDES), facts))
    links = list(map(itemgetter(_ID, _SUPERSEDES), facts))
    # File order breaks ties between entries of the same date: later lines win, an
    # amendment in its original's place (``chains.in_date_order``).
    if amended:
        ordered = [facts[at] for at in date_order(list(map(_date_of, facts)), links)]
    else:
        ordered = sorted(facts, key=_date_of)
    return Facts(tracker, facts, ordered, amended, links)


def facts_within(facts: Facts, cut: Tracker) -> Facts:
    """``facts_of(cut)`` for ``cut``, a knowledge cut of ``facts.tracker``
    (``knowledge.known_at``), taken from ``facts`` without reading or sorting again.

    A cut keeps some of the tracker's entries (the same objects) in file order, so its
    facts in file order are ``facts.in_file`` without the facts of the entries it left out;
    this is checked (entry by entry, by identity), and anything else is read afresh.

    Its date order is ``facts.in_dates`` filtered the same way. ``chains.date_order``
    sorts the entries by (date, position of the entry's chain's original, position): the
    positions are unique, so the order is total, and leaving entries out of a sorted list
    leaves the rest sorted by the same keys. The cut's own keys are (date, p(original in
    the cut), p(entry in the cut)), where its positions are the file's through one strictly
    increasing map (a subsequence keeps the order), so they sort the cut's entries exactly
    as the file's keys do, provided each of its entries has the same chain original in the
    cut as in the file. Without amendments in the file (none in the cut either) the key is
    (date, position) on both sides: a stable sort by date. With them, an entry's original
    is the end of the walk along its ``supersedes`` links, and the walk is the same in
    the cut when every amendment the cut keeps has its target kept too (an amendment takes
    its original's place, and the original is known no later than its amendment whenever
    it was logged no later: the usual case, checked here, since a hand-written ``logged``
    time may say otherwise), the ids are unique and each amendment's target comes before
    it in the file (what validation asks: no loops, so the walk's end does not depend on
    where ``chains.chain_roots`` started). Where any of that fails, the cut is sorted anew.
    """
    return _within(facts, cut)[0]


def _within(
    facts: Facts, cut: Tracker, kept: list[bool] | None = None
) -> tuple[Facts, list[bool] | None]:
    """``facts_within``, and for each of ``facts.in_dates`` whether the cut keeps it (so
    that the cut's ``in_dates`` are those kept, in the same order); None when the cut's
    facts were read afresh. ``kept``: for each of ``facts.tracker``'s evidence entries,
    whether the cut keeps it, when the caller knows (the cut's entries are then those,
    the same objects: ``knowledge.known_at_kept``)."""
    if kept is None:
        kept = _kept(facts.tracker.evidence, cut.evidence)
    if kept is None:
        return facts_of(cut), None
    in_file = list(compress(facts.in_file, kept))
    if len(in_file) == len(facts.in_file):
        return Facts(cut, in_file, facts.in_dates, facts.amended, facts.links), kept  # all
    links = list(compress(facts.links, kept))
    amended = facts.amended and any(map(itemgetter(_SUPERSEDES), in_file))
    if facts.amended and not _same_chains(facts.in_file, in_file):
        return facts_of(cut), None
    # The facts left out, by identity (the same tuples in both orders): a few, against
    # which each fact in date order is looked up without reading it.
    left_out = set(map(id, compress(facts.in_file, map(operator.not_, kept))))
    known = list(map(operator.not_, map(left_out.__contains__, map(id, facts.in_dates))))
    in_dates = list(compress(facts.in_dates, known))
    return Facts(cut, in_file, in_dates, amended, links), known


def _kept(whole: Sequence[Evidence], part: Sequence[Evidence]) -> list[bool] | None:
    """For each of ``whole``'s entries, whether ``part`` keeps it, when ``part`` is a
    subsequence of it (the same objects, in the same order); else None."""
    end = object()
    rest = iter(part)
    wanted: object = next(rest, end)
    kept: list[bool] = []
    keep = kept.append
    for entry in whole:
        if entry is wanted:
            keep(True)
            wanted = next(rest, end)
        else:
            keep(False)
    return kept if wanted is end else None


def _same_chains(whole: Sequence[_Fact], part: Sequence[_Fact]) -> bool:
    """Whether each of ``part``'s entries (a subsequence of ``whole``) has the same chain
    original in ``part`` as in ``whole`` (see ``facts_within``): unique ids, each
    amendment after its target, and each amendment in ``part`` with its target in it."""
    ids = list(map(itemgetter(_ID), whole))
    where = dict(zip(ids, range(len(ids)), strict=True))
    if len(where) != len(ids):
        return False
    kept: set[str] | None = None
    for at, fact in enumerate(whole):
        target = fact[_SUPERSEDES]
        if not target or target not in where:  # an original, or a chain ending at it
            continue
        if where[target] >= at:
            return False
        if kept is None:
            kept = set(map(itemgetter(_ID), part))
        if fact[_ID] in kept and target not in kept:
            return False
    return True


_SortedOut = tuple[dict[str, list[_Fact]], dict[str, list[Exclusion]]]


def _withdrawn(tracker: Tracker, read: Facts) -> tuple[dict[str, Retraction], dict[str, str]]:
    """The entries withdrawn (with the retraction that does it) and amended (with the id of
    the amendment), at every date."""
    # A retraction of any version withdraws the whole chain, at every date (what the
    # tracker knew before it was logged is ``knowledge.known_at``'s to cut).
    retracted = withdrawn_links(read.links, tracker.retractions)
    # An amendment replaces its original at every date: the record was corrected.
    facts = read.in_file
    superseded = {f[_SUPERSEDES]: f[_ID] for f in facts if f[_SUPERSEDES]} if read.amended else {}
    return retracted, superseded


def _sorted_out(tracker: Tracker, as_of: dt.date, read: Facts) -> _SortedOut:
    """Each condition's counting evidence on ``as_of``, oldest first, and what is left out."""
    ordered = read.in_dates
    retracted, superseded = _withdrawn(tracker, read)
    by_condition: dict[str, list[_Fact]] = {c.id: [] for c in tracker.conditions}
    excluded: dict[str, list[Exclusion]] = {c.id: [] for c in tracker.conditions}
    minimum = tracker.scoring.min_reliability
    graded: dict[str, bool] = {}  # each reliability grade's verdict, worked out once
    below: dict[str, str] = {}  # each grade's reason, when it does not count
    left_out = superseded.keys() | retracted.keys()
    for fact in ordered:
        date, entry_id, grade, condition = fact[0], fact[1], fact[2], fact[3]
        # The common cases first, as ``not_counted`` decides them, without building a reason
        # for each entry: neither amended nor withdrawn, and not dated later.
        if date <= as_of and entry_id not in left_out:
            counts = graded.get(grade)
            if counts is None:
                counts = graded[grade] = grade_counts(grade, minimum)
            if counts:
                by_condition[condition].append(fact)
                continue
            reason = below.get(grade)
            if reason is None:
                reason = below[grade] = not_counted(fact[_ENTRY], as_of, {}, {}, minimum) or ""
            excluded[condition].append(Exclusion(entry_id, reason))
            continue
        reason = not_counted(fact[_ENTRY], as_of, retracted, superseded, minimum)
        if reason is None:
            by_condition[condition].append(fact)
        else:
            excluded[condition].append(Exclusion(entry_id, reason))
    return by_condition, excluded


def _sorted_out_both(
    earlier: Point, within: Facts, later: Point, read: Facts, known_then: list[bool] | None
) -> tuple[_SortedOut, _SortedOut] | None:
    """``_sorted_out`` of the earlier point (its facts ``within``) and of the later one (its
    facts ``read``) in one walk through the later facts in date order, the loop and the
    reading of each fact shared: ``known_then`` says, for each, whether the earlier cut
    has it (``_within``: its facts in date order are those, in the same order). Each
    point's facts are put where ``_sorted_out`` puts them, by the same steps. None when
    that cannot be (the earlier facts read afresh, or other conditions or settings)."""
    (cut, since, _), (now, until, _) = earlier, later
    minimum = now.scoring.min_reliability
    if (
        known_then is None
        or cut.scoring.min_reliability != minimum
        or [c.id for c in cut.conditions] != [c.id for c in now.conditions]
    ):
        return None
    retracted_then, superseded_then = _withdrawn(cut, within)
    retracted_now, superseded_now = _withdrawn(now, read)
    left_out_then = superseded_then.keys() | retracted_then.keys()
    left_out_now = superseded_now.keys() | retracted_now.keys()
    counting_then: dict[str, list[_Fact]] = {c.id: [] for c in now.conditions}
    counting_now: dict[str, list[_Fact]] = {c.id: [] for c in now.conditions}
    excluded_then: dict[str, list[Exclusion]] = {c.id: [] for c in now.conditions}
    excluded_now: dict[str, list[Exclusion]] = {c.id: [] for c in now.conditions}
    graded: dict[str, bool] = {}  # each reliability grade's verdict, worked out once
    below: dict[str, str] = {}  # each grade's reason, when it does not count
    for fact, known in zip(read.in_dates, known_then, strict=True):
        date, entry_id, grade, condition = fact[0], fact[1], fact[2], fact[3]
        counts = graded.get(grade)
        if counts is None:
            counts = graded[grade] = grade_counts(grade, minimum)
        # The later point, as ``_sorted_out`` decides it: the common cases first.
        if date <= until and entry_id not in left_out_now:
            if counts:
                counting_now[condition].append(fact)
            else:
                reason = below.get(grade)
                if reason is None:
                    reason = below[grade] = not_counted(fact[_ENTRY], until, {}, {}, minimum) or ""
                excluded_now[condition].append(Exclusion(entry_id, reason))
        else:
            why = not_counted(fact[_ENTRY], until, retracted_now, superseded_now, minimum)
            if why is None:
                counting_now[condition].append(fact)
            else:
                excluded_now[condition].append(Exclusion(entry_id, why))
        if not known:
            continue
        # The earlier point, by the same steps.
        if date <= since and entry_id not in left_out_then:
            if counts:
                counting_then[condition].append(fact)
            else:
                reason = below.get(grade)
                if reason is None:
                    reason = below[grade] = not_counted(fact[_ENTRY], since, {}, {}, minimum) or ""
                excluded_then[condition].append(Exclusion(entry_id, reason))
        else:
            why = not_counted(fact[_ENTRY], since, retracted_then, superseded_then, minimum)
            if why is None:
                counting_then[condition].append(fact)
            else:
                excluded_then[condition].append(Exclusion(entry_id, why))
    return (counting_then, excluded_then), (counting_now, excluded_now)


@dataclass(frozen=True)
class Standing:
    """Where the tracker stood on one date: ``assess``'s overall verdict and each
    condition's status, without the detail behind them."""

    as_of: dt.date
    overall: Overall
    statuses: tuple[tuple[str, Status], ...]  # (condition id, status), in the file's order
    in_snapback: frozenset[str]  # the snapback conditions regressed on the date


def standings(
    tracker: Tracker, dates: Iterable[dt.date], assessment: Assessment | None = None
) -> dict[dt.date, Standing]:
    """``assess(tracker, d)``'s overall verdict and condition statuses for every date ``d``,
    from one assessment on the latest of them (or ``assessment``, the tracker assessed on
    a date no earlier than any of them, when the caller has it already).

    ``assess`` walks each condition through every day its verdict can change before the
    as-of date, and keeps the score and status on each (``history``, ``statuses``): on a
    day between two of them, a condition stands where it stood on the earlier one. So the
    ledger, which needs the compliance on every relief entry's date, costs one walk, not
    one full assessment per date.
    """
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    if assessment is None or assessment.as_of < wanted[-1]:
        assessment = assess(tracker, wanted[-1])
    return {day: standing_on(assessment, day) for day in wanted}


def standing_on(assessment: Assessment, day: dt.date) -> Standing:
    """Where the assessed tracker stood on ``day``, no later than the assessment's date."""
    if day > assessment.as_of:
        raise ValueError(f"{day} is after the assessment's date {assessment.as_of}")
    figures: list[tuple[float, float, Status, bool]] = []
    for result in assessment.conditions:
        if day == assessment.as_of:
            score, status = result.score, result.status
        else:
            # The last day before the as-of date on which the verdict could change, up to
            # ``day``; before the first of them no evidence counted yet.
            at = bisect.bisect_right(result.history, day, key=lambda pair: pair[0]) - 1
            score, status = (
                (result.history[at][1], result.statuses[at]) if at >= 0 else (0.0, "unknown")
            )
        snapback = status == "regressed" and result.condition.snapback
        figures.append((result.condition.weight, score, status, snapback))
    conditions = [result.condition for result in assessment.conditions]
    return Standing(
        as_of=day,
        overall=_overall_of(figures),
        statuses=tuple(
            (c.id, status) for c, (_, _, status, _) in zip(conditions, figures, strict=True)
        ),
        in_snapback=frozenset(
            c.id for c, (*_, snapback) in zip(conditions, figures, strict=True) if snapback
        ),
    )


def _status_of(statuses: set[Status], score: float, last_met: dt.date | None) -> Status:
    """A condition's status from its criteria's statuses and its (rounded) score."""
    if statuses == {"met"}:
        return "met"
    if last_met is not None and statuses & {"not-met", "partial"}:
        # Only evidence against a criterion is a regression; a lapse into "unknown"
        # (a flow no longer observed in the window) is missing data, not a breach.
        return "regressed"
    if statuses == {"unknown"}:
        return "unknown"
    return "not-met" if score == 0 else "partial"


def not_counted(
    entry: Evidence | Relief,
    as_of: dt.date,
    retracted: dict[str, Retraction],
    superseded: dict[str, str],
    minimum: str,
) -> str | None:
    """Why an entry does not count on ``as_of`` (evidence and relief alike): amended,
    withdrawn, dated later, or graded below the tracker's ``minimum``; None when it counts."""
    if entry.id in superseded:
        return f"superseded by {superseded[entry.id]}"
    retraction = retracted.get(entry.id)
    if retraction is not None:
        return withdrawal_reason(entry.id, retraction)
    if entry.date > as_of:
        return f"dated {entry.date}, after the as-of date"
    if not grade_counts(entry.reliability, minimum):
        return f"graded {entry.reliability}, below the minimum {minimum}"
    return None


def assess_condition(
    condition: Condition,
    evidence: Sequence[Evidence],
    as_of: dt.date,
    *,
    window_days: int,
    stale_after_days: int,
    excluded: Iterable[Exclusion] = (),
) -> ConditionResult:
    """Score one condition from its counting evidence, sorted by date (oldest first)."""
    return _assess_facts(
        condition,
        _facts(evidence),
        as_of,
        window_days=window_days,
        stale_after_days=stale_after_days,
        excluded=excluded,
    )


def _assess_facts(
    condition: Condition,
    evidence: Sequence[_Fact],
    as_of: dt.date,
    *,
    window_days: int,
    stale_after_days: int,
    excluded: Iterable[Exclusion] = (),
) -> ConditionResult:
    """``assess_condition`` from the facts of its counting evidence (``_facts``)."""
    window = dt.timedelta(days=window_days)
    trackers = {c.id: _CriterionState(condition, c.id, window) for c in condition.criteria}
    states = list(trackers.values())
    weights = [c.weight for c in condition.criteria]
    met_since: dt.date | None = None
    last_met: dt.date | None = None
    history: list[tuple[dt.date, float]] = []
    statuses: list[Status] = []
    # Each criterion walks only the entries that can decide it (the rest it would skip), and
    # each indicator's observations are gathered in the same pass.
    observed = _gathered(condition, trackers, evidence)
    # On each day, the score and status need only each criterion's status and score, which
    # change only on a day its walk takes in an entry or a flow's window moves: the day's
    # figures are worked out again only then (the reasons, for the as-of date alone).
    # The same figures come back again and again (criteria met, partial, unknown): what
    # they make is worked out once for each (``_day_figures``).
    made: dict[tuple[tuple[Status, float], ...], _DayFigures] = {}
    day_score, all_met = 0.0, False
    status_never_met: Status = "unknown"
    status_met_before: Status = "unknown"
    first = True
    for day in _change_days(condition, evidence, window, as_of, observed):
        changed = first
        for state in states:
            if state.advance(day):
                changed = True
        if changed:
            first = False
            figures = tuple([state.standing for state in states])
            known = made.get(figures)
            if known is None:
                known = made[figures] = _day_figures(figures, weights)
            day_score, all_met, status_never_met, status_met_before = known
        history.append((day, day_score))
        statuses.append(status_never_met if last_met is None else status_met_before)
        if all_met:
            met_since = met_since or day
            last_met = day
        else:
            met_since = None
    for state in states:
        state.advance(as_of)
    criteria = tuple(
        CriterionResult(c.id, c.text, c.weight, trackers[c.id].verdict(as_of))
        for c in condition.criteria
    )
    # Round before deciding the status, so a status never contradicts the score shown.
    score = rounded(_weighted([(c.weight, c.verdict.score) for c in criteria]) * 100)
    status = _status_of({c.verdict.status for c in criteria}, score, last_met)
    if status == "met":
        met_since = met_since or as_of
        last_met = as_of
    else:
        met_since = None
    last_evidence = evidence[-1][_DATE] if evidence else None
    stale = last_evidence is not None and (as_of - last_evidence).days > stale_after_days
    stale_since = (
        last_evidence + dt.timedelta(days=stale_after_days + 1)
        if stale and last_evidence is not None
        else None
    )
    indicators = tuple(
        _indicator_result(i, observed[i.id], as_of, window) for i in condition.indicators
    )
    offsets = tuple(_offset_result(o, indicators) for o in condition.offsets)
    warnings = _warnings(
        condition, status, stale_since, last_evidence, last_met, offsets, window_days
    )
    return ConditionResult(
        condition=condition,
        status=status,
        score=score,
        criteria=criteria,
        indicators=indicators,
        offsets=offsets,
        counted=tuple(map(_entry_of, evidence)),
        excluded=tuple(excluded),
        last_evidence=last_evidence,
        stale=stale,
        met_since=met_since,
        last_met=last_met,
        history=tuple(history),
        statuses=tuple(statuses),
        warnings=warnings,
        stale_since=stale_since,
    )


# A day's figures for its criteria: the condition's score, whether all are met, and its
# status when it was never met before and when it was (``_status_of``'s ``last_met``).
_DayFigures = tuple[float, bool, Status, Status]


def _day_figures(figures: Sequence[tuple[Status, float]], weights: Sequence[float]) -> _DayFigures:
    """What the criteria's (status, score) on a day make of the condition on that day."""
    score = rounded(
        _weighted(list(zip(weights, (score for _, score in figures), strict=True))) * 100
    )
    kinds = {status for status, _ in figures}
    return (
        score,
        all(status == "met" for status, _ in figures),
        _status_of(kinds, score, None),
        _status_of(kinds, score, dt.date.min),  # only whether it was met before counts
    )


def _gathered(
    condition: Condition, trackers: dict[str, _CriterionState], evidence: Sequence[_Fact]
) -> dict[str, list[_Fact]]:
    """Hand each criterion's walk, in order, the entries its ``advance`` takes in (an
    assessment of it, an observation of its indicator): the others it would only pass over.
    Returns each of the condition's indicators' observations, in order."""
    relevant: dict[str, list[_Fact]] = {criterion_id: [] for criterion_id in trackers}
    observed: dict[str, list[_Fact]] = {i.id: [] for i in condition.indicators}
    deciding: dict[str, list[tuple[str, list[_Fact]]]] = {}  # indicator id: its criteria
    for criterion_id, state in trackers.items():
        if state.indicator is not None:
            deciding.setdefault(state.indicator.id, []).append(
                (criterion_id, relevant[criterion_id])
            )
    for fact in evidence:
        assessed = fact[_CRITERION] if fact[_STATUS] is not None else None
        if assessed is not None:
            taken = relevant.get(assessed)
            if taken is not None:
                taken.append(fact)
        indicator = fact[_INDICATOR]
        if indicator is not None:
            observations = observed.get(indicator)
            if observations is not None:
                observations.append(fact)
            for criterion_id, taken in deciding.get(indicator, ()):
                if criterion_id != assessed:
                    taken.append(fact)
    for criterion_id, state in trackers.items():
        state.entries = relevant[criterion_id]
    return observed


def _change_days(
    condition: Condition,
    evidence: Sequence[_Fact],
    window: dt.timedelta,
    as_of: dt.date,
    observed: dict[str, list[_Fact]],
) -> list[dt.date]:
    """The days before ``as_of`` on which a criterion's verdict can change."""
    days = set(map(_date_of, evidence))
    for indicator in condition.indicators:
        if indicator.kind == "flow" and indicator.criterion:  # an observation leaves its window
            days.update([day + window for day in set(map(_date_of, observed[indicator.id]))])
    return sorted(day for day in days if day < as_of)


# An indicator's figures on a day: (status, progress, the day, the current figure, the
# latest observation counted), from which its verdict and reason are made when needed.
_Figures = tuple[Status, float, dt.date, float, Evidence]
_UNKNOWN_STANDING: tuple[Status, float] = ("unknown", 0.0)


class _CriterionState:
    """Walks a criterion's evidence forward in time, keeping what decides its verdict.

    ``standing`` is its (status, score) after the latest ``advance``, as ``verdict`` would
    give them on that day; the verdict itself, with its reason, is made for one day only.
    """

    def __init__(self, condition: Condition, criterion_id: str, window: dt.timedelta) -> None:
        self.criterion_id = criterion_id
        self.indicator = next(
            (i for i in condition.indicators if i.criterion == criterion_id), None
        )
        self.window = window
        self.entries: Sequence[_Fact] = ()  # the facts of what it takes in, in date order
        self.position = 0
        self.assessment: Evidence | None = None
        self.first: Evidence | None = None  # the indicator's first observation
        self.latest: Evidence | None = None
        self.in_window: deque[_Fact] = deque()  # a flow's observations in its window
        # A flow's lowest figures since its latest observation: as observations leave the
        # window its total moves, but only a new observation may raise the verdict.
        self.floor: _Figures | None = None
        self.current: _Figures | None = None  # the flow's, as of the latest advance
        # The window's total, kept as entries come and go while every value in it is a whole
        # number (exact, as ``sum`` makes it); with a fraction in it, ``sum`` adds them up.
        self.window_total = 0
        self.fractions = 0  # values in the window that are not whole numbers (int)
        indicator = self.indicator
        self.flow = indicator is not None and indicator.kind == "flow"
        self.scored = indicator is not None and indicator.target is not None
        self.standing: tuple[Status, float] = _UNKNOWN_STANDING

    def advance(self, day: dt.date) -> bool:
        """Take in the evidence dated up to ``day``; called for each day it can change.
        Whether anything moved (when nothing did, its verdict is the one it had)."""
        entries = self.entries
        observed = moved = False
        position = self.position
        if position < len(entries) and entries[position][_DATE] <= day:
            moved = True
            indicator_id = None if self.indicator is None else self.indicator.id
            while position < len(entries) and entries[position][_DATE] <= day:
                fact = entries[position]
                position += 1
                if fact[_CRITERION] == self.criterion_id and fact[_STATUS] is not None:
                    self.assessment = fact[_ENTRY]
                if indicator_id is not None and fact[_INDICATOR] == indicator_id:
                    entry = fact[_ENTRY]
                    if self.first is None:
                        self.first = entry
                    self.latest = entry
                    if self.flow:
                        self.in_window.append(fact)
                        self._count(fact[_VALUE], 1)
                    observed = True
            self.position = position
        if self.flow:
            in_window = self.in_window
            if in_window and in_window[0][_DATE] <= day - self.window:
                moved = True
                while in_window and in_window[0][_DATE] <= day - self.window:
                    self._count(in_window.popleft()[_VALUE], -1)
            if moved:
                current, floor = self._flow_figures(day), self.floor
                self.current = current
                if current is None or observed or floor is None or current[1] < floor[1]:
                    self.floor = current
        if moved:
            self.standing = self._standing()
        return moved

    def _standing(self) -> tuple[Status, float]:
        """(status, score) of ``verdict`` on the day of the latest advance."""
        entry, latest = self.assessment, self.latest
        if (
            entry is not None
            and entry.status is not None
            and (latest is None or entry.date >= latest.date)
        ):
            return entry.status, ASSESSMENT_SCORES[entry.status]
        if self.flow:
            current, floor = self.current, self.floor
            if current is None:
                return _UNKNOWN_STANDING
            if floor is None or floor[1] >= current[1]:
                return current[0], current[1]
            return floor[0], floor[1]
        figures = self._stock_figures()
        return _UNKNOWN_STANDING if figures is None else (figures[0], figures[1])

    def verdict(self, day: dt.date) -> Verdict:
        """The latest evidence decides: the assessment, or the indicator observed after it.

        An assessment overruled by a later observation stays overruled: when that
        observation (a flow's) leaves the window, the criterion is unknown, never the
        older assessment again. Time alone never raises a verdict. ``day`` is the day of
        the latest ``advance``.
        """
        by_assessment = self._assessment_verdict()
        latest = self.latest
        if by_assessment is not None:
            assert by_assessment.date is not None
            if latest is None or by_assessment.date >= latest.date:
                return by_assessment  # on the same day, the assessment wins
        by_indicator = self._flow_verdict(day) if self.flow else self._indicator_verdict(day)
        if by_indicator is not None:
            return by_indicator
        if latest is None or self.indicator is None:
            return UNKNOWN
        reason = (
            f"{self.indicator.id} not observed in the {self.window.days} days to {day} "
            f"(latest observation on {latest.date})"
        )
        if by_assessment is not None:
            reason += f"; the assessment of {by_assessment.date} it overruled does not count again"
        return Verdict("unknown", 0.0, reason=reason)

    def _count(self, value: float | None, sign: int) -> None:
        if type(value) is int:
            self.window_total += sign * value
        else:
            self.fractions += sign

    def _window_sum(self) -> float:
        if self.fractions:
            return sum(_number(fact[_VALUE]) for fact in self.in_window)
        return self.window_total

    def _flow_verdict(self, day: dt.date) -> Verdict | None:
        """The flow's verdict on ``day``, held down to its lowest since the latest observation."""
        current = self._flow_figures(day)
        floor = self.floor
        if current is None or floor is None or floor[1] >= current[1]:
            return None if current is None else self._verdict_of(current)
        held, now = self._verdict_of(floor), self._verdict_of(current)
        return Verdict(
            held.status,
            held.score,
            now.date,
            now.decided_by,
            "indicator",
            f"{now.reason}; held at {held.status} ({held.reason}): a flow's verdict "
            f"rises only with a new observation, not as older ones leave the window",
        )

    def _assessment_verdict(self) -> Verdict | None:
        entry = self.assessment
        if entry is None or entry.status is None:
            return None
        return Verdict(
            entry.status,
            ASSESSMENT_SCORES[entry.status],
            entry.date,
            entry.id,
            "assessment",
            f"assessed {entry.status} on {entry.date} ({entry.source}, {entry.reliability})",
        )

    def _indicator_verdict(self, day: dt.date) -> Verdict | None:
        figures = self._flow_figures(day) if self.flow else self._stock_figures()
        return None if figures is None else self._verdict_of(figures)

    def _stock_figures(self) -> _Figures | None:
        indicator, latest, first = self.indicator, self.latest, self.first
        if indicator is None or indicator.target is None or latest is None or first is None:
            return None
        current = _number(latest.value)
        start = indicator.baseline if indicator.baseline is not None else first.value
        fraction = progress(start, current, indicator.target, indicator.better)
        return _figures(fraction, latest, current)

    def _flow_figures(self, day: dt.date) -> _Figures | None:
        indicator = self.indicator
        if indicator is None or indicator.target is None or not self.in_window:
            return None
        current = self._window_sum()
        fraction = progress(indicator.baseline, current, indicator.target, indicator.better)
        return _figures(fraction, self.in_window[-1][_ENTRY], current, day)

    def _verdict_of(self, figures: _Figures) -> Verdict:
        """The indicator's verdict from its figures, with the reason for it."""
        status, fraction, day, current, latest = figures
        indicator = self.indicator
        assert indicator is not None and indicator.target is not None
        if indicator.kind == "stock":
            first = self.first
            assert first is not None
            start_text = (
                f"baseline {format_number(indicator.baseline)}"
                if indicator.baseline is not None
                else f"first observation {format_number(first.value)} on {first.date}"
            )
            what = f"{indicator.id} {format_number(current)} on {latest.date}"
        else:
            start = indicator.baseline
            start_text = f"baseline {format_number(start)}" if start is not None else "no baseline"
            days = self.window.days
            what = f"{indicator.id} total {format_number(current)} in the {days} days to {day}"
        reason = (
            f"{what}; {start_text}, target {format_number(indicator.target)}: "
            f"progress {fraction:.0%} -> {status}"
        )
        return Verdict(status, fraction, latest.date, latest.id, "indicator", reason)


def _figures(
    fraction: float, latest: Evidence, current: float, day: dt.date | None = None
) -> _Figures:
    status: Status = "met" if fraction >= 1 else "not-met" if fraction <= 0 else "partial"
    return (status, fraction, day if day is not None else latest.date, current, latest)


def progress(start: float | None, current: float, target: float, better: str) -> float:
    """How far ``current`` has come from ``start`` towards ``target``, from 0 to 1."""
    reached = current <= target if better == "lower" else current >= target
    if reached:
        return 1.0
    if start is None:
        return 0.0
    span = start - target if better == "lower" else target - start
    gained = start - current if better == "lower" else current - start
    if span <= 0:
        return 0.0
    return min(max(gained / span, 0.0), 1.0)


def _indicator_result(
    indicator: Indicator, observed: Sequence[_Fact], as_of: dt.date, window: dt.timedelta
) -> IndicatorResult:
    """The indicator's figures from the facts of its counting observations, oldest first."""
    new = tuple.__new__  # Observation's own __new__, without a Python call for each
    history = tuple(
        [new(Observation, row) for row in map(_OBSERVED, observed) if row[1] is not None]
    )
    if indicator.kind == "stock":
        latest = history[-1] if history else None
        previous = history[-2].value if len(history) > 1 else None
        fraction = None
        if latest is not None and indicator.target is not None:
            start = indicator.baseline if indicator.baseline is not None else history[0].value
            fraction = progress(start, latest.value, indicator.target, indicator.better)
        return IndicatorResult(
            indicator,
            latest.value if latest else None,
            latest.date if latest else None,
            previous,
            fraction,
            None,
            history,
        )
    # The history is in date order: the window, and the one before it, are slices of it.
    window_start = as_of - window
    start = bisect.bisect_right(history, window_start, key=_date_of)
    current = history[start:]  # dated after the window's start
    earlier = history[bisect.bisect_right(history, window_start - window, key=_date_of) : start]
    total = sum(o.value for o in current)
    fraction = None
    if current and indicator.target is not None:
        fraction = progress(indicator.baseline, total, indicator.target, indicator.better)
    return IndicatorResult(
        indicator,
        current[-1].value if current else None,
        current[-1].date if current else (history[-1].date if history else None),
        sum(o.value for o in earlier) if earlier else None,
        fraction,
        total,
        history,
    )


def _offset_result(offset: Offset, indicators: Sequence[IndicatorResult]) -> OffsetResult:
    by_id = {r.indicator.id: r for r in indicators}
    outflow, inflow = by_id[offset.outflow], by_id[offset.inflow]
    return OffsetResult(
        offset.label,
        offset.outflow,
        offset.inflow,
        outflow.window_total or 0.0,
        inflow.window_total or 0.0,
        inflow_observed=inflow.value is not None,
    )


def _warnings(
    condition: Condition,
    status: Status,
    stale_since: dt.date | None,
    last_evidence: dt.date | None,
    last_met: dt.date | None,
    offsets: Sequence[OffsetResult],
    window_days: int,
) -> tuple[Warning, ...]:
    found: list[Warning] = []
    if status == "regressed":
        code = "snapback" if condition.snapback else "regressed"
        found.append(Warning(code, f"met on {last_met}, no longer met"))
    if stale_since is not None:
        found.append(
            Warning(
                "stale",
                f"stale since {stale_since}: latest counting evidence is from {last_evidence}",
            )
        )
    for offset in offsets:
        if offset.warning:
            found.append(
                Warning(
                    "offset",
                    f"{offset.label}: {offset.inflow} {format_number(offset.inflow_total)} >= "
                    f"{offset.outflow} {format_number(offset.outflow_total)} in {window_days} days "
                    f"(net {format_number(offset.net)})",
                )
            )
    return tuple(found)


def _overall(results: Sequence[ConditionResult]) -> Overall:
    return _overall_of([(r.condition.weight, r.score, r.status, r.snapback) for r in results])


def _overall_of(figures: Sequence[tuple[float, float, Status, bool]]) -> Overall:
    """The overall verdict from each condition's (weight, score, status, in snapback)."""
    score = rounded(_weighted([(weight, score) for weight, score, _, _ in figures]))
    statuses = {status for _, _, status, _ in figures}
    status: Status
    if statuses == {"met"}:
        status = "met"
    elif "regressed" in statuses:
        status = "regressed"
    elif statuses == {"unknown"}:
        status = "unknown"
    else:
        status = "not-met" if score == 0 else "partial"
    return Overall(
        score=score,
        status=status,
        relief_ready=status == "met",
        snapback=any(snapback for _, _, _, snapback in figures),
    )


def rounded(score: float) -> float:
    """A score to two decimals, half up on the decimal the score is written as (3.125 is
    3.13): the one place scores are rounded, so the score shown is the score gated.

    ``round`` rounds half to even on the binary value (3.125 becomes 3.12), below a mean
    that a ``--min-score 3.125`` should pass.
    """
    quantized = Decimal(repr(float(score))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(quantized)


def _weighted(pairs: Sequence[tuple[float, float]]) -> float:
    total = sum(weight for weight, _ in pairs)
    return sum(weight * value for weight, value in pairs) / total if total else 0.0


def _number(value: float | None) -> float:
    assert value is not None  # validation pairs every indicator with a value
    return value


def format_score(score: float) -> str:
    """A score exactly as the gate compares it, in every output: 49.5, 50, 33.33.

    Never rounded further for display: a score shown as 50 passes ``--min-score 50``.
    """
    text = repr(float(score))
    if "e" in text:  # 1e-05: written out in full
        text = f"{score:.20f}".rstrip("0")
    return text.removesuffix(".0").removesuffix(".")


def format_number(value: float | None) -> str:
    """A figure as an analyst writes it: 1,000 not 1000.0."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
