"""Bulk import: rows from CSV or JSON turned into evidence, all checked before any is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack.entries import FieldError, NewEntries, Whole, parse_number
from condtrack.errors import CondtrackError
from condtrack.models import Evidence, Tracker

# Columns an import reads: the fields of `condtrack log`, plus an optional stable id from
# the source system. The others that `condtrack evidence --format csv` exports are set by
# condtrack itself, so an import ignores them.
IGNORED = ("logged", "supersedes", "reason", "retracted", "retraction_reason")
FIELDS = tuple(name for name in Evidence.model_fields if name not in IGNORED)
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


def read_rows(
    path: Path, data_format: str | None, into: Path | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(row number, fields) pairs; CSV rows count from 2, after the header row.

    Only a regular file is read, and at most as much as a tracker may hold (the rows must
    fit in it); ``into``, the tracker, cannot be its own source.
    """
    from condtrack.store import check_output, read_regular

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
    reader = csv.DictReader(io.StringIO(text, newline=""))
    number = 1
    try:
        _check_columns(reader.fieldnames or [], path)
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise CondtrackError(f"{path}: row {number} has more cells than the header")
            yield number, {k: v for k, v in row.items() if k in FIELDS and v not in ("", None)}
    except csv.Error as error:  # e.g. a cell over the csv module's size limit
        raise CondtrackError(f"{path}: row {number + 1}: not readable as CSV: {error}") from None


def _json_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as error:  # ValueError covers JSONDecodeError
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise CondtrackError(f"{path}: not valid JSON: {reason}") from None
    if not isinstance(items, list):
        raise CondtrackError(f"{path}: expected a JSON list of objects")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise CondtrackError(f"{path}: item {number} is not an object")
        _check_columns(list(item), path, number)
        yield number, {k: v for k, v in item.items() if k in FIELDS and v not in ("", None)}


def _check_columns(names: Iterable[str], path: Path, row: int | None = None) -> None:
    unknown = [n for n in names if n not in FIELDS and n not in IGNORED]
    if unknown:
        where = f"item {row}" if row is not None else "header"
        raise CondtrackError(
            f"{path}: {where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})"
        )
    if row is None and not {"condition", "summary", "source"} <= set(names):
        raise CondtrackError(f"{path}: the header needs at least condition, summary and source")


def plan(
    tracker: Tracker, rows: Iterable[tuple[int, Mapping[str, Any]]], logged: dt.datetime
) -> Plan:
    """Check every row against the tracker and each other; nothing is written here."""
    builder = NewEntries(Whole(tracker))
    seen = {_key(e.model_dump()): e.id for e in tracker.evidence}
    seen.update({_key(e.model_dump(), by_url=True): e.id for e in tracker.evidence if e.url})
    entries: list[dict[str, Any]] = []
    duplicates: list[tuple[int, str]] = []
    problems: list[RowProblem] = []
    for number, raw in rows:
        try:
            typed = _typed(raw)
            recorded = _already_recorded(builder, typed)
            if recorded is not None:  # e.g. a row of an exported CSV, imported back
                duplicates.append((number, recorded))
                continue
            entry = builder.evidence(typed, logged)
        except FieldError as error:
            problems.append(RowProblem(number, error.field, error.detail))
            continue
        except CondtrackError as error:
            problems.append(RowProblem(number, None, str(error)))
            continue
        keys = [_key(entry)] + ([_key(entry, by_url=True)] if entry.get("url") else [])
        earlier = next((seen[k] for k in keys if k in seen), None)
        if earlier is not None:
            builder.taken.discard(entry["id"])
            duplicates.append((number, earlier))
            continue
        for key in keys:
            seen[key] = f"row {number}"
        entries.append(entry)
    return Plan(tuple(entries), tuple(duplicates), tuple(problems))


def _typed(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Text cells become the types `log` would produce; JSON values keep theirs."""
    fields = dict(raw)
    for name in ("id", "condition", "criterion", "status", "indicator", "source", "url"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    value = fields.get("value")
    if isinstance(value, str):
        fields["value"] = parse_number(value)
    day = fields.get("date")
    if isinstance(day, str):
        if not _DATE.fullmatch(day.strip()):
            raise FieldError("date", f"{day!r} is not a date (use YYYY-MM-DD)")
        try:
            fields["date"] = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise FieldError("date", f"{day!r} is not a valid date") from None
    elif day is None:
        raise FieldError("date", "is required in an import")
    tags = fields.get("tags")
    if isinstance(tags, str):
        fields["tags"] = [t.strip() for t in re.split(r"[;,]", tags) if t.strip()]
    return fields


def _key(entry: Mapping[str, Any], *, by_url: bool = False) -> tuple[Any, ...]:
    """What makes two entries the same report: condition, date, source, and summary or URL."""
    text = entry.get("url") if by_url else entry.get("summary")
    return (entry.get("condition"), entry.get("date"), entry.get("source"), by_url, text)


def _already_recorded(builder: NewEntries, row: Mapping[str, Any]) -> str | None:
    """The id of the entry a row carries, when the file holds that entry as the same report;
    a row whose id names a different report is left for the id check to refuse."""
    entry_id = row.get("id")
    existing = builder.by_id.get(entry_id) if isinstance(entry_id, str) else None
    if existing is None or _key(existing.model_dump()) != _key(row):
        return None
    return existing.id
