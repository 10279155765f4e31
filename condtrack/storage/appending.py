"""Appending entries to the tracker: under the lock, all or nothing, never onto a bad file.

An append never changes an existing byte, and it is refused unless the whole result is a
valid tracker. That is proved one of two ways:

- the plain way: read the current file whole, check it, then check the result whole;
- the short way, for new evidence (not amendments) and new relief entries: the current bytes
  are ones condtrack has already checked in full (``storage.remembered``), so the result is
  valid when the new tables, read on their own, are valid entries that fit those checked
  bytes (see ``storage.slices`` for why a file of whole entry tables means what its parts
  mean). The record holds what that needs: every id, the reports, and the relief entries
  (a new relief entry is checked against the earlier ones, as the plain way checks it).

What the new tables read as, and that they are TOML 1.0 at all, is known one of two ways:

- written exactly: every entry is one ``serialize_entry`` writes by its own rules
  (``written_exactly``: bare keys; values that are text, integers within 64 bits, finite
  floats, dates, date-times without an offset or with a whole-minute one, lists of text).
  Then the block is TOML 1.0 by construction: a ``[[table]]`` header line, then one line
  ``key = value`` a field, each value in the form TOML 1.0's grammar gives it, text as a
  basic string in which every character TOML forbids raw (controls but tab, ``"``, ``\\``)
  and every character that could hide text is an escape of TOML 1.0 naming the same
  character. ``tomllib`` accepts such a block and reads it back as exactly the values
  written, as does the fast reader (property tests over hostile text, numbers and times hold
  both: tests/test_import_speed_paths.py). So the entries' own values are what the file
  will hold; they are validated and cross-checked as read ones would be, and no reader runs.
- read back: any other block is read by ``tomllib`` (nobody has vouched for those bytes),
  and what it reads is validated and cross-checked.

The short way answers only "yes"; any doubt takes the plain way, which also words the error.

The first relief entry (and the first ``renewed`` one) raises the file's ``schema`` number
(``schema.models.lowest_schema``) in the same atomic write: the one change to existing bytes
an append makes.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import tomli_w

from condtrack.errors import CondtrackError
from condtrack.schema.models import Evidence, Header, Relief, Retraction, Tracker, lowest_schema
from condtrack.schema.reports import reports_of
from condtrack.schema.validation import cross_check
from condtrack.storage import remembered, slices, snapshot, store
from condtrack.textsafe import serialized_escapes

Entries = Sequence[tuple[str, Mapping[str, Any]]]  # (table, entry) pairs


@dataclass
class Current:
    """The file as it is once the lock is held: what a builder of new entries may consult.

    ``header`` and ``ids`` come from a record when one vouches for these bytes; ``tracker``
    (every entry, checked) is read only if the builder asks for it.
    """

    path: Path
    data: bytes
    known: remembered.Known | None
    _tracker: Tracker | None = None
    _header: Header | None = None
    sliceable: bool = field(default=False)
    _reports: dict[str, str] | None = None
    _ids: frozenset[str] | None = None
    # Each report key of the evidence the builder makes, with its id, when the builder has
    # worked them out already (an import does, for its duplicate check): the record of the
    # result takes them as they are, if they name exactly the evidence appended.
    reports_added: Mapping[str, str] | None = None
    # Each evidence entry the builder made, with the model it validated exactly those values
    # as (an import's checks do): the short way takes the models for those very dicts.
    models_added: Sequence[tuple[Mapping[str, Any], Evidence]] = ()

    @property
    def tracker(self) -> Tracker:
        return self.read_in_full()

    def read_in_full(self) -> Tracker:
        """Every entry, checked (once): raises ``CondtrackError`` if the file is not valid."""
        if self._tracker is None:
            self._tracker, self.sliceable = store.read_checked(self.data, self.path)
        return self._tracker

    @property
    def header(self) -> Header:
        if self._tracker is None and self.known is not None:
            if self._header is None:
                self._header = slices.read_header(self.data[: self.known.head_length], vouched=True)
            if self._header is not None:
                return self._header
        return self.tracker.header

    @property
    def ids(self) -> AbstractSet[str]:
        if self._tracker is None and self.known is not None:
            return self.known.ids  # evidence and relief ids alike
        if self._ids is None:  # once: an import asks for every row
            tracker = self.tracker
            self._ids = frozenset(
                [*(e.id for e in tracker.evidence), *(r.id for r in tracker.relief)]
            )
        return self._ids

    @property
    def relief(self) -> Sequence[Relief]:
        """The relief entries, in file order."""
        if self._tracker is None and self.known is not None:
            return self.known.relief
        return self.tracker.relief

    def retractions_naming(self, ids: AbstractSet[str]) -> Sequence[Retraction]:
        """The retractions of any of ``ids`` (relief ids). A record holds no retractions:
        the file is read in full only when one may name them, that is when an id occurs
        in the bytes more often than the relief entries account for (its own ``id``, the
        ``supersedes`` of its amendments); otherwise there is none."""
        if self._tracker is None and self.known is not None:
            expected = dict.fromkeys(ids, 0)
            for entry in self.known.relief:
                for named in (entry.id, entry.supersedes):
                    if named in expected:
                        expected[named] += 1
            if all(self.data.count(i.encode()) <= n for i, n in expected.items()):
                return []
        return [r for r in self.tracker.retractions if r.evidence in ids]

    @property
    def reports(self) -> Mapping[str, str]:
        """Each report key of the file's entries, with the first entry that made it."""
        if self._tracker is None and self.known is not None:
            return self.known.reports
        if self._reports is None:
            self._reports = reports_of(self.tracker.evidence)
        return self._reports


