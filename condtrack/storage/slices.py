"""Reading a large tracker slice by slice, so a 100,000-entry file never exists twice in memory.

A tracker is a head (``[tracker]``, ``[scoring]``, ``[gate]``, the conditions) followed by
many ``[[evidence]]``, ``[[retractions]]`` and ``[[relief]]`` tables, in any order. Cut
before such a header line, each slice is a TOML document of its own, and the whole file
means exactly what its slices mean one after the other (each table's entries in order). The
cuts are safe because a wrong one cannot go unnoticed: a cut inside a
multi-line string leaves that string unterminated, so the slice before it fails to parse.

This is only a faster way to a valid file's tracker. Anything unusual (a slice that does not
parse, a slice holding anything but entries, an entry that does not validate, a cross-check
problem) returns ``None``, and the caller takes the plain path, which reads the file whole
and reports every problem with its line.

Which reader: ``tomllib`` decides whether text is valid TOML (see ``condtrack.storage.tomlread``);
the fast reader reads only slices of bytes that ``tomllib`` has accepted before (or that
condtrack appended in a form ``tomllib`` accepts by construction: ``storage.appending``),
which a record says (``condtrack.storage.remembered``) or the caller knows. A file read
without such a record and found valid gets one, so the next command reads it fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from condtrack import progress
from condtrack.schema.models import Evidence, Header, Relief, Retraction, Tracker
from condtrack.schema.validation import HEAD_TABLES, cross_check, head_problems
from condtrack.storage import remembered, tomlread

ENTRY_TABLES = frozenset({"evidence", "retractions", "relief"})
SLICE_BYTES = 1 << 20  # large enough that the parser's per-call cost vanishes
_ENTRY_HEADER = re.compile(rb"^\[\[(?:evidence|retractions|relief)\]\][ \t]*\r?$", re.MULTILINE)


class Entries(NamedTuple):
    """The entries of one slice (or of several), each table's in file order."""

    evidence: list[Evidence]
    retractions: list[Retraction]
    relief: list[Relief]


@cache
def _adapters() -> tuple[
    TypeAdapter[list[Evidence]], TypeAdapter[list[Retraction]], TypeAdapter[list[Relief]]
]:
    return TypeAdapter(list[Evidence]), TypeAdapter(list[Retraction]), TypeAdapter(list[Relief])


def head_length(data: bytes) -> int | None:
    """Where the first entry table starts; ``None`` when there is none."""
    first = _ENTRY_HEADER.search(data)
    return first.start() if first else None


def entry_slices(data: bytes, start: int) -> Iterator[bytes]:
    """Runs of whole entry tables from ``start``, each about SLICE_BYTES long."""
    while start < len(data):
        following = _ENTRY_HEADER.search(data, start + SLICE_BYTES)
        end = following.start() if following else len(data)
        yield data[start:end]
        start = end


def read_header(head: bytes, *, vouched: bool = False) -> Header | None:
    """The head's settings and conditions, if it holds nothing else and validates.

    ``vouched``: ``tomllib`` is known to accept these bytes, so the fast reader may read them.
    """
    document = _document(head.removeprefix(b"\xef\xbb\xbf"), vouched)
    if document is None or not set(document) <= set(HEAD_TABLES):
        return None  # entries in the head, or unknown tables: the plain path explains
    try:
        return Header.model_validate(document)
    except ValidationError:
        return None


def read_entries(chunk: bytes, *, vouched: bool = False) -> Entries | None:
    """The entries of one slice, validated; ``None`` if it holds anything else or fails."""
    document = _document(chunk, vouched)
    if document is None or not set(document) <= ENTRY_TABLES:
        return None
    raw = [document.get(table, []) for table in ("evidence", "retractions", "relief")]
    if not all(isinstance(entries, list) for entries in raw):
        return None
    return validated(*raw)


def validated(evidence: list[Any], retractions: list[Any], relief: list[Any]) -> Entries | None:
    """Each table's entries from their values (as a TOML document holds them), validated in
    one call a table; ``None`` if any fails."""
    adapters = _adapters()
    try:
        return Entries(
            adapters[0].validate_python(evidence),
            adapters[1].validate_python(retractions),
            adapters[2].validate_python(relief),
        )
    except ValidationError:
        return None


def read_tracker(data: bytes, *, vouched: int | None = None) -> Tracker | None:
    """The checked tracker, read slice by slice; ``None`` means: take the plain path.

    ``vouched``: how many leading bytes ``tomllib`` is known to accept, as whole slices of a
    valid tracker; ``None`` asks the records, and records a large file found valid.
    """
    start = head_length(data)
    if start is None:
        return None
    record = vouched is None and len(data) > remembered.SMALL_BYTES
    if vouched is None:
        vouched = 0
        if record:
            known = remembered.recall(data)
            if known is not None and known.head_length == start:
                vouched, record = len(data), False
    header = read_header(data[:start], vouched=start <= vouched)
    if header is None:
        return None
    evidence: list[Evidence] = []
    retractions: list[Retraction] = []
    relief: list[Relief] = []
    end = start
    with progress.task("reading the tracker", total=len(data)) as advance:
        advance(start)
        for chunk in entry_slices(data, start):
            end += len(chunk)
            entries = read_entries(chunk, vouched=end <= vouched)
            if entries is None:
                return None
            evidence += entries.evidence
            retractions += entries.retractions
            relief += entries.relief
            advance(len(chunk))
        if problems(header, evidence, retractions, relief):
            return None
        if record:
            from condtrack.schema.reports import reports_of

            ids = [*(e.id for e in evidence), *(r.id for r in relief)]
            remembered.remember(data, start, ids, reports_of(evidence), relief)
    return Tracker(header=header, evidence=evidence, retractions=retractions, relief=relief)


def problems(
    header: Header,
    evidence: list[Evidence],
    retractions: list[Retraction],
    relief: list[Relief],
) -> bool:
    """Whether the whole file's checks find anything, as the plain path makes them: the
    head's (with the schema number the file's tables need) and the cross-checks."""
    tables = [name for name in Header.model_fields if getattr(header, name) is not None]
    if relief:
        tables.append("relief")
    if head_problems(header, tables):
        return True
    numbered = list(enumerate(evidence, start=1))
    return bool(
        cross_check(
            header,
            numbered,
            list(enumerate(retractions, start=1)),
            head=False,
            relief=list(enumerate(relief, start=1)),
        )
    )


def _document(chunk: bytes, vouched: bool) -> dict[str, Any] | None:
    read = tomlread.loads_vouched if vouched else tomlread.loads
    try:
        return read(chunk.decode("utf-8"))
    except Exception:  # whatever the reason, the plain path reads it again and says why
        return None
