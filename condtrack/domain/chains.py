"""Amendment chains, and which entries a retraction withdraws: one rule for every command.

An amendment supersedes its original at every date, so an entry and its amendments form
a chain of versions of one record. A retraction of any version withdraws the whole chain,
at every as-of date (what was retracted never counts, even as of a date before the
retraction): retracting the original after amending it (the README's tour) withdraws the
amendment too. What the tracker knew before a retraction was logged is asked of
``condtrack.domain.knowledge`` (``--known-at``), which leaves later entries out first.
Scoring, ``evidence``, ``history``, ``amend``, ``retract`` and the merge driver all ask
this module, so they agree.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from condtrack.schema.shapes import Retraction


class Entry(Protocol):
    """What chains need of an entry: evidence and relief entries alike."""

    @property
    def id(self) -> str: ...
    @property
    def supersedes(self) -> str | None: ...


class Dated(Entry, Protocol):
    @property
    def date(self) -> dt.date: ...


D = TypeVar("D", bound=Dated)
R = TypeVar("R", bound="Retraction")  # a retraction, model or plain: the same kind back


_date_of = operator.attrgetter("date")  # faster than a lambda over 100,000 entries
_supersedes_of = operator.attrgetter("supersedes")
_link_of = operator.attrgetter("id", "supersedes")


def in_date_order(entries: Sequence[D]) -> list[D]:
    """``entries`` oldest first, as every verdict reads them: the later of two entries of
    one date is the one that stands (a criterion's status, a measure's state).

    Entries of one date keep the file order of their chains' originals: an amendment,
    appended at the end of the file, takes its original's place, so correcting the
    summary of the first of two same-day entries never lets it overtake the second. The
    versions of one chain follow each other in file order.
    """
    if not any(map(_supersedes_of, entries)):  # most files: the file's order
        return sorted(entries, key=_date_of)
    order = date_order(list(map(_date_of, entries)), list(map(_link_of, entries)))
    return [entries[at] for at in order]


def date_order(
    dates: Sequence[dt.date], links: Sequence[tuple[str, str | None]] | None
) -> list[int]:
    """The positions of ``in_date_order``'s entries, from each entry's date and its
    (id, supersedes) link; ``links`` may be None when no entry supersedes another."""
    if links is None or not any(link for _, link in links):
        return sorted(range(len(dates)), key=dates.__getitem__)
    first: dict[str, int] = {}
    for at, (entry_id, _) in enumerate(links):
        first.setdefault(entry_id, at)
    roots = chain_roots(links)
    places = [
        (dates[at], first.get(roots.get(entry_id, entry_id), at), at)
        for at, (entry_id, _) in enumerate(links)
    ]
    places.sort()  # the positions are unique: no two places are equal
    return [place[2] for place in places]


def chain_roots(links: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Each entry's chain, named by the id of its original.

    ``links`` are (id, supersedes) pairs, so raw entries can be used too. A link to an
    unknown id, or a loop (both invalid, and reported by validation), ends the chain there.
    """
    supersedes = dict(links)
    roots: dict[str, str] = {}
    for start, link in supersedes.items():
        if link is None:  # most entries: an original
            roots[start] = start
            continue
        path: list[str] = []
        seen: set[str] = set()
        current = start
        while current not in roots:
            path.append(current)
            seen.add(current)
            older = supersedes.get(current)
            if older is None or older not in supersedes or older in seen:
                roots[current] = current
                break
            current = older
        root = roots[current]
        for entry_id in path:
            roots[entry_id] = root
    return roots


def withdrawn(evidence: Iterable[Entry], retractions: Iterable[R]) -> dict[str, R]:
    """Every withdrawn entry's id, with the retraction that withdrew its chain.

    ``evidence`` may be evidence or relief entries (a retraction names either by id).
    Every retraction counts, whatever its date. When several versions of one chain were
    retracted (say, on two branches), the earliest retraction is the one named.
    """
    applied = list(retractions)
    if not applied:
        return {}
    return withdrawn_links(list(map(_link_of, evidence)), applied)


def withdrawn_links(
    links: Sequence[tuple[str, str | None]], retractions: Iterable[R]
) -> dict[str, R]:
    """``withdrawn`` from each entry's (id, supersedes) link, in file order."""
    applied = list(retractions)
    if not applied:
        return {}
    # Only entries in amendment chains need their chain worked out (in file order, as
    # ``chain_roots`` takes them); every other entry is a chain of its own.
    older = set(map(operator.itemgetter(1), links))  # in one C pass: most links are None
    older.discard(None)
    roots = (
        chain_roots(
            (entry_id, link) for entry_id, link in links if link is not None or entry_id in older
        )
        if older
        else {}
    )
    targets = {retraction.evidence for retraction in applied}
    ids = targets.intersection(map(operator.itemgetter(0), links))  # those that are entries
    by_chain: dict[str, R] = {}
    for retraction in applied:
        target = retraction.evidence
        root = roots.get(target, target if target in ids else None)
        if root is None:
            continue
        earlier = by_chain.get(root)
        if earlier is None or retraction.date < earlier.date:
            by_chain[root] = retraction
    if not by_chain:
        return {}
    found = {root: by_chain[root] for root in by_chain if root not in roots}
    found.update((entry, by_chain[root]) for entry, root in roots.items() if root in by_chain)
    return found


def withdrawal_reason(entry_id: str, retraction: Retraction) -> str:
    """Why an entry no longer counts: its own retraction, or one of its chain's."""
    via = "" if retraction.evidence == entry_id else f" via {retraction.evidence}, another version"
    return f"retracted on {retraction.date}{via}: {retraction.reason}"
