"""The 3-way merge of keyed parts (conditions, criteria, evidence...), and which text to keep."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str, int]  # (table, identity, how many earlier parts had that identity)


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")  # the part is absent from a version
CLASH: Any = _Marker("CLASH")  # the sides changed the part differently


@dataclass(frozen=True)
class Item:
    """One part as one version has it."""

    key: Key
    data: Any
    text: str | None  # as written in that version; None when its layout was not followed
    rank: int  # its position in that version


@dataclass(frozen=True)
class Slot:
    """One part of the merge: each version's item and the merged value (or CLASH)."""

    key: Key
    base: Item | None
    ours: Item | None
    theirs: Item | None
    data: Any

    @property
    def clash(self) -> bool:
        return self.data is CLASH

    @property
    def origin(self) -> frozenset[str]:
        """The sides that hold exactly the merged value."""
        sides = (("ours", self.ours), ("theirs", self.theirs))
        return frozenset(
            name for name, item in sides if item is not None and item.data == self.data
        )

    def text(self) -> str | None:
        """The text to write for the merged value; None when only its data can be written.

        A side that reworded the part (comments, spacing) is preferred to the base. When
        both reworded the same data differently, the smaller text wins: an arbitrary rule,
        but the same whichever side is "ours", which keeps the merge symmetric.
        """
        if self.clash:
            return None
        texts = [
            item.text
            for item in (self.ours, self.theirs)
            if item is not None and item.text is not None and item.data == self.data
        ]
        base_text = self.base.text if self.base is not None else None
        changed = [text for text in texts if text != base_text]
        if changed:
            return min(changed)
        if texts:
            return texts[0]
        if self.base is not None and self.base.data == self.data:
            return self.base.text
        return None


def three_way(base: Any, ours: Any, theirs: Any) -> Any:
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    return CLASH


def union_3way(base: Any, ours: Any, theirs: Any) -> Any:
    """3-way, except that a part missing from one side is the other side's."""
    if ours is MISSING:
        return theirs
    if theirs is MISSING:
        return ours
    return three_way(base, ours, theirs)


def merge_keyed(
    base: Sequence[Item],
    ours: Sequence[Item],
    theirs: Sequence[Item],
    *,
    union: bool,
    new_order: Callable[[Slot], Any],
) -> list[Slot]:
    """Every part that survives the merge: the base's in their order, then the new ones.

    ``union`` keeps a part that one side deleted; otherwise a deletion on one side wins
    over no change on the other, and conflicts with a change.
    """
    found = [{item.key: item for item in version} for version in (base, ours, theirs)]
    combine = union_3way if union else three_way

    def slot(key: Key) -> Slot:
        b, o, t = (version.get(key) for version in found)
        data = combine(*(MISSING if item is None else item.data for item in (b, o, t)))
        return Slot(key, b, o, t, data)

    kept = [slot(item.key) for item in sorted(base, key=lambda item: item.rank)]
    new_keys = dict.fromkeys(
        i.key for side in (ours, theirs) for i in side if i.key not in found[0]
    )
    new = sorted((slot(key) for key in new_keys), key=new_order)
    return [s for s in (*kept, *new) if s.data is not MISSING]


def items(
    table: str,
    entries: Sequence[dict[str, Any]],
    fields: Sequence[str],
    texts: Sequence[str] | None,
    ranks: Sequence[int] | None = None,
) -> list[Item]:
    """Items keyed by their identifying fields; a repeated identity gets the next number."""
    seen: dict[str, int] = {}
    found = []
    for index, entry in enumerate(entries):
        identity = "/".join(_name(entry.get(f)) for f in fields)
        number = seen.get(identity, 0)
        seen[identity] = number + 1
        text = texts[index] if texts is not None else None
        rank = ranks[index] if ranks is not None else index
        found.append(Item((table, identity, number), entry, text, rank))
    return found


def _name(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def side_text(item: Item | None, render: Callable[[Any], str]) -> str:
    """A side's text for a conflict region: as written, or from its data; empty if deleted."""
    if item is None:
        return ""
    return item.text if item.text is not None else render(item.data)


def clash_message(what: str, slot: Slot) -> str:
    ours, theirs = slot.ours, slot.theirs
    if ours is None:
        return f"{what} was deleted on ours and changed on theirs"
    if theirs is None:
        return f"{what} was changed on ours and deleted on theirs"
    verb = "changed differently on both sides"
    if slot.base is None:
        verb = "added on both sides with different content"
    return f"{what} was {verb} ({differing(ours.data, theirs.data)})"


def differing(ours: Any, theirs: Any) -> str:
    """The fields in which two versions of a part differ."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        fields = ours.keys() | theirs.keys()
        return ", ".join(
            sorted(f for f in fields if ours.get(f, MISSING) != theirs.get(f, MISSING))
        )
    return "its value"
