"""Where each part of a tracker file sits in its text, and how to write a part anew.

A merge keeps what people wrote (comments, spacing, key order, escapes) by copying each
part's text from the version it comes from. ``layout`` cuts a version's text at its table
headers and checks the cut against the parsed document; when the two disagree (a layout
this reader does not follow), it returns ``None`` and the parts are written from their
data instead. Whatever is copied, the merge checks that the result parses back to the
merged data before it is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from condtrack.storage.appending import serialize_entry
from condtrack.textsafe import serialized_escapes

HEAD_TABLES = ("tracker", "scoring", "gate")
SUB_TABLES = ("criteria", "indicators", "offsets")
ENTRY_TABLES = ("evidence", "retractions", "relief")

# A table header on a line of its own, with an optional comment: [name] or [[name]].
_HEADER = re.compile(
    r"^[ \t]*(\[\[?)[ \t]*([^\[\]\n#]*?)[ \t]*(\]\]?)[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE
)
HEADER_PATTERN = _HEADER.pattern  # the same headers, found in bytes by ``appended``


def table_kind(opening: str, name: str, closing: str) -> str | None:
    """What a header names, as ``layout`` reads it: ``evidence[]`` for ``[[ evidence ]]``,
    ``tracker`` for ``[tracker]``; None for unmatched brackets."""
    if len(opening) != len(closing):
        return None
    name = re.sub(r"[ \t]*\.[ \t]*", ".", name)
    return name + ("[]" if len(opening) == 2 else "")


@dataclass
class ConditionText:
    whole: str  # from its [[conditions]] header to the last of its sub-tables
    own: str  # the [[conditions]] table alone
    subs: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in SUB_TABLES})


@dataclass
class Layout:
    head: str  # everything before the first entry of the log (evidence, retraction, relief)
    preamble: str  # what comes before the first table: the file's opening comments
    tables: dict[str, str]  # [tracker] and [scoring]
    conditions: list[ConditionText]
    entries: list[tuple[str, str]]  # (table, text) of each entry, in file order


@dataclass(frozen=True)
class Version:
    """One of the three versions a merge reads: its text, its data, and where each part is."""

    text: str
    doc: dict[str, Any]
    layout: Layout | None


@dataclass(frozen=True)
class Marked:
    """A region both sides changed differently, written between git's conflict markers."""

    ours: str
    theirs: str


Piece = str | Marked


def tidy(text: str) -> str:
    """A part's text without the blank lines that separate it from the next one."""
    return text.rstrip(" \t\r\n")


def layout(text: str, doc: Mapping[str, Any]) -> Layout | None:
    """The text of each part of a parsed version, or None when the cut does not fit the data."""
    headers = list(_HEADER.finditer(text))
    first = headers[0].start() if headers else len(text)
    found = Layout(text, text[:first], {}, [], [])
    condition_start, previous = 0, ""
    for number, header in enumerate(headers):
        end = headers[number + 1].start() if number + 1 < len(headers) else len(text)
        chunk = text[header.start() : end]
        found_kind = table_kind(header.group(1), header.group(2), header.group(3))
        if found_kind is None:
            return None
        kind = found_kind
        name = kind.removesuffix("[]")
        if kind in (f"{t}[]" for t in ENTRY_TABLES):
            if not found.entries:
                found.head = text[: header.start()]
            found.entries.append((name, tidy(chunk)))
        elif found.entries:
            return None  # something after the log: the head is not in one piece
        elif kind in HEAD_TABLES and kind not in found.tables:
            found.tables[kind] = tidy(chunk)
        elif kind == "conditions[]":
            condition_start = header.start()
            found.conditions.append(ConditionText(tidy(chunk), tidy(chunk)))
        elif kind.startswith("conditions.") and kind[len("conditions.") : -2] in SUB_TABLES:
            # A sub-table after another table still belongs to the last condition in TOML,
            # but then the condition's text is not in one piece.
            if not found.conditions or previous not in ("conditions", "sub"):
                return None
            current = found.conditions[-1]
            current.subs[kind[len("conditions.") : -2]].append(tidy(chunk))
            current.whole = tidy(text[condition_start:end])
        else:
            return None
        previous = "sub" if kind.startswith("conditions.") else kind.removesuffix("[]")
    return found if _fits(found, doc) else None


def _fits(found: Layout, doc: Mapping[str, Any]) -> bool:
    if any((t in doc) != (t in found.tables) for t in HEAD_TABLES):
        return False
    conditions = doc.get("conditions", [])
    if len(conditions) != len(found.conditions):
        return False
    for condition, text in zip(conditions, found.conditions, strict=True):
        if any(len(condition.get(k, [])) != len(text.subs[k]) for k in SUB_TABLES):
            return False
    return all(
        len(doc.get(t, [])) == sum(1 for table, _ in found.entries if table == t)
        for t in ENTRY_TABLES
    )


def dumps(data: Mapping[str, Any]) -> str:
    return serialized_escapes(tomli_w.dumps(dict(data)))


def table_text(name: str, data: Any) -> str:
    return tidy(dumps({name: data}))


def own_text(own: Mapping[str, Any]) -> str:
    return tidy("[[conditions]]\n" + dumps(own))


def sub_text(kind: str, item: Mapping[str, Any]) -> str:
    return tidy(f"[[conditions.{kind}]]\n" + dumps(item))


def condition_text(condition: Mapping[str, Any]) -> str:
    # tomli_w would write the criteria as an inline array; analysts read them as tables.
    own = {k: v for k, v in condition.items() if k not in SUB_TABLES or not v}
    parts = [own_text(own)]
    for kind in SUB_TABLES:
        parts += [sub_text(kind, item) for item in condition.get(kind) or []]
    return "\n\n".join(parts)


def entry_text(table: str, entry: Mapping[str, Any]) -> str:
    return tidy(serialize_entry(table, entry).decode("utf-8"))


def join(pieces: Sequence[Piece], *, newline: str = "\n", marker_size: int = 7) -> str:
    """The parts one after another, a blank line apart; conflicts between git's markers."""
    blocks: list[str] = []
    for piece in pieces:
        if isinstance(piece, Marked):
            ours = piece.ours + newline if piece.ours else ""
            theirs = piece.theirs + newline if piece.theirs else ""
            blocks.append(
                f"{'<' * marker_size} ours{newline}{ours}{'=' * marker_size}{newline}"
                f"{theirs}{'>' * marker_size} theirs"
            )
        elif piece:
            blocks.append(piece)
    return (newline + newline).join(blocks) + newline if blocks else ""
