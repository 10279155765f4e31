"""The audit trail: an entry's chain of amendments, and edits to entries already committed."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack import tomlread
from condtrack.chains import withdrawn
from condtrack.errors import CondtrackError
from condtrack.models import Evidence, Retraction, Tracker
from condtrack.validation import Problem


@dataclass(frozen=True)
class Chain:
    versions: tuple[Evidence, ...]  # oldest first; the last one is current
    # The retraction that withdrew the chain: of any version, as every version goes with it.
    retraction: Retraction | None


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
    retraction = withdrawn(versions, tracker.retractions).get(first.id)
    return Chain(tuple(versions), retraction)


def changed_fields(old: Evidence, new: Evidence) -> list[str]:
    skip = {"id", "logged", "supersedes", "reason"}
    before, after = old.model_dump(exclude=skip), new.model_dump(exclude=skip)
    return [name for name in before if before[name] != after[name]]


def committed_version(path: Path, revision: str) -> bytes | None:
    """The file's bytes at a git revision; None when git does not track it there."""
    folder = path.resolve().parent
    try:
        top = _git(folder, "rev-parse", "--show-toplevel").decode().strip()
        relative = path.resolve().relative_to(Path(top).resolve())
        return _git(folder, "show", f"{revision}:{relative.as_posix()}")
    except _NotInGit:
        return None


class _NotInGit(Exception):
    pass


def _git(folder: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise CondtrackError("--against-git needs git, which is not installed") from None
    if done.returncode != 0:
        raise _NotInGit(done.stderr.decode(errors="replace").strip())
    return done.stdout


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
