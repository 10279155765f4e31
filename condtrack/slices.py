"""Reading a large tracker slice by slice, so a 100,000-entry file never exists twice in memory.

A tracker is a head (``[tracker]``, ``[scoring]``, the conditions) followed by many
``[[evidence]]`` and ``[[retractions]]`` tables. Cut before such a header line, each slice
is a TOML document of its own, and the whole file means exactly what its slices mean one
after the other. The cuts are safe because a wrong one cannot go unnoticed: a cut inside a
multi-line string leaves that string unterminated, so the slice before it fails to parse.

This is only a faster way to a valid file's tracker. Anything unusual (a slice that does not
parse, a slice holding anything but entries, an entry that does not validate, a cross-check
problem) returns ``None``, and the caller takes the plain path, which reads the file whole
and reports every problem with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from condtrack import tomlread
from condtrack.models import Evidence, Header, Retraction, Tracker
from condtrack.validation import cross_check

ENTRY_TABLES = frozenset({"evidence", "retractions"})
SLICE_BYTES = 1 << 20  # large enough that the parser's per-call cost vanishes
_ENTRY_HEADER = re.compile(rb"^\[\[(?:evidence|retractions)\]\][ \t]*\r?$", re.MULTILINE)


@cache
def _adapters() -> tuple[TypeAdapter[list[Evidence]], TypeAdapter[list[Retraction]]]:
    return TypeAdapter(list[Evidence]), TypeAdapter(list[Retraction])


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


def read_header(head: bytes) -> Header | None:
    """The head's settings and conditions, if it holds nothing else and validates."""
    document = _document(head.removeprefix(b"\xef\xbb\xbf"))
    if document is None or not set(document) <= {"tracker", "scoring", "conditions"}:
        return None  # entries in the head, or unknown tables: the plain path explains
    try:
        return Header.model_validate(document)
    except ValidationError:
        return None


def read_entries(chunk: bytes) -> tuple[list[Evidence], list[Retraction]] | None:
    """The entries of one slice, validated; ``None`` if it holds anything else or fails."""
    document = _document(chunk)
    if document is None or not set(document) <= ENTRY_TABLES:
        return None
    raw_evidence = document.get("evidence", [])
    raw_retractions = document.get("retractions", [])
    if not isinstance(raw_evidence, list) or not isinstance(raw_retractions, list):
        return None
    evidence, retractions = _adapters()
    try:
        return evidence.validate_python(raw_evidence), retractions.validate_python(raw_retractions)
    except ValidationError:
        return None


def read_tracker(data: bytes) -> Tracker | None:
    """The checked tracker, read slice by slice; ``None`` means: take the plain path."""
    start = head_length(data)
    if start is None:
        return None
    header = read_header(data[:start])
    if header is None:
        return None
    evidence: list[Evidence] = []
    retractions: list[Retraction] = []
    for chunk in entry_slices(data, start):
        entries = read_entries(chunk)
        if entries is None:
            return None
        evidence += entries[0]
        retractions += entries[1]
    numbered_evidence = list(enumerate(evidence, start=1))
    if cross_check(header, numbered_evidence, list(enumerate(retractions, start=1))):
        return None
    return Tracker(header=header, evidence=evidence, retractions=retractions)


def _document(chunk: bytes) -> dict[str, Any] | None:
    try:
        return tomlread.loads_fast(chunk.decode("utf-8"))
    except Exception:  # whatever the reason, the plain path reads it again and says why
        return None
