"""The scoring code as it was before the speed work of issue 15's second round (commit
05b6b25: ``condtrack.domain.scoring`` with the ``chains`` functions it used), kept
verbatim as the plain reference: ``test_scoring_reference.py`` holds the fast walk to
it on generated trackers. Only ``assess`` is used; it returns its own result classes,
compared by their fields."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import bisect
import datetime as dt
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Literal

from condtrack.domain.knowledge import KnownAt, known_at
from condtrack.schema.models import (
    Condition,
    Evidence,
    Indicator,
    Offset,
    Relief,
    Retraction,
    Tracker,
    grade_counts,
)

import operator
from typing import Protocol, TypeVar, Any

D = TypeVar("D")
Entry = Any

_date_of = operator.attrgetter("date")  # faster than a lambda over 100,000 entries


def in_date_order(entries: Sequence[Any]) -> list[Any]:
    """``entries`` oldest first, as every verdict reads them: the later of two entries of
    one date is the one that stands (a criterion's status, a measure's state).

    Entries of one date keep the file order of their chains' originals: an amendment,
    appended at the end of the file, takes its original's place, so correcting the
    summary of the first of two same-day entries never lets it overtake the second. The
    versions of one chain follow each other in file order.
    """
    if not any(entry.supersedes for entry in entries):  # most files: the file's order
        return sorted(entries, key=_date_of)
    first: dict[str, int] = {}
    for at, entry in enumerate(entries):
        first.setdefault(entry.id, at)
    roots = chain_roots((entry.id, entry.supersedes) for entry in entries)
    places = [
        (entry.date, first.get(roots.get(entry.id, entry.id), at), at, entry)
        for at, entry in enumerate(entries)
    ]
    places.sort(key=lambda place: place[:3])
    return [place[3] for place in places]


def chain_roots(links: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Each entry's chain, named by the id of its original.

    ``links`` are (id, supersedes) pairs, so raw entries can be used too. A link to an
    unknown id, or a loop (both invalid, and reported by validation), ends the chain there.
    """
    supersedes = dict(links)
    roots: dict[str, str] = {}
    for start, link in supersedes.items():
        if link is None:  # most entries: an original
            roots[start] = start
            continue
        path: list[str] = []
        seen: set[str] = set()
        current = start
        while current not in roots:
            path.append(current)
            seen.add(current)
            older = supersedes.get(current)
            if older is None or older not in supersedes or older in seen:
                roots[current] = current
                break
            current = older
        root = roots[current]
        for entry_id in path:
            roots[entry_id] = root
    return roots


def withdrawn(
    evidence: Iterable[Entry], retractions: Iterable[Retraction]
) -> dict[str, Retraction]:
    """Every withdrawn entry's id, with the retraction that withdrew its chain.

    ``evidence`` may be evidence or relief entries (a retraction names either by id).
    Every retraction counts, whatever its date. When several versions of one chain were
    retracted (say, on two branches), the earliest retraction is the one named.
    """
    applied = list(retractions)
    if not applied:
        return {}
    entries = list(evidence)
    ids = {e.id for e in entries}
    # Only entries in amendment chains need their chain worked out (in file order, as
    # ``chain_roots`` takes them); every other entry is a chain of its own.
    older = {e.supersedes for e in entries if e.supersedes is not None}
    roots = chain_roots(
        (e.id, e.supersedes) for e in entries if e.supersedes is not None or e.id in older
    )
    by_chain: dict[str, Retraction] = {}
    for retraction in applied:
        target = retraction.evidence
        root = roots.get(target, target if target in ids else None)
        if root is None:
            continue
        earlier = by_chain.get(root)
        if earlier is None or retraction.date < earlier.date:
            by_chain[root] = retraction
    if not by_chain:
        return {}
    found = {root: by_chain[root] for root in by_chain if root not in roots}
    found.update((entry, by_chain[root]) for entry, root in roots.items() if root in by_chain)
    return found


def withdrawal_reason(entry_id: str, retraction: Retraction) -> str:
    """Why an entry no longer counts: its own retraction, or one of its chain's."""
    via = "" if retraction.evidence == entry_id else f" via {retraction.evidence}, another version"
    return f"retracted on {retraction.date}{via}: {retraction.reason}"


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


@dataclass(frozen=True)
class Observation:
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