@dataclass(frozen=True)
class Appended:
    """What an append added, as checked, and the settings it was checked against."""

    header: Header
    evidence: list[Evidence]
    retractions: list[Retraction]
    relief: list[Relief] = field(default_factory=list)


def append(path: Path, build: Callable[[Current], Entries], *, dry_run: bool = False) -> Appended:
    """Append the entries ``build`` makes from the current file, in one atomic write.

    ``build`` sees the file as it is once the lock is held, so ids it picks are unique
    even with many writers. It raises ``CondtrackError`` to refuse; nothing is written.
    ``dry_run`` checks everything and writes nothing.
    """
    if not path.exists():
        store.read_bytes(path)  # raises the same clear error as any read of a missing file
    with store.locked(path):
        identity = store.identity_of(path)
        old = store.read_bytes(path)
        known = remembered.recall(old)
        if known is not None and slices.head_length(old) != known.head_length:
            known = None  # the record is wrong about these bytes: trust none of it
        current = Current(path, old, known)
        if current.known is None:  # never append to a file not checked in full
            current.read_in_full()
        entries = build(current)
        header = current.header
        if not entries:
            return Appended(header, [], [])
        newline = line_ending(old)
        block = b"\n".join(serialize_entry(table, entry) for table, entry in entries)
        block = block.replace(b"\n", newline)  # each one ends a line: strings escape theirs
        tail = (newline if old.endswith(b"\n") or not old else newline * 2) + block
        if len(old) + len(tail) > store.MAX_FILE_BYTES:
            raise CondtrackError(
                f"{path}: refusing to grow the file past {store.MAX_FILE_BYTES // 2**20} MiB"
            )
        before = old
        needed = lowest_schema([table for table, _ in entries], entries)
        if header.tracker.schema_version < needed:
            before = raise_schema(old, needed, path)
        if before is old:
            added = _checked_briefly(current, entries, block)
            added = added or _checked_whole(current, entries, tail)
        else:
            added = _checked_whole(current, entries, tail, before)
        if dry_run:
            return added
        _unchanged_since_read(path, identity)
        store.write_atomic(path, before, tail)
        if before is old:  # a raised schema number changed the bytes a record would extend
            _remember_after(current, tail, added)
        return added


_TABLE_HEADER = re.compile(rb"^[ \t]*\[", re.MULTILINE)
_TRACKER_HEADER = re.compile(rb"^[ \t]*\[[ \t]*tracker[ \t]*\][ \t]*(?:#[^\n]*)?\r?$", re.M)
_SCHEMA_LINE = re.compile(rb"^([ \t]*schema[ \t]*=[ \t]*)(\d+)([ \t]*(?:#[^\r\n]*)?\r?)$", re.M)


