"""The merge when both sides only appended entries to the base: two analysts logging.

The full merge (``driver``) parses all three versions whole: at 100,000 entries that is
seconds and gigabytes for what is, in the common case, "the base, then both sides' new
entries". Here that case is merged on the bytes, and only the appended tables are read:

- the base must be a byte prefix of both sides (compared exactly), ending a line, without a
  byte-order mark or a carriage return anywhere;
- what each side appended must be whole ``[[evidence]]``, ``[[retractions]]`` and
  ``[[relief]]`` tables (read with ``tomllib``, each a valid entry): no other table, no
  change to the head, nothing before its first header but blank lines;
- the base must be known valid: a record of its bytes (``condtrack.storage.remembered``), or
  a record of a side whose appended text holds no multi-line string (then the cut between
  base and side cannot fall inside a string, so the side's record vouches for the base as a
  part of it), or else one check of the base in full, slice by slice (which leaves a record
  for next time);
- the new entries, in the order the full merge puts them, must pass the checks
  ``condtrack validate`` makes, against what the base holds (ids, relief, amendments);
- the result must be byte for byte the full merge's: the full merge writes each part as
  written, a blank line apart, so the base must be spaced so already (one blank line before
  each entry, one newline at the end), hold no multi-line string in its log (where a line
  could look like a header) and no other table after its first entry.

Anything else (an edit to the base, a conflict, an amendment of an old entry that only a
full read can clear) returns ``None``, and the full merge decides, as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from condtrack.git.merge.entries import merge_entries
from condtrack.git.merge.layout import (
    ENTRY_TABLES,
    HEADER_PATTERN,
    Layout,
    Version,
    join,
    layout,
    table_kind,
)
from condtrack.schema.models import Evidence, Header, Relief, Retraction, Tracker, measure_key
from condtrack.schema.reports import reports_of
from condtrack.schema.validation import HEAD_TABLES, cross_check, head_problems
from condtrack.storage import remembered, slices, snapshot, store
from condtrack.storage.portable import CLOEXEC, NONBLOCK

_HEADER = re.compile(HEADER_PATTERN.encode(), re.MULTILINE)
_LINE_OPENING_BRACKET = re.compile(rb"\n[ \t]*\[")  # where a header may start: cheap to find
_MULTILINE_STRING = (b"'''", b'"""')
_BLANK = b" \t\n"
_CHUNK = 4 << 20
_EMPTY = Version("", {}, Layout("", "", {}, [], []))
_MODELS: dict[str, type[Evidence] | type[Retraction] | type[Relief]] = {
    "evidence": Evidence,
    "retractions": Retraction,
    "relief": Relief,
}


@dataclass(frozen=True)
class Appended:
    """The merged file, as parts written one after another (the base is not copied)."""

    parts: tuple[bytes, ...]
    changed: bool  # whether it differs from ours
    added: tuple[Evidence | Retraction | Relief, ...] = ()  # the new entries, checked, in order

    @property
    def content(self) -> bytes:
        return b"".join(self.parts)


@dataclass(frozen=True)
class _Base:
    """What the base holds, as far as new entries are checked against it."""

    ids: AbstractSet[str]  # evidence and relief
    relief: Sequence[Relief]
    superseded: AbstractSet[str] | None  # evidence ids amended in the base; None: not known
    vouched_side: str | None = None  # the side whose record vouched for the base
    # The base's retractions (a reimposition may not end an easing one withdrew); None: not
    # known (records keep no retractions), which only a new reimposition or expiry asks.
    retractions: Sequence[Retraction] | None = None


_UNKNOWN = _Base(frozenset(), (), None)  # no record vouches for the base


