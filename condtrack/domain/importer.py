"""Bulk import: rows from CSV or JSON turned into evidence and relief entries, all checked
before any is written.

A row's ``kind`` (``evidence`` or ``relief``) says which it is. Without one, a row is
evidence, as every file was before relief existed, unless it holds relief's own fields
(sender, measure, action, ...) and none of evidence's own (condition, criterion, ...), as
each row of `condtrack relief list --format csv|json` does: so that export imports back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sized
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack import progress
from condtrack.domain.entries import (
    RELIEF_KEYS,
    DuplicateError,
    Existing,
    FieldError,
    NewEntries,
    Whole,
    field_errors,
    parse_number,
    stable_id,
    stripped,
)
from condtrack.errors import CondtrackError
from condtrack.schema.models import Evidence, Tracker, grade_counts
from condtrack.schema.reports import report_keys
from condtrack.schema.validation import did_you_mean, known_id
from condtrack.textsafe import csv_text

# Columns an import reads: the fields of `condtrack log`, plus an optional stable id from
# the source system. Of the others that `condtrack evidence --format csv` exports, an
# import refuses a row that amends an entry of this tracker (`condtrack amend` does that,
# with its checks) and a row of a withdrawn entry (imported, it would count again), and
# warns of the columns it leaves out (`logged` is set to now; `supersedes` and `reason` of
# an entry corrected in the tracker it was exported from, which this one does not hold:
# imported as a new entry). A correction whose original comes in the same import (`relief
# list` exports every version) keeps both columns: the chain comes in whole.
AMENDING = ("supersedes", "reason")
RETRACTION = ("retracted", "retraction_reason")
LEFT_OUT = ("logged",)
IGNORED = (*LEFT_OUT, *RETRACTION, *AMENDING)
# What a `retracted` cell holds for an entry that stands: nothing, or a plain no.
_NOT_RETRACTED = ("", "false", "no")
FIELDS = tuple(name for name in Evidence.model_fields if name not in IGNORED)
# A relief row's columns: the fields of `condtrack relief add` (``for`` separated by ';' in
# a CSV, like tags), plus an optional id. The verdicts `relief list` adds to each entry are
# worked out again from the tracker, so they are left out without a word.
RELIEF_FIELDS = tuple(name for name in RELIEF_KEYS if name not in IGNORED)
RELIEF_VERDICTS = (
    "counts", "excluded", "state", "ahead", "compliance_at_date", "score_at_date",
    "status_at_date", "sequencing",
)  # fmt: skip
KINDS = ("evidence", "relief")
_EVIDENCE_ONLY = tuple(name for name in FIELDS if name not in RELIEF_FIELDS)
_RELIEF_ONLY = tuple(name for name in RELIEF_FIELDS if name not in FIELDS)
COLUMNS = ("kind", *FIELDS, *_RELIEF_ONLY)  # what an import reads, as its errors list them
_KNOWN = {*COLUMNS, *IGNORED, *RELIEF_VERDICTS}
_NOT_CHECKED = frozenset((*LEFT_OUT, *RETRACTION, *RELIEF_VERDICTS))  # columns a row's entry drops
_RELIEF_ONLY_SET, _EVIDENCE_ONLY_SET = frozenset(_RELIEF_ONLY), frozenset(_EVIDENCE_ONLY)
_DELIMITERS = (",", ";", "\t")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, field {self.field!r}" if self.field else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Plan:
    entries: tuple[dict[str, Any], ...]
    duplicates: tuple[tuple[int, str], ...]  # (row, what it duplicates)
    problems: tuple[RowProblem, ...]
    rows: tuple[int, ...] = ()  # the row each entry comes from
    minimum: str = "C3"  # the tracker's weakest grade that counts
    left_out: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (column, rows with a value)
    retracted: tuple[int, ...] = ()  # rows of withdrawn entries left out (skip_retracted)
    kinds: tuple[str, ...] = ()  # each entry's table: "evidence" or "relief"
    # Each report key of the evidence entries (``schema.reports.report_keys``) with its id,
    # as the duplicate check worked them out: the record of the result keeps them.
    reports: tuple[tuple[str, str], ...] = ()
    # Each evidence entry, in order, with the model the checks validated it as (its
    # values exactly): the append need not validate them again (``storage.appending``).
    models: tuple[tuple[dict[str, Any], Evidence], ...] = ()

    def tables(self) -> list[tuple[str, dict[str, Any]]]:
        """(table, entry) pairs in row order, as an append takes them."""
        kinds = self.kinds or ("evidence",) * len(self.entries)
        return [(kind, entry) for kind, entry in zip(kinds, self.entries, strict=True)]

    def uncounted(self) -> list[tuple[int, str]]:
        """(row, grade) of each entry (evidence or relief) graded below the minimum:
        recorded, never counted."""
        kinds = self.kinds or ("evidence",) * len(self.entries)
        return [
            (row, entry["reliability"])
            for row, kind, entry in zip(self.rows, kinds, self.entries, strict=True)
            if not grade_counts(entry["reliability"], self.minimum)
        ]


def read_rows(
    path: Path, data_format: str | None, into: Path | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(row number, fields) pairs; CSV rows count from 2, after the header row.

    Only a regular file is read, and at most as much as a tracker may hold (the rows must
    fit in it); ``into``, the tracker, cannot be its own source.
    """
    from condtrack.storage.store import check_output, read_regular

    kind = data_format or ("json" if path.suffix.lower() == ".json" else "csv")
    try:
        data = read_regular(path, "CSV or JSON file")
    except FileNotFoundError:
        raise CondtrackError(f"{path} does not exist") from None
    if into is not None:
        check_output(into, inputs=[path])
    try:  # as a text file reads: any line ending (\r\n, \r) becomes \n
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig").read()
    except UnicodeDecodeError:
        raise CondtrackError(f"{path} is not UTF-8 text") from None
    return list(_json_rows(text, path) if kind == "json" else _csv_rows(text, path))


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)  # the first listed on a tie
    # strict: a quote never closed, or text after a closing quote, is refused rather than
    # read as a cell that swallows the rest of the file, or with the quotes dropped.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number, line = 1, 1  # the row being read, and the line it starts on
    try:
        header = _columns(next(reader, []), path)
        _check_columns(header, path)
        while True:
            number, line = number + 1, reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cells):
                continue  # a blank line, as spreadsheets leave at the end
            if len(cells) > len(header):
                raise CondtrackError(f"{path}: row {number} has more cells than the header")
            # Cells `condtrack evidence --format csv` guarded against formulas read back
            # as the text they were.
            row = {name: csv_text(cell) for name, cell in zip(header, cells, strict=False)}
            yield number, {k: v for k, v in row.items() if v != ""}
    except csv.Error as error:  # e.g. a cell over the csv module's size limit
        raise CondtrackError(
            f"{path}: row {number} (line {line}): not readable as CSV: {_csv_problem(error)}"
        ) from None


