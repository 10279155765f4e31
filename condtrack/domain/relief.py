"""The relief ledger: what each sender eased, lifted, suspended, reimposed or renewed, and
whether relief ran ahead of compliance. Pure functions of a tracker and an as-of date.

- A measure is one sender's sanction on one thing (``measure_key``: case and spacing do not
  matter). Its state on a date is decided by its latest counting entry on or before it:
  eased, lifted or suspended make it ``in-effect`` (until its ``expires`` date has passed:
  then ``expired``), reimposed ``reimposed``, expired ``expired``; renewed (the sender
  decided to keep the sanction: a renewal or extension without easing) ``in-force`` since
  its date, ending any earlier easing of the measure without claiming a snapback; with no
  counting entry the sanction is ``in-force``, with no date.
- The ledger on a date holds the entries dated on or before it (what stood then); an entry
  counts unless an amendment superseded it (the amendment counts instead) or a
  retraction withdrew its chain, at every date (``chains.withdrawn``); what the tracker knew
  at a moment is ``knowledge.known_at``'s to cut, before the ledger is made.
- An easing entry that counts is **ahead of compliance** when, as of its date, the
  conditions relief requires were not all met (one that does not count is not judged: its
  ``excluded`` says why): every condition (``[scoring] relief_requires = "all"``), or the
  ones it was granted ``for`` (``"linked"``; none named means all). Compliance is the
  tracker's own scoring (``scoring.assess``) on that date, every date from one assessment
  (``scoring.standings``).
- A measure in effect is **due to snap back** when a snapback condition is in snapback (as
  ``status`` decides it) and the measure was granted for that condition or for none named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from condtrack.domain.chains import in_date_order, withdrawn
from condtrack.domain.scoring import Assessment, Standing, Status, not_counted, standings
from condtrack.errors import CondtrackError
from condtrack.schema.shapes import Relief, Tracker, measure_key
from condtrack.textsafe import folded

State = Literal["in-effect", "reimposed", "expired", "in-force"]
STATES: tuple[State, ...] = ("in-effect", "reimposed", "expired", "in-force")


@dataclass(frozen=True)
class Compliance:
    """Compliance on one date: the overall figures, and each required condition's status."""

    date: dt.date
    score: float
    status: Status
    required: tuple[tuple[str, Status], ...]

    @property
    def met(self) -> bool:
        return all(status == "met" for _, status in self.required)


@dataclass(frozen=True)
class Step:
    """One ledger entry, with whether it counts and, if it eases, whether it ran ahead."""

    entry: Relief
    counts: bool
    excluded: str | None  # why it does not count
    compliance: Compliance  # at the entry's date
    ahead: bool | None  # None for an entry that does not ease, or does not count


@dataclass(frozen=True)
class Measure:
    """One measure's state on the as-of date."""

    sender: str
    measure: str
    state: State
    since: dt.date | None
    event: Step | None  # the deciding entry
    snapback_due: bool
    breached: tuple[str, ...]  # snapback conditions in snapback that it was granted for

    @property
    def in_effect(self) -> bool:
        return self.state == "in-effect"

    @property
    def ahead(self) -> bool:
        return self.in_effect and self.event is not None and bool(self.event.ahead)

    @property
    def instrument(self) -> str | None:
        return None if self.event is None else self.event.entry.instrument


