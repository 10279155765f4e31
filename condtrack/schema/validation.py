"""Turn a parsed TOML document into a checked ``Tracker``, collecting every problem.

Each problem names its place (entry number, id, line) and field, so one line tells the
analyst what to fix. ``condtrack validate`` lists them all; other commands stop at the first.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from condtrack.schema.models import (
    EASING_ACTIONS,
    FOR_ACTIONS,
    READABLE_SCHEMAS,
    TABLE_SINCE,
    VALUE_SINCE,
    Condition,
    Evidence,
    Header,
    Relief,
    Retraction,
    Tracker,
    entry_schema,
    lowest_schema,
    measure_key,
)

M = TypeVar("M", bound=BaseModel)
KNOWN_TABLES = ("tracker", "scoring", "gate", "conditions", "evidence", "retractions", "relief")
HEAD_TABLES = ("tracker", "scoring", "gate", "conditions")
ARRAY_TABLES = ("conditions", "evidence", "retractions", "relief")  # [[written]] so


@dataclass(frozen=True)
class Problem:
    place: str
    message: str
    field: str | None = None
    entry: str | None = None  # the id of the entry it is in, when it has one

    def __str__(self) -> str:
        where = f"{self.place}, field {self.field!r}" if self.field else self.place
        return f"{where}: {self.message}"


def check_document(
    doc: Mapping[str, Any], text: str | None = None
) -> tuple[Tracker | None, list[Problem]]:
    """Validate a whole document; the tracker is ``None`` when any problem was found."""
    problems: list[Problem] = []
    lines = _HeaderLines(text)
    unknown = [
        Problem("top level", f"unknown table or key {key!r}")
        for key in doc
        if key not in KNOWN_TABLES
    ]
    # A file of a newer schema says so first: its unknown tables are why it is newer.
    newer = _newer_schema(doc)
    if not newer:
        problems.extend(unknown)

    header_raw = {k: doc[k] for k in HEAD_TABLES if k in doc}
    header = _validate(Header, header_raw, problems, "")
    if newer:
        problems.extend(unknown)

    evidence = _validate_list(
        Evidence, doc.get("evidence", []), "evidence", lines, problems, _IdHints(header)
    )
    retractions = _validate_list(
        Retraction, doc.get("retractions", []), "retractions", lines, problems
    )
    relief = _validate_list(Relief, doc.get("relief", []), "relief", lines, problems)

    if header is not None:
        # The tables the whole file holds, and the values its entries use, decide the
        # schema number it needs: one problem, with the one number to write.
        tables = [key for key in doc if doc[key] != []]
        entries: dict[str, Sequence[tuple[int, BaseModel]]] = {
            "evidence": evidence,
            "retractions": retractions,
            "relief": relief,
        }
        problems.extend(head_problems(header, tables, _versioned_values(entries)))
        problems.extend(
            cross_check(header, evidence, retractions, lines, head=False, relief=relief)
        )
    if problems or header is None:
        return None, problems
    tracker = Tracker(
        header=header,
        evidence=[e for _, e in evidence],
        retractions=[r for _, r in retractions],
        relief=[r for _, r in relief],
    )
    return tracker, []


def _newer_schema(doc: Mapping[str, Any]) -> bool:
    tracker = doc.get("tracker")
    number = tracker.get("schema") if isinstance(tracker, dict) else None
    return type(number) is int and number > max(READABLE_SCHEMAS)


# The prefix condtrack gives each table's ids; hand-written and imported ids may take any
# other form, but not another table's prefix, which would misname the entry's kind.
ID_PREFIXES = {"evidence": "ev-", "relief": "rl-"}
_PREFIX_CASES = {
    table: tuple({prefix, prefix.upper(), prefix.capitalize(), prefix[0] + prefix[1:].upper()})
    for table, prefix in ID_PREFIXES.items()
}


def kind_named(entry_id: str) -> str:
    """What a message calls the entry an id names, by its prefix: "evidence", "relief
    entry", or, for an id of another form, "evidence or relief entry"."""
    for table, cases in _PREFIX_CASES.items():
        if entry_id.startswith(cases):
            return "evidence" if table == "evidence" else "relief entry"
    return "evidence or relief entry"


def foreign_prefix(table: str, entry_id: str) -> str | None:
    """What is wrong with an entry's id that carries another table's prefix, if it does."""
    for other, cases in _PREFIX_CASES.items():
        if other != table and entry_id.startswith(cases):
            noun = "an evidence entry" if table == "evidence" else "a relief entry"
            return (
                f"id {entry_id!r} starts with {entry_id[:3]}, the prefix of {other} "
                f"ids: {noun} may not carry it (rename it, and every reference to it)"
            )
    return None


