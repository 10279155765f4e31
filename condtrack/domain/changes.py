"""What changed between two dates: the same scoring run twice, compared condition by condition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from condtrack.domain.scoring import Assessment, ConditionResult, IndicatorResult, Warning, assess
from condtrack.schema.models import Evidence, Retraction, Tracker


@dataclass(frozen=True)
class Moved:
    """A criterion or indicator whose state differs between the two dates."""

    id: str
    before: str | float | None
    after: str | float | None


@dataclass(frozen=True)
class ConditionChange:
    before: ConditionResult
    after: ConditionResult
    added: tuple[Evidence, ...]  # dated after ``since``, up to ``until``
    retracted: tuple[Retraction, ...]  # retractions dated in the same span
    criteria: tuple[Moved, ...]  # status changes
    indicators: tuple[Moved, ...]  # stock: latest value; flow: window total
    new_warnings: tuple[Warning, ...]

    @property
    def id(self) -> str:
        return self.after.id

    @property
    def changed(self) -> bool:
        return bool(
            self.before.status != self.after.status
            or self.before.score != self.after.score
            or self.added
            or self.retracted
            or self.criteria
            or self.indicators
            or self.new_warnings
        )


@dataclass(frozen=True)
class Changes:
    since: dt.date
    until: dt.date
    before: Assessment
    after: Assessment
    conditions: tuple[ConditionChange, ...]


def compare(tracker: Tracker, since: dt.date, until: dt.date) -> Changes:
    """Compare the tracker as known on ``since`` with the tracker as known on ``until``."""
    before, after = assess(tracker, since), assess(tracker, until)
    evidence_condition = {e.id: e.condition for e in tracker.evidence}
    changes = []
    for old, new in zip(before.conditions, after.conditions, strict=True):
        added = tuple(
            e for e in tracker.evidence if e.condition == new.id and since < e.date <= until
        )
        retracted = tuple(
            r
            for r in tracker.retractions
            if evidence_condition.get(r.evidence) == new.id and since < r.date <= until
        )
        criteria = tuple(
            Moved(a.id, b.verdict.status, a.verdict.status)
            for b, a in zip(old.criteria, new.criteria, strict=True)
            if b.verdict.status != a.verdict.status or b.verdict.score != a.verdict.score
        )
        indicators = tuple(
            Moved(a.indicator.id, _figure(b), _figure(a))
            for b, a in zip(old.indicators, new.indicators, strict=True)
            if _figure(b) != _figure(a)
        )
        known = {(w.code, w.message) for w in old.warnings}
        fresh = tuple(w for w in new.warnings if (w.code, w.message) not in known)
        changes.append(ConditionChange(old, new, added, retracted, criteria, indicators, fresh))
    return Changes(since, until, before, after, tuple(changes))


def _figure(result: IndicatorResult) -> float | None:
    return result.window_total if result.indicator.kind == "flow" else result.value
