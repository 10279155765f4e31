"""The content of a briefing, independent of its format.

One row per condition with the figures an analyst quotes, built from the same scoring
run as ``status`` so that every format shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from condtrack import progress
from condtrack.domain.changes import By, Changes, compare
from condtrack.domain.knowledge import KnownAt, known_at
from condtrack.domain.relief import Ledger, Measure, ledger
from condtrack.domain.scoring import (
    Assessment,
    ConditionResult,
    IndicatorResult,
    OffsetResult,
    assess,
    improving,
    rounded,
)
from condtrack.schema.shapes import Evidence, Tracker, measure_key

Trend = Literal["up", "down", "flat"]


@dataclass(frozen=True)
class Figure:
    result: IndicatorResult
    reference: float | None  # the value compared with: at --since, else the previous one
    trend: Trend | None

    @property
    def current(self) -> float | None:
        if self.result.indicator.kind == "flow":
            return self.result.window_total
        return self.result.value

    @property
    def improving(self) -> bool | None:
        return improving(self.trend, self.result.indicator.better)


@dataclass(frozen=True)
class Row:
    result: ConditionResult
    figures: tuple[Figure, ...]  # indicators with a value as of the date
    balances: tuple[OffsetResult, ...]  # offsets whose inflow was observed in the window
    latest: Evidence | None  # the latest counting evidence

    @property
    def marks(self) -> tuple[str, ...]:
        result = self.result
        flags = (("snapback", result.snapback), ("regressed", result.regressed))
        return tuple(name for name, on in (*flags, ("stale", result.stale)) if on)


@dataclass(frozen=True)
class Briefing:
    tracker: Tracker
    assessment: Assessment
    rows: tuple[Row, ...]
    changes: Changes | None
    relief: ReliefSection | None = None  # None: the tracker holds no relief entries

    @property
    def as_of(self) -> dt.date:
        return self.assessment.as_of

    @property
    def since(self) -> dt.date | None:
        return self.changes.since if self.changes else None


def build(
    tracker: Tracker,
    as_of: dt.date,
    since: dt.date | None = None,
    known: KnownAt | None = None,
    by: By = "logged",
) -> Briefing:
    """The briefing as of ``as_of`` with what was known at ``known`` (None: everything);
    with ``since``, what changed since then (see ``changes.compare``)."""
    with progress.task("scoring"):
        changes = compare(tracker, since, as_of, known, by) if since is not None else None
        assessment = changes.after if changes else assess(tracker, as_of, known)
        before = {c.id: c for c in changes.before.conditions} if changes else {}
        rows = tuple(_row(result, before.get(result.id)) for result in assessment.conditions)
        relief = relief_section(tracker, assessment, known)
    return Briefing(tracker, assessment, rows, changes, relief)


def _row(result: ConditionResult, before: ConditionResult | None) -> Row:
    earlier = {i.indicator.id: i for i in before.indicators} if before else {}
    figures = []
    for indicator in result.indicators:
        figure = _figure(indicator, earlier.get(indicator.indicator.id), before is not None)
        if figure.current is not None and (indicator.value is not None or figure.current):
            figures.append(figure)
    balances = tuple(o for o in result.offsets if o.inflow_observed)
    latest = result.counted[-1] if result.counted else None
    return Row(result, tuple(figures), balances, latest)


def _figure(now: IndicatorResult, then: IndicatorResult | None, since_given: bool) -> Figure:
    if not since_given:
        return Figure(now, now.previous, now.trend)
    current = now.window_total if now.indicator.kind == "flow" else now.value
    reference = None
    if then is not None:
        reference = then.window_total if then.indicator.kind == "flow" else then.value
    trend: Trend | None = None
    if current is not None and reference is not None:
        trend = "flat" if current == reference else "up" if current > reference else "down"
    return Figure(now, reference, trend)


# ---------------------------------------------------------------------------------------
# Relief: the measures, the sender x measure matrix, and compliance over time


@dataclass(frozen=True)
class MatrixRow:
    measure: str  # as first written
    cells: tuple[Measure | None, ...]  # one per sender; None: that sender has no entry on it


@dataclass(frozen=True)
class Matrix:
    """Measures (by name, case and spacing aside) against senders."""

    senders: tuple[str, ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class Point:
    date: dt.date
    score: float  # the overall score on that date, as ``status --as-of`` gives it


MAX_POINTS = 400  # dates drawn at most; more are sampled evenly


@dataclass(frozen=True)
class ReliefSection:
    ledger: Ledger
    matrix: Matrix
    series: tuple[Point, ...]  # the overall score on each date it can change, oldest first
    dates: int  # how many such dates there were (more than len(series) when sampled)

    @property
    def sampled(self) -> bool:
        return self.dates > len(self.series)


def relief_section(
    tracker: Tracker, assessment: Assessment, known: KnownAt | None = None
) -> ReliefSection | None:
    """The relief as known at ``known``, on the assessment's date; None without relief."""
    known_tracker = known_at(tracker, known)
    if not known_tracker.relief:
        return None
    found = ledger(known_tracker, assessment.as_of, assessment)
    return ReliefSection(found, matrix(found), *overall_series(assessment, found))


