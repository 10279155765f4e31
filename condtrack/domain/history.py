"""An entry's chain: the original, each amendment, and the retraction that withdrew it.

Evidence and relief entries alike: each kind amends within its own table, and a retraction
names either by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from condtrack.domain.chains import withdrawn
from condtrack.domain.knowledge import KnownAt, known_from
from condtrack.schema.models import Evidence, Relief, Retraction, Tracker
from condtrack.schema.validation import did_you_mean, kind_named, known_id

Kind = Literal["evidence", "relief"]
# How a message names an entry of each kind.
KIND_NAMES: dict[Kind, str] = {"evidence": "evidence", "relief": "relief entry"}


@dataclass(frozen=True)
class Chain:
    versions: tuple[Evidence | Relief, ...]  # oldest first; the last one is current
    # The retraction that withdrew the chain: of any version, as every version goes with it.
    retraction: Retraction | None
    kind: Kind = "evidence"


def chain(tracker: Tracker, entry_id: str) -> Chain | None:
    """Every version of an entry, from the original to the latest amendment."""
    tables: tuple[tuple[Kind, Sequence[Evidence | Relief]], ...] = (
        ("evidence", tracker.evidence),
        ("relief", tracker.relief),
    )
    entry_id = known_id(entry_id, {e.id for e in tracker.evidence}, {r.id for r in tracker.relief})
    for kind, entries in tables:
        by_id = {e.id: e for e in entries}
        if entry_id not in by_id:
            continue
        newer = {e.supersedes: e for e in entries if e.supersedes}
        first = by_id[entry_id]
        while first.supersedes is not None and first.supersedes in by_id:
            first = by_id[first.supersedes]
        versions = [first]
        while versions[-1].id in newer:
            versions.append(newer[versions[-1].id])
        retraction = withdrawn(versions, tracker.retractions).get(first.id)
        return Chain(tuple(versions), retraction, kind)
    return None


def not_found(whole: Tracker, known: Tracker, entry_id: str, moment: KnownAt | None) -> str:
    """Why ``entry_id`` has no chain in ``known`` (``whole`` as known at ``moment``): an
    entry logged after the moment, or no entry of that id (named by the kind its prefix
    says, with a did-you-mean among the ids known)."""
    if moment is not None:
        tables: tuple[tuple[Kind, Sequence[Evidence | Relief]], ...] = (
            ("evidence", whole.evidence),
            ("relief", whole.relief),
        )
        entry_id = known_id(entry_id, {e.id for e in whole.evidence}, {r.id for r in whole.relief})
        for kind, entries in tables:
            entry = next((e for e in entries if e.id == entry_id), None)
            if entry is not None:
                logged = f"{known_from(entry).astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"
                return (
                    f"{KIND_NAMES[kind]} {entry_id} was not yet logged at {moment.text} "
                    f"(logged {logged})"
                )
    named = kind_named(entry_id)
    hint = did_you_mean(entry_id, [*(e.id for e in known.evidence), *(r.id for r in known.relief)])
    return f"no {named} with id {entry_id!r}{hint}"


def changed_fields(old: Evidence | Relief, new: Evidence | Relief) -> list[str]:
    """The fields a version changed, by the names the file uses (``for``, not ``for_``)."""
    skip = {"id", "logged", "supersedes", "reason"}
    before = old.model_dump(exclude=skip, by_alias=True)
    after = new.model_dump(exclude=skip, by_alias=True)
    return [name for name in before if before[name] != after.get(name)]
