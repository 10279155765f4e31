"""Merge three versions of a tracker file by meaning: the work of git's merge driver for it.

Git merges line by line, so two analysts who each append evidence at the end of the file
always "conflict". Here each part merges as a value:

- ``[tracker]``, ``[scoring]`` and each condition (by id) merge 3-way: a side that left a
  part unchanged takes the other side's version; equal changes agree; different changes
  conflict. A condition both sides changed is merged further (its own fields, then each
  criterion, indicator and offset), so edits to different criteria do not conflict.
- Evidence, retractions and relief are the union of both sides, by id (a retraction by the
  entry it withdraws); the same id with different content on each side conflicts, and so
  do two amendments of one entry (evidence or relief), one on each side. ``[tracker]``
  changed on both sides merges when one side only raised its ``schema`` (its first relief
  entry), taking the higher number. An entry
  one side deleted is kept: the log is append-only (corrections are amendments,
  withdrawals retractions), so a deletion is a hand edit that ``validate --against-git``
  refuses, and honouring it would drop a record without anyone deciding to.
- Entries from the base keep their order; new ones follow in the order they were logged
  (then by id), each amendment after what it amends, so the result is the same whichever
  side is "ours".
- Each part's text is copied from the version it comes from (``merge_layout``). The
  result must read back as the merged data and pass the checks of ``condtrack validate``;
  otherwise the merge reports a conflict and leaves "ours" byte for byte as it was: it never
  writes a file condtrack would refuse (one side's retraction of an easing beside the
  other's reimposition of its measure, say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from condtrack.errors import CondtrackError
from condtrack.git.merge.entries import merge_entries
from condtrack.git.merge.keyed import (
    CLASH,
    Item,
    Slot,
    clash_message,
    items,
    merge_keyed,
    side_text,
    three_way,
)
from condtrack.git.merge.layout import (
    ENTRY_TABLES,
    HEAD_TABLES,
    SUB_TABLES,
    Marked,
    Piece,
    Version,
    condition_text,
    dumps,
    entry_text,
    join,
    layout,
    own_text,
    sub_text,
    table_text,
    tidy,
)
from condtrack.schema.models import Tracker
from condtrack.schema.validation import check_document
from condtrack.storage import remembered, tomlread
from condtrack.storage.store import parse

_SUB_KEYS = {"criteria": ("id",), "indicators": ("id",), "offsets": ("outflow", "inflow")}
_SUB_NAMES = {"criteria": "criterion", "indicators": "indicator", "offsets": "offset"}


@dataclass(frozen=True)
class MergeResult:
    content: bytes  # what to write over "ours": merged, or with conflict markers
    conflicts: list[str]  # one line each, naming the part; raw text, to escape for output
    notes: list[str] = field(default_factory=list)  # worth a quiet line even when clean
    tracker: Tracker | None = None  # the merged tracker, checked, when clean

    @property
    def clean(self) -> bool:
        return not self.conflicts


@dataclass
class _Part:
    pieces: list[Piece] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def merge_trackers(
    base: bytes, ours: bytes, theirs: bytes, *, name: str = "conditions.toml", marker_size: int = 7
) -> MergeResult:
    """Merge ``ours`` and ``theirs`` from their common ``base``; raise when one is unreadable."""
    labelled = zip((base, ours, theirs), ("base", "ours", "theirs"), strict=True)
    versions = tuple(_read(data, f"{name} ({label})") for data, label in labelled)
    head = _merge_head(versions)
    log = merge_entries(versions)
    newline = _line_end(versions)
    conflicts = head.conflicts + log.conflicts
    pieces = head.pieces + log.pieces
    if conflicts:
        text = _ending(join(pieces, newline=newline, marker_size=marker_size), newline)
        return MergeResult(text.encode("utf-8"), conflicts, log.notes)
    notes = list(log.notes)
    trivial = _trivial(versions, (base, ours, theirs))
    if trivial is not None:
        text, doc = trivial.text, trivial.doc
        ended = _ending(text, newline)
        if ended != text:  # the side's own mixed line ends: one style, as every merge writes
            doc, text = parse(ended.encode("utf-8"), Path(name))
    else:
        expected = {**head.data, **log.data}
        text, doc, kept_text = _faithful(pieces, expected, log.order, newline)
        if not kept_text:
            notes.append("the original formatting could not be kept; the file was rewritten")
    tracker, problems = check_document(doc, text)
    if problems:
        # Never a file condtrack refuses: ours stays as it was, and git keeps its conflict.
        invalid = [f"the merged file would not validate: {problem}" for problem in problems]
        notes.append(
            f"{name} is left as it was on ours; `git show :3:{name}` shows theirs: log again "
            "what can stand together"
        )
        return MergeResult(ours, invalid, notes)
    return MergeResult(text.encode("utf-8"), [], notes, tracker)


def _style(text: str) -> str:
    """A version's line end: CRLF when most of its lines end so, else LF."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _line_end(versions: Sequence[Version]) -> str:
    """The merged file's line end, merged like any other change: a side that changed it wins.

    Base LF and theirs CRLF gives CRLF (theirs converted the file); both unchanged keeps the
    base's. The two sides cannot disagree against the base with only two styles.
    """
    base, ours, theirs = (_style(version.text) for version in versions)
    return theirs if ours == base else ours


