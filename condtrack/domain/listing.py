"""Which evidence a listing shows: filters, then the first or the newest N.

`evidence` lists what passes every filter, oldest first; ``--limit N`` keeps the N oldest
of those and ``--last N`` the N newest, in every format. `explain` keeps, for each
criterion, each indicator and the entries of neither, the first or newest N of its
timeline. What was left out is counted, so a listing can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from condtrack.domain.chains import in_date_order
from condtrack.domain.knowledge import KnownAt
from condtrack.errors import CondtrackError
from condtrack.schema.models import Evidence, Tracker
from condtrack.textsafe import folded

T = TypeVar("T")


@dataclass(frozen=True)
class Cut:
    """``--limit N`` (the first N, oldest first) or ``--last N`` (the N newest); or neither."""

    limit: int | None = None
    last: int | None = None

    def __post_init__(self) -> None:
        if self.limit is not None and self.last is not None:
            raise CondtrackError("--limit and --last: give one of them, not both")

    def apply(self, rows: Sequence[T]) -> list[T]:
        """``rows`` (oldest first) cut to the first or last N, still oldest first."""
        if self.limit is not None:
            return list(rows[: self.limit])
        if self.last is not None:
            return list(rows[len(rows) - self.last :]) if self.last else []
        return list(rows)

    @property
    def wording(self) -> str:
        """How the rows shown were chosen, for a note on what was left out."""
        if self.limit is not None:
            return f"the first {self.limit} (--limit)"
        return f"the {self.last} newest (--last)"


@dataclass(frozen=True)
class Filters:
    condition: str | None = None
    criterion: str | None = None
    indicator: str | None = None
    source: str | None = None  # a case-insensitive part of the source
    tags: tuple[str, ...] = ()  # every one of them
    since: dt.date | None = None
    until: dt.date | None = None
    everything: bool = False  # superseded entries too
    logged_after: KnownAt | None = None  # only what was learned after this (--logged-since)

    def check(self, tracker: Tracker) -> None:
        """Refuse an id the tracker does not define, naming the option and the closest id."""
        from condtrack.schema.validation import suggest

        conditions = [c.id for c in tracker.conditions]
        if self.condition is not None and self.condition not in conditions:
            raise CondtrackError(
                f"--condition: unknown condition {self.condition!r} "
                + suggest(self.condition, conditions)
            )
        scope = [c for c in tracker.conditions if self.condition in (None, c.id)]
        for option, value, ids in (
            ("criterion", self.criterion, _unique(i.id for c in scope for i in c.criteria)),
            ("indicator", self.indicator, _unique(i.id for c in scope for i in c.indicators)),
        ):
            if value is not None and value not in ids:
                where = f" in {self.condition}" if self.condition else ""
                raise CondtrackError(
                    f"--{option}: unknown {option} {value!r}{where} {suggest(value, ids)}"
                )

    def keeps(self, entry: Evidence) -> bool:
        source = folded(self.source) if self.source is not None else None
        return (
            (self.condition is None or entry.condition == self.condition)
            and (self.criterion is None or entry.criterion == self.criterion)
            and (self.indicator is None or entry.indicator == self.indicator)
            and (source is None or source in folded(entry.source))
            and all(folded(tag) in {folded(t) for t in entry.tags} for tag in self.tags)
            and (self.since is None or entry.date >= self.since)
            and (self.until is None or entry.date <= self.until)
            and (self.logged_after is None or not self.logged_after.knows(entry.logged))
        )


@dataclass
class Listing:
    """The entries shown, oldest first, and how many more passed the filters."""

    shown: list[Evidence]
    total: int
    cut: Cut = field(default_factory=Cut)

    @property
    def left_out(self) -> int:
        return self.total - len(self.shown)


def select(tracker: Tracker, filters: Filters, cut: Cut) -> Listing:
    """The evidence `evidence` lists: filtered, oldest first (stable by logging order), cut."""
    filters.check(tracker)
    superseded = {e.supersedes for e in tracker.evidence if e.supersedes}
    passing = [
        e
        for e in in_date_order(tracker.evidence)
        if (filters.everything or e.id not in superseded) and filters.keeps(e)
    ]
    return Listing(cut.apply(passing), len(passing), cut)


def per_subject(rows: Sequence[Evidence], cut: Cut) -> Listing:
    """``rows`` (oldest first) cut per criterion, per indicator and for the context entries.

    An entry that assesses a criterion and observes an indicator stays when either keeps it.
    """
    groups: dict[tuple[str, str], list[Evidence]] = {}
    for entry in rows:
        subjects = [("criterion", entry.criterion), ("indicator", entry.indicator)]
        named = [(kind, name) for kind, name in subjects if name is not None]
        for key in named or [("context", "")]:
            groups.setdefault(key, []).append(entry)
    kept = {id(e) for group in groups.values() for e in cut.apply(group)}
    return Listing([e for e in rows if id(e) in kept], len(rows), cut)


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
