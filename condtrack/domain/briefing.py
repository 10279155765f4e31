"""The content of a briefing, independent of its format.

One row per condition with the figures an analyst quotes, built from the same scoring
run as ``status`` so that every format shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from condtrack.domain.changes import By, Changes, compare
from condtrack.domain.knowledge import KnownAt
from condtrack.domain.scoring import (
    Assessment,
    ConditionResult,
    IndicatorResult,
    OffsetResult,
    assess,
    improving,
)
from condtrack.schema.models import Evidence, Tracker

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
    changes = compare(tracker, since, as_of, known, by) if since is not None else None
    assessment = changes.after if changes else assess(tracker, as_of, known)
    before = {c.id: c for c in changes.before.conditions} if changes else {}
    rows = tuple(_row(result, before.get(result.id)) for result in assessment.conditions)
    return Briefing(tracker, assessment, rows, changes)


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
