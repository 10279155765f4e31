"""Merging the log: the evidence, retractions and relief of both sides, in an order both
agree on. Relief entries merge as evidence does: amended (``supersedes``) and retracted by
id, so the same rules decide what stands together and what conflicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from condtrack.git.merge.keyed import Item, Key, Slot, clash_message, items, merge_keyed, side_text
from condtrack.git.merge.layout import ENTRY_TABLES, Marked, Piece, Version, entry_text
from condtrack.schema.reports import relief_step, report_keys, same_step

_IDENTITY = {"evidence": ("id",), "retractions": ("evidence",), "relief": ("id",)}
AMENDABLE = ("evidence", "relief")  # the tables whose entries have ids, and amend by them
_SHOWN = 3  # deleted entries named in the note; the rest are counted


@dataclass(frozen=True)
class Region:
    """New entries that cannot all stand: one side's against the other's, for a person to pick."""

    ours: list[Slot]
    theirs: list[Slot]
    message: str


@dataclass
class LogMerge:
    pieces: list[Piece] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    order: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (table, entry)

    @property
    def data(self) -> dict[str, list[dict[str, Any]]]:
        return {t: [entry for table, entry in self.order if table == t] for t in ENTRY_TABLES}


def merge_entries(versions: Sequence[Version]) -> LogMerge:
    base, ours, theirs = (_entry_items(v) for v in versions)
    slots = merge_keyed(base, ours, theirs, union=True, new_order=_by_moment)
    kept = [slot for slot in slots if slot.base is not None]
    new = _amendments_after_originals([slot for slot in slots if slot.base is None])
    merged = LogMerge()
    sequence = _regions([*kept, *new])
    sequence, merged.notes = _same_steps(sequence, _targets(slots))
    for element in sequence:
        if isinstance(element, Region):
            merged.conflicts.append(element.message)
            merged.pieces.append(Marked(_joined(element.ours), _joined(element.theirs)))
        elif element.clash:
            table = element.key[0]
            merged.conflicts.append(clash_message(_what(element.key), element))
            render = partial(entry_text, table)
            marked = Marked(side_text(element.ours, render), side_text(element.theirs, render))
            merged.pieces.append(marked)
        else:
            merged.order.append((element.key[0], element.data))
            merged.pieces.append(_text(element))
    deleted = [
        _what(slot.key)
        for slot in kept
        if not slot.clash and (slot.ours is None) != (slot.theirs is None)
    ]
    if deleted:
        more = f" and {len(deleted) - _SHOWN} more" if len(deleted) > _SHOWN else ""
        merged.notes.append(
            f"kept {', '.join(deleted[:_SHOWN])}{more}, deleted on one side: the log is "
            "append-only, so withdraw an entry with `condtrack retract` instead"
        )
    return merged


def _entry_items(version: Version) -> list[Item]:
    """Each version's entries, ranked in file order (the tables interleave)."""
    doc = version.doc
    texts: dict[str, list[str]] = {t: [] for t in ENTRY_TABLES}
    ranks: dict[str, list[int]] = {t: [] for t in ENTRY_TABLES}
    if version.layout is not None:
        for position, (table, text) in enumerate(version.layout.entries):
            texts[table].append(text)
            ranks[table].append(position)
    else:
        start = 0
        for table in ENTRY_TABLES:
            count = len(doc.get(table, []))
            ranks[table] = list(range(start, start + count))
            start += count
    return [
        item
        for table in ENTRY_TABLES
        for item in items(
            table,
            doc.get(table, []),
            _IDENTITY[table],
            texts[table] if version.layout is not None else None,
            ranks[table],
        )
    ]


def _by_moment(slot: Slot) -> tuple[str, Key]:
    """When an entry was recorded, then its key: the same order whichever side is "ours"."""
    sides = (item for item in (slot.ours, slot.theirs) if item is not None)
    return min((_moment(item.data), item.key) for item in sides)