def merge_files(base: Path, ours: Path, theirs: Path, *, write: Callable[..., object]) -> bool:
    """Merge three files on disk when both sides only appended: the result's parts go to
    ``write`` (when it differs from ours), then a record and a snapshot of it are left for
    the next command. False: take the full merge (nothing written).

    Only the base is read whole (each side's bytes past the base are read alone), and it
    is let go before the next stage: its facts are read from a record without it, and the
    result is recorded after it is written, from the records, without it (``_remember``)."""
    data = store.read_bytes(base)
    ours_tail, theirs_tail = _tail(ours, data), _tail(theirs, data)
    if ours_tail is None or theirs_tail is None:
        return False
    content, size, head_end = hashlib.sha256(data), len(data), slices.head_length(data)
    del data  # not held while a record is read: the two would add up in the peak memory
    versions = _tail_versions({"ours": ours_tail, "theirs": theirs_tail})
    if versions is None or not head_end:
        return False
    tails = {"ours": ours_tail, "theirs": theirs_tail}
    facts = _recorded(content, size, head_end, tails, versions)
    data = store.read_bytes(base)
    if hashlib.sha256(data).digest() != content.digest():
        return False  # changed while we looked
    merged = merge_appended(data, ours_tail, theirs_tail, facts=facts or _UNKNOWN)
    del data, facts
    remembered.forget_hashed()  # a full check of the base may have hashed its bytes
    if merged is None:
        return False
    if merged.changed:
        write(*merged.parts)
    tail, added = merged.parts[1], merged.added
    del merged  # the base's bytes: recording the result needs none of them
    # The result is written: a record is a speed-up only, and no failure of it may make
    # git take a merge that succeeded for a conflict.
    with contextlib.suppress(Exception):
        _remember(content, size, head_end, tails, versions, tail, added)
    return True


def remember_full(content: bytes, tracker: Tracker) -> None:
    """After a clean full merge of a large tracker: a record and a snapshot of its result,
    so that the next command reads no TOML. ``tracker``: the full merge's check of the very
    document ``tomllib``'s judgement read from ``content`` (the plain path's reading,
    exactly), so it costs no reading, only writing them. Best effort.

    A record also says the bytes may be read slice by slice (``storage.slices``); that
    holds when no multi-line string can hide a line that reads as a header, so none is
    left where the content has one (a snapshot alone would do, but the next `log` needs
    the record)."""
    if len(content) <= remembered.SMALL_BYTES or remembered.records_folder() is None:
        return
    head_end = slices.head_length(content)
    if head_end is None or any(quote in content for quote in _MULTILINE_STRING):
        return
    ids = [e.id for e in tracker.evidence] + [r.id for r in tracker.relief]
    with contextlib.suppress(Exception):  # the result is written: a record is a speed-up only
        remembered.remember(content, head_end, ids, reports_of(tracker.evidence), tracker.relief)
        snapshot.remember(content, tracker)


def merge_versions(base: bytes, ours: bytes, theirs: bytes) -> Appended | None:
    """``merge_files`` for three versions in memory."""
    if not (ours.startswith(base) and theirs.startswith(base)):
        return None
    return merge_appended(base, ours[len(base) :], theirs[len(base) :])


def merge_appended(
    base: bytes, ours_tail: bytes, theirs_tail: bytes, *, facts: _Base | None = None
) -> Appended | None:
    """The base followed by both sides' new entries, as the full merge writes them.

    ``facts``: what records say the base holds, when the caller has looked them up
    (``_UNKNOWN``: no record vouches for it)."""
    if not ours_tail and not theirs_tail:
        return None  # git calls no driver then; the full merge checks the file as it is
    if base.startswith(b"\xef\xbb\xbf") or not base.endswith(b"\n"):
        return None
    if b"\r" in base:  # CRLF files (and stray CRs) take the full merge
        return None
    head_end = slices.head_length(base)
    if not head_end:
        return None  # no entry yet, or no head: small, and the full merge is quick there
    head = _head(base[:head_end])
    if head is None:
        return None
    header, head_tables = head
    tails = {"ours": ours_tail, "theirs": theirs_tail}
    versions = _tail_versions(tails)
    if versions is None:
        return None
    if ours_tail == theirs_tail or not theirs_tail or not ours_tail:
        # One side appended nothing, or both the same: the other side's bytes are the
        # merge, as the full merge has it; only its new entries need checking.
        side = "theirs" if not ours_tail else "ours"
        order = _entries_of(versions[side])
        result = Appended((base, tails[side]), changed=side == "theirs")
    else:
        if _log_tables(base, head_end) is None:
            return None
        merged = merge_entries([_EMPTY, versions["ours"], versions["theirs"]])
        if merged.conflicts or merged.notes:
            return None
        order = merged.order
        result = Appended((base, b"\n" + join(merged.pieces).encode("utf-8")), changed=True)
    # Then what the base holds (the costly part when no record vouches for it).
    if facts is None:
        facts = _recorded(hashlib.sha256(base), len(base), head_end, tails, versions)
    if facts is None or facts is _UNKNOWN:
        facts = _checked(base)
    if facts is None:
        return None
    tables = [*head_tables, *(["relief"] if facts.relief else [])]  # what the schema needs
    valid = _valid(header, tables, facts, order, versions)
    if valid is None:  # an amendment of an old entry: whether it was amended already
        facts = _checked(base)
        valid = facts is not None and _valid(header, tables, facts, order, versions)
    if not valid:
        return None
    try:
        added = tuple(_MODELS[table].model_validate(entry) for table, entry in order)
    except ValidationError:  # checked by ``_valid``: never
        return None
    return dataclasses.replace(result, added=added)