def _ending(text: str, newline: str) -> str:
    """The text with every line ending in ``newline``: parts copied from each side keep
    their own line ends, and a file must not mix them."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", newline) if newline != "\n" else text


def _trivial(versions: Sequence[Version], data: Sequence[bytes]) -> Version | None:
    """When one side changed nothing, the other side's text is the merge (its line ends
    made one style by the caller, as every merge writes them)."""
    base, ours, theirs = data
    if theirs in (base, ours):
        return versions[1]
    return versions[2] if ours == base else None


def _read(data: bytes, where: str) -> Version:
    doc, text = _vouched(data) or parse(data, Path(where))
    _check_shape(doc, where)
    return Version(text, doc, layout(text, doc))


def _vouched(data: bytes) -> tuple[dict[str, Any], str] | None:
    """A large version whose bytes a record vouches for (``condtrack.storage.remembered``), read by
    the fast reader: tomllib has accepted them before. ``None``: ``parse`` decides."""
    if len(data) <= remembered.SMALL_BYTES or remembered.recall(data) is None:
        return None
    text = data.decode("utf-8")
    return tomlread.loads_vouched(text.removeprefix("\ufeff")), text


def _check_shape(doc: Mapping[str, Any], where: str) -> None:
    """Refuse what cannot be merged part by part; finer problems are left to validation."""
    for table in HEAD_TABLES:
        if table in doc and not isinstance(doc[table], dict):
            raise CondtrackError(f"{where}: [{table}] must be a table")
    for table in ("conditions", *ENTRY_TABLES):
        if not _tables(doc.get(table, [])):
            raise CondtrackError(f"{where}: {table} must be a list of [[{table}]] tables")
    for number, condition in enumerate(doc.get("conditions", []), start=1):
        for kind in SUB_TABLES:
            if not _tables(condition.get(kind, [])):
                raise CondtrackError(
                    f"{where}: conditions #{number}, field {kind!r}: "
                    f"must be a list of [[conditions.{kind}]] tables"
                )


def _tables(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


# --- the head: [tracker], [scoring], the conditions ----------------------------------------


def _merge_head(versions: Sequence[Version]) -> _Part:
    part = _Part(pieces=[_preamble(versions)])
    extras = [_extra_items(v) for v in versions]
    for slot in merge_keyed(*extras, union=False, new_order=_by_rank):
        _place(part, slot, f"top-level key {slot.key[1]!r}", partial(_extra_text, slot.key[1]))
        if not slot.clash:
            part.data[slot.key[1]] = slot.data
    for table in HEAD_TABLES:
        tables = [_table_items(v, table) for v in versions]
        for slot in merge_keyed(*tables, union=False, new_order=_by_rank):
            if table == "tracker" and slot.clash:
                slot = _raised_schema(slot)
            _place(part, slot, f"[{table}]", partial(table_text, table))
            if not slot.clash:
                part.data[table] = slot.data
    conditions: list[Any] = []
    for slot in merge_keyed(
        *[_condition_items(v) for v in versions], union=False, new_order=_by_rank
    ):
        what = f"condition {slot.key[1]!r}"
        if slot.clash and slot.ours is not None and slot.theirs is not None:
            conditions.append(_refine(part, slot, versions, what))
        else:
            _place(part, slot, what, condition_text)
            conditions.append(slot.data)
    if any("conditions" in v.doc for v in versions):
        part.data["conditions"] = conditions
    if not part.conflicts:
        whole = _verbatim_head(versions, part.data)
        if whole is not None:
            part.pieces = [whole]
    return part


def _raised_schema(slot: Slot) -> Slot:
    """``[tracker]`` changed on both sides, where one side's change is only the higher
    ``schema`` number its first relief entry needed: the other's change with that number.

    condtrack raises the number, never lowers it, and the merged file needs the higher one
    whenever it holds what made a side raise it; any other difference is still a conflict.
    """
    sides = [slot.base, slot.ours, slot.theirs]
    if any(item is None or not isinstance(item.data, dict) for item in sides):
        return slot
    numbers = [item.data.get("schema") for item in sides if item is not None]
    if not all(type(number) is int for number in numbers):
        return slot
    rest = [
        {k: v for k, v in item.data.items() if k != "schema"} for item in sides if item is not None
    ]
    merged = three_way(*rest)
    if merged is CLASH:
        return slot
    return replace(slot, data={**merged, "schema": max(numbers)})


def _place(part: _Part, slot: Slot, what: str, render: Callable[[Any], str]) -> None:
    """One part's text, or both sides' between conflict markers."""
    if slot.clash:
        part.conflicts.append(clash_message(what, slot))
        part.pieces.append(Marked(side_text(slot.ours, render), side_text(slot.theirs, render)))
    else:
        part.pieces.append(slot.text() or render(slot.data))


def _refine(part: _Part, slot: Slot, versions: Sequence[Version], what: str) -> Any:
    """Merge a condition both sides changed field by field and criterion by criterion."""
    sides = [slot.base, slot.ours, slot.theirs]
    owns, subs = zip(
        *(_condition_parts(v, item) for v, item in zip(versions, sides, strict=True)), strict=True
    )
    merged: dict[str, Any] = {}
    for own in merge_keyed(*owns, union=False, new_order=_by_rank):
        _place(part, own, what, own_text)
        if not own.clash:
            merged.update(own.data)
    for kind in SUB_TABLES:
        slots = merge_keyed(*(s[kind] for s in subs), union=False, new_order=_by_rank)
        for sub in slots:
            what_sub = f"{what}, {_SUB_NAMES[kind]} {sub.key[1]!r}"
            _place(part, sub, what_sub, partial(sub_text, kind))
        if slots or any(item is not None and kind in item.data for item in sides):
            merged[kind] = [sub.data for sub in slots if not sub.clash]
    return merged


def _condition_parts(
    version: Version, item: Item | None
) -> tuple[list[Item], dict[str, list[Item]]]:
    if item is None:
        return [], {kind: [] for kind in SUB_TABLES}
    condition: dict[str, Any] = item.data
    text = version.layout.conditions[item.rank] if version.layout else None
    own = {k: v for k, v in condition.items() if k not in SUB_TABLES}
    subs = {
        kind: items(
            kind, condition.get(kind, []), _SUB_KEYS[kind], text.subs[kind] if text else None
        )
        for kind in SUB_TABLES
    }
    return [Item(("own", "", 0), own, text.own if text else None, 0)], subs


def _preamble(versions: Sequence[Version]) -> str:
    """The opening comments: any side's rewording is kept (see ``Slot.text``)."""
    texts = [
        Item(("preamble", "", 0), None, tidy(v.layout.preamble), 0) if v.layout else None
        for v in versions
    ]
    return Slot(("preamble", "", 0), texts[0], texts[1], texts[2], None).text() or ""