@dataclass(frozen=True)
class Exclusion:
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
    scoring = tracker.scoring
    by_condition, excluded = _sorted_out(tracker, as_of)
    results = tuple(
        assess_condition(
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


def _sorted_out(
    tracker: Tracker, as_of: dt.date
) -> tuple[dict[str, list[Evidence]], dict[str, list[Exclusion]]]:
    """Each condition's counting evidence on ``as_of``, oldest first, and what is left out."""
    scoring = tracker.scoring
    # A retraction of any version withdraws the whole chain, at every date (what the
    # tracker knew before it was logged is ``knowledge.known_at``'s to cut).
    retracted = withdrawn(tracker.evidence, tracker.retractions)
    # An amendment replaces its original at every date: the record was corrected.
    superseded = {e.supersedes: e.id for e in tracker.evidence if e.supersedes}
    by_condition: dict[str, list[Evidence]] = {c.id: [] for c in tracker.conditions}
    excluded: dict[str, list[Exclusion]] = {c.id: [] for c in tracker.conditions}
    # File order breaks ties between entries of the same date: later lines win, an
    # amendment in its original's place (``chains.in_date_order``).
    minimum = scoring.min_reliability
    graded: dict[str, bool] = {}  # each reliability grade's verdict, worked out once
    for entry in in_date_order(tracker.evidence):
        # The common case first, as ``not_counted`` decides it, without building a reason.
        if entry.id not in superseded and entry.id not in retracted and entry.date <= as_of:
            counts = graded.get(entry.reliability)
            if counts is None:
                counts = graded[entry.reliability] = grade_counts(entry.reliability, minimum)
            if counts:
                by_condition[entry.condition].append(entry)
                continue
        reason = not_counted(entry, as_of, retracted, superseded, minimum)
        if reason is None:
            by_condition[entry.condition].append(entry)
        else:
            excluded[entry.condition].append(Exclusion(entry.id, reason))
    return by_condition, excluded


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
    window = dt.timedelta(days=window_days)
    trackers = {c.id: _CriterionState(condition, c.id, window) for c in condition.criteria}
    weights = [c.weight for c in condition.criteria]
    met_since: dt.date | None = None
    last_met: dt.date | None = None
    history: list[tuple[dt.date, float]] = []
    statuses: list[Status] = []
    # Each criterion walks only the entries that can decide it (the rest it would skip).
    relevant = _relevant(trackers, evidence)
    for day in _change_days(condition, evidence, window, as_of):
        for criterion_id, state in trackers.items():
            state.advance(relevant[criterion_id], day)
        verdicts = [state.verdict(day) for state in trackers.values()]
        day_score = rounded(
            _weighted(list(zip(weights, (v.score for v in verdicts), strict=True))) * 100
        )
        history.append((day, day_score))
        statuses.append(_status_of({v.status for v in verdicts}, day_score, last_met))
        if all(v.status == "met" for v in verdicts):
            met_since = met_since or day
            last_met = day
        else:
            met_since = None
    for criterion_id, state in trackers.items():
        state.advance(relevant[criterion_id], as_of)
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
    last_evidence = evidence[-1].date if evidence else None
    stale = last_evidence is not None and (as_of - last_evidence).days > stale_after_days
    stale_since = (
        last_evidence + dt.timedelta(days=stale_after_days + 1)
        if stale and last_evidence is not None
        else None
    )
    observed: dict[str, list[Evidence]] = {i.id: [] for i in condition.indicators}
    for entry in evidence:
        if entry.indicator is not None and entry.indicator in observed:
            observed[entry.indicator].append(entry)
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
        counted=tuple(evidence),
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


def _relevant(
    trackers: dict[str, _CriterionState], evidence: Sequence[Evidence]
) -> dict[str, list[Evidence]]:
    """For each criterion, in order, the entries its ``advance`` takes in (an assessment of
    it, an observation of its indicator): the others it would only pass over."""
    relevant: dict[str, list[Evidence]] = {criterion_id: [] for criterion_id in trackers}
    deciding: dict[str, list[str]] = {}  # indicator id: the criteria it decides
    for criterion_id, state in trackers.items():
        if state.indicator is not None:
            deciding.setdefault(state.indicator.id, []).append(criterion_id)
    for entry in evidence:
        assessed = entry.criterion if entry.status is not None else None
        if assessed is not None and assessed in relevant:
            relevant[assessed].append(entry)
        if entry.indicator is not None:
            for criterion_id in deciding.get(entry.indicator, ()):
                if criterion_id != assessed:
                    relevant[criterion_id].append(entry)
    return relevant


def _change_days(
    condition: Condition, evidence: Sequence[Evidence], window: dt.timedelta, as_of: dt.date
) -> list[dt.date]:
    """The days before ``as_of`` on which a criterion's verdict can change."""
    flows = {i.id for i in condition.indicators if i.kind == "flow" and i.criterion}
    days = set(map(attrgetter("date"), evidence))  # one pass in C: this runs over every entry
    if flows:
        days |= {e.date + window for e in evidence if e.indicator in flows}
    return sorted(d for d in days if d < as_of)


class _CriterionState:
    """Walks a criterion's evidence forward in time, keeping what decides its verdict."""

    def __init__(self, condition: Condition, criterion_id: str, window: dt.timedelta) -> None:
        self.criterion_id = criterion_id
        self.indicator = next(
            (i for i in condition.indicators if i.criterion == criterion_id), None
        )
        self.window = window
        self.position = 0
        self.assessment: Evidence | None = None
        self.first: Evidence | None = None  # the indicator's first observation
        self.latest: Evidence | None = None
        self.in_window: deque[Evidence] = deque()
        # A flow's lowest verdict since its latest observation: as observations leave the
        # window its total moves, but only a new observation may raise the verdict.
        self.floor: Verdict | None = None
        self.current: tuple[dt.date, Verdict | None] | None = None  # the flow's, as of a day
        # The window's total, kept as entries come and go while every value in it is a whole
        # number (exact, as ``sum`` makes it); with a fraction in it, ``sum`` adds them up.
        self.window_total = 0
        self.fractions = 0  # values in the window that are not whole numbers (int)

    def advance(self, evidence: Sequence[Evidence], day: dt.date) -> None:
        """Take in the evidence dated up to ``day``; called for each day it can change."""
        observed = False
        while self.position < len(evidence) and evidence[self.position].date <= day:
            entry = evidence[self.position]
            self.position += 1
            if entry.criterion == self.criterion_id and entry.status is not None:
                self.assessment = entry
            if self.indicator is not None and entry.indicator == self.indicator.id:
                self.first = self.first or entry
                self.latest = entry
                self.in_window.append(entry)
                self._count(entry.value, 1)
                observed = True
        while self.in_window and self.in_window[0].date <= day - self.window:
            self._count(self.in_window.popleft().value, -1)
        if self._is_flow:
            current, floor = self._indicator_verdict(day), self.floor
            self.current = (day, current)
            if current is None or observed or floor is None or current.score < floor.score:
                self.floor = current

    def verdict(self, day: dt.date) -> Verdict:
        """The latest evidence decides: the assessment, or the indicator observed after it.

        An assessment overruled by a later observation stays overruled: when that
        observation (a flow's) leaves the window, the criterion is unknown, never the
        older assessment again. Time alone never raises a verdict.
        """
        by_assessment = self._assessment_verdict()
        latest = self.latest
        if by_assessment is not None:
            assert by_assessment.date is not None
            if latest is None or by_assessment.date >= latest.date:
                return by_assessment  # on the same day, the assessment wins
        by_indicator = self._flow_verdict(day) if self._is_flow else self._indicator_verdict(day)
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
            return sum(_number(e.value) for e in self.in_window)
        return self.window_total

    @property
    def _is_flow(self) -> bool:
        return self.indicator is not None and self.indicator.kind == "flow"

    def _flow_verdict(self, day: dt.date) -> Verdict | None:
        """The flow's verdict on ``day``, held down to its lowest since the latest observation."""
        if self.current is not None and self.current[0] == day:
            current = self.current[1]  # worked out when advancing to this day
        else:
            current = self._indicator_verdict(day)
        floor = self.floor
        if current is None or floor is None or floor.score >= current.score:
            return current
        return Verdict(
            floor.status,
            floor.score,
            current.date,
            current.decided_by,
            "indicator",
            f"{current.reason}; held at {floor.status} ({floor.reason}): a flow's verdict "
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
        indicator = self.indicator
        if indicator is None or indicator.target is None:
            return None
        if indicator.kind == "stock":
            if self.latest is None or self.first is None:
                return None
            latest = self.latest
            current = _number(latest.value)
            start = indicator.baseline if indicator.baseline is not None else self.first.value
            start_text = (
                f"baseline {format_number(start)}"
                if indicator.baseline is not None
                else f"first observation {format_number(start)} on {self.first.date}"
            )
            what = f"{indicator.id} {format_number(current)} on {latest.date}"
        else:
            if not self.in_window:
                return None
            latest = self.in_window[-1]
            current = self._window_sum()
            start = indicator.baseline
            start_text = f"baseline {format_number(start)}" if start is not None else "no baseline"
            days = self.window.days
            what = f"{indicator.id} total {format_number(current)} in the {days} days to {day}"
        fraction = progress(start, current, indicator.target, indicator.better)
        status: Status = "met" if fraction >= 1 else "not-met" if fraction <= 0 else "partial"
        reason = (
            f"{what}; {start_text}, target {format_number(indicator.target)}: "
            f"progress {fraction:.0%} -> {status}"
        )
        return Verdict(status, fraction, latest.date, latest.id, "indicator", reason)


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
    indicator: Indicator, evidence: Sequence[Evidence], as_of: dt.date, window: dt.timedelta
) -> IndicatorResult:
    history = tuple(
        Observation(e.date, _number(e.value), e.id)
        for e in evidence
        if e.indicator == indicator.id and e.value is not None
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
    window_start = as_of - window
    current = [o for o in history if o.date > window_start]
    earlier = [o for o in history if window_start - window < o.date <= window_start]
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