def _csv_problem(error: csv.Error) -> str:
    """What a strict CSV reader's error means, in the user's words."""
    message = str(error)
    if message == "unexpected end of data":
        return 'a quoted cell is never closed (a " is missing)'
    if "expected after '\"'" in message:
        return (
            "text follows a quoted cell's closing quote (quote the whole cell, "
            'and double each " inside it)'
        )
    return message


def _json_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(text, object_pairs_hook=_JsonObject.of, parse_int=_json_integer)
    except (ValueError, RecursionError) as error:  # ValueError covers JSONDecodeError
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise CondtrackError(f"{path}: not valid JSON: {reason}") from None
    if not isinstance(items, list):
        raise CondtrackError(f"{path}: expected a JSON list of objects")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise CondtrackError(f"{path}: item {number} is not an object")
        if isinstance(item, _JsonObject) and item.twice is not None:
            raise CondtrackError(f"{path}: item {number}: key {item.twice!r} is given twice")
        for key, value in item.items():
            for what, held in (("key", key), ("field", value)):
                lone = _lone_surrogate(held)
                if lone is not None:
                    raise CondtrackError(
                        f"{path}: item {number}: {what} {key!r} holds a lone surrogate "
                        f"escape (\\u{ord(lone):04x}), which is no character"
                    )
        names = _columns(list(item), path, number)
        _check_columns(names, path, number)
        values = dict(zip(names, item.values(), strict=True))
        yield number, {k: v for k, v in values.items() if v not in ("", None)}