def measure_name(measure: str) -> str:
    """A measure's name as the matrix groups it (``measure_key`` without the sender)."""
    return measure_key("", measure)[1]


def matrix(found: Ledger) -> Matrix:
    senders: dict[str, str] = {}  # casefolded -> as first written
    rows: dict[str, str] = {}  # normalised name -> as first written
    cells: dict[tuple[str, str], Measure] = {}
    for measure in found.measures:
        sender = senders.setdefault(measure.sender.casefold(), measure.sender)
        name = rows.setdefault(measure_name(measure.measure), measure.measure)
        cells[sender, name] = measure
    columns = tuple(sorted(senders.values(), key=lambda s: (s.casefold(), s)))
    return Matrix(
        columns,
        tuple(
            MatrixRow(name, tuple(cells.get((sender, name)) for sender in columns))
            for name in rows.values()
        ),
    )


def overall_series(assessment: Assessment, found: Ledger) -> tuple[tuple[Point, ...], int]:
    """The overall score from the first evidence or relief date to the as-of date, on each
    date it can change (a condition's score changes only on the days in its ``history``),
    and how many such dates there were; more than ``MAX_POINTS`` are sampled evenly, keeping
    the first, the last and every relief date."""
    as_of = assessment.as_of
    relief_days = {s.entry.date for s in found.steps if s.counts}
    firsts = [c.counted[0].date for c in assessment.conditions if c.counted]
    start = min([*firsts, *relief_days], default=as_of)
    days = {day for c in assessment.conditions for day, _ in c.history if day >= start}
    days |= relief_days | {start, as_of}
    ordered = sorted(d for d in days if start <= d <= as_of)
    keep = ordered
    if len(ordered) > MAX_POINTS:
        step = (len(ordered) - 1) / (MAX_POINTS - 1)
        chosen = {ordered[round(n * step)] for n in range(MAX_POINTS)}
        keep = sorted(chosen | relief_days & set(ordered))
    histories = [(c.condition.weight, c.history, c.score) for c in assessment.conditions]
    positions = [0] * len(histories)
    points: list[Point] = []
    for day in keep:
        pairs: list[tuple[float, float]] = []
        for n, (weight, history, final) in enumerate(histories):
            if day == as_of:
                pairs.append((weight, final))
                continue
            while positions[n] < len(history) and history[positions[n]][0] <= day:
                positions[n] += 1
            pairs.append((weight, history[positions[n] - 1][1] if positions[n] else 0.0))
        total = sum(weight for weight, _ in pairs)
        score = sum(weight * value for weight, value in pairs) / total if total else 0.0
        points.append(Point(day, rounded(score)))
    return tuple(points), len(ordered)
