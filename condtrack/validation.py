"""Turn a parsed TOML document into a checked ``Tracker``, collecting every problem.

Each problem names its place (entry number, id, line) and field, so one line tells the
analyst what to fix. ``condtrack validate`` lists them all; other commands stop at the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from condtrack.models import Evidence, Header, Retraction, Tracker

M = TypeVar("M", bound=BaseModel)
KNOWN_TABLES = ("tracker", "scoring", "conditions", "evidence", "retractions")


@dataclass(frozen=True)
class Problem:
    place: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.place}, field {self.field!r}" if self.field else self.place
        return f"{where}: {self.message}"


def check_document(
    doc: Mapping[str, Any], text: str | None = None
) -> tuple[Tracker | None, list[Problem]]:
    """Validate a whole document; the tracker is ``None`` when any problem was found."""
    problems: list[Problem] = []
    lines = _HeaderLines(text)
    for key in doc:
        if key not in KNOWN_TABLES:
            problems.append(Problem("top level", f"unknown table or key {key!r}"))

    header_raw = {k: doc[k] for k in ("tracker", "scoring", "conditions") if k in doc}
    header = _validate(Header, header_raw, problems, "")

    evidence = _validate_list(Evidence, doc.get("evidence", []), "evidence", lines, problems)
    retractions = _validate_list(
        Retraction, doc.get("retractions", []), "retractions", lines, problems
    )

    if header is not None:
        problems.extend(cross_check(header, evidence, retractions, lines))
    if problems or header is None:
        return None, problems
    tracker = Tracker(
        header=header,
        evidence=[e for _, e in evidence],
        retractions=[r for _, r in retractions],
    )
    return tracker, []


def cross_check(
    header: Header,
    evidence: Sequence[tuple[int, Evidence]],
    retractions: Sequence[tuple[int, Retraction]],
    lines: _HeaderLines | None = None,
    known_ids: AbstractSet[str] = frozenset(),
) -> list[Problem]:
    """Checks that need the whole file: references resolve, ids are unique, values fit.

    ``known_ids`` are ids already recorded elsewhere (entries checked before these).
    """
    lines = lines or _HeaderLines(None)
    problems: list[Problem] = []
    conditions = {c.id: c for c in header.conditions}
    new_ids: set[str] = set()
    seen = _Either(known_ids, new_ids)
    superseded: dict[str, str] = {}
    for number, entry in evidence:
        place = _LazyPlace(lines, "evidence", number, entry.id)
        if entry.id in seen:
            problems.append(Problem(str(place), f"id {entry.id!r} is used twice", "id"))
        if entry.supersedes is not None:
            if entry.supersedes not in seen:
                problems.append(
                    Problem(
                        str(place),
                        f"supersedes unknown evidence {entry.supersedes!r}",
                        "supersedes",
                    )
                )
            elif entry.supersedes in superseded:
                problems.append(
                    Problem(
                        str(place),
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
                Problem(str(place), _unknown("condition", entry.condition, conditions), "condition")
            )
            continue
        if entry.criterion is not None and condition.criterion(entry.criterion) is None:
            valid = [c.id for c in condition.criteria]
            message = _unknown("criterion", entry.criterion, valid, condition.id)
            problems.append(Problem(str(place), message, "criterion"))
        if entry.indicator is not None:
            indicator = condition.indicator(entry.indicator)
            if indicator is None:
                valid = [i.id for i in condition.indicators]
                message = _unknown("indicator", entry.indicator, valid, condition.id)
                problems.append(Problem(str(place), message, "indicator"))
            elif (
                indicator.minimum is not None
                and entry.value is not None
                and entry.value < indicator.minimum
            ):
                problems.append(
                    Problem(
                        str(place),
                        f"{entry.value} is below {indicator.id}'s minimum of {indicator.minimum}",
                        "value",
                    )
                )
        if (entry.date - entry.logged.date()).days > 1:
            problems.append(
                Problem(
                    str(place), f"dated {entry.date} but logged on {entry.logged.date()}", "date"
                )
            )
    latest = latest_today()
    for number, retraction in retractions:
        place = _LazyPlace(lines, "retractions", number, None)
        if retraction.evidence not in seen:
            problems.append(
                Problem(
                    str(place), f"retracts unknown evidence {retraction.evidence!r}", "evidence"
                )
            )
        # A retraction takes effect on its date: one dated after it was made would withdraw
        # evidence on a day still to come, which no as-of date before it can show.
        if retraction.date > latest:
            problems.append(
                Problem(
                    str(place),
                    f"dated {retraction.date}, in the future (today is {dt.date.today()}); "
                    "a retraction takes effect on the day it is made",
                    "date",
                )
            )
        elif retraction.logged is not None and (
            (retraction.date - retraction.logged.date()).days > 1
        ):
            problems.append(
                Problem(
                    str(place),
                    f"dated {retraction.date} but logged on {retraction.logged.date()}",
                    "date",
                )
            )
    return problems


def latest_today() -> dt.date:
    """The latest date anywhere on Earth now (UTC+14): later dates are in the future for all.

    Checks against the clock allow for time zones: an analyst's today may be a day ahead
    of the reader's.
    """
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date()


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


def _unknown(what: str, value: str, valid: Iterable[str], owner: str | None = None) -> str:
    belongs = f" for {owner}" if owner else ""
    return f"unknown {what} {value!r}{belongs} {suggest(value, list(valid))}"


def suggest(value: str, valid: Sequence[str]) -> str:
    """The valid choices, and the closest one when the value looks like a typo."""
    return f"(valid: {', '.join(valid) or 'none defined'}){did_you_mean(value, valid)}"


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    import difflib  # only a typo needs it

    close = difflib.get_close_matches(value, list(valid), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _validate(
    model: type[M], raw: Any, problems: list[Problem], place: str | Callable[[], str]
) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        where = place() if callable(place) else place  # named only when needed: it costs
        problems.extend(_problems_from(error, where, raw))
        return None


def _validate_list(
    model: type[M],
    raw: Any,
    table: str,
    lines: _HeaderLines,
    problems: list[Problem],
) -> list[tuple[int, M]]:
    if not isinstance(raw, list):
        problems.append(Problem(table, f"must be a list of [[{table}]] tables"))
        return []
    valid: list[tuple[int, M]] = []
    for number, item in enumerate(raw, start=1):

        def place(number: int = number, item: Any = item) -> str:
            entry_id = item.get("id") if isinstance(item, dict) else None
            return lines.place(table, number, entry_id if isinstance(entry_id, str) else None)

        entry = _validate(model, item, problems, place)
        if entry is not None:
            valid.append((number, entry))
    return valid


def _problems_from(error: ValidationError, place: str, raw: Any) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors(include_url=False):
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field (a typo?)"
        elif detail["type"] == "missing":
            message = "is required"
        where, field = _describe(detail["loc"], raw, place)
        problem = Problem(where, message, field)
        if problem not in problems:  # a union reports once per branch
            problems.append(problem)
    return problems


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
