"""The audit trail: an entry's chain of amendments, and edits to entries already committed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack import tomlread
from condtrack.models import Evidence, Retraction, Tracker
from condtrack.validation import Problem


@dataclass(frozen=True)
class Chain:
    versions: tuple[Evidence, ...]  # oldest first; the last one is current
    retraction: Retraction | None  # of the current version


def chain(tracker: Tracker, evidence_id: str) -> Chain | None:
    """Every version of an entry, from the original to the latest amendment."""
    by_id = {e.id: e for e in tracker.evidence}
    if evidence_id not in by_id:
        return None
    newer = {e.supersedes: e for e in tracker.evidence if e.supersedes}
    first = by_id[evidence_id]
    while first.supersedes is not None and first.supersedes in by_id:
        first = by_id[first.supersedes]
    versions = [first]
    while versions[-1].id in newer:
        versions.append(newer[versions[-1].id])
    retracted = {r.evidence: r for r in tracker.retractions}
    return Chain(tuple(versions), retracted.get(versions[-1].id))


def changed_fields(old: Evidence, new: Evidence) -> list[str]:
    skip = {"id", "logged", "supersedes", "reason"}
    before, after = old.model_dump(exclude=skip), new.model_dump(exclude=skip)
    return [name for name in before if before[name] != after[name]]


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
    from condtrack import gitrepo

    root = gitrepo.repository_root(path)
    relative = gitrepo.relative_path(path, root)
    resolved = gitrepo.resolve(root, revision)
    if resolved.commit is None:
        return Committed(revision, None, None)
    return Committed(revision, resolved.commit, gitrepo.file_at(root, resolved.commit, relative))


def edits_since(committed: bytes, current: dict[str, Any], revision: str) -> list[Problem]:
    """Committed evidence and retractions that were changed, removed or reordered since."""
    try:
        old = tomlread.loads(committed.decode("utf-8").removeprefix("\ufeff"))
    except (UnicodeDecodeError, tomlread.TOMLDecodeError) as error:
        return [Problem(f"the version at {revision}", f"does not parse: {error}")]
    problems = []
    for table in ("evidence", "retractions"):
        before, after = old.get(table, []), current.get(table, [])
        for number, entry in enumerate(before, start=1):
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            place = f"{table} #{number}" + (f" (id {entry_id!r})" if entry_id else "")
            if number > len(after):
                problems.append(Problem(place, f"removed since {revision}"))
                continue
            now = after[number - 1]
            if now != entry:
                fields = sorted(k for k in set(entry) | set(now) if entry.get(k) != now.get(k))
                problems.append(
                    Problem(
                        place,
                        f"changed since {revision} ({', '.join(fields)}); the log is "
                        "append-only: restore it and record a correction with `condtrack amend`",
                    )
                )
    return problems