def _remember(
    content: Any,
    size: int,
    head_end: int,
    tails: dict[str, bytes],
    versions: dict[str, Version],
    tail: bytes,
    added: Sequence[Evidence | Retraction | Relief],
) -> None:
    """A record and a snapshot of the merged bytes (the base, then ``tail``), so that the
    first command after a large merge reads no TOML; best effort. ``content``: the base's
    SHA-256, unfinished.

    Never from the whole tracker: the record is the base's record (or a side's, less what
    that side appended) with the new entries, checked by the merge, added, as their lines
    are written (``remembered.remember_derived``); the snapshot is the base's, if any,
    carried on as an append carries it (``snapshot.remember_appended``)."""
    merged_hash = content.copy()
    merged_hash.update(tail)
    merged_size = size + len(tail)
    evidence = [e for e in added if isinstance(e, Evidence)]
    retractions = [e for e in added if isinstance(e, Retraction)]
    relief = [e for e in added if isinstance(e, Relief)]
    new_ids = [e.id for e in evidence] + [e.id for e in relief]
    reports = reports_of(evidence)
    for source, source_size, removed, removed_relief in _sources(content, size, tails, versions):
        if remembered.remember_derived(
            source,
            source_size,
            merged_hash,
            merged_size,
            head_length=head_end,
            removed=removed,
            removed_relief=removed_relief,
            ids=new_ids,
            relief=relief,
            reports=reports,
        ):
            break
    key = remembered.content_key(content)
    if key is not None:
        snapshot.remember_appended(
            key, size, merged_hash, merged_size, evidence, retractions, relief
        )


def _sources(
    content: Any, size: int, tails: dict[str, bytes], versions: dict[str, Version]
) -> Iterator[tuple[Any, int, list[str], list[Relief]]]:
    """The contents whose records may describe the base, as ``_recorded`` looks for them:
    the base itself, then each side with no multi-line string in what it appended; each
    with the ids and relief entries that side appended (its record holds them, the base
    does not)."""
    yield content, size, [], []
    for side, tail in tails.items():
        if not tail or any(quote in tail for quote in _MULTILINE_STRING):
            continue
        entries = _entries_of(versions[side])
        try:
            relief = [Relief.model_validate(e) for t, e in entries if t == "relief"]
        except ValidationError:
            continue
        removed = [str(e.get("id")) for t, e in entries if t in ("evidence", "relief")]
        extended = content.copy()
        extended.update(tail)
        yield extended, size + len(tail), removed, relief


