"""A checked tracker as plain objects: the shapes of ``condtrack.schema.shapes``, no pydantic.

``check`` answered from a snapshot (``condtrack.storage.snapshot``) builds these instead of
the models: the values were checked when the snapshot was written, so nothing is validated
again, and importing pydantic's model machinery and building condtrack's models would cost
``check`` more than all the rest of its work. Each class has its model's fields, in its
model's order (``tests/test_plain.py`` holds them to it), and the model's methods and
properties the domain uses; instances compare, hash and refuse assignment as frozen models
do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from condtrack.schema.shapes import (
    EASING_ACTIONS,
    AssessmentStatus,
    Direction,
    IndicatorKind,
    ReliefAction,
    ReliefPolicy,
    by_id,
)

if TYPE_CHECKING:
    from condtrack.schema import shapes


class Plain:
    """Frozen, slotted, compared by class and values (as pydantic's frozen models are)."""

    __slots__ = ()
    # The fields, in the model's order (the snapshot's rows): each class's slots.
    FIELDS: ClassVar[tuple[str, ...]] = ()
    # Fields that hold other plain objects: name -> (class, whether a list of them).
    NESTED: ClassVar[dict[str, tuple[type[Plain], bool]]] = {}

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Any:
        """An instance holding ``values``, one for each field in order (none checked)."""
        if len(values) != len(cls.FIELDS):
            raise ValueError(f"not the fields of {cls.__name__}")
        instance = object.__new__(cls)
        for name, value in zip(cls.FIELDS, values, strict=True):
            object.__setattr__(instance, name, value)
        return instance

    @classmethod
    def from_dump(cls, values: Any) -> Any:
        """An instance from its model's ``model_dump(mode="json")`` (no dates in these),
        nested objects built too; ``ValueError`` for anything of another shape."""
        if type(values) is not dict or values.keys() != set(cls.FIELDS):
            raise ValueError(f"not a dumped {cls.__name__}")
        fields = []
        for name in cls.FIELDS:
            value = values[name]
            nested = cls.NESTED.get(name)
            if nested is not None and value is not None:
                kind, many = nested
                if not many:
                    value = kind.from_dump(value)
                elif type(value) is list:
                    value = [kind.from_dump(item) for item in value]
                else:
                    raise ValueError(f"{cls.__name__}.{name} is not a list")
            fields.append(value)
        return cls.from_values(fields)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))  # a list field: unhashable, as in pydantic

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({fields})"


class TrackerInfo(Plain):
    FIELDS = ("schema_version", "title", "subject", "source", "description")
    __slots__ = FIELDS
    schema_version: int
    title: str
    subject: str
    source: str | None
    description: str


class Scoring(Plain):
    FIELDS = ("min_reliability", "stale_after_days", "window_days", "relief_requires")
    __slots__ = FIELDS
    min_reliability: str
    stale_after_days: int
    window_days: int
    relief_requires: ReliefPolicy


class Gate(Plain):
    FIELDS = ("require", "min_score", "max_age_days", "require_sequencing")
    __slots__ = FIELDS
    require: list[str] | None
    min_score: float | None
    max_age_days: int | None
    require_sequencing: bool | None


class Criterion(Plain):
    FIELDS = ("id", "text", "weight")
    __slots__ = FIELDS
    id: str
    text: str
    weight: float


class Indicator(Plain):
    FIELDS = (
        *("id", "label", "unit", "kind", "better"),
        *("baseline", "target", "minimum", "criterion"),
    )
    __slots__ = FIELDS
    id: str
    label: str
    unit: str
    kind: IndicatorKind
    better: Direction
    baseline: int | float | None
    target: int | float | None
    minimum: int | float | None
    criterion: str | None


class Offset(Plain):
    FIELDS = ("outflow", "inflow", "label")
    __slots__ = FIELDS
    outflow: str
    inflow: str
    label: str