def _verbatim_head(versions: Sequence[Version], merged: dict[str, Any]) -> str | None:
    """The head of a side whose head is the merged one, exactly as it was written."""
    heads = [
        Item(("head", "", 0), _head_data(v), tidy(v.layout.head), 0) if v.layout else None
        for v in versions
    ]
    return Slot(("head", "", 0), heads[0], heads[1], heads[2], merged).text()


def _extra_text(key: str, data: Any) -> str:
    return tidy(dumps({key: data}))


def _head_data(version: Version) -> dict[str, Any]:
    return {k: v for k, v in version.doc.items() if k not in ENTRY_TABLES}


def _table_items(version: Version, table: str) -> list[Item]:
    if table not in version.doc:
        return []
    text = version.layout.tables.get(table) if version.layout else None
    return [Item((table, "", 0), version.doc[table], text, 0)]


def _extra_items(version: Version) -> list[Item]:
    known = {*HEAD_TABLES, "conditions", *ENTRY_TABLES}
    extra = [(k, v) for k, v in version.doc.items() if k not in known]
    return [Item(("extra", k, 0), v, None, n) for n, (k, v) in enumerate(extra)]


def _condition_items(version: Version) -> list[Item]:
    texts = [c.whole for c in version.layout.conditions] if version.layout else None
    return items("conditions", version.doc.get("conditions", []), ("id",), texts)