@dataclass(frozen=True)
class Ledger:
    as_of: dt.date
    policy: str
    steps: tuple[Step, ...]  # dated on or before as_of, oldest first (file order breaks ties)
    measures: tuple[Measure, ...]

    @property
    def ahead(self) -> tuple[Measure, ...]:
        """Measures in effect ahead of compliance."""
        return tuple(m for m in self.measures if m.ahead)

    @property
    def snapback_due(self) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.snapback_due)

    def ahead_by_sender(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        names: dict[str, str] = {}  # a sender as first written, whatever its case later
        for measure in self.ahead:
            name = names.setdefault(folded(measure.sender), measure.sender)
            counts[name] = counts.get(name, 0) + 1
        return counts


def from_sender(found: Ledger, tracker: Tracker, sender: str) -> Ledger:
    """The ledger's entries from ``sender``, compared as a reader sees it (``folded``: case,
    spacing, invisible and full-width characters aside, as measures are grouped).

    A sender of any entry known counts, whatever its date: one whose entries all come later
    than the ledger's date has an empty ledger then, not a misspelt name.
    """
    from dataclasses import replace

    wanted = folded(sender)
    senders = sorted({folded(r.sender): r.sender for r in tracker.relief}.values())
    if wanted not in {folded(s) for s in senders}:
        from condtrack.schema.validation import suggest

        hint = suggest(sender, senders)
        raise CondtrackError(f"--sender: no relief entry from {sender!r} {hint}")
    return replace(found, steps=tuple(s for s in found.steps if folded(s.entry.sender) == wanted))


def required_conditions(tracker: Tracker, entry: Relief) -> tuple[str, ...]:
    """The conditions that must be met for ``entry`` to be in step with compliance."""
    if tracker.scoring.relief_requires == "linked" and entry.for_:
        return tuple(entry.for_)
    return tuple(c.id for c in tracker.conditions)


def compliance_on(standing: Standing, required: Sequence[str]) -> Compliance:
    statuses = dict(standing.statuses)
    return Compliance(
        date=standing.as_of,
        score=standing.overall.score,
        status=standing.overall.status,
        required=tuple((cid, statuses[cid]) for cid in required if cid in statuses),
    )


def ledger(tracker: Tracker, as_of: dt.date, assessment: Assessment | None = None) -> Ledger:
    """Every relief entry dated on or before ``as_of`` with its verdict (the ledger as it
    stood on that date: an entry dated later is left out), and every measure's state on
    ``as_of`` (a measure named only by later entries is ``in-force``, with no date).

    ``assessment``: the tracker assessed on ``as_of``, when the caller has it already.
    """
    policy = tracker.scoring.relief_requires
    if not tracker.relief:
        return Ledger(as_of, policy, (), ())
    on_date = standings(tracker, {as_of, *(entry.date for entry in tracker.relief)}, assessment)
    retracted = withdrawn(tracker.relief, tracker.retractions)
    superseded = {r.supersedes: r.id for r in tracker.relief if r.supersedes}
    steps: list[Step] = []
    for entry in in_date_order(tracker.relief):  # an amendment in its original's place
        excluded = not_counted(entry, as_of, retracted, superseded, tracker.scoring.min_reliability)
        compliance = compliance_on(on_date[entry.date], required_conditions(tracker, entry))
        steps.append(
            Step(
                entry=entry,
                counts=excluded is None,
                excluded=excluded,
                compliance=compliance,
                # Only relief that counts is judged: what was superseded, withdrawn or
                # graded too low granted nothing the ledger stands by.
                ahead=(not compliance.met) if entry.easing and excluded is None else None,
            )
        )
    in_snapback = set(on_date[as_of].in_snapback)
    measures = _measures(steps, as_of, in_snapback)
    stood = tuple(step for step in steps if step.entry.date <= as_of)
    return Ledger(as_of, policy, stood, measures)


def state_of(step: Step | None, as_of: dt.date) -> tuple[State, dt.date | None]:
    """A measure's state on ``as_of`` from its deciding entry, and since when it holds."""
    if step is None:
        return "in-force", None
    entry = step.entry
    if entry.easing:
        if entry.expires is not None and as_of > entry.expires:
            return "expired", entry.expires + dt.timedelta(days=1)
        return "in-effect", entry.date
    if entry.action == "reimposed":
        return "reimposed", entry.date
    if entry.action == "renewed":
        return "in-force", entry.date
    return "expired", entry.date


def _measures(steps: Sequence[Step], as_of: dt.date, in_snapback: set[str]) -> tuple[Measure, ...]:
    by_key: dict[tuple[str, str], list[Step]] = {}
    for step in steps:
        by_key.setdefault(measure_key(step.entry.sender, step.entry.measure), []).append(step)
    measures: list[Measure] = []
    for group in by_key.values():
        counting = [s for s in group if s.counts]
        deciding = counting[-1] if counting else None  # steps are in date order
        state, since = state_of(deciding, as_of)
        named = deciding or group[-1]
        breached: tuple[str, ...] = ()
        if state == "in-effect" and deciding is not None:
            tied = deciding.entry.for_
            breached = tuple(c for c in sorted(in_snapback) if not tied or c in tied)
        measures.append(
            Measure(
                sender=named.entry.sender,
                measure=named.entry.measure,
                state=state,
                since=since,
                event=deciding,
                snapback_due=bool(breached),
                breached=breached,
            )
        )
    return tuple(measures)


def tied_to(ledger: Ledger, condition: str) -> tuple[Measure, ...]:
    """The measures whose deciding entry was granted ``for`` ``condition``, or for no
    named condition (tied to them all), as `explain` shows them. A renewal grants nothing
    (the sender kept its sanction as it was), so a measure it decides is tied to none."""
    return tuple(
        m
        for m in ledger.measures
        if m.event is not None
        and m.event.entry.action != "renewed"
        and (not m.event.entry.for_ or condition in m.event.entry.for_)
    )