def _tail(path: Path, base: bytes) -> bytes | None:
    """What the file holds past ``base``, if it begins with exactly those bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | NONBLOCK | CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size < len(base):
                return None
            if info.st_size > store.MAX_FILE_BYTES:
                return None
            position = 0
            while position < len(base):
                chunk = handle.read(min(_CHUNK, len(base) - position))
                if not chunk or not base.startswith(chunk, position):
                    return None
                position += len(chunk)
            rest = handle.read(info.st_size - position)
            return None if handle.read(1) else rest  # grown since: take the full merge
        except OSError:
            return None


def _head(head: bytes) -> tuple[Header, list[str]] | None:
    """The base's head, read with ``tomllib`` (it is small), if the full merge's layout
    follows it; and the tables it holds."""
    try:
        text = head.decode("utf-8")
        document = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    if not set(document) <= set(HEAD_TABLES):
        return None
    cut = layout(text, document)
    if cut is None or cut.entries:
        return None
    try:
        header = Header.model_validate(document)
    except ValidationError:
        return None
    return header, [key for key in document if document[key] != []]


def _tail_versions(tails: dict[str, bytes]) -> dict[str, Version] | None:
    versions: dict[str, Version] = {}
    for side, tail in tails.items():
        if tail:
            version = _tail_version(tail)
            if version is None:
                return None
            versions[side] = version
    return versions


def _tail_version(tail: bytes) -> Version | None:
    """What a side appended, if it is whole entry tables after blank lines, read alone."""
    if b"\r" in tail:
        return None
    try:
        text = tail.decode("utf-8")
        document = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    if not document or not set(document) <= set(ENTRY_TABLES):
        return None
    for entries in document.values():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return None
    cut = layout(text, document)
    if cut is None or cut.tables or cut.conditions or not cut.entries:
        return None
    if cut.head.strip(" \t\n"):
        return None  # a comment (or anything) before the first header joins the base's text
    return Version(text, document, cut)


def _entries_of(version: Version) -> list[tuple[str, dict[str, Any]]]:
    """A side's new entries in file order."""
    positions = {table: 0 for table in ENTRY_TABLES}
    found = []
    assert version.layout is not None
    for table, _ in version.layout.entries:
        found.append((table, version.doc[table][positions[table]]))
        positions[table] += 1
    return found


def _recorded(
    content: Any, size: int, head_end: int, tails: dict[str, bytes], versions: dict[str, Version]
) -> _Base | None:
    """What the base holds, from a record of it or of a side (``content``: the base's
    SHA-256, unfinished); None when no record vouches for it."""
    known = remembered.recall_hashed(content, size, reports=False)
    if known is not None and known.head_length == head_end:
        return _Base(known.ids, known.relief, None)
    for side, tail in tails.items():
        if not tail or any(quote in tail for quote in _MULTILINE_STRING):
            continue
        extended = content.copy()
        extended.update(tail)
        known = remembered.recall_hashed(extended, size + len(tail), reports=False)
        if known is None or known.head_length != head_end:
            continue
        facts = _without(known, versions[side], side)
        if facts is not None:
            return facts
    return None


def _checked(base: bytes) -> _Base | None:
    """What the base holds, from one full check of it, slice by slice (which leaves a
    record of it, so that the next merge from it is quick)."""
    tracker = slices.read_tracker(base)
    if tracker is None:
        return None
    return _Base(
        {e.id for e in tracker.evidence} | {r.id for r in tracker.relief},
        tracker.relief,
        {e.supersedes for e in tracker.evidence if e.supersedes is not None},
        retractions=tracker.retractions,
    )


def _without(known: remembered.Known, tail: Version, side: str) -> _Base | None:
    """The base's facts from a side's record: the side's, less what it appended."""
    try:
        added = [_MODELS[t].model_validate(e) for t, e in _entries_of(tail)]
    except ValidationError:
        return None
    new_ids = {e.id for e in added if isinstance(e, Evidence | Relief)}
    relief = [e for e in added if isinstance(e, Relief)]
    if not new_ids <= known.ids or len(relief) > len(known.relief):
        return None
    kept = len(known.relief) - len(relief)
    if list(known.relief[kept:]) != relief:
        return None
    return _Base(known.ids - new_ids, known.relief[:kept], None, side)


def _ends_a_measure_of(relief: Sequence[tuple[int, Relief]], earlier: Sequence[Relief]) -> bool:
    """Whether a new reimposition or expiry names a measure the base holds entries of (the
    base's retractions of them decide whether it may: ``validation.cross_check``)."""
    ending = {
        measure_key(entry.sender, entry.measure)
        for _, entry in relief
        if entry.action in ("reimposed", "expired")
    }
    return bool(ending) and any(measure_key(r.sender, r.measure) in ending for r in earlier)


