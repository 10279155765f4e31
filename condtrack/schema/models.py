"""The tracker file's schema (versions 1 to 3) as pydantic models.

Schema 2 adds the ``[gate]`` table and ``[[relief]]`` entries; schema 3 the relief action
``renewed``. A file is written with the lowest schema number that can express it
(``lowest_schema``), so a file without them stays readable by a condtrack that knows only
the older number, and one with them is refused by it, by number.

Models check each entry on its own; checks that need the whole file (ids that must
exist, ids that must be unique) live in ``condtrack.schema.validation``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

# The literal types and the rules the domain shares (condtrack.schema.shapes), here too.
from condtrack.schema.shapes import EASING_ACTIONS as EASING_ACTIONS
from condtrack.schema.shapes import FOR_ACTIONS as FOR_ACTIONS
from condtrack.schema.shapes import AssessmentStatus as AssessmentStatus
from condtrack.schema.shapes import Direction as Direction
from condtrack.schema.shapes import IndicatorKind as IndicatorKind
from condtrack.schema.shapes import ReliefAction as ReliefAction
from condtrack.schema.shapes import ReliefPolicy as ReliefPolicy
from condtrack.schema.shapes import by_id
from condtrack.schema.shapes import grade_counts as grade_counts
from condtrack.schema.shapes import measure_key as measure_key

if TYPE_CHECKING:
    from condtrack.schema import shapes

READABLE_SCHEMAS = (1, 2, 3)  # the schema numbers this condtrack reads
# The top-level tables a schema number introduced. A file that holds one declares (at least)
# that number, so an older condtrack refuses it with "schema N is not supported" instead of
# misreading it (see ``lowest_schema``).
TABLE_SINCE: dict[str, int] = {"gate": 2, "relief": 2}
# The same for a value of an entry's field: (table, field) -> {value: the schema it needs}.
# An older condtrack would refuse the value without saying why, or misread it.
VALUE_SINCE: dict[tuple[str, str], dict[str, int]] = {("relief", "action"): {"renewed": 3}}
EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_SUMMARY = 4000
MAX_SHORT_TEXT = 300
MAX_URL = 2048
MAX_MAGNITUDE = 1e15
MIN_MAGNITUDE = 1e-300  # the smallest figure but 0 (a float below ~2.2e-308 loses digits)


def _valid_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid UTF-8 text") from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _plausible_date(value: dt.date) -> dt.date:
    if value < EARLIEST_DATE:
        raise ValueError(f"{value.isoformat()} is implausibly old (before 1900)")
    return value


_HTTP_URL = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)
_AUTHORITY = re.compile(r"https?://([^/?#\\]*)", re.IGNORECASE)  # as textsafe.has_user_info
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_TAG = re.compile(r"[\w][\w.:/-]{0,39}")
_ADMIRALTY = re.compile(r"[A-F][1-6]")


def _http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    if _SPACE_OR_CONTROL.search(value):
        raise ValueError("a URL must not contain spaces or control characters")
    authority = _AUTHORITY.match(value)
    if authority is not None and ("@" in authority[1] or ":" in authority[1]):
        # Rare, so the full look is taken only here: 100,000 entries read in full each time.
        from condtrack.textsafe import has_user_info

        if has_user_info(value):  # a password in the file, or trusted.example@evil.example
            raise ValueError("a URL with a user name or password (user@host) is not allowed")
        if not _valid_port(authority[1]):
            raise ValueError(f"{value!r} has a port that is not a number from 0 to 65535")
    return value


def _valid_port(authority: str) -> bool:
    """Whether the authority (as ``has_user_info`` cuts it: up to / ? # or a backslash) has
    no port, an empty one or a number 0-65535 in ASCII digits, checked here rather than
    left to ``urlsplit``, whose rule has varied between Python releases; bracketed hosts as
    ``urlsplit`` reads them.

    The JSON Schema spells the same rule as a pattern (``condtrack.schema.jsonschema``)."""
    from urllib.parse import urlsplit

    try:
        urlsplit(f"http://{authority}").port  # noqa: B018  (brackets: a valid IPv6 host)
    except ValueError:
        return False
    if "[" in authority:
        port = authority.partition("[")[2].partition("]")[2].partition(":")[2]
    else:
        port = authority.partition(":")[2]
    return not port or (port.isascii() and port.isdigit() and int(port) <= 65535)


def _finite_number(value: object) -> object:
    # bool is an int in Python, and TOML's true/false are never a measurement.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int | float) and abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"{value} is implausibly large (limit 1e15)")
    if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0:
        raise ValueError("-0.0 is negative zero: write 0")
    if isinstance(value, float) and 0 < abs(value) < MIN_MAGNITUDE:
        # Below the smallest normal float: stored with lost precision, and no figure.
        raise ValueError(f"{value} is implausibly small (write 0, or at least 1e-300)")
    return value


def _tag(value: str) -> str:
    if not value.isascii():
        # Composed (NFC), as `log --tag` and every new entry store a tag
        # (``entries.stripped``): an accent written as a letter and a combining mark, as a
        # hand edit may leave it, is the same tag, read with the precomposed letter.
        import unicodedata

        value = unicodedata.normalize("NFC", value)
    if not _TAG.fullmatch(value):
        raise ValueError(
            f"tag {value!r} must be 1-40 letters, digits or . : / - _ (no spaces), "
            "starting with a letter or digit"
        )
    return value


def _admiralty(value: str) -> str:
    code = value.strip().upper()
    if not _ADMIRALTY.fullmatch(code):
        raise ValueError(
            f"{value!r} is not an Admiralty code (source A-F, information 1-6, e.g. B2)"
        )
    return code


Text = Annotated[str, AfterValidator(_valid_text)]
Required = Annotated[str, AfterValidator(_valid_text), AfterValidator(_not_blank)]
ShortText = Annotated[Required, Field(max_length=MAX_SHORT_TEXT)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
EntryId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Tag = Annotated[str, AfterValidator(_tag)]
Url = Annotated[str, Field(max_length=MAX_URL), AfterValidator(_http_url)]
Reliability = Annotated[str, AfterValidator(_admiralty)]
EventDate = Annotated[dt.date, AfterValidator(_plausible_date)]
Number = Annotated[int | float, BeforeValidator(_finite_number)]
Weight = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
# Who grants relief: a short code such as US, EU, UK.
Sender = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9.-]{0,15}$")]


class Model(BaseModel):
    # Strict: TOML has real dates, numbers and booleans, so a quoted date or a number
    # where a date belongs is a mistake to report, not something to convert silently.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class TrackerInfo(Model):
    schema_version: int = Field(alias="schema")
    title: ShortText
    subject: Text = ""
    source: Url | None = None
    description: Text = ""

    @model_validator(mode="after")
    def _known_schema(self) -> TrackerInfo:
        if self.schema_version not in READABLE_SCHEMAS:
            *earlier, last = map(str, READABLE_SCHEMAS)
            readable = f"{', '.join(earlier)} or {last}" if earlier else last
            raise ValueError(
                f"schema {self.schema_version} is not supported by this condtrack "
                f"(it reads schema {readable})"
            )
        return self


def lowest_schema(
    tables: Iterable[str], entries: Iterable[tuple[str, Mapping[str, object]]] = ()
) -> int:
    """The lowest schema number that can express a file with these top-level tables and
    these ``entries`` ((table, entry) pairs: a field's value may need a later number).

    The one rule for the schema number: a file is written with this number (a file without
    the newer tables or values stays readable by older releases), and a file that declares
    less is refused (an older condtrack would refuse it without saying why).
    """
    numbers = [TABLE_SINCE.get(table, 1) for table in tables]
    numbers.extend(entry_schema(table, entry) for table, entry in entries)
    return max(numbers, default=1)


def entry_schema(table: str, entry: Mapping[str, object]) -> int:
    """The lowest schema number that can express one entry of ``table``: its table's, or a
    later one that a value of one of its fields needs (``VALUE_SINCE``)."""
    number = TABLE_SINCE.get(table, 1)
    for (where, name), since in VALUE_SINCE.items():
        value = entry.get(name) if where == table else None
        if isinstance(value, str):
            number = max(number, since.get(value, 1))
    return number


class Scoring(Model):
    min_reliability: Reliability = "C3"
    stale_after_days: int = Field(default=180, ge=1, le=36500)
    window_days: int = Field(default=90, ge=1, le=36500)
    relief_requires: ReliefPolicy = "all"


def _required_ids(value: object) -> object:
    # `check --require` takes one id or "all" per value: so does the file, as one string
    # or a list of them. Commas are for the command line; in TOML a list says it.
    return [value] if isinstance(value, str) else value


GateId = Annotated[str, Field(pattern=r"^(?:all|[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)$")]


class Gate(Model):
    """The CI gate's policy, as `check`'s flags set it; a flag given overrides its field."""

    require: Annotated[list[GateId], Field(min_length=1), BeforeValidator(_required_ids)] | None = (
        None
    )
    min_score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    max_age_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    require_sequencing: bool | None = None


class Criterion(Model):
    id: Slug
    text: Required
    weight: Weight = 1.0


class Indicator(Model):
    id: Slug
    label: ShortText
    unit: Text = ""
    kind: IndicatorKind
    better: Direction
    baseline: Number | None = None
    target: Number | None = None
    minimum: Number | None = None
    criterion: Slug | None = None

    @model_validator(mode="after")
    def _decides_with_target(self) -> Indicator:
        if self.criterion is not None and self.target is None:
            raise ValueError("an indicator that decides a criterion needs a target")
        return self


class Offset(Model):
    outflow: Slug
    inflow: Slug
    label: ShortText = "revolving door"


class Condition(Model):
    id: Slug
    title: ShortText
    text: Text = ""
    weight: Weight = 1.0
    snapback: bool = False
    criteria: list[Criterion] = Field(min_length=1)
    indicators: list[Indicator] = Field(default_factory=list)
    offsets: list[Offset] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        _require_unique("criterion", [c.id for c in self.criteria])
        _require_unique("indicator", [i.id for i in self.indicators])
        criteria = {c.id for c in self.criteria}
        flows = {i.id for i in self.indicators if i.kind == "flow"}
        for indicator in self.indicators:
            if indicator.criterion is not None and indicator.criterion not in criteria:
                raise ValueError(
                    f"indicator {indicator.id!r} decides unknown criterion {indicator.criterion!r}"
                )
        for offset in self.offsets:
            for flow in (offset.outflow, offset.inflow):
                if flow not in flows:
                    raise ValueError(f"offset names {flow!r}, which is not a flow indicator here")
        return self

    def criterion(self, criterion_id: str) -> Criterion | None:
        return by_id(self.criteria, criterion_id)

    def indicator(self, indicator_id: str) -> Indicator | None:
        return by_id(self.indicators, indicator_id)


def _require_unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what} id {item!r} is used twice")
        seen.add(item)


class Evidence(Model):
    id: EntryId
    condition: Slug
    criterion: Slug | None = None
    status: AssessmentStatus | None = None
    indicator: Slug | None = None
    value: Number | None = None
    date: EventDate
    source: ShortText
    url: Url | None = None
    reliability: Reliability = "F6"
    summary: Annotated[Required, Field(max_length=MAX_SUMMARY)]
    tags: list[Tag] = Field(default_factory=list, max_length=20)  # a shared [] is copied per entry
    supersedes: EntryId | None = None  # the entry this one corrects (see `condtrack amend`)
    reason: Annotated[Required, Field(max_length=MAX_SUMMARY)] | None = None
    logged: AwareDatetime

    @model_validator(mode="after")
    def _paired_fields(self) -> Evidence:
        if self.status is not None and self.criterion is None:
            raise ValueError("a status needs the criterion it assesses")
        if (self.indicator is None) != (self.value is None):
            raise ValueError("an indicator and a value go together")
        if (self.supersedes is None) != (self.reason is None):
            raise ValueError("an amendment needs both what it supersedes and a reason")
        if self.supersedes is not None and self.supersedes.lower() == self.id.lower():
            raise ValueError("an entry cannot supersede itself")
        return self


class Relief(Model):
    """One step of sanctions relief (or its reversal) by one sender, on one measure."""

    id: EntryId
    sender: Sender
    measure: ShortText
    action: ReliefAction
    date: EventDate
    instrument: ShortText | None = None
    expires: EventDate | None = None
    # `for` is a Python keyword: the file's key is its alias.
    for_: list[Slug] = Field(default_factory=list, alias="for", max_length=50)
    source: ShortText
    url: Url | None = None
    reliability: Reliability = "F6"
    summary: Annotated[Required, Field(max_length=MAX_SUMMARY)]
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    supersedes: EntryId | None = None
    reason: Annotated[Required, Field(max_length=MAX_SUMMARY)] | None = None
    logged: AwareDatetime

    @model_validator(mode="after")
    def _paired_fields(self) -> Relief:
        if (self.supersedes is None) != (self.reason is None):
            raise ValueError("an amendment needs both what it supersedes and a reason")
        if self.supersedes is not None and self.supersedes.lower() == self.id.lower():
            raise ValueError("an entry cannot supersede itself")
        return self

    @property
    def easing(self) -> bool:
        return self.action in EASING_ACTIONS

    def as_file(self) -> dict[str, object]:
        """The entry with the keys the file uses (``for``, not ``for_``), unset ones left out."""
        return self.model_dump(by_alias=True, exclude_none=True)


def relief_model(entry: shapes.Relief) -> Relief:
    """A relief entry the domain hands on (typed by its shape) as the model it is, for the
    outputs that dump whole entries (``relief list``): they read the file's models; only
    ``check`` reads the plain objects of ``condtrack.schema.plain``."""
    if not isinstance(entry, Relief):
        raise TypeError(f"a relief model was expected, not {type(entry).__name__}")
    return entry


class Retraction(Model):
    evidence: EntryId
    reason: Annotated[Required, Field(max_length=MAX_SUMMARY)]
    date: EventDate
    logged: AwareDatetime | None = None


class Header(Model):
    """Everything in the file but the evidence log: what the analyst set up."""

    tracker: TrackerInfo
    # Built as Scoring() would be (no validator: the defaults are the values), but without
    # building Scoring's validator as this module is imported (defer_build): a command
    # answered from a snapshot validates nothing (condtrack.storage.snapshot).
    scoring: Scoring = Scoring.model_construct()
    gate: Gate | None = None
    conditions: list[Condition] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_conditions(self) -> Header:
        _require_unique("condition", [c.id for c in self.conditions])
        return self


class Tracker(BaseModel):
    """A whole tracker file, checked. Built by ``condtrack.schema.validation``."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    header: Header
    evidence: list[Evidence] = []
    retractions: list[Retraction] = []
    relief: list[Relief] = []

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
        """The same head with these entries: a cut of its own (``knowledge.known_at``), so
        models, checked when the file was read and not checked again."""
        return Tracker.model_construct(
            header=self.header,
            evidence=cast("list[Evidence]", evidence),
            retractions=cast("list[Retraction]", retractions),
            relief=cast("list[Relief]", relief),
        )