def cross_check(
    header: Header,
    evidence: Sequence[tuple[int, Evidence]],
    retractions: Sequence[tuple[int, Retraction]],
    lines: _HeaderLines | None = None,
    known_ids: AbstractSet[str] = frozenset(),
    *,
    head: bool = True,
    relief: Sequence[tuple[int, Relief]] = (),
    earlier_relief: Sequence[Relief] = (),
    earlier_retractions: Sequence[Retraction] = (),
    known_cased: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Checks that need the whole file: references resolve, ids are unique, values fit.

    ``known_ids`` are ids already recorded elsewhere (entries checked before these);
    ``earlier_relief`` the relief entries among them (new relief is checked against them),
    ``earlier_retractions`` the retractions recorded with them (an easing they withdrew
    lets no later entry reimpose its measure).
    ``head``: the head's own checks too (``head_problems``, from the head's tables alone).
    ``known_cased``: ``cased_ids(known_ids)``, when the caller keeps it over many calls
    (one import checks each of its rows against the same, growing, ids).
    """
    lines = lines or _HeaderLines(None)
    problems: list[Problem] = head_problems(header) if head else []
    conditions = _conditions_by_id(header)
    new_ids: set[str] = set()
    seen = _Either(known_ids, new_ids)
    cases = _CaseTwins(known_ids, known_cased)
    superseded: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC)
    # A file from before relief (schema 1) may hold any id that is not used twice.
    relief_era = header.tracker.schema_version >= _RELIEF_SCHEMA
    for number, entry in evidence:
        place = _LazyPlace(lines, "evidence", number, entry.id)
        if entry.id in seen:
            problems.append(place.problem(f"id {entry.id!r} is used twice", "id"))
        elif (twin := cases.twin(entry.id)) is not None:
            problems.append(place.problem(_case_twin(entry.id, twin), "id"))
        cases.add(entry.id)
        if relief_era and entry.id.startswith(_PREFIX_CASES["relief"]):
            problems.append(place.problem(str(foreign_prefix("evidence", entry.id)), "id"))
        if entry.supersedes is not None:
            if entry.supersedes not in seen:
                problems.append(
                    place.problem(
                        _unknown_reference(entry.supersedes, cases)
                        or f"supersedes unknown evidence {entry.supersedes!r}",
                        "supersedes",
                    )
                )
            elif entry.supersedes in superseded:
                problems.append(
                    place.problem(
                        f"{entry.supersedes!r} was already amended by "
                        f"{superseded[entry.supersedes]!r}",
                        "supersedes",
                    )
                )
            superseded.setdefault(entry.supersedes, entry.id)
        new_ids.add(entry.id)
        condition = conditions.get(entry.condition)
        if condition is None:
            problems.append(
                place.problem(_unknown("condition", entry.condition, conditions), "condition")
            )
            continue
        if entry.criterion is not None and condition.criterion(entry.criterion) is None:
            valid = [c.id for c in condition.criteria]
            message = _unknown("criterion", entry.criterion, valid, condition.id)
            problems.append(place.problem(message, "criterion"))
        if entry.indicator is not None:
            indicator = condition.indicator(entry.indicator)
            if indicator is None:
                valid = [i.id for i in condition.indicators]
                message = _unknown("indicator", entry.indicator, valid, condition.id)
                problems.append(place.problem(message, "indicator"))
            elif (
                indicator.minimum is not None
                and entry.value is not None
                and entry.value < indicator.minimum
            ):
                problems.append(
                    place.problem(
                        f"{entry.value} is below {indicator.id}'s minimum of {indicator.minimum}",
                        "value",
                    )
                )
        problems.extend(_logged_problems(place, entry.date, entry.logged, now))
    if relief:
        # Retractions recorded before these entries (`relief add`'s), then the file's own,
        # which count from their logged time.
        withdrawals = [
            *((r, True) for r in earlier_retractions),
            *((r, False) for _, r in retractions),
        ]
        problems.extend(
            _relief_problems(
                header, relief, lines, seen, new_ids, earlier_relief, now, withdrawals, cases
            )
        )
    latest = latest_today() if retractions else dt.date.max  # asked only when needed
    for number, retraction in retractions:
        place = _LazyPlace(lines, "retractions", number, None)
        if retraction.evidence not in seen:
            target = retraction.evidence
            problems.append(
                place.problem(
                    _unknown_reference(target, cases)
                    or f"retracts unknown {kind_named(target)} {target!r}",
                    "evidence",
                )
            )
        # A retraction is dated the day it is made (it then applies at every as-of date;
        # --known-at shows what was known before it): a later date would be made up.
        if retraction.date > latest:
            problems.append(
                place.problem(
                    f"dated {retraction.date}, in the future (the latest date anywhere on "
                    f"Earth is {latest}); a retraction is dated the day it is made",
                    "date",
                )
            )
        elif retraction.logged is not None:
            problems.extend(_logged_problems(place, retraction.date, retraction.logged, now))
    return problems


_RELIEF_SCHEMA = lowest_schema(["relief"])  # the first schema with relief
_conditions_of: list[tuple[Header, dict[str, Condition]]] = []  # the last header asked


def _conditions_by_id(header: Header) -> dict[str, Condition]:
    """The header's conditions by id, made once for the same header (an import checks each
    of its rows against one), not once a call."""
    if not _conditions_of or _conditions_of[0][0] is not header:
        _conditions_of[:] = [(header, {c.id: c for c in header.conditions})]
    return _conditions_of[0][1]


def known_id(typed: str, *tables: Mapping[str, Any] | AbstractSet[str]) -> str:
    """The recorded id that ``typed`` names: itself, or the id that differs from it only by
    case (ids are found in any case; ``validate`` refuses two that differ by case alone)."""
    if any(typed in table for table in tables):
        return typed
    lowered = typed.lower()
    for table in tables:
        for entry_id in table:
            if entry_id.lower() == lowered:
                return str(entry_id)
    return typed


def cased_ids(ids: Iterable[str]) -> dict[str, str]:
    """The ids that are not all lowercase, by their lowercase form (none, nearly always:
    condtrack makes lowercase ids); found in one pass in C over that common case."""
    ids = ids if isinstance(ids, AbstractSet) else set(ids)
    joined = "".join(ids)
    if joined == joined.lower():
        return {}
    return {i.lower(): i for i in ids if i != i.lower()}


class _CaseTwins:
    """Ids that differ only by case: condtrack makes lowercase ids and finds an id typed in
    any case (`amend EV-…`), so two ids may not differ by case alone. Ids are ASCII."""

    def __init__(self, known: AbstractSet[str], cased: Mapping[str, str] | None = None) -> None:
        self.known = known  # recorded before: nearly always lowercase, as condtrack makes them
        self.known_cased = cased  # the rest (``cased_ids``), looked for only if needed
        self.new: dict[str, str] = {}

    def twin(self, entry_id: str) -> str | None:
        """An id already seen that differs from ``entry_id`` only by case."""
        lowered = entry_id.lower()
        if lowered != entry_id and lowered in self.known:
            return lowered
        if self.known_cased is None:
            self.known_cased = cased_ids(self.known)
        other = self.new.get(lowered) or self.known_cased.get(lowered)
        return other if other is not None and other != entry_id else None

    def add(self, entry_id: str) -> None:
        self.new.setdefault(entry_id.lower(), entry_id)


def _unknown_reference(
    reference: str, cases: _CaseTwins, among: AbstractSet[str] | None = None
) -> str | None:
    """What is wrong with a reference to an id (an amendment's ``supersedes``, a
    retraction's ``evidence``) that no id matches exactly but one matches in another case:
    the file names an id as stored. (Typed on the command line an id is found in any case
    and recorded as stored; a hand edit must do the same: every reader of the file, the
    scoring, the chains of amendments, the merge driver and the outputs, matches ids
    exactly, so one entry would otherwise go by two spellings.) ``None`` when no id
    matches in any case either: the reference is simply unknown."""
    stored = cases.twin(reference)
    if stored is None or (among is not None and stored not in among):
        return None
    return (
        f"{reference!r} is written in another case than the id it names, which is stored "
        f"as {stored!r}: write {stored!r} (an id in the file is written as stored)"
    )


def _case_twin(entry_id: str, twin: str) -> str:
    return (
        f"id {entry_id!r} differs only by case from {twin!r}: an id is found in any case, "
        "so the two would be one (rename it, and every reference to it)"
    )


def _relief_problems(
    header: Header,
    relief: Sequence[tuple[int, Relief]],
    lines: _HeaderLines,
    seen: _Either,
    new_ids: set[str],
    earlier: Sequence[Relief],
    now: dt.datetime,
    retractions: Sequence[tuple[Retraction, bool]] = (),
    cases: _CaseTwins | None = None,
) -> list[Problem]:
    """Relief entries: ids, amendments, the conditions they were granted for, dates, and a
    reimposition of a measure that no earlier entry eased.

    An easing counts for a reimposition as it stood when the reimposition was logged, as
    `relief add` judges it then: not once an amendment earlier in the file replaced it
    (the amendment, with its own date, counts instead), nor once a retraction logged
    before the reimposition withdrew it. A later amendment or retraction leaves the
    reimposition valid: what was recorded stays as it was."""
    problems: list[Problem] = []
    conditions = [c.id for c in header.conditions]
    relief_ids = {entry.id for entry in earlier}
    superseded = {entry.supersedes: entry.id for entry in earlier if entry.supersedes}
    everything = [*earlier, *(entry for _, entry in relief)]
    # When each easing stopped counting: the order of the amendment that replaced it, and
    # the logged time of the retraction that withdrew its chain.
    replaced_at: dict[str, int] = {}
    for order, entry in enumerate(everything):
        if entry.supersedes is not None:
            replaced_at.setdefault(entry.supersedes, order)
    withdrawn_at = _withdrawn_at(everything, retractions)
    # (date, order, id) of each measure's easing entries, earlier entries first.
    eased: dict[tuple[str, str], list[tuple[dt.date, int, str]]] = {}
    for order, entry in enumerate(everything):
        if entry.easing:
            eased.setdefault(measure_key(entry.sender, entry.measure), []).append(
                (entry.date, order, entry.id)
            )
    cases = cases or _CaseTwins(relief_ids)
    for order, (number, entry) in enumerate(relief, start=len(earlier)):
        place = _LazyPlace(lines, "relief", number, entry.id)
        if entry.id in seen:
            problems.append(place.problem(f"id {entry.id!r} is used twice", "id"))
        elif (twin := cases.twin(entry.id)) is not None:
            problems.append(place.problem(_case_twin(entry.id, twin), "id"))
        cases.add(entry.id)
        wrong = foreign_prefix("relief", entry.id)
        if wrong is not None:
            problems.append(place.problem(wrong, "id"))
        if entry.supersedes is not None:
            if entry.supersedes not in relief_ids:
                kind = "evidence, not relief" if entry.supersedes in seen else "relief"
                problems.append(
                    place.problem(
                        _unknown_reference(entry.supersedes, cases, relief_ids)
                        or f"supersedes unknown {kind} {entry.supersedes!r}",
                        "supersedes",
                    )
                )
            elif entry.supersedes in superseded:
                problems.append(
                    place.problem(
                        f"{entry.supersedes!r} was already amended by "
                        f"{superseded[entry.supersedes]!r}",
                        "supersedes",
                    )
                )
            superseded.setdefault(entry.supersedes, entry.id)
        new_ids.add(entry.id)
        relief_ids.add(entry.id)
        problems.extend(_schema_problems(place, header, "relief", {"action": entry.action}))
        for condition in entry.for_:
            if condition not in conditions:
                problems.append(place.problem(_unknown("condition", condition, conditions), "for"))
        for field, message in relief_field_rules(
            entry.action, entry.date, entry.expires, entry.for_
        ):
            problems.append(place.problem(message, field))
        if entry.action in ("reimposed", "expired"):
            key = measure_key(entry.sender, entry.measure)
            standing, gone = [], []
            for day, at, eased_id in eased.get(key, []):
                if replaced_at.get(eased_id, order) < order:
                    gone.append(f"{eased_id} amended")
                elif withdrawn_at.get(eased_id, entry.logged) < entry.logged:
                    gone.append(f"{eased_id} retracted")
                else:
                    standing.append((day, at))
            if not any(earlier_step < (entry.date, order) for earlier_step in standing):
                verb = "reimposes" if entry.action == "reimposed" else "ends (expired)"
                # Name the entries that stopped an easing counting: after a merge, the
                # retraction or amendment may come from the other branch.
                why = (
                    f" (an easing retracted, or amended to a later date, by the time it was "
                    f"logged does not count: {', '.join(gone)} before it was logged)"
                    if gone
                    else ""
                )
                problems.append(
                    place.problem(
                        f"{verb} {entry.sender} {entry.measure!r}, which no earlier entry "
                        f"eased, lifted or suspended{why}",
                        "action",
                    )
                )
        problems.extend(_logged_problems(place, entry.date, entry.logged, now))
    return problems


def _schema_problems(
    place: _LazyPlace, header: Header, table: str, fields: Mapping[str, str]
) -> list[Problem]:
    """A value of an entry's field that needs a later schema than the file declares, and
    than its table needs (``models.VALUE_SINCE``): an older condtrack would misread it or
    refuse it unexplained. Where it is; the number to write is the head's one hint
    (``head_problems``), not one per entry."""
    declared = header.tracker.schema_version
    problems = []
    for name, value in fields.items():
        needed = entry_schema(table, {name: value})
        if needed > max(declared, TABLE_SINCE.get(table, 1)):
            problems.append(
                place.problem(
                    f"{name} {value!r} needs schema {needed}, but [tracker] schema is {declared}",
                    name,
                )
            )
    return problems


def _versioned_values(
    entries: Mapping[str, Sequence[tuple[int, BaseModel]]],
) -> list[tuple[str, dict[str, object]]]:
    """The values of the entries' fields that may need a later schema (``VALUE_SINCE``), as
    (table, {field: value}) pairs for ``lowest_schema``: each distinct value once."""
    found: dict[tuple[str, str, object], None] = {}
    for table, field in VALUE_SINCE:
        for _, entry in entries.get(table, ()):
            value = getattr(entry, field, None)
            if value is not None:
                found.setdefault((table, field, value))
    return [(table, {field: value}) for table, field, value in found]


def relief_field_rules(
    action: str | None, date: dt.date | None, expires: dt.date | None, for_: Sequence[str]
) -> list[tuple[str, str]]:
    """The rules between a relief entry's own fields, as (field, message) pairs: ``expires``
    only on relief that eases and not before its date, ``for`` only on an action that takes
    it (``FOR_ACTIONS``). A part not known yet (None: a question not yet answered) is not
    judged. One rule for `relief add`, its questions at a terminal and ``validate``."""
    found: list[tuple[str, str]] = []
    if expires is not None:
        if action is not None and action not in EASING_ACTIONS:
            found.append(
                (
                    "expires",
                    f"only relief that eases ({', '.join(EASING_ACTIONS)}) expires, not {action!r}",
                )
            )
        elif date is not None and expires < date:
            found.append(("expires", f"expires {expires}, before the relief's date {date}"))
    if for_ and action is not None and action not in FOR_ACTIONS:
        found.append(
            (
                "for",
                f"{action!r} takes no conditions: a renewal keeps the sanction in force and "
                f"grants nothing (for is for {', '.join(FOR_ACTIONS[:-1])} and "
                f"{FOR_ACTIONS[-1]})",
            )
        )
    return found


# Earlier than any time an entry is logged: a retraction recorded before the entries checked.
_BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)


def _withdrawn_at(
    entries: Sequence[Relief], retractions: Sequence[tuple[Retraction, bool]]
) -> dict[str, dt.datetime]:
    """When each withdrawn relief entry was withdrawn: its chain's earliest retraction, as
    logged (one without ``logged`` from the start of its date, UTC), or before everything
    for a retraction recorded before the entries checked (flagged True). A retraction
    logged in the same second as a reimposition counts as after it: a file never turns
    invalid by a later retraction."""
    if not retractions:
        return {}
    # Each entry's chain, named by its original (as condtrack.domain.chains.chain_roots,
    # which this layer may not import): a link to an unknown id or a loop ends it.
    supersedes = {entry.id: entry.supersedes for entry in entries}
    roots: dict[str, str] = {}
    for start in supersedes:
        current, seen = start, {start}
        while (older := supersedes.get(current)) is not None and older in supersedes:
            if older in seen:
                break
            current = older
            seen.add(current)
        roots[start] = current
    by_chain: dict[str, dt.datetime] = {}
    for retraction, before_all in retractions:
        root = roots.get(retraction.evidence)
        if root is None:
            continue
        when = (
            _BEFORE_ALL
            if before_all
            else retraction.logged or dt.datetime.combine(retraction.date, dt.time(), dt.UTC)
        )
        if root not in by_chain or when < by_chain[root]:
            by_chain[root] = when
    return {entry: by_chain[root] for entry, root in roots.items() if root in by_chain}


def _logged_problems(
    place: _LazyPlace, date: dt.date, logged: dt.datetime, now: dt.datetime
) -> list[Problem]:
    """An entry stamped as logged in the future, or dated after the day it was logged.

    Both allow for time zones as ``latest_today`` does: the day an entry was logged is
    its date in the latest time zone on Earth (UTC+14) at that instant.
    """
    try:
        ahead = logged - now > _LATEST_ZONE
        latest = (logged.astimezone(dt.UTC) + _LATEST_ZONE).date()
    except OverflowError:  # past the year 9999 in UTC
        ahead, latest = True, dt.date.max
    if ahead:
        return [
            place.problem(
                f"logged at {_instant(logged)}, in the future (it is now {_instant(now)})",
                "logged",
            )
        ]
    if date > latest:
        return [
            place.problem(
                f"dated {date} but logged on {logged.date()} ({_instant(logged)}), when the "
                f"latest date anywhere on Earth was {latest}",
                "date",
            )
        ]
    return []


_LATEST_ZONE = dt.timedelta(hours=14)


def _instant(moment: dt.datetime) -> str:
    try:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return moment.isoformat()


def latest_today() -> dt.date:
    """The latest date anywhere on Earth now (UTC+14): later dates are in the future for all.

    Checks against the clock allow for time zones: an analyst's today may be a day ahead
    of the reader's.
    """
    return (dt.datetime.now(dt.UTC) + _LATEST_ZONE).date()


def head_problems(
    header: Header,
    tables: Iterable[str] | None = None,
    values: Iterable[tuple[str, Mapping[str, object]]] = (),
) -> list[Problem]:
    """The head's own cross-checks: the schema number the file's ``tables`` need (by
    default, the head's own) and the ``values`` its entries use ((table, {field: value})
    pairs, ``_versioned_values``), the ids [gate] names.

    The schema number is one problem with one hint, the number ``lowest_schema`` gives the
    whole file, naming what needs it; each entry whose value needs it is listed too
    (``cross_check``), without a hint of its own."""
    problems: list[Problem] = []
    if tables is None:
        tables = [name for name in Header.model_fields if getattr(header, name) is not None]
    tables = [table for table in tables if lowest_schema([table]) > 1]
    values = list(values)
    needed = lowest_schema(tables, values)
    if header.tracker.schema_version < needed:
        newer = [
            f"[[{t}]]" if t in ARRAY_TABLES else f"[{t}]"
            for t in tables
            if lowest_schema([t]) == needed
        ]
        for (table, field), since in VALUE_SINCE.items():
            used = {str(v[field]) for t, v in values if t == table and field in v}
            newer += [
                f"{table} {field} {value!r}" for value in sorted(used) if since.get(value) == needed
            ]
        problems.append(
            Problem(
                "[tracker]",
                f"is {header.tracker.schema_version}, but {', '.join(newer)} "
                f"{'needs' if len(newer) == 1 else 'need'} schema {needed} "
                f"(write schema = {needed}, so that an older condtrack refuses the file "
                "by saying so)",
                "schema",
            )
        )
    if header.gate is not None and header.gate.require is not None:
        valid = [c.id for c in header.conditions]
        for condition_id in header.gate.require:
            if condition_id != "all" and condition_id not in valid:
                problems.append(
                    Problem("[gate]", _unknown("condition", condition_id, valid), "require")
                )
    return problems


class _Either:
    """Membership in either of two sets, without copying the large one."""

    def __init__(self, first: AbstractSet[str], second: AbstractSet[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second


class _LazyPlace:
    """An entry's place, worked out only when a problem is reported."""

    def __init__(self, lines: _HeaderLines, table: str, number: int, entry_id: str | None):
        self.args = (lines, table, number, entry_id)

    def __str__(self) -> str:
        lines, table, number, entry_id = self.args
        return lines.place(table, number, entry_id)

    def problem(self, message: str, field: str | None = None) -> Problem:
        return Problem(str(self), message, field, self.args[3])


def _unknown(what: str, value: str, valid: Iterable[str], owner: str | None = None) -> str:
    belongs = f" for {owner}" if owner else ""
    return f"unknown {what} {value!r}{belongs} {suggest(value, list(valid))}"


def suggest(value: str, valid: Sequence[str]) -> str:
    """The valid choices, and the closest one when the value looks like a typo."""
    return f"(valid: {', '.join(valid) or 'none defined'}){did_you_mean(value, valid)}"


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    """The closest valid choice, compared in any case (`POLITICAL-PRISONERS` is close to
    `political-prisoners`, though ids other than entry ids are matched exactly)."""
    import difflib  # only a typo needs it

    by_lower: dict[str, str] = {}
    for choice in valid:
        by_lower.setdefault(choice.lower(), choice)
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""


def _validate(
    model: type[M],
    raw: Any,
    problems: list[Problem],
    place: str | Callable[[], str],
    hints: _IdHints | None = None,
) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        where = place() if callable(place) else place  # named only when needed: it costs
        problems.extend(_problems_from(error, where, raw, hints, model))
        return None


class _IdHints:
    """A did-you-mean for an entry's mistyped condition, criterion or indicator id."""

    def __init__(self, header: Header | None) -> None:
        self.header = header

    def __call__(self, field: str | None, entry: Any) -> str:
        if self.header is None or not isinstance(entry, dict):
            return ""
        value = entry.get(field) if field else None
        if field not in ("condition", "criterion", "indicator") or not isinstance(value, str):
            return ""
        condition = next(
            (c for c in self.header.conditions if c.id == entry.get("condition")), None
        )
        if field == "condition":
            valid = [c.id for c in self.header.conditions]
        elif condition is None:
            return ""
        elif field == "criterion":
            valid = [c.id for c in condition.criteria]
        else:
            valid = [i.id for i in condition.indicators]
        return did_you_mean(value.lower().replace("_", "-"), valid)


def _validate_list(
    model: type[M],
    raw: Any,
    table: str,
    lines: _HeaderLines,
    problems: list[Problem],
    hints: _IdHints | None = None,
) -> list[tuple[int, M]]:
    if not isinstance(raw, list):
        problems.append(Problem(table, f"must be a list of [[{table}]] tables"))
        return []
    valid: list[tuple[int, M]] = []
    for number, item in enumerate(raw, start=1):

        def place(number: int = number, item: Any = item) -> str:
            entry_id = item.get("id") if isinstance(item, dict) else None
            return lines.place(table, number, entry_id if isinstance(entry_id, str) else None)

        entry = _validate(model, item, problems, place, hints)
        if entry is not None:
            valid.append((number, entry))
    return valid


# What each id pattern of the schema allows, in words.
_PATTERNS = {
    r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$": (
        "lowercase letters, digits and hyphens, 1-64 characters, "
        "starting and ending with a letter or digit"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": (
        "letters, digits and . _ -, 1-64 characters, starting with a letter or digit"
    ),
    r"^(?:all|[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)$": (
        'a condition id, or "all" for every condition; several ids go in a list: '
        'require = ["a", "b"]'
    ),
}
# What each type of the schema expects, and what a value of another type is, in words.
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "date_type": "a date (YYYY-MM-DD, unquoted in TOML)",
    "datetime_type": "a date and time (e.g. 2026-03-03T09:12:00Z)",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}