def _log_tables(base: bytes, head_end: int) -> dict[str, int] | None:
    """How many tables of each kind the base's log holds, if the full merge writes the base
    back exactly: each entry a blank line after the previous part, one newline at the
    end, no multi-line string (which could hold a line that reads as a header), no table
    but entries. ``None`` otherwise."""
    if any(base.find(quote, head_end) >= 0 for quote in _MULTILINE_STRING):
        return None
    if len(base) < 2 or base[-2] in _BLANK:
        return None
    quick = _plain_log_tables(base, head_end)
    if quick is not None:
        return quick
    counts = dict.fromkeys(ENTRY_TABLES, 0)
    for match in _LINE_OPENING_BRACKET.finditer(base, head_end - 1):
        start = match.start() + 1
        header = _HEADER.match(base, start)
        if header is None:
            continue  # a line of a value, not a header
        opening, name, closing = (group.decode("utf-8", "replace") for group in header.groups())
        kind = table_kind(opening, name, closing)
        table = kind.removesuffix("[]") if kind and kind.endswith("[]") else None
        if table not in counts:
            return None
        if base[start - 2 : start] != b"\n\n" or start < 3 or base[start - 3] in _BLANK:
            return None
        counts[table] += 1
    return counts


def _plain_log_tables(base: bytes, head_end: int) -> dict[str, int] | None:
    """``_log_tables`` for a log as condtrack writes it, by counting alone (no line starts
    with a blank, every line that starts with "[" is an entry's plain header a blank line
    after text); None when it is not so plain."""
    if base.count(b"\n ", head_end) or base.count(b"\n\t", head_end):
        return None
    if any(base.count(blank + b"\n\n[", head_end - 3) for blank in (b"\n", b" ", b"\t")):
        return None
    counts = {t: base.count(b"\n\n[[%s]]\n" % t.encode(), head_end - 2) for t in ENTRY_TABLES}
    if sum(counts.values()) != base.count(b"\n[", head_end - 1):
        return None
    return counts


def _valid(
    header: Header,
    tables: Sequence[str],
    base: _Base,
    order: Sequence[tuple[str, dict[str, Any]]],
    versions: dict[str, Version],
) -> bool | None:
    """Whether the new entries, in this order after the base's, leave a valid tracker;
    None when that needs what only a full check of the base knows."""
    numbered: dict[str, list[tuple[int, Any]]] = {table: [] for table in ENTRY_TABLES}
    try:
        for table, entry in order:
            found = numbered[table]
            found.append((len(found) + 1, _MODELS[table].model_validate(entry)))
    except ValidationError:
        return False
    present = [*tables, *(t for t in ENTRY_TABLES if numbered[t])]
    if head_problems(header, present):
        return False
    if base.retractions is None and _ends_a_measure_of(numbered["relief"], base.relief):
        return None  # whether the base withdrew that measure's easing: a full check tells
    problems = cross_check(
        header,
        numbered["evidence"],
        numbered["retractions"],
        known_ids=base.ids,
        head=False,
        relief=numbered["relief"],
        earlier_relief=base.relief,
        earlier_retractions=base.retractions or (),
    )
    if problems:
        return False
    # An amendment of an entry of the base: of evidence (cross_check takes any known id), and
    # of one not amended there already (which only a full read of the base can tell, or a
    # record of the side that made it: that side was checked whole).
    relief_ids = {entry.id for entry in base.relief}
    vouched: set[Any] = set()
    if base.vouched_side is not None:
        vouched = {e.get("id") for _, e in _entries_of(versions[base.vouched_side])}
    unknown = False
    for _, entry in numbered["evidence"]:
        target = entry.supersedes
        if target is None or target not in base.ids:
            continue
        if target in relief_ids:
            return False
        if base.superseded is not None:
            if target in base.superseded:
                return False
        elif entry.id not in vouched:
            unknown = True
    return None if unknown else True