class Condition(Plain):
    FIELDS = (
        *("id", "title", "text", "weight", "snapback"),
        *("criteria", "indicators", "offsets"),
    )
    __slots__ = FIELDS
    NESTED: ClassVar[dict[str, tuple[type[Plain], bool]]] = {
        "criteria": (Criterion, True),
        "indicators": (Indicator, True),
        "offsets": (Offset, True),
    }
    id: str
    title: str
    text: str
    weight: float
    snapback: bool
    criteria: list[Criterion]
    indicators: list[Indicator]
    offsets: list[Offset]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return by_id(self.criteria, criterion_id)

    def indicator(self, indicator_id: str) -> Indicator | None:
        return by_id(self.indicators, indicator_id)


class Evidence(Plain):
    FIELDS = (
        *("id", "condition", "criterion", "status", "indicator", "value", "date", "source"),
        *("url", "reliability", "summary", "tags", "supersedes", "reason", "logged"),
    )
    __slots__ = FIELDS
    id: str
    condition: str
    criterion: str | None
    status: AssessmentStatus | None
    indicator: str | None
    value: int | float | None
    date: dt.date
    source: str
    url: str | None
    reliability: str
    summary: str
    tags: list[str]
    supersedes: str | None
    reason: str | None
    logged: dt.datetime


class Relief(Plain):
    FIELDS = (
        *("id", "sender", "measure", "action", "date", "instrument", "expires", "for_"),
        *("source", "url", "reliability", "summary", "tags", "supersedes", "reason", "logged"),
    )
    __slots__ = FIELDS
    id: str
    sender: str
    measure: str
    action: ReliefAction
    date: dt.date
    instrument: str | None
    expires: dt.date | None
    for_: list[str]
    source: str
    url: str | None
    reliability: str
    summary: str
    tags: list[str]
    supersedes: str | None
    reason: str | None
    logged: dt.datetime

    @property
    def easing(self) -> bool:
        return self.action in EASING_ACTIONS


class Retraction(Plain):
    FIELDS = ("evidence", "reason", "date", "logged")
    __slots__ = FIELDS
    evidence: str
    reason: str
    date: dt.date
    logged: dt.datetime | None


class Header(Plain):
    FIELDS = ("tracker", "scoring", "gate", "conditions")
    __slots__ = FIELDS
    NESTED: ClassVar[dict[str, tuple[type[Plain], bool]]] = {
        "tracker": (TrackerInfo, False),
        "scoring": (Scoring, False),
        "gate": (Gate, False),
        "conditions": (Condition, True),
    }
    tracker: TrackerInfo
    scoring: Scoring
    gate: Gate | None
    conditions: list[Condition]


class Tracker(Plain):
    """A whole tracker, as ``condtrack.schema.models.Tracker`` holds it."""

    FIELDS = ("header", "evidence", "retractions", "relief")
    __slots__ = FIELDS
    header: Header
    evidence: Sequence[shapes.Evidence]
    retractions: Sequence[shapes.Retraction]
    relief: Sequence[shapes.Relief]

    @property
    def conditions(self) -> list[Condition]:
        return self.header.conditions

    @property
    def scoring(self) -> Scoring:
        return self.header.scoring

    def condition(self, condition_id: str) -> Condition | None:
        return by_id(self.conditions, condition_id)

    def with_entries(
        self,
        evidence: Sequence[shapes.Evidence],
        retractions: Sequence[shapes.Retraction],
        relief: Sequence[shapes.Relief],
    ) -> Tracker:
        made: Tracker = Tracker.from_values((self.header, evidence, retractions, relief))
        return made


if TYPE_CHECKING:  # mypy proves that both forms have the shapes the domain reads
    from condtrack.schema import models

    def _satisfied(
        plain: tuple[Tracker, Evidence, Retraction, Relief],
        model: tuple[models.Tracker, models.Evidence, models.Retraction, models.Relief],
    ) -> None:
        for form in (plain, model):
            tracker: shapes.Tracker = form[0]  # its head, conditions, criteria ... with it
            evidence: shapes.Evidence = form[1]
            retraction: shapes.Retraction = form[2]
            relief: shapes.Relief = form[3]
            del tracker, evidence, retraction, relief
