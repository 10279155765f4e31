"""Edits to entries already committed: the tracker at a git revision, compared by id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack.schema.validation import Problem
from condtrack.storage import tomlread


@dataclass(frozen=True)
class Committed:
    """The tracker as committed at a revision; ``content`` None when it was not there."""

    revision: str  # as the user named it
    commit: str | None  # the commit it resolved to; None when nothing is committed yet
    content: bytes | None


def committed_version(path: Path, revision: str) -> Committed:
    """The file's bytes at a git revision.

    Outside a repository, or for a revision that names no commit, a ``CondtrackError``;
    a file git does not track there (a new file, or no commit yet) has ``content`` None.
    """
    from condtrack.git import repo as gitrepo

    root = gitrepo.repository_root(path)
    relative = gitrepo.relative_path(path, root)
    resolved = gitrepo.resolve(root, revision)
    if resolved.commit is None:
        return Committed(revision, None, None)
    return Committed(revision, resolved.commit, gitrepo.file_at(root, resolved.commit, relative))


def edits_since(committed: bytes, current: dict[str, Any], revision: str) -> list[Problem]:
    """Committed evidence, relief and retractions that were changed or deleted since, by id.

    Entries are matched by id (a retraction by the evidence it withdraws), so moving one
    is not an edit. Each changed or deleted entry is reported once.
    """
    try:
        old = tomlread.loads(committed.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, tomlread.TOMLDecodeError) as error:
        return [Problem(f"the version at {revision}", f"does not parse: {error}")]
    problems: list[Problem] = []
    for table, key in (("evidence", "id"), ("relief", "id"), ("retractions", "evidence")):
        before, after = old.get(table, []), current.get(table, [])
        if not isinstance(after, list):
            continue  # not a list of tables: validation says so
        if not isinstance(before, list):
            problems.append(
                Problem(f"the version at {revision}", f"{table} is not a list of [[{table}]]")
            )
            continue
        problems += _table_edits(table, key, before, after, revision)
    return problems


def _table_edits(
    table: str, key: str, before: list[Any], after: list[Any], revision: str
) -> list[Problem]:
    now: dict[str, list[tuple[int, Any]]] = {}  # by id: (number in the file, entry)
    unkeyed_now = []
    for number, entry in enumerate(after, start=1):
        entry_key = _key(entry, key)
        if entry_key is None:
            unkeyed_now.append(entry)
        else:
            now.setdefault(entry_key, []).append((number, entry))
    problems = []
    for number, entry in enumerate(before, start=1):
        entry_key = _key(entry, key)
        if entry_key is None:
            # Hand-written without an id: it can only be found unchanged.
            same = next((e for e in unkeyed_now if _same(e, entry)), None)
            if same is not None:
                unkeyed_now.remove(same)
            else:
                problems.append(_unmatched(table, key, number, revision))
            continue
        candidates = now.get(entry_key, [])
        same_place = next((c for c in candidates if _same(c[1], entry)), None)
        if same_place is not None:
            candidates.remove(same_place)  # unchanged, wherever it is now
        elif candidates:
            place, edited = candidates.pop(0)
            problems.append(_changed(table, key, entry_key, place, entry, edited, revision))
        else:
            problems.append(_deleted(table, entry_key, number, revision))
    return problems


def _key(entry: Any, key: str) -> str | None:
    value = entry.get(key) if isinstance(entry, dict) else None
    return value if isinstance(value, str) and value else None


def _same(a: Any, b: Any) -> bool:
    """Equal as data (a NaN equals itself: it was not edited)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and bool(a == b)


def _changed(
    table: str,
    key: str,
    entry_key: str,
    place: int,
    old: dict[str, Any],
    new: dict[str, Any],
    revision: str,
) -> Problem:
    fields = sorted(k for k in old.keys() | new.keys() if not _same(old.get(k), new.get(k)))
    named = f"id {entry_key!r}" if key == "id" else f"of {entry_key!r}"
    if table in ("evidence", "relief"):
        advice = "restore it and record a correction with `condtrack amend`"
    else:
        advice = "restore it; a retraction cannot be edited or undone"
    return Problem(
        f"{table} #{place} ({named})",
        f"changed since {revision} ({', '.join(fields)}); the log is append-only: {advice}",
    )


def _deleted(table: str, entry_key: str, number: int, revision: str) -> Problem:
    if table in ("evidence", "relief"):
        return Problem(
            f"{table} {entry_key!r}",
            f"deleted since {revision} (it was {table} #{number} there); the log is "
            "append-only: restore it, and withdraw it with `condtrack retract` instead",
        )
    return Problem(
        f"the retraction of {entry_key!r}",
        f"deleted since {revision} (it was retractions #{number} there); a retraction "
        "cannot be undone: restore it",
    )


def _unmatched(table: str, key: str, number: int, revision: str) -> Problem:
    return Problem(
        f"{table} #{number} at {revision}",
        f"has no {key!r} there, so it is matched by content alone, and no entry in the file "
        "is the same: it was changed or deleted since; restore it as committed",
    )