def _by_rank(slot: Slot) -> tuple[int, tuple[str, str, int]]:
    """New parts follow in each side's own order, interleaved the same way from either side."""
    return min(item.rank for item in (slot.ours, slot.theirs) if item is not None), slot.key


# --- writing the result ---------------------------------------------------------------------


def _faithful(
    pieces: Sequence[Piece],
    expected: dict[str, Any],
    order: Sequence[tuple[str, dict[str, Any]]],
    newline: str,
) -> tuple[str, dict[str, Any], bool]:
    """The merged text, its document, and whether it kept the sides' own text.

    Copying text relies on reading the layout right; the copy is used only if it reads
    back as the merged data. Otherwise (a layout the slicer does not follow) every part is
    written from its data, and as a last resort the whole document is serialized.
    """
    attempts: list[Callable[[], str]] = [
        lambda: _ending(join(pieces, newline=newline), newline),
        lambda: _ending(join(_canonical(expected, order)), newline),
        lambda: _ending(dumps(expected), newline),
    ]
    for number, attempt in enumerate(attempts):
        text = attempt()
        document = _read_back(text, expected)
        if document is not None:
            return text, document, number == 0
    raise CondtrackError(
        "the merged tracker could not be written faithfully (a bug; please report it)"
    )


def _canonical(
    expected: Mapping[str, Any], order: Sequence[tuple[str, dict[str, Any]]]
) -> list[Piece]:
    known = {*HEAD_TABLES, "conditions", *ENTRY_TABLES}
    pieces: list[Piece] = [_extra_text(k, v) for k, v in expected.items() if k not in known]
    pieces += [table_text(t, expected[t]) for t in HEAD_TABLES if t in expected]
    pieces += [condition_text(c) for c in expected.get("conditions", [])]
    pieces += [entry_text(table, entry) for table, entry in order]
    return pieces


def _read_back(text: str, expected: Mapping[str, Any]) -> dict[str, Any] | None:
    """The document the text reads as, if it is the expected one."""
    try:
        document = tomlread.loads(text.removeprefix("\ufeff"))
    except (tomlread.TOMLDecodeError, ValueError, RecursionError):
        return None
    return document if _normalized(document) == _normalized(expected) else None


def _normalized(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Empty lists of tables read the same as absent ones: ``indicators = []`` is no indicators."""
    out = {k: v for k, v in doc.items() if not (k in ENTRY_TABLES and v == [])}
    if isinstance(out.get("conditions"), list):
        out["conditions"] = [
            {k: v for k, v in c.items() if not (k in SUB_TABLES and v == [])}
            if isinstance(c, dict)
            else c
            for c in out["conditions"]
        ]
    return out