def raise_schema(data: bytes, number: int, path: Path) -> bytes:
    """The file's bytes with its ``[tracker]`` ``schema`` raised to ``number``; nothing else
    changes (the line's spacing and comment stay). Proved by reading both: a file written in
    some other way (an inline table, a dotted key) is refused with what to do instead."""
    from condtrack.storage import tomlread

    tracker = _TRACKER_HEADER.search(data)
    following = _TABLE_HEADER.search(data, tracker.end()) if tracker else None
    end = following.start() if following else len(data)
    line = _SCHEMA_LINE.search(data, tracker.end(), end) if tracker else None
    if line is not None:
        raised = data[: line.start(2)] + str(number).encode() + data[line.end(2) :]
        # Only the bytes before the next table change: read them before and after.
        cut = end + len(raised) - len(data)
        try:
            old_doc = tomlread.loads(data[:end].decode("utf-8").removeprefix("\ufeff"))
            new_doc = tomlread.loads(raised[:cut].decode("utf-8").removeprefix("\ufeff"))
        except Exception:  # a cut inside a string, say: refused below
            return _not_raised(path, number)
        tracker_table = old_doc.get("tracker")
        if isinstance(tracker_table, dict):
            tracker_table["schema"] = number
            if new_doc == old_doc:
                return raised
    return _not_raised(path, number)


def _not_raised(path: Path, number: int) -> NoReturn:
    raise CondtrackError(
        f"{path}: the new entries need schema {number}, and the [tracker] table's schema "
        f"could not be raised safely; write `schema = {number}` there by hand and run again"
    )


def line_ending(data: bytes) -> bytes:
    """The file's own line ending, which what is appended keeps: CRLF when its first line
    ends so (a file saved on Windows), else LF."""
    first = data.find(b"\n")
    return b"\r\n" if first > 0 and data[first - 1 : first] == b"\r" else b"\n"


def _checked_briefly(current: Current, entries: Entries, block: bytes) -> Appended | None:
    """The new entries, checked on their own against bytes known to be valid; else None."""
    if current.known is None and not current.sliceable:
        return None
    for table, entry in entries:
        if (table == "evidence" and "supersedes" in entry) or table not in ("evidence", "relief"):
            # Evidence amendments and retractions depend on entries a record does not hold.
            return None
    if all(written_exactly(entry) for _, entry in entries):
        # TOML 1.0 by construction, read back as these very values (see the module's doc).
        given = [entry for table, entry in entries if table == "evidence"]
        models = _models_given(current, given)
        read = slices.validated(
            [] if models is not None else [_plain(entry) for entry in given],
            [],
            [_plain(entry) for table, entry in entries if table == "relief"],
        )
        if read is not None and models is not None:  # validated by the builder already
            read = slices.Entries(models, read.retractions, read.relief)
    else:
        read = slices.read_entries(block)  # by tomllib: nobody has vouched for these bytes
    if read is None:
        return None
    evidence, retractions, relief = read
    if len(evidence) + len(relief) != len(entries) or retractions:
        return None
    if len(relief) != sum(1 for table, _ in entries if table == "relief"):
        return None
    problems = cross_check(
        current.header,
        list(enumerate(evidence, start=1)),
        [],
        known_ids=current.ids,
        relief=list(enumerate(relief, start=1)),
        earlier_relief=current.relief,
    )
    if problems:
        return None
    return Appended(current.header, evidence, [], relief)


def _models_given(current: Current, evidence: Sequence[Mapping[str, Any]]) -> list[Evidence] | None:
    """The models the builder validated these very evidence dicts as (``models_added``),
    when it gives one for each of them, in order; else None (they are validated here)."""
    given = current.models_added
    if not evidence or len(given) != len(evidence):
        return None
    if any(made is not entry for (made, _), entry in zip(given, evidence, strict=True)):
        return None
    return [model for _, model in given]


def _plain(entry: Mapping[str, Any]) -> dict[str, Any]:
    return entry if type(entry) is dict else dict(entry)