_BOUNDS = {
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "greater than"),
}


def message_for(detail: ErrorDetails) -> str:
    """A pydantic error in condtrack's words: what is wrong, then what is allowed."""
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    if kind == "extra_forbidden":
        return "unknown field (a typo?)"
    if kind == "missing":
        return "is required"
    if kind in ("string_too_long", "too_long", "string_too_short", "too_short"):
        return _length_message(kind, ctx, value)
    if kind == "string_pattern_mismatch":
        allowed = _PATTERNS.get(str(ctx.get("pattern")), f"the pattern {ctx.get('pattern')}")
        return f"{_shown(value)} is not a valid id ({allowed})"
    if kind == "literal_error":
        return f"{_shown(value)} is not allowed (allowed: {ctx.get('expected')})"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        if isinstance(value, float) and math.isnan(value):
            return f"nan is not a number (allowed: {words} {_number(ctx.get(key))})"
        return f"{_shown(value)} is out of range (allowed: {words} {_number(ctx.get(key))})"
    if kind == "finite_number":
        return f"{_shown(value)} is not a finite number"
    if kind == "timezone_aware":
        return f"{_shown(value)} has no time zone (write it in UTC, e.g. 2026-03-03T09:12:00Z)"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if detail["loc"][-1:] == ("int",):  # the int branch of "int or float": one message
            expected = _EXPECTED["float_type"]
        return f"must be {expected}, not {_kind_of(value)}"
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])  # a check of condtrack's own: its message, as it wrote it
    return detail["msg"]


