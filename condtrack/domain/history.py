"""An entry's chain: the original, each amendment, and the retraction that withdrew it."""

from __future__ import annotations

from dataclasses import dataclass

from condtrack.domain.chains import withdrawn
from condtrack.schema.models import Evidence, Retraction, Tracker


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