def _checked_whole(
    current: Current, entries: Entries, tail: bytes, data: bytes | None = None
) -> Appended:
    """The result, read whole and checked. ``data``: the current bytes as they will be
    written, when they change (a raised schema number)."""
    before = current.tracker  # checked in full, so tomllib accepts the current bytes
    try:
        if data is not None:
            after, _ = store.read_checked(data + tail, current.path)
            current.sliceable = False
        else:
            # Slice by slice, only the last slice (the one the tail joins) needs tomllib.
            sliced = slices.read_tracker(current.data + tail, vouched=len(current.data))
            if sliced is not None:
                after, current.sliceable = sliced, True
            else:
                after, current.sliceable = store.read_checked(current.data + tail, current.path)
    except CondtrackError as error:
        raise CondtrackError(
            f"{current.path}: refusing to append: the result would not be valid ({error})"
        ) from None
    for table in {table for table, _ in entries}:
        count = sum(1 for t, _ in entries if t == table)
        if len(getattr(after, table)) != len(getattr(before, table)) + count:
            raise CondtrackError(f"{current.path}: appending would not add {count} [[{table}]]")
    return Appended(
        after.header,
        after.evidence[len(before.evidence) :],
        after.retractions[len(before.retractions) :],
        after.relief[len(before.relief) :],
    )


def _remember_after(current: Current, tail: bytes, added: Appended) -> None:
    """Vouch for the bytes just written, so the next append can take the short way."""
    new_ids = {e.id for e in added.evidence} | {r.id for r in added.relief}
    relief = [*current.relief, *added.relief]
    if current.known is not None:
        reports = {**_reports_added(current, added), **current.known.reports}
        ids = current.known.ids | new_ids
        remembered.remember_extended(current.known, tail, ids, reports, relief)
        _snapshot_after(current.known.content_hash, current.data, tail, added)
    elif current.sliceable:
        # An append leaves the head as it was, unless it adds the file's first entry.
        head_length = slices.head_length(current.data)
        if head_length is None:
            head_length = slices.head_length(current.data + tail)
        if head_length is not None:
            reports = {**_reports_added(current, added), **current.reports}
            all_ids = set(current.ids) | new_ids
            remembered.remember(current.data + tail, head_length, all_ids, reports, relief)
            _snapshot_after(remembered.content_hash(current.data), current.data, tail, added)


def _reports_added(current: Current, added: Appended) -> Mapping[str, str]:
    """Each report key of the evidence appended, with its id: the builder's, when it gave
    them for exactly these entries (every entry has a key, its summary's), else worked out."""
    given = current.reports_added
    if given is not None and set(given.values()) == {e.id for e in added.evidence}:
        return given
    return reports_of(added.evidence)


def _snapshot_after(old_hash: Any, old: bytes, tail: bytes, added: Appended) -> None:
    """Carry the old bytes' snapshot, if any, on to the new ones: the added entries only."""
    old_key = remembered.content_key(old_hash)
    if old_key is None:
        return
    new_hash = old_hash.copy()
    new_hash.update(tail)
    snapshot.remember_appended(
        old_key,
        len(old),
        new_hash,
        len(old) + len(tail),
        added.evidence,
        added.retractions,
        added.relief,
    )


def _unchanged_since_read(path: Path, identity: tuple[int, int, int, int]) -> None:
    """Refuse to write when the file was deleted, moved or replaced since it was read.

    Writers hold the lock, so only something outside condtrack can do that; writing then
    would resurrect a deleted file or overwrite a replacement.
    """
    try:
        now = os.stat(path)
    except FileNotFoundError:
        raise CondtrackError(f"{path} was deleted or moved while condtrack was writing") from None
    if (now.st_ino, now.st_dev, now.st_size, now.st_mtime_ns) != identity:
        raise CondtrackError(f"{path} was changed by another program while condtrack was writing")