def _moment(entry: dict[str, Any]) -> str:
    for name in ("logged", "date"):  # a retraction's logged is optional; its date is not
        value = entry.get(name)
        if isinstance(value, dt.datetime):
            return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
    return ""


def _target(slot: Slot) -> str | None:
    """The entry id an amendment supersedes or a retraction withdraws."""
    if slot.clash:
        return None
    value = slot.data.get("supersedes" if slot.key[0] in AMENDABLE else "evidence")
    return value if isinstance(value, str) else None


def _amendments_after_originals(new: list[Slot]) -> list[Slot]:
    """Move each new amendment after the new entry it supersedes.

    Validation requires it, and an entry and its amendment logged in the same second
    would otherwise be ordered by their random ids.
    """
    pending = {slot.key[1] for slot in new if slot.key[0] in AMENDABLE}
    waiting: dict[str, list[Slot]] = {}
    ordered: list[Slot] = []
    for slot in new:
        target = _target(slot) if slot.key[0] in AMENDABLE else None
        if target is not None and target in pending and target != slot.key[1]:
            waiting.setdefault(target, []).append(slot)
            continue
        stack = [slot]
        while stack:
            placed = stack.pop()
            ordered.append(placed)
            if placed.key[0] in AMENDABLE:
                pending.discard(placed.key[1])
                stack.extend(reversed(waiting.pop(placed.key[1], [])))
    for rest in waiting.values():  # a cycle: validation reports it
        ordered.extend(rest)
    return ordered


def _regions(slots: list[Slot]) -> list[Slot | Region]:
    """Group new entries that each side made about the same entry, when they cannot coexist.

    Two amendments of one entry fail validation, and a person must choose. An amendment
    on one side and a retraction on the other stand together: a retraction of any version
    withdraws the whole chain (``condtrack.domain.chains``), amendments included, just as when
    one analyst amends an entry and then retracts the original.
    """
    acts: dict[str, dict[str, list[int]]] = {}
    for index, slot in enumerate(slots):
        target = _target(slot)
        if slot.base is None and target is not None and len(slot.origin) == 1:
            (side,) = slot.origin
            acts.setdefault(target, {"ours": [], "theirs": []})[side].append(index)
    placed: dict[int, Region | None] = {}
    for target, by_side in acts.items():
        if not all(any(slots[i].key[0] in AMENDABLE for i in by_side[side]) for side in by_side):
            continue  # only amendments on both sides conflict
        kind = next(slots[i].key[0] for i in by_side["ours"] if slots[i].key[0] in AMENDABLE)
        chosen = {side: _with_followers(slots, by_side[side], side) for side in by_side}
        involved = chosen["ours"] | chosen["theirs"]
        if involved & placed.keys():
            continue  # already part of another region
        ours, theirs = (_describe(slots[i] for i in by_side[side]) for side in ("ours", "theirs"))
        message = f"{kind} {target!r} was {ours} on ours but {theirs} on theirs; keep one side's"
        region = Region(
            [slots[i] for i in sorted(chosen["ours"])],
            [slots[i] for i in sorted(chosen["theirs"])],
            message,
        )
        placed.update(dict.fromkeys(involved))
        placed[min(involved)] = region
    sequence: list[Slot | Region] = []
    for index, slot in enumerate(slots):
        element: Slot | Region | None = placed.get(index, slot)
        if element is not None:  # None: moved into a region placed earlier
            sequence.append(element)
    return sequence


def _targets(slots: Sequence[Slot]) -> set[str]:
    """The ids that some entry amends or retracts."""
    return {target for slot in slots if (target := _target(slot)) is not None}