def _json_integer(digits: str) -> int:
    """A JSON integer; one too long for Python to convert (``sys.get_int_max_str_digits``)
    is refused as what it is, not with Python's advice to raise the limit."""
    if len(digits.lstrip("-")) > sys.get_int_max_str_digits() > 0:
        raise ValueError(f"an integer of {len(digits.lstrip('-')):,} digits is implausibly large")
    return int(digits)


# Half of a UTF-16 pair on its own: JSON's "\ud800" escape reads as one, no character.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate in a JSON value (a string, or one in a list or object)."""
    if isinstance(value, str):
        found = _LONE_SURROGATE.search(value)
        return found.group() if found else None
    parts: list[Any] = []
    if isinstance(value, dict):
        parts = [*value, *value.values()]
    elif isinstance(value, list):
        parts = value
    for part in parts:
        lone = _lone_surrogate(part)
        if lone is not None:
            return lone
    return None


class _JsonObject(dict[str, Any]):
    """A JSON object, with the first key it gives twice (``json`` keeps the last value)."""

    twice: str | None = None

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        made = cls(pairs)
        if len(made) < len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    made.twice = key
                    break
                seen.add(key)
        return made


def _columns(names: list[str], path: Path, row: int | None = None) -> list[str]:
    """Column names as condtrack spells them: `Condition`, ` Retraction Reason` match."""
    columns = [re.sub(r"[\s-]+", "_", name.strip()).lower() for name in names]
    for index, column in enumerate(columns):
        if column in columns[:index]:
            where = f"item {row}" if row is not None else "header"
            raise CondtrackError(f"{path}: {where}: column {column!r} is given twice")
    return columns


def _check_columns(names: Iterable[str], path: Path, row: int | None = None) -> None:
    names = list(names)
    unknown = [n for n in names if n not in _KNOWN]
    if unknown:
        where, noun = (f"item {row}", "field") if row is not None else ("header", "column")
        raise CondtrackError(
            f"{path}: {where}: unknown {noun} {unknown[0]!r}{did_you_mean(unknown[0], COLUMNS)} "
            f"({noun}s: {', '.join(COLUMNS)})"
        )
    if row is not None:
        return
    relief = "kind" in names or _relief_shaped(names)
    if not relief and not {"condition", "summary", "source"} <= set(names):
        raise CondtrackError(f"{path}: the header needs at least condition, summary and source")
    if relief and not {"summary", "source"} <= set(names):
        raise CondtrackError(f"{path}: the header needs at least summary and source")


def _relief_shaped(names: Iterable[str]) -> bool:
    """Columns only relief has, and none only evidence has: a `relief list` export."""
    given = set(names)
    return bool(given & _RELIEF_ONLY_SET) and not given & _EVIDENCE_ONLY_SET


def kind_of(row: Mapping[str, Any]) -> str:
    """The table a row's entry goes to: its ``kind``, else evidence unless it is relief-shaped."""
    value = row.get("kind")
    if value is None:
        return "relief" if _relief_shaped(row) else "evidence"
    kind = value.strip().lower() if isinstance(value, str) else None
    if kind not in KINDS:
        raise FieldError("kind", f"{value!r} is not a kind of entry (evidence or relief)")
    return kind