def serialize_entry(table: str, entry: Mapping[str, Any]) -> bytes:
    """One ``[[table]]`` block, with any text-hiding characters escaped.

    Byte for byte what ``_serialize_plain`` writes; an entry's usual values (text, numbers,
    dates, times, lists of text) are written directly, escaped as tomli_w escapes them, many
    times quicker than through tomli_w (an import writes thousands); anything else takes
    tomli_w's way.
    """
    lines = [f"[[{table}]]"]
    for key, value in entry.items():
        literal = _literal(value) if _BARE_KEY.fullmatch(key) else None
        if literal is None:
            return _serialize_plain(table, entry)
        lines.append(f"{key} = {literal}")
    lines.append("")
    return serialized_escapes("\n".join(lines)).encode("utf-8")


_BARE_KEY = re.compile(r"[A-Za-z0-9_]+")  # as the rewrites of _serialize_plain match keys
_ESCAPED = re.compile(r'[\x00-\x08\x0a-\x1f\x7f"\\]')  # what tomli_w writes as an escape
_UTC_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\+00:00")


# tomli_w's escapes in a basic string: its short ones, else \\u and four lower-case digits.
_ESCAPES = {chr(code): "\\u" + hex(code)[2:].rjust(4, "0") for code in [*range(32), 127]}
_ESCAPES |= {"\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
del _ESCAPES["\t"]  # written as it is


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def written_exactly(entry: Mapping[str, Any]) -> bool:
    """Whether ``serialize_entry`` writes ``entry`` by its own rules, as TOML 1.0 that
    ``tomllib`` reads back as exactly these values: bare keys, and values that are text
    (without surrogates: those cannot be written at all), integers within 64 bits (TOML's
    range), finite floats, dates, date-times with no offset or a whole-minute one (TOML's
    offsets are hours and minutes), and lists of text. Anything else is read back by
    ``tomllib`` before an append trusts it (``_checked_briefly``)."""
    for key, value in entry.items():
        if not _BARE_KEY.fullmatch(key) or not _exact(value):
            return False
    return True


_INT64 = range(-(2**63), 2**63)


def _exact(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is dt.date:
        return True
    if kind is int:
        return value in _INT64
    if kind is float:
        return math.isfinite(value)
    if kind is dt.datetime:
        offset = value.utcoffset()
        return offset is None or (
            type(value.tzinfo) is dt.timezone
            and not offset.seconds % 60
            and not offset.microseconds
        )
    if kind is list:
        return all(type(item) is str for item in value)
    return False


def _literal(value: Any) -> str | None:
    """``value`` as tomli_w writes it (after ``_serialize_plain``'s rewrites); None for any
    value it is not sure of, which then takes tomli_w's way."""
    kind = type(value)
    if kind is str:
        return f'"{_ESCAPED.sub(_escape, value)}"'
    if kind is int or kind is float or kind is dt.date:
        return str(value)
    if kind is dt.datetime:
        text = str(value)
        moment = _UTC_MOMENT.fullmatch(text)
        return f"{moment.group(1)}T{moment.group(2)}Z" if moment else text
    if kind is list:
        items = [_literal(item) if type(item) is str else None for item in value]
        if None in items:
            return None
        return f"[{', '.join(items)}]"  # type: ignore[arg-type]  # no None left
    return None


def _serialize_plain(table: str, entry: Mapping[str, Any]) -> bytes:
    """One ``[[table]]`` block, written by tomli_w."""
    # The entry's keys as a table under an explicit header: tomli_w would write a short
    # array of tables inline, which appended after another table would become its key.
    text = f"[[{table}]]\n" + serialized_escapes(tomli_w.dumps(dict(entry)))
    # UTC timestamps in the short form people write by hand: 2026-03-03T09:12:00Z.
    text = _UTC_DATETIME.sub(r"\1T\2Z", text)
    text = _MULTILINE_ARRAY.sub(_one_line_array, text)
    return text.encode("utf-8")


def _one_line_array(match: re.Match[str]) -> str:
    # tomli_w puts one element per line; each line is one complete literal and a comma.
    items = [line.strip().removesuffix(",") for line in match.group(2).splitlines()]
    return f"{match.group(1)} = [{', '.join(items)}]"


_MULTILINE_ARRAY = re.compile(r"^(\w+) = \[\n((?:    [^\n]*,\n)*)\]$", re.MULTILINE)
_UTC_DATETIME = re.compile(r"^(\w+ = \d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\+00:00$", re.MULTILINE)