def _same_steps(
    sequence: list[Slot | Region], targeted: AbstractSet[str]
) -> tuple[list[Slot | Region], list[str]]:
    """A new entry on each side recording the same report or relief step, by the rule
    `log` and `relief add` refuse a duplicate by (``condtrack.schema.reports``): the CLI
    would have refused the second had both analysts logged on one branch.

    Identical but for id and logged time, the one logged first is kept and the other left
    out, with a note: the merge is what the second `log` would have left. Otherwise (another
    source, summary, grade...) a person picks: both go between markers. Entries amended or
    withdrawn (or amending another) are not compared: they no longer hold their step, as
    for the CLI.
    """
    # (table, step key): the new entries holding it, with their instruments and sides.
    firsts: dict[tuple[str, str], list[tuple[int, str | None, frozenset[str]]]] = {}
    placed: dict[int, Slot | Region | None] = {}
    notes: list[str] = []
    for index, element in enumerate(sequence):
        if not isinstance(element, Slot) or not _compared(element, targeted):
            continue
        keys = _steps(element)
        match = next(
            (
                earlier
                for key, instrument in keys
                for earlier, other, side in firsts.get((element.key[0], key), [])
                if earlier not in placed and side != element.origin and same_step(other, instrument)
            ),
            None,
        )
        if match is None:
            for key, instrument in keys:
                firsts.setdefault((element.key[0], key), []).append(
                    (index, instrument, element.origin)
                )
            continue
        first = sequence[match]
        assert isinstance(first, Slot)
        table, what = element.key[0], "relief step" if element.key[0] == "relief" else "report"
        if _bare(first.data) == _bare(element.data):
            placed[index] = None
            notes.append(
                f"kept {_what(first.key)} and left out {_what(element.key)}, logged on both "
                f"sides as the same {what}"
            )
        else:
            ours, theirs = (first, element) if "ours" in first.origin else (element, first)
            message = (
                f"{table} {ours.key[1]!r} on ours and {theirs.key[1]!r} on theirs record the "
                f"same {what} ({_SAME[table]}) differently; keep one side's"
            )
            placed[match] = Region([ours], [theirs], message)
            placed[index] = None
    if not placed:
        return sequence, notes
    merged = [placed.get(i, element) for i, element in enumerate(sequence)]
    return [element for element in merged if element is not None], notes


_SAME = {
    "evidence": "same condition, date, source and assessment, and the same summary or URL",
    "relief": "same sender, measure, action and date",
}


def _compared(element: Slot, targeted: AbstractSet[str]) -> bool:
    """A new entry of one side only, that holds its step: no amendment, none amended or
    retracted."""
    return (
        not element.clash
        and element.base is None
        and len(element.origin) == 1
        and element.key[0] in AMENDABLE
        and _target(element) is None
        and element.key[1] not in targeted
    )


def _steps(element: Slot) -> list[tuple[str, str | None]]:
    """An entry's duplicate keys: report keys of evidence, the relief step of relief."""
    if element.key[0] == "relief":
        return [relief_step(element.data)]
    return [(key, None) for key in report_keys(element.data)]


def _bare(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("id", "logged")}


def _with_followers(slots: list[Slot], indices: list[int], side: str) -> set[int]:
    """These entries and the side's later ones that amend or retract them in turn."""
    chosen = set(indices)
    while True:
        ids = {slots[i].key[1] for i in chosen if slots[i].key[0] in AMENDABLE}
        more = {
            index
            for index, slot in enumerate(slots)
            if index not in chosen
            and slot.base is None
            and slot.origin == {side}
            and _target(slot) in ids
        }
        if not more:
            return chosen
        chosen |= more


def _describe(acts: Iterable[Slot]) -> str:
    amendments, retracted = [], False
    for slot in acts:
        if slot.key[0] in AMENDABLE:
            amendments.append(repr(slot.key[1]))
        else:
            retracted = True
    parts = [f"amended by {', '.join(amendments)}"] if amendments else []
    return " and ".join([*parts, "retracted"] if retracted else parts)


def _what(key: Key) -> str:
    table, identity, number = key
    name = f"{table} {identity!r}" if table in AMENDABLE else f"the retraction of {identity!r}"
    return name + (f" (#{number + 1} with that id)" if number else "")


def _text(slot: Slot) -> str:
    return slot.text() or entry_text(slot.key[0], slot.data)


def _joined(slots: Sequence[Slot]) -> str:
    return "\n\n".join(_text(slot) for slot in slots)