def _length_message(kind: str, ctx: Mapping[str, Any], value: Any) -> str:
    unit = "items" if isinstance(value, list) else "characters"
    size = len(value) if isinstance(value, list | str) else ctx.get("actual_length")
    if isinstance(value, list):
        if "max_length" in ctx:
            return f"has {size} {unit} (allowed: at most {ctx['max_length']})"
        return f"has {size} {unit} (allowed: at least {ctx.get('min_length')})"
    if "max_length" in ctx:
        return f"is {size} {unit} long (allowed: at most {ctx['max_length']})"
    return f"is too short (allowed: at least {ctx.get('min_length')} {unit})"


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(bound: Any) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    names = {str: "text", int: "a whole number", float: "a number", list: "a list",
             dict: "a table"}  # fmt: skip
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} {_shown(value)}" if kind in (str, int, float) else name
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _problems_from(
    error: ValidationError,
    place: str,
    raw: Any,
    hints: _IdHints | None = None,
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors(include_url=False):
        message = message_for(detail)
        where, field = _describe(detail["loc"], raw, place)
        if hints is not None and detail["type"] == "string_pattern_mismatch":
            message += hints(field, raw)
        if detail["type"] == "extra_forbidden" and model is not None and field is not None:
            message += did_you_mean(field, _field_names(model, detail["loc"][:-1]))
        if detail["type"] == "missing" and model is not None and field is not None:
            message += _misspelt(field, raw, detail["loc"][:-1], model)
        entry = raw.get("id") if isinstance(raw, dict) else None
        problem = Problem(where, message, field, entry if isinstance(entry, str) else None)
        if problem not in problems:  # a union reports once per branch
            problems.append(problem)
    return problems


def _misspelt(field: str, raw: Any, loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    """For a missing field, the unknown key beside it that looks like its misspelling."""
    import difflib

    node = raw
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return ""
    if not isinstance(node, dict):
        return ""
    known = set(_field_names(model, loc))
    unknown = [str(key) for key in node if key not in known]
    close = difflib.get_close_matches(field, unknown, n=1)
    return f" (is {close[0]!r} a misspelling of it?)" if close else ""


def _field_names(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The fields (by the names a file uses) of the table at ``loc`` inside ``model``."""
    import typing

    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = (
            [
                arg
                for arg in typing.get_args(field.annotation) or (field.annotation,)
                if isinstance(arg, type) and issubclass(arg, BaseModel)
            ]
            if field is not None
            else []
        )
        if not inner:
            return []
        model = inner[0]
    return [info.alias or name for name, info in model.model_fields.items()]


def _describe(loc: tuple[int | str, ...], raw: Any, place: str) -> tuple[str, str | None]:
    """Name nested tables as an analyst sees them: ``conditions #2 (id 'x'), criteria #1``."""
    parts = [place] if place else []
    field: str | None = None
    node = raw
    table: str | None = None
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and table is not None:
            node = node[part] if part < len(node) else None
            if isinstance(node, dict):
                entry_id = node.get("id")
                suffix = f" (id {entry_id!r})" if isinstance(entry_id, str) else ""
                parts.append(f"{table} #{part + 1}{suffix}")
                field = None
            else:
                field = f"{table} #{part + 1}"
            table = None
        elif isinstance(part, str) and isinstance(node, dict):
            child = node.get(part)
            if isinstance(child, list) and child and isinstance(child[0], dict):
                table = part
            elif isinstance(child, dict):
                parts.append(f"[{part}]")
            else:
                field = part
            node = child
        else:
            break  # the rest names a union branch or a scalar's inner type
    if table is not None:
        field = table
    return ", ".join(parts) or "top level", field


class _HeaderLines:
    """Finds the line on which the n-th ``[[table]]`` starts, to point the analyst at it."""

    def __init__(self, text: str | None) -> None:
        self._text = text
        self._cache: dict[str, list[int]] = {}

    def line(self, table: str, number: int) -> int | None:
        if self._text is None:
            return None
        if table not in self._cache:
            self._cache[table] = header_lines(self._text, table)
        found = self._cache[table]
        return found[number - 1] if 0 < number <= len(found) else None

    def place(self, table: str, number: int, entry_id: str | None) -> str:
        details = []
        if entry_id is not None:
            details.append(f"id {entry_id!r}")
        line = self.line(table, number)
        if line is not None:
            details.append(f"line {line}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{table} #{number}{suffix}"


def header_lines(text: str, table: str) -> list[int]:
    """The line on which each ``[[table]]`` header starts, in file order."""
    pattern = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(table)}[ \t]*\]\]", re.MULTILINE)
    line_numbers: list[int] = []
    line, position = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        line_numbers.append(line)
    return line_numbers