def plan(
    existing: Tracker | Existing,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    logged: dt.datetime,
    *,
    skip_retracted: bool = False,
) -> Plan:
    """Check every row against the tracker and each other; nothing is written here.

    ``existing``: the tracker, or the file as an append sees it (``storage.appending``),
    whose record of what was checked already holds what new rows are checked against (the
    settings, every id and report, the relief entries): then the file's other entries are
    read only for a row that carries the id of one of them (an export imported back).
    A row of a withdrawn entry is a problem, or left out with ``skip_retracted``.
    """
    builder = NewEntries(Whole(existing) if isinstance(existing, Tracker) else existing)
    with progress.task("checking rows", len(rows) if isinstance(rows, Sized) else None) as step:
        return _plan(builder, _originals_first(rows), logged, step, skip_retracted)


def _originals_first(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """The rows in their order, but a row that corrects another row of the import (its
    ``supersedes`` names the id that row carries) after that row: an export lists entries
    by date, so an amendment to an earlier date comes before its original, and read first
    it would lose its ``supersedes`` (its original not yet known) and stand beside its
    original, or be counted a duplicate of it. Rows keep their numbers for messages."""
    listed = list(rows)
    ids = {_cell(row.get("id")) for _, row in listed} - {""}
    if not any(_cell(row.get("supersedes")) in ids for _, row in listed):
        return listed  # the common case: nothing to move
    waiting: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    placed: set[str] = set()
    ordered: list[tuple[int, Mapping[str, Any]]] = []
    for item in listed:
        target = _cell(item[1].get("supersedes"))
        if target in ids and target not in placed and target != _cell(item[1].get("id")):
            waiting.setdefault(target, []).append(item)
            continue
        stack = [item]
        while stack:
            taken = stack.pop()
            ordered.append(taken)
            own = _cell(taken[1].get("id"))
            placed.add(own)
            stack.extend(reversed(waiting.pop(own, [])))
    for stuck in waiting.values():  # a loop of corrections: the checks refuse it
        ordered.extend(stuck)
    return ordered


def _cell(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plan(
    builder: NewEntries,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    logged: dt.datetime,
    step: progress.Advance,
    skip_retracted: bool,
) -> Plan:
    entries: list[dict[str, Any]] = []
    imported: set[str] = set()  # the ids of the rows taken so far
    numbers: list[int] = []
    duplicates: list[tuple[int, str]] = []
    problems: list[RowProblem] = []
    left_out: dict[str, list[int]] = {}
    retracted: list[int] = []
    kinds: list[str] = []
    reports: dict[str, str] = {}
    models: list[tuple[dict[str, Any], Evidence]] = []
    existing_ids = builder.existing.ids  # asked once: a whole tracker's are built on asking
    rows = list(rows)
    links = _Links(rows)
    for number, row in rows:
        step(1)
        withdrawn = _withdrawn(row)
        if withdrawn is not None and skip_retracted:
            retracted.append(number)
            continue
        raw = {k: v for k, v in row.items() if k not in _NOT_CHECKED}
        try:
            kind = kind_of(raw)
            raw.pop("kind", None)
            typed, early = _typed_relief(raw) if kind == "relief" else _typed(raw)
            if early:  # named with the row's other bad fields
                link = _link_problem(links, number, typed, builder)
                _refuse_with([*early, *link], typed, kind, builder, logged, number)
            if kind == "relief":
                recorded = _already_recorded_relief(builder, typed)
            else:
                recorded = _already_recorded(builder, typed, existing_ids)
            if recorded is not None:  # e.g. a row of an exported CSV, imported back
                duplicates.append((number, recorded))
                continue
            if withdrawn is not None:  # into another tracker, it would count again
                raise FieldError(*withdrawn)
            for column in LEFT_OUT:
                if column in row:
                    left_out.setdefault(column, []).append(number)
            corrected = typed.get("supersedes")
            link = _link_problem(links, number, typed, builder)
            if link:  # named with the row's other bad fields, if any
                _refuse_with(link, typed, kind, builder, logged, number)
            if corrected is not None and not builder.holds(corrected):
                # An export's corrected entry, from a tracker that holds what it corrected:
                # here it is a new entry (its history stays where it came from).
                for column in AMENDING:
                    if typed.pop(column, None) is not None:
                        left_out.setdefault(column, []).append(number)
            amends = next((c for c in AMENDING if c in typed), None)
            if amends is not None and corrected in imported:
                amends = None  # an export's history, original and correction both: kept
            if amends is not None:
                raise FieldError(
                    amends,
                    "an import adds new entries only; correct an entry with `condtrack amend`",
                )
            # A row's own id, else one made from its fields (made only then: a row of an
            # export carries its id, and hashing its fields for nothing cost a tenth).
            if kind == "relief":
                if "id" not in typed:
                    typed["id"] = stable_id(typed, builder.taken, "rl-")
                entry = builder.relief(typed, logged, label=f"row {number}")
            else:
                if "id" not in typed:
                    typed["id"] = stable_id(typed, builder.taken)
                entry = builder.evidence(typed, logged)
        except DuplicateError as error:  # a relief step recorded already: the rule of `relief add`
            duplicates.append((number, error.earlier))
            continue
        except FieldError as error:
            problems.extend(RowProblem(number, field, detail) for field, detail in error.problems)
            continue
        except CondtrackError as error:
            problems.append(RowProblem(number, None, str(error)))
            continue
        if kind == "evidence":
            keys = report_keys(entry)
            earlier = builder.duplicate_of(entry, keys)  # the rule `log` applies too
            if earlier is not None:
                builder.taken.discard(entry["id"])
                duplicates.append((number, earlier))
                continue
            builder.note_report(entry, f"row {number}", keys)
            for key in keys:
                reports.setdefault(key, entry["id"])
            model = builder.model_of(entry)
            if model is not None:
                models.append((entry, model))
        entries.append(entry)
        imported.add(entry["id"])
        numbers.append(number)
        kinds.append(kind)
    minimum = builder.existing.header.scoring.min_reliability
    return Plan(
        tuple(entries),
        tuple(duplicates),
        tuple(problems),
        tuple(numbers),
        minimum,
        tuple((column, tuple(found)) for column, found in left_out.items()),
        tuple(retracted),
        tuple(kinds),
        tuple(reports.items()),
        tuple(models),
    )


class _Links:
    """The ids the import's own rows carry and the corrections among them, to refuse a
    ``supersedes`` that names an id in another case than it is spelled (in the tracker or
    in a row of the import: the rule `validate` applies to the file), a row that names
    itself, and a loop of corrections, rather than drop the link with a warning."""

    def __init__(self, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        self.ids: dict[str, int] = {}  # each row's id: the first row that carries it
        self.lowered: dict[str, str] = {}  # each id by its lowercase form
        self.corrects: dict[str, str] = {}  # a row's id: the id its supersedes names
        for number, row in rows:
            own = _cell(row.get("id"))
            if not own:
                continue
            self.ids.setdefault(own, number)
            self.lowered.setdefault(own.lower(), own)
            target = _cell(row.get("supersedes"))
            if target:
                self.corrects.setdefault(own, target)

    def problem(self, number: int, own: Any, target: str, builder: NewEntries) -> str | None:
        """What is wrong with row ``number``'s ``supersedes`` (``target``), or ``None``."""
        own = own.strip() if isinstance(own, str) else ""
        if own and target.lower() == own.lower():
            spelt = "" if target == own else f" (its id {own!r}, in another case)"
            return f"{target!r} names this row itself{spelt}: an entry cannot supersede itself"
        if target in self.ids:
            loop = self._loop(target, own)
            if loop is not None:
                return (
                    "a loop of corrections, each superseding the next: "
                    f"{' -> '.join(repr(i) for i in loop)}; an entry cannot supersede itself, "
                    "even through others"
                )
            return None
        if target in builder.taken:
            return None  # the tracker's own spelling: refused below as an amendment
        in_import = self.lowered.get(target.lower())
        if in_import is not None:
            return (
                f"{target!r} is written in another case than the id it names, which row "
                f"{self.ids[in_import]} of the import spells {in_import!r}: write "
                f"{in_import!r} (an id in the file is written as stored)"
            )
        stored = known_id(target, builder.taken)
        if stored != target:
            return (
                f"{target!r} is written in another case than the id it names, which is "
                f"stored as {stored!r}: write {stored!r} (an id in the file is written as "
                "stored); an import adds new entries only: correct an entry of the tracker "
                "with `condtrack amend`"
            )
        return None

    def _loop(self, target: str, own: str) -> list[str] | None:
        """The ids of a loop of corrections through row ``own``, ``own`` first and last."""
        chain = [own, target]
        seen = {target}
        current = target
        while (following := self.corrects.get(current)) is not None:
            if following == own:
                return [*chain, own]
            if following in seen or following not in self.ids:
                return None  # a loop that leaves this row out: its own rows say so
            chain.append(following)
            seen.add(following)
            current = following
        return None


def _link_problem(
    links: _Links, number: int, typed: Mapping[str, Any], builder: NewEntries
) -> list[tuple[str, str]]:
    """The row's ``supersedes`` refused (``_Links.problem``), as (field, message) pairs."""
    corrected = typed.get("supersedes")
    if not isinstance(corrected, str):
        return []
    wrong = links.problem(number, typed.get("id"), corrected, builder)
    return [] if wrong is None else [("supersedes", wrong)]


def _refuse_with(
    problems: list[tuple[str, str]],
    typed: Mapping[str, Any],
    kind: str,
    builder: NewEntries,
    logged: dt.datetime,
    number: int,
) -> None:
    """Refuse a row for ``problems``, naming its other bad fields too: the row is checked
    as a new entry without the fields at fault, and nothing it makes is kept."""
    fields = {field for field, _ in problems}
    # Its link is checked on its own (``_Links``): what it names may come in a later row.
    rest = {k: v for k, v in typed.items() if k not in (*fields, *AMENDING)}
    taken, made = set(builder.taken), len(builder.batch_relief)
    steps = {key: list(found) for key, found in builder.batch_steps.items()}
    others: list[tuple[str, str]] = []
    try:
        if kind == "relief":
            rest.setdefault("id", stable_id(rest, builder.taken, "rl-"))
            builder.relief(rest, logged, allow_duplicate=True, label=f"row {number}")
        else:
            rest.setdefault("id", stable_id(rest, builder.taken))
            builder.evidence(rest, logged)
    except FieldError as error:
        others = [p for p in error.problems if p[0] not in fields]
    except CondtrackError:
        pass
    finally:  # the row is refused: the builder is left as it was before it
        builder.forget(taken, made, steps)
    raise field_errors([*problems, *others])


def _withdrawn(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, message) when a row says its entry was withdrawn: `evidence` exports a
    retracted entry with its retraction (a date in CSV, ``{date, reason}`` in JSON), and
    `relief list` with why it does not count (``excluded``: "retracted on ...")."""
    excluded = row.get("excluded")
    if isinstance(excluded, str) and excluded.strip().startswith("retracted on "):
        return "excluded", (
            "the entry was retracted, and imported it would count again: leave the row "
            "out, or --skip-retracted leaves out every such row"
        )
    for column in RETRACTION:
        value = row.get(column)
        if value is None or value is False:
            continue
        if isinstance(value, str) and value.strip().lower() in _NOT_RETRACTED:
            continue
        if isinstance(value, dict) and not value:
            continue
        return column, (
            "the entry was retracted, and imported it would count again: leave the row "
            "out, or --skip-retracted leaves out every such row"
        )
    return None


Typed = tuple[dict[str, Any], list[tuple[str, str]]]  # the fields, the problems of others


def _typed(raw: Mapping[str, Any]) -> Typed:
    """Text cells become the types `log` would produce; JSON values keep theirs. A cell
    that cannot be typed is a problem, left out of the fields (so the others are checked)."""
    problems = _not_for("evidence", raw, _RELIEF_ONLY)
    fields = stripped(raw)  # as `log` stores text
    value = fields.get("value")
    if isinstance(value, str):
        try:
            fields["value"] = parse_number(value)
        except FieldError as error:
            problems.extend(("value", detail) for _, detail in error.problems)
    _typed_date(fields, "date", problems)
    _typed_list(fields, "tags")
    return {k: v for k, v in fields.items() if k not in dict(problems)}, problems


def _typed_relief(raw: Mapping[str, Any]) -> Typed:
    """A relief row's cells as `relief add` would type them; JSON values keep theirs."""
    problems = _not_for("relief", raw, _EVIDENCE_ONLY)
    fields = stripped(raw)
    _typed_date(fields, "date", problems)
    _typed_date(fields, "expires", problems, required=False)
    for name in ("for", "tags"):
        _typed_list(fields, name)
    return {k: v for k, v in fields.items() if k not in dict(problems)}, problems


def _not_for(kind: str, raw: Mapping[str, Any], others: Iterable[str]) -> list[tuple[str, str]]:
    """Refuse each field the row's kind of entry does not have, rather than drop it."""
    other = "relief" if kind == "evidence" else "evidence"
    return [
        (name, f"{kind} has no {name} (a row of kind {other!r} has; see the kind column)")
        for name in others
        if name in raw
    ]


def _typed_date(
    fields: dict[str, Any], name: str, problems: list[tuple[str, str]], *, required: bool = True
) -> None:
    day = fields.get(name)
    if isinstance(day, str):
        if not _DATE.fullmatch(day.strip()):
            problems.append((name, f"{day!r} is not a date (use YYYY-MM-DD)"))
            return
        try:
            fields[name] = dt.date.fromisoformat(day.strip())
        except ValueError:
            problems.append((name, f"{day!r} is not a valid date"))
    elif day is None and required:
        problems.append((name, "is required in an import"))


def _typed_list(fields: dict[str, Any], name: str) -> None:
    """A list written in one cell, its items separated by ';' (or ',')."""
    value = fields.get(name)
    if isinstance(value, str):
        fields[name] = [t.strip() for t in re.split(r"[;,]", value) if t.strip()]


def _already_recorded(
    builder: NewEntries, row: Mapping[str, Any], existing_ids: AbstractSet[str]
) -> str | None:
    """The id of the entry a row carries, when the file holds that entry as the same report
    (``existing_ids``: the file's ids); a row whose id names a different report is left for
    the id check to refuse."""
    entry_id = row.get("id")
    if not isinstance(entry_id, str) or entry_id not in existing_ids:
        return None  # no entry of the file has it: asked first, so as not to read them all
    existing = builder.by_id.get(entry_id)
    if existing is None or report_keys(existing)[0] != report_keys(row)[0]:
        return None
    return existing.id


def _already_recorded_relief(builder: NewEntries, row: Mapping[str, Any]) -> str | None:
    """The id a relief row carries, when the file holds that very entry (a ledger exported
    and imported back); a row whose id names a different entry is left for the id check."""
    entry_id = row.get("id")
    existing = builder.relief_by_id.get(entry_id) if isinstance(entry_id, str) else None
    if existing is None:
        return None
    recorded = {
        k: v
        for k, v in existing.as_file().items()
        if k not in ("logged", "reliability") and v != []
    }
    given = {k: v for k, v in row.items() if k != "reliability" and v not in (None, [], "")}
    return existing.id if recorded == given else None
