"""Two time axes: what was true on a date, and what the tracker knew at a moment.

Every entry carries two times: its ``date`` (valid time: when it happened) and its
``logged`` time (knowledge time: when condtrack learned it). ``--as-of D`` scores the
world on D with everything known now; ``--known-at T`` first cuts the tracker back to
what had been logged by T, so amendments and retractions apply only from their logged
time and the output is the one the tracker gave at T.

A date given as T means "up to the end of that day" in UTC, the zone ``logged`` is
written in; a timestamp is taken as written (one without an offset is UTC). An entry
without a ``logged`` time (a hand-written retraction may lack one) is known from the
start of its date, in UTC.

Pure functions: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TypeVar

from condtrack.errors import CondtrackError
from condtrack.schema.shapes import Evidence, Relief, Retraction, Tracker

E = TypeVar("E", Evidence, Retraction, Relief)
T = TypeVar("T", bound=Tracker)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?"
)


@dataclass(frozen=True)
class KnownAt:
    """A knowledge time: everything logged up to and including ``end`` is known."""

    end: dt.datetime  # timezone-aware, inclusive
    day: dt.date  # the date it names: the as-of date when none is given
    text: str  # as outputs show it: 2026-11-30, or 2026-11-30T09:00:00+00:00

    def knows(self, moment: dt.datetime) -> bool:
        return moment <= self.end


def end_of(day: dt.date) -> KnownAt:
    """Everything logged up to the end of ``day`` (UTC)."""
    end = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    return KnownAt(end, day, day.isoformat())


def parse_known_at(text: str) -> KnownAt:
    """A knowledge time as typed: YYYY-MM-DD, or an ISO 8601 timestamp (UTC unless it
    says). The error says what is wrong with the value; the caller says where it came from."""
    typed = text.strip()
    try:
        if _DATE.fullmatch(typed):
            day = dt.date.fromisoformat(typed)
            if day.year < 1900:
                raise CondtrackError(f"{typed} is implausibly old (before 1900)")
            return end_of(day)
        if not _TIMESTAMP.fullmatch(typed):
            raise ValueError
        moment = dt.datetime.fromisoformat(typed.replace(" ", "T"))
    except ValueError:
        raise CondtrackError(
            f"{text!r} is not a date or a timestamp "
            "(use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, with Z or an offset such as +01:00)"
        ) from None
    if moment.year < 1900:
        raise CondtrackError(f"{typed} is implausibly old (before 1900)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return KnownAt(moment, moment.date(), moment.isoformat())


def known_from(entry: Evidence | Retraction | Relief) -> dt.datetime:
    """When the tracker learned of an entry: its ``logged`` time, else the start of its date."""
    if entry.logged is not None:
        return entry.logged
    return dt.datetime.combine(entry.date, dt.time.min, tzinfo=dt.UTC)


def known_at(tracker: T, moment: KnownAt | None) -> T:
    """The tracker as it was known at ``moment``: later entries left out, in file order.

    Amendments and retractions are entries too, so one logged later does not apply. With
    no moment, the tracker as it is (everything known now).
    """
    if moment is None:
        return tracker
    return _cut(tracker, moment, _known(tracker.evidence, moment.end))


def known_at_kept(tracker: T, moment: KnownAt | None) -> tuple[T, list[bool] | None]:
    """``known_at``, and for each of the tracker's evidence entries whether the cut keeps
    it (None: no moment, everything is kept). Those it leaves out are the entries learned
    after ``moment`` (``learned_between(tracker.evidence, moment, None)``)."""
    if moment is None:
        return tracker, None
    end = moment.end
    kept = [
        e.logged <= end if e.logged is not None else known_from(e) <= end for e in tracker.evidence
    ]
    return _cut(tracker, moment, list(compress(tracker.evidence, kept))), kept


def _cut(tracker: T, moment: KnownAt, evidence: list[Evidence]) -> T:
    retractions = _known(tracker.retractions, moment.end)
    relief = _known(tracker.relief, moment.end)
    if (len(evidence), len(retractions), len(relief)) == (
        len(tracker.evidence),
        len(tracker.retractions),
        len(tracker.relief),
    ):
        return tracker
    return tracker.with_entries(evidence, retractions, relief)


def _known(entries: Sequence[E], end: dt.datetime) -> list[E]:
    """The entries known by ``end`` (``known_from(e) <= end``), in file order; the usual
    entry, stamped with its ``logged`` time, is compared without a call."""
    return [
        e for e in entries if (e.logged <= end if e.logged is not None else known_from(e) <= end)
    ]


def learned_between(entries: Iterable[E], after: KnownAt | None, until: KnownAt | None) -> list[E]:
    """The entries learned after ``after`` (all, when None) and known by ``until``
    (everything, when None), in file order."""
    low = None if after is None else after.end
    high = None if until is None else until.end
    if low is not None and high is None:  # ``diff``'s: learned since, over every entry
        return [
            e
            for e in entries
            if not (known_from(e) <= low if (logged := e.logged) is None else logged <= low)
        ]
    return [
        e
        for e in entries
        if (low is None or not _at(e) <= low) and (high is None or _at(e) <= high)
    ]


def _at(entry: Evidence | Retraction | Relief) -> dt.datetime:
    return entry.logged if entry.logged is not None else known_from(entry)


def both_dates(entry: Evidence | Retraction | Relief) -> str:
    """An entry's two times, as briefings mark them: "logged 2026-11-30, dated 2024-01-01"."""
    logged = "logged unknown" if entry.logged is None else f"logged {utc_day(entry.logged)}"
    return f"{logged}, dated {entry.date}"


def utc_day(moment: dt.datetime) -> dt.date:
    """The day a moment falls on in UTC, as ``logged`` times are written."""
    return moment.astimezone(dt.UTC).date()


def unstamped(tracker: Tracker) -> list[str]:
    """A warning for each entry without a ``logged`` time (only retractions may lack one)."""
    return [
        f"retraction {number} (of {r.evidence}) has no logged time: --known-at counts it "
        f"as known from its date, {r.date}"
        for number, r in enumerate(tracker.retractions, start=1)
        if r.logged is None
    ]
