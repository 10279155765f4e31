"""What changed since a briefing: the same scoring run twice, compared condition by condition.

By default (``by="logged"``) the comparison is of what the tracker said then with what it
says now: known at the end of ``since`` and as of ``since``, against known at ``known``
(everything, when None) and as of ``until``. Backdated evidence, late retractions and
amendments are then changes, as they are news. ``by="event"`` compares two as-of dates
with the same knowledge, and counts evidence and retractions by their dates.

Relief follows the same rule (``relief_changes``): the relief entries (and retractions of
them) learned since, or dated in the span by event, with both their dates where an
event-date comparison would miss them; and each measure whose state differs between the
ledger then and the ledger now (an expiry inside the span is such a change). A tracker
without relief has no relief changes (``None``), so its outputs are as they were.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Literal

from condtrack import progress
from condtrack.domain.knowledge import (
    KnownAt,
    both_dates,
    end_of,
    known_at,
    known_at_kept,
    learned_between,
    utc_day,
)
from condtrack.domain.relief import Ledger, State, ledger
from condtrack.domain.scoring import (
    Assessment,
    ConditionResult,
    IndicatorResult,
    Warning,
    assess_both,
)
from condtrack.schema.shapes import Evidence, Relief, Retraction, Tracker, measure_key

By = Literal["logged", "event"]
_id_of = attrgetter("id")


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
    # by logged: learned after ``since``, known by ``known``; by event: dated in the span
    added: tuple[Evidence, ...]
    retracted: tuple[Retraction, ...]
    criteria: tuple[Moved, ...]  # status changes
    indicators: tuple[Moved, ...]  # stock: latest value; flow: window total
    new_warnings: tuple[Warning, ...]
    # By logged: the news an event-date comparison misses (backdated evidence, amendments,
    # retractions), each with both its dates: "ev-x logged 2026-11-30, dated 2024-01-01".
    marks: tuple[str, ...] = ()

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
class StateChange:
    """A measure whose state differs between the two dates."""

    sender: str
    measure: str
    before: State
    before_since: dt.date | None
    after: State
    after_since: dt.date | None
    event: str | None  # the entry that decides its state now


@dataclass(frozen=True)
class ReliefChanges:
    """Relief between the two dates: entries and retractions of them (learned since, or
    dated in the span by event), their marks, and the measures whose state changed."""

    added: tuple[Relief, ...]
    retracted: tuple[tuple[Retraction, Relief | None], ...]  # with the entry it names
    marks: dict[str, str]  # entry id (a retraction: the entry it names) -> its both dates
    states: tuple[StateChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.retracted or self.states)


@dataclass(frozen=True)
class Changes:
    since: dt.date
    until: dt.date
    before: Assessment
    after: Assessment
    conditions: tuple[ConditionChange, ...]
    by: By = "logged"
    relief: ReliefChanges | None = None  # None: no relief known at either point

    @property
    def known_at(self) -> KnownAt | None:
        return self.after.known_at


def compare(
    tracker: Tracker,
    since: dt.date,
    until: dt.date,
    known: KnownAt | None = None,
    by: By = "logged",
) -> Changes:
    """What the tracker said at ``since`` against what it says as of ``until``, known at
    ``known`` (None: everything in the file). See the module's docstring for ``by``.

    Each knowledge cut is made once and shared by the assessments and the relief news:
    at 100,000 entries a cut, like an assessment, is a walk through every entry.
    """
    with progress.task("scoring", total=2) as step:
        now = known_at(tracker, known)
        then = end_of(since) if by == "logged" else known
        earlier, kept = (now, None) if then is known else known_at_kept(tracker, then)
        if now is not tracker:  # ``kept`` is of the tracker's entries, not of the cut's
            kept = None
        # The evidence is read (and put in date order) once for both.
        before, after = assess_both(
            (earlier, since, then), (now, until, known), lambda: step(1), kept
        )
    if by == "logged":
        assert then is not None
        # Learned since, and dated by the later date: what may move its verdicts (the
        # entries the earlier cut left out, when it was cut from these).
        learned = (
            learned_between(now.evidence, then, None)
            if kept is None
            else compress(now.evidence, map(operator.not_, kept))
        )
        new_evidence = [e for e in learned if e.date <= until]
        new_retractions = learned_between(now.retractions, then, None)
    else:
        new_evidence = [e for e in now.evidence if since < e.date <= until]
        new_retractions = [r for r in now.retractions if since < r.date <= until]
    named = {r.evidence for r in new_retractions}
    # The entries the new retractions name, picked out in one C pass over every entry.
    picked = compress(now.evidence, map(named.__contains__, map(_id_of, now.evidence)))
    dated = {e.id: e for e in picked} if named else {}
    added_to: dict[str, list[Evidence]] = {}
    for entry in new_evidence:
        added_to.setdefault(entry.condition, []).append(entry)
    retracted_from: dict[str, list[Retraction]] = {}
    for retraction in new_retractions:
        named_entry = dated.get(retraction.evidence)
        if named_entry is not None:
            retracted_from.setdefault(named_entry.condition, []).append(retraction)
    changes = []
    for old, new in zip(before.conditions, after.conditions, strict=True):
        added = tuple(added_to.get(new.id, ()))
        retracted = tuple(retracted_from.get(new.id, ()))
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
        seen = {(w.code, w.message) for w in old.warnings}
        fresh = tuple(w for w in new.warnings if (w.code, w.message) not in seen)
        marks = _marks(added, retracted, since, dated) if by == "logged" else ()
        changes.append(
            ConditionChange(old, new, added, retracted, criteria, indicators, fresh, marks)
        )
    relief = relief_changes(tracker, since, until, known, by, before, after, cuts=(earlier, now))
    return Changes(since, until, before, after, tuple(changes), by, relief)


def relief_changes(
    tracker: Tracker,
    since: dt.date,
    until: dt.date,
    known: KnownAt | None = None,
    by: By = "logged",
    before: Assessment | None = None,
    after: Assessment | None = None,
    *,
    cuts: tuple[Tracker, Tracker] | None = None,
) -> ReliefChanges | None:
    """The relief news between the two points ``compare`` compares (same rule, same
    knowledge cut); ``before``/``after``: its assessments, and ``cuts``: the tracker known
    at each point, when the caller has them."""
    then = end_of(since) if by == "logged" else known
    earlier, now = cuts if cuts is not None else (known_at(tracker, then), known_at(tracker, known))
    if not now.relief and not earlier.relief:
        return None
    relief_ids = {r.id: r for r in now.relief}
    retractions = [r for r in now.retractions if r.evidence in relief_ids]
    if by == "logged":
        assert then is not None
        added = [r for r in learned_between(now.relief, then, None) if r.date <= until]
        retracted = learned_between(retractions, then, None)
        marks = {
            r.id: (f"amends {r.supersedes}: " if r.supersedes else "new: ") + both_dates(r)
            for r in added
            if r.supersedes is not None or r.date <= since
        }
        marks.update(
            (r.evidence, f"retracted: {_retraction_dates(r, relief_ids)}") for r in retracted
        )
    else:
        added = [r for r in now.relief if since < r.date <= until]
        retracted = [r for r in retractions if since < r.date <= until]
        marks = {}
    old = ledger(earlier, since, before)  # assessed with the same cut, on the same date
    new = ledger(now, until, after)
    return ReliefChanges(
        added=tuple(added),
        retracted=tuple((r, relief_ids.get(r.evidence)) for r in retracted),
        marks=marks,
        states=_state_changes(old, new),
    )


def _retraction_dates(retraction: Retraction, entries: dict[str, Relief]) -> str:
    logged = (
        "logged unknown" if retraction.logged is None else f"logged {utc_day(retraction.logged)}"
    )
    entry = entries.get(retraction.evidence)
    return logged if entry is None else f"{logged}, dated {entry.date}"


def _state_changes(old: Ledger, new: Ledger) -> tuple[StateChange, ...]:
    """Each measure whose state differs, in the order of the ledger now (then any known
    only before); a measure with no counting entry is in force."""
    before = {measure_key(m.sender, m.measure): m for m in old.measures}
    after = {measure_key(m.sender, m.measure): m for m in new.measures}
    moved = []
    for key in [*after, *(k for k in before if k not in after)]:
        was, now = before.get(key), after.get(key)
        named = now or was
        assert named is not None
        old_state: State = "in-force" if was is None else was.state
        new_state: State = "in-force" if now is None else now.state
        if old_state != new_state:
            moved.append(
                StateChange(
                    sender=named.sender,
                    measure=named.measure,
                    before=old_state,
                    before_since=None if was is None else was.since,
                    after=new_state,
                    after_since=None if now is None else now.since,
                    event=None if now is None or now.event is None else now.event.entry.id,
                )
            )
    return tuple(moved)


def _marks(
    added: tuple[Evidence, ...],
    retracted: tuple[Retraction, ...],
    since: dt.date,
    entries: dict[str, Evidence],
) -> tuple[str, ...]:
    marks = [
        f"{e.id} amends {e.supersedes}: {both_dates(e)}"
        if e.supersedes is not None
        else f"{e.id} new: {both_dates(e)}"
        for e in added
        if e.supersedes is not None or e.date <= since
    ]
    for r in retracted:
        logged = "logged unknown" if r.logged is None else f"logged {utc_day(r.logged)}"
        entry = entries.get(r.evidence)
        dated = "" if entry is None else f", dated {entry.date}"
        marks.append(f"{r.evidence} retracted: {logged}{dated}")
    return tuple(marks)


def _figure(result: IndicatorResult) -> float | None:
    return result.window_total if result.indicator.kind == "flow" else result.value
