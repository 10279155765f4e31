"""Building new entries (evidence, amendments, retractions), checked against their tracker."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from condtrack.domain.chains import withdrawn
from condtrack.errors import CondtrackError
from condtrack.schema.models import (
    Evidence,
    Header,
    Relief,
    Retraction,
    Tracker,
    entry_schema,
    measure_key,
)
from condtrack.schema.reports import relief_step, report_keys, reports_of, same_step
from condtrack.schema.validation import (
    Problem,
    cased_ids,
    cross_check,
    did_you_mean,
    foreign_prefix,
    head_problems,
    kind_named,
    known_id,
    message_for,
    suggest,
)
from condtrack.textsafe import has_user_info

M = TypeVar("M", bound=BaseModel)

# Crockford's base32 without i, l, o, u: ids survive being read aloud or retyped.
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_LENGTH = 10  # 50 bits: collisions stay negligible even across merged branches
# ASCII digits only: ``\d`` (and int(), float()) read other scripts' digits too, which a
# figure copied from a document may hold unseen (Arabic-Indic or full-width digits).
_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_PLURAL = {"criterion": "criteria", "indicator": "indicators"}
# Fields an amendment may clear, and the fields that go with them.
CLEARABLE = {
    "criterion": ("criterion", "status"),
    "status": ("status",),
    "indicator": ("indicator", "value"),
    "url": ("url",),
    "tags": ("tags",),
}
# The same for a relief entry, by the keys the file uses.
RELIEF_CLEARABLE = {
    "instrument": ("instrument",),
    "expires": ("expires",),
    "for": ("for",),
    "url": ("url",),
    "tags": ("tags",),
}
# A relief entry's keys as the file writes them (``for``, not ``for_``), in order.
RELIEF_KEYS = tuple(info.alias or name for name, info in Relief.model_fields.items())
# Fields only evidence has: an amendment of relief cannot set or clear them.
_EVIDENCE_ONLY = ("condition", "criterion", "status", "indicator", "value")


class FieldError(CondtrackError):
    """A problem with one field of a new entry; ``more``: the problems of its other fields,
    found in the same check (every invalid field of one entry is named at once, as
    `validate` names them), as (field, message) pairs."""

    def __init__(self, field: str, message: str, more: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = [(field, message), *more]
        super().__init__("; ".join(f"{name}: {detail}" for name, detail in self.problems))
        self.field = field
        self.detail = message


def field_errors(problems: Sequence[tuple[str, str]]) -> FieldError:
    """One ``FieldError`` naming every (field, message) of ``problems`` (at least one)."""
    (field, message), *more = problems
    return FieldError(field, message, more)


def _all_problems(field_problems: Sequence[tuple[str, str]], problems: Sequence[Problem]) -> None:
    """Refuse a new entry for the problems of its fields (``field_problems``: the model's,
    its URL's) and those the whole-file checks found in the rest (``problems``), every
    field named at once. A rule of no one field alone is said alone, when no field is at
    fault (with a field at fault, the whole-file checks saw stand-ins for it)."""
    bad = {field for field, _ in field_problems}
    found = [*field_problems]
    for problem in problems:
        if problem.field is None:
            if not field_problems:
                raise CondtrackError(problem.message)
        elif problem.field not in bad:
            found.append((str(problem.field), problem.message))
    if found:
        raise field_errors(found)


def _checked_rest(
    model: type[M], entry: Mapping[str, Any], stand_ins: Mapping[str, Any]
) -> tuple[M | None, list[tuple[str, str]]]:
    """The checked entry and the problems of its fields, every field named (``_checked``).
    With a field at fault, the entry is checked again without it (``stand_ins``: a valid
    value for a required field the whole-file checks need only to be there), so that they
    can still name the other fields' problems: ``None`` when it cannot be made so."""
    try:
        return _checked(model, entry), []
    except FieldError as error:
        problems = list(error.problems)
    bad = {field for field, _ in problems}
    rest = {k: v for k, v in entry.items() if k not in bad}
    rest.update({k: v for k, v in stand_ins.items() if k in bad})
    try:
        return _checked(model, rest), problems
    except CondtrackError:
        return None, problems


def _url_problems(url: str | None) -> list[tuple[str, str]]:
    try:
        if url is not None:
            check_url(url)
    except FieldError as error:
        return list(error.problems)
    return []


@dataclass(frozen=True)
class Unreadable:
    """A figure as typed that is not a number (``read_number``): an entry given one is
    refused naming it with its other fields' problems."""

    problems: tuple[tuple[str, str], ...]


def read_number(text: str) -> int | float | Unreadable:
    """``parse_number``, with a figure it refuses kept as ``Unreadable`` for the entry's
    checks to name among the others."""
    try:
        return parse_number(text)
    except FieldError as error:
        return Unreadable(tuple(error.problems))


def parse_number(text: str) -> int | float:
    """A figure as typed: ``14`` stays an integer, ``2.5`` a float; ``1,5`` is refused."""
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        if any(char.isdigit() and not char.isascii() for char in cleaned):
            raise FieldError(
                "value",
                f"{text!r} is not a number written in ASCII digits 0-9 (write 1000 or 2.5)",
            )
        raise FieldError("value", f"{text!r} is not a number (write 1000 or 2.5)")
    if len(cleaned) > 40:  # far past any plausible figure, and int() has a digit limit
        raise FieldError("value", f"{cleaned[:20]}... is implausibly large (limit 1e15)")
    if re.fullmatch(r"[-+]?[0-9]+", cleaned):
        return int(cleaned)
    return float(cleaned)


# ASCII characters that RFC 3986 allows nowhere in a URL; each breaks a Markdown table or
# link, or an HTML attribute, where a report shows the link.
_NOT_IN_URLS = re.compile(r"[\\|<>\"`{}^]")


def check_url(url: str) -> None:
    """Refuse a new entry's URL that holds a character no URL may hold unencoded."""
    if has_user_info(url):
        raise FieldError("url", "a URL with a user name or password (user@host) is not allowed")
    found = _NOT_IN_URLS.search(url)
    if found is not None:
        char = found.group()
        raise FieldError(
            "url", f"{char!r} is not allowed in a URL (percent-encode it as %{ord(char):02X})"
        )


def check_field(field: str, value: Any, kind: str = "evidence") -> None:
    """Refuse one field of a new entry (``kind``: evidence or relief) on its own, as the
    whole entry would refuse it.

    For answers checked as they are typed; rules between fields wait for the whole entry.
    """
    value = stripped({field: value})[field]  # as the whole entry will store it
    try:
        (Relief if kind == "relief" else Evidence).model_validate({field: value})
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            if detail["loc"][:1] == (field,) and detail["type"] != "missing":
                raise FieldError(field, _message(detail)) from None
    if field == "url" and isinstance(value, str):
        check_url(value)


def pick(field: str, answer: str, valid: Sequence[str]) -> str:
    """One of ``valid``, typed as itself or as its number in a list starting at 1."""
    typed = answer.strip()
    if typed in valid:
        return typed
    if typed.isdigit():
        if 1 <= int(typed) <= len(valid):
            return valid[int(typed) - 1]
        raise FieldError(field, f"there is no number {typed}; choose 1 to {len(valid)}")
    raise FieldError(field, f"unknown {field} {typed!r} {suggest(typed, valid)}")


# ``json.dumps(..., default=str, ensure_ascii=False)``, made once: ``dumps`` makes an encoder
# on each call when given any option (an import asks once a row).
_ID_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
_SHIFTS = tuple(5 * i for i in reversed(range(_ID_LENGTH)))  # an id's digits, first to last


def stable_id(fields: Mapping[str, Any], taken: AbstractSet[str], prefix: str = "ev-") -> str:
    """An id made from an imported row's fields, so `import --dry-run` shows the ids the
    import will write: the same row gets the same id in the same file."""
    text = _ID_JSON.encode(sorted(fields.items()))
    for attempt in itertools.count():
        digest = hashlib.sha256(f"{attempt}\x00{text}".encode("utf-8", "surrogatepass")).digest()
        number = int.from_bytes(digest[:8]) >> (64 - 5 * _ID_LENGTH)
        candidate = prefix + "".join([_ID_ALPHABET[(number >> shift) & 31] for shift in _SHIFTS])
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def stripped(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields as every new entry stores them, however they came (`log`, `amend`, `import`,
    `relief add`, `relief amend`): text without leading or trailing whitespace, which no
    reader sees and which would make the same report look new; tags composed (NFC), so an
    accent typed as a letter and a combining mark is one tag with the precomposed letter,
    and the tag pattern sees it as the letter it is."""
    return {
        name: value.strip()
        if isinstance(value, str)
        else [_composed(name, v.strip()) if isinstance(v, str) else v for v in value]
        if isinstance(value, list)
        else value
        for name, value in fields.items()
    }


def _composed(name: str, value: str) -> str:
    return unicodedata.normalize("NFC", value) if name == "tags" else value


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class DuplicateError(CondtrackError):
    """A new entry records the same report (or relief step) as an earlier one."""

    def __init__(self, message: str, earlier: str = "") -> None:
        super().__init__(message)
        self.earlier = earlier  # the earlier entry's id, or the row that made it


class Existing(Protocol):
    """The file new entries join: its settings, ids and reports at once, every entry on demand."""

    @property
    def header(self) -> Header: ...
    @property
    def ids(self) -> AbstractSet[str]: ...
    @property
    def reports(self) -> Mapping[str, str]: ...
    @property
    def relief(self) -> Sequence[Relief]: ...
    @property
    def tracker(self) -> Tracker: ...
    def retractions_naming(self, ids: AbstractSet[str]) -> Sequence[Retraction]:
        """The retractions of any of ``ids``: all of them, and no others needed."""
        ...


@dataclass(frozen=True)
class Whole:
    """A tracker already read in full, as an ``Existing``."""

    tracker: Tracker

    @property
    def header(self) -> Header:
        return self.tracker.header

    @property
    def ids(self) -> AbstractSet[str]:
        return {e.id for e in self.tracker.evidence} | {r.id for r in self.tracker.relief}

    @property
    def reports(self) -> Mapping[str, str]:
        return reports_of(self.tracker.evidence)

    @property
    def relief(self) -> Sequence[Relief]:
        return self.tracker.relief

    def retractions_naming(self, ids: AbstractSet[str]) -> Sequence[Retraction]:
        return [r for r in self.tracker.retractions if r.evidence in ids]


class NewEntries:
    """Makes entries to append to one tracker, remembering the ids it has handed out.

    New evidence needs only the file's settings and ids; amendments and retractions read
    every entry, so a plain `log` never has to.
    """

    def __init__(self, existing: Existing) -> None:
        self.existing = existing
        self.taken = set(existing.ids)
        # The taken ids that are not lowercase (``cased_ids``), worked out once for a batch
        # and kept up to date as ids are taken: each row checks against them (ids that
        # differ only by case), and working them out per row cost an import of 10,000 rows
        # into 100,000 entries most of a minute.
        self._cased: dict[str, str] | None = None
        self.batch_reports: dict[str, str] = {}  # reports of the entries made here
        self.batch_relief: list[Relief] = []  # relief entries made here, in order
        self.batch_steps: dict[str, list[tuple[str | None, str]]] = {}  # of relief made here
        # Each evidence entry made here (by the identity of the dict handed out), with the
        # model its values were validated as: an append that writes exactly that dict need
        # not validate the same values again (``storage.appending``).
        self._models: dict[int, tuple[dict[str, Any], Evidence]] = {}

    @cached_property
    def reports(self) -> Mapping[str, str]:
        return self.existing.reports

    def _known_cased(self) -> dict[str, str]:
        if self._cased is None:
            self._cased = cased_ids(self.taken)
        return self._cased

    def holds(self, entry_id: str) -> bool:
        """Whether ``entry_id`` names a taken id, exactly or in another case (as
        ``validation.known_id`` finds one), without walking every id."""
        lowered = entry_id.lower()
        return entry_id in self.taken or lowered in self.taken or lowered in self._known_cased()

    def forget(
        self,
        taken: AbstractSet[str],
        relief_made: int,
        steps: Mapping[str, list[tuple[str | None, str]]],
    ) -> None:
        """Undo what entries made since were noted (a refused import row checked for the
        rest of its problems): back to ``taken`` ids, the first ``relief_made`` relief
        entries of this batch, and its relief ``steps``."""
        if len(self.taken) != len(taken):
            self.taken.intersection_update(taken)
            self._cased = None  # worked out again when next asked
        del self.batch_relief[relief_made:]
        self.batch_steps = dict(steps)

    def _take(self, entry_id: str) -> None:
        self.taken.add(entry_id)
        if self._cased is not None and entry_id != entry_id.lower():
            self._cased.setdefault(entry_id.lower(), entry_id)

    def duplicate_of(
        self, entry: Mapping[str, Any], keys: Sequence[str] | None = None
    ) -> str | None:
        """The earlier entry (or noted row) that records the same report, if any;
        ``keys``: the entry's ``report_keys``, when the caller has them."""
        found = self._duplicate(entry, keys)
        return None if found is None else found[0]

    def _duplicate(
        self, entry: Mapping[str, Any], keys: Sequence[str] | None = None
    ) -> tuple[str, str] | None:
        found = report_keys(entry) if keys is None else keys
        for key, what in zip(found, ("summary", "URL"), strict=False):
            earlier = self.reports.get(key) or self.batch_reports.get(key)
            if earlier is not None:
                return earlier, what
        return None

    def note_report(
        self, entry: Mapping[str, Any], label: str, keys: Sequence[str] | None = None
    ) -> None:
        """Count ``entry`` as recorded, as ``label``, for later duplicates in this batch."""
        for key in report_keys(entry) if keys is None else keys:
            self.batch_reports.setdefault(key, label)

    def new_report(
        self, fields: Mapping[str, Any], logged: dt.datetime, *, allow_duplicate: bool = False
    ) -> dict[str, Any]:
        """A new evidence entry, refused when an entry already records the same report."""
        entry = self.evidence(fields, logged)
        found = None if allow_duplicate else self._duplicate(entry)
        if found is not None:
            earlier, what = found
            raise DuplicateError(
                f"duplicate of {earlier}: same condition, date and source, and the same "
                f"{what}; --allow-duplicate records it anyway",
                earlier,
            )
        self.note_report(entry, entry["id"])
        return entry

    @cached_property
    def by_id(self) -> dict[str, Evidence]:
        return {e.id: e for e in self.existing.tracker.evidence}

    @cached_property
    def amended(self) -> dict[str, str]:
        return {e.supersedes: e.id for e in self.existing.tracker.evidence if e.supersedes}

    @cached_property
    def retracted(self) -> dict[str, Retraction]:
        """Every withdrawn entry: a retraction of any version withdraws the whole chain."""
        tracker = self.existing.tracker
        return withdrawn([*tracker.evidence, *tracker.relief], tracker.retractions)

    @cached_property
    def relief_by_id(self) -> dict[str, Relief]:
        return {r.id: r for r in self.existing.relief}

    @cached_property
    def relief_amended(self) -> dict[str, str]:
        return {r.supersedes: r.id for r in self.existing.tracker.relief if r.supersedes}

    def new_id(self, prefix: str = "ev-") -> str:
        while True:
            candidate = prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
            if candidate not in self.taken:
                return candidate

    @cached_property
    def relief_steps(self) -> dict[str, list[tuple[str | None, str]]]:
        """The file's relief entries by step (``schema.reports.relief_step``): for each short
        key, (instrument, id) pairs in file order."""
        steps: dict[str, list[tuple[str | None, str]]] = {}
        for entry in self.existing.relief:
            key, instrument = relief_step(entry)
            steps.setdefault(key, []).append((instrument, entry.id))
        return steps

    @cached_property
    def relief_superseded(self) -> set[str]:
        """Relief entries an amendment corrected, from the relief entries alone (a record
        holds them: no need to read the file)."""
        return {r.supersedes for r in self.existing.relief if r.supersedes}

    def relief_duplicate_of(self, entry: Mapping[str, Any] | Relief) -> str | None:
        """The earlier relief entry (or noted row) that records the same step and still
        stands, if any: one an amendment corrected, or a retraction withdrew, no longer says
        what it said, so its step may be recorded again. (Retractions are read only when a
        recorded entry has the same step: a record of the file does not hold them.)"""
        key, instrument = relief_step(entry)
        for other, earlier in self.relief_steps.get(key, ()):
            stands = earlier not in self.relief_superseded
            # Retractions last: the only part that reads every entry.
            if same_step(instrument, other) and stands and earlier not in self.retracted:
                return earlier
        for other, earlier in self.batch_steps.get(key, ()):
            if same_step(instrument, other):
                return earlier
        return None

    def relief(
        self,
        fields: Mapping[str, Any],
        logged: dt.datetime,
        *,
        allow_duplicate: bool = False,
        label: str | None = None,
    ) -> dict[str, Any]:
        """A complete, checked relief entry, as a dict in the file's key order.

        Checked against every relief entry already recorded (a reimposition needs an
        earlier easing of its measure; a new step must not repeat a recorded one, unless
        ``allow_duplicate``): a record of the file holds them, or the builder reads the
        whole file. An amendment repeats its original's step by design: not refused.
        ``label``: what a later duplicate in this batch calls this one (default its id)."""
        entry = {
            k: v
            for k, v in stripped(fields).items()
            if v is not None and v != [] and k in RELIEF_KEYS
        }
        if "id" not in entry:  # a new id only when none was given
            entry["id"] = self.new_id("rl-")
        entry.setdefault("reliability", "F6")
        entry["logged"] = logged
        # A bad field leaves out only the checks that need it: a required one all of the
        # whole-file checks (they read the sender, measure, action and date together).
        checked, bad = _checked_rest(Relief, entry, {})
        if checked is None:
            raise field_errors(bad)
        bad += [] if "url" in dict(bad) else _url_problems(checked.url)
        entry["reliability"] = checked.reliability
        problems = cross_check(
            at_least(self.existing.header, entry_schema("relief", entry)),
            [],
            [],
            known_ids=self.taken,
            known_cased=self._known_cased(),
            relief=[(0, checked)],
            earlier_relief=[*self.existing.relief, *self.batch_relief],
            # A reimposition needs an easing no retraction withdrew: the retractions of
            # the measure's entries, asked for these two actions alone.
            earlier_retractions=self._retractions_of_measure(checked),
        )
        _all_problems(bad, problems)
        earlier = None
        if not allow_duplicate and checked.supersedes is None:
            earlier = self.relief_duplicate_of(checked)
        if earlier is not None:
            raise DuplicateError(
                f"duplicate of {earlier}: same sender, measure, action and date, and no "
                "different instrument; --allow-duplicate records it anyway",
                earlier,
            )
        key, instrument = relief_step(checked)
        self.batch_steps.setdefault(key, []).append((instrument, label or checked.id))
        self._take(checked.id)
        self.batch_relief.append(checked)
        return {key: entry[key] for key in RELIEF_KEYS if key in entry}

    def _retractions_of_measure(self, entry: Relief) -> Sequence[Retraction]:
        if entry.action not in ("reimposed", "expired"):
            return ()
        from condtrack.domain.chains import chain_roots

        key = measure_key(entry.sender, entry.measure)
        relief = [*self.existing.relief, *self.batch_relief]
        roots = chain_roots((r.id, r.supersedes) for r in relief)
        chains = {roots[r.id] for r in relief if measure_key(r.sender, r.measure) == key}
        ids = {r.id for r in relief if roots[r.id] in chains}  # every version of them
        return self.existing.retractions_naming(ids) if ids else ()

    def relief_amendment(
        self,
        relief_id: str,
        changes: Mapping[str, Any],
        clear: Iterable[str],
        reason: str,
        logged: dt.datetime,
    ) -> dict[str, Any]:
        """A corrected copy of a relief entry that supersedes it; the original stays."""
        relief_id = known_id(relief_id, self.relief_by_id)
        original = self.relief_by_id.get(relief_id)
        if original is None:
            hint = did_you_mean(relief_id, self.relief_by_id)
            raise FieldError("relief", f"no relief entry with id {relief_id!r}{hint}")
        if relief_id in self.retracted:
            raise FieldError(
                "relief",
                f"{relief_id} {_withdrawn(relief_id, self.retracted)}; "
                "an amendment would not count: add a new entry instead",
            )
        if relief_id in self.relief_amended:
            newer = self.relief_amended[relief_id]
            raise FieldError("relief", f"{relief_id} was already amended by {newer}; amend that")
        kept = {
            k: v
            for k, v in original.as_file().items()
            if k not in ("id", "logged", "supersedes", "reason")
        }
        fields = dict(kept)
        for name in clear:
            if name not in RELIEF_CLEARABLE:
                raise FieldError(
                    "clear",
                    f"{name!r} cannot be cleared from a relief entry "
                    f"(clearable: {', '.join(RELIEF_CLEARABLE)})",
                )
            for field in RELIEF_CLEARABLE[name]:
                fields.pop(field, None)
        fields.update({k: v for k, v in stripped(changes).items() if v is not None})
        if fields == kept:
            raise CondtrackError("the amendment changes nothing; give the fields to correct")
        return self.relief({**fields, "supersedes": relief_id, "reason": reason.strip()}, logged)

    def evidence(self, fields: Mapping[str, Any], logged: dt.datetime) -> dict[str, Any]:
        """A complete, checked evidence entry, as a dict in the file's key order."""
        names = Evidence.model_fields  # once: pydantic makes it on each asking
        entry = {
            k: v for k, v in stripped(fields).items() if v is not None and v != [] and k in names
        }
        if "id" not in entry:
            entry["id"] = self.new_id()
        entry.setdefault("reliability", "F6")
        entry["logged"] = logged
        unread = entry.get("value")
        unreadable = list(unread.problems) if isinstance(unread, Unreadable) else []
        if unreadable:  # a stand-in, for the checks of the other fields
            entry["value"] = 0
        # A bad date stands in as the day it is logged: the whole-file checks read it only
        # against the logged time, which its own problem is named for.
        checked, bad = _checked_rest(Evidence, entry, {"date": logged.date()})
        bad = [
            *(("value", detail) for _, detail in unreadable),
            *((field, detail + self._hint(field, entry)) for field, detail in bad),
        ]
        if checked is None:
            raise field_errors(bad)
        bad += [] if "url" in dict(bad) else _url_problems(checked.url)
        entry["reliability"] = checked.reliability
        problems = self._cross_problems(checked)
        wrong = foreign_prefix("evidence", checked.id)  # new entries, even in a schema 1 file
        if wrong is not None and not any(p.field == "id" for p in problems):
            bad.append(("id", wrong))
        _all_problems(bad, problems)
        self._take(checked.id)
        made = {key: entry[key] for key in names if key in entry}
        # ``made`` differs from what was validated only by the grade as the check wrote it
        # (stripped, upper case), which validates as itself: its model is ``checked``.
        self._models[id(made)] = (made, checked)
        return made

    def _cross_problems(self, checked: Evidence) -> list[Problem]:
        """The whole-file checks of a new evidence entry."""
        # The head's own checks depend on the head alone: made once for a batch.
        return [
            *self._head_problems,
            *cross_check(
                self.existing.header,
                [(0, checked)],
                [],
                known_ids=self.taken,
                head=False,
                known_cased=self._known_cased(),
            ),
        ]

    def model_of(self, entry: Mapping[str, Any]) -> Evidence | None:
        """The model ``evidence`` validated ``entry`` (a dict it handed out) as, if any."""
        found = self._models.get(id(entry))
        return found[1] if found is not None and found[0] is entry else None

    @cached_property
    def _head_problems(self) -> list[Problem]:
        return head_problems(self.existing.header)

    def _hint(self, field: str, entry: Mapping[str, Any]) -> str:
        """A did-you-mean for a mistyped id, against the ids this tracker defines."""
        value = entry.get(field)
        if field not in ("condition", "criterion", "indicator") or not isinstance(value, str):
            return ""
        conditions = self.existing.header.conditions
        if field == "condition":
            valid = [c.id for c in conditions]
        else:
            owner = next((c for c in conditions if c.id == entry.get("condition")), None)
            items = [] if owner is None else getattr(owner, _PLURAL[field])
            valid = [item.id for item in items]
        return did_you_mean(value.lower().replace("_", "-"), valid)

    def amendment(
        self,
        evidence_id: str,
        changes: Mapping[str, Any],
        clear: Iterable[str],
        reason: str,
        logged: dt.datetime,
    ) -> dict[str, Any]:
        """A corrected copy of an entry that supersedes it; the original stays in the file.

        A relief entry's id makes a relief amendment, of the fields the two kinds share."""
        evidence_id = self.known_id(evidence_id)
        if evidence_id in self.relief_by_id:
            for name in _EVIDENCE_ONLY:
                if changes.get(name) is not None or name in clear:
                    raise FieldError(
                        name,
                        f"{evidence_id} is a relief entry, which has no {name}; "
                        "`condtrack relief amend` corrects every field of relief",
                    )
            return self.relief_amendment(evidence_id, changes, clear, reason, logged)
        original = self._existing(evidence_id)
        if evidence_id in self.retracted:
            raise FieldError(
                "evidence",
                f"{evidence_id} {_withdrawn(evidence_id, self.retracted)}; "
                "an amendment would not count: log a new entry instead",
            )
        if evidence_id in self.amended:
            newer = self.amended[evidence_id]
            raise FieldError(
                "evidence", f"{evidence_id} was already amended by {newer}; amend that"
            )
        fields = original.model_dump(exclude={"id", "logged", "supersedes", "reason"})
        for name in clear:
            for field in CLEARABLE[name]:
                fields.pop(field, None)
        fields.update({k: v for k, v in stripped(changes).items() if v is not None})
        if fields == original.model_dump(exclude={"id", "logged", "supersedes", "reason"}):
            raise CondtrackError("the amendment changes nothing; give the fields to correct")
        return self.evidence(
            {**fields, "supersedes": evidence_id, "reason": reason.strip()}, logged
        )

    def retraction(
        self, evidence_id: str, reason: str, day: dt.date, logged: dt.datetime
    ) -> dict[str, Any]:
        evidence_id = self.known_id(evidence_id)
        self._existing(evidence_id)
        if evidence_id in self.retracted:
            raise FieldError(
                "evidence", f"{evidence_id} {_withdrawn(evidence_id, self.retracted, 'already ')}"
            )
        entry = {"evidence": evidence_id, "reason": reason.strip(), "date": day, "logged": logged}
        _checked(Retraction, entry)
        return entry

    def known_id(self, typed: str) -> str:
        """The evidence or relief id ``typed`` names, typed in any case."""
        return known_id(typed, self.by_id, self.relief_by_id)

    def _existing(self, evidence_id: str) -> Evidence | Relief:
        original: Evidence | Relief | None = self.by_id.get(evidence_id)
        if original is None:
            original = self.relief_by_id.get(evidence_id)
        if original is None:
            hint = did_you_mean(evidence_id, [*self.by_id, *self.relief_by_id])
            named = kind_named(evidence_id)
            raise FieldError("evidence", f"no {named} with id {evidence_id!r}{hint}")
        return original


def _withdrawn(evidence_id: str, retracted: Mapping[str, Retraction], already: str = "") -> str:
    """How an entry was withdrawn: "was retracted on D", or with another version of it."""
    retraction = retracted[evidence_id]
    if retraction.evidence == evidence_id:
        return f"was {already}retracted on {retraction.date}"
    return (
        f"was {already}withdrawn on {retraction.date} with every version of it, when "
        f"{retraction.evidence} was retracted"
    )


def _checked(model: type[M], entry: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(entry)
    except ValidationError as error:
        details = error.errors(include_url=False)
        if not details[0]["loc"]:  # a rule about several fields together
            raise CondtrackError(_message(details[0])) from None
        problems: dict[str, str] = {}  # the first problem of each field, every field named
        for detail in details:
            if detail["loc"]:
                problems.setdefault(str(detail["loc"][0]), _message(detail))
        raise field_errors(list(problems.items())) from None


def _message(detail: ErrorDetails) -> str:
    return message_for(detail)


def at_least(header: Header, schema: int) -> Header:
    """``header`` as it will be once the append that needs ``schema`` has raised the file's
    number to it (``storage.appending`` does so in the same write)."""
    if header.tracker.schema_version >= schema:
        return header
    tracker = header.tracker.model_copy(update={"schema_version": schema})
    return header.model_copy(update={"tracker": tracker})


def recorded_duplicates(tracker: Tracker) -> list[str]:
    """A warning for each entry that records what an earlier one does, by the rule `log` and
    `relief add` refuse a duplicate by, when both still stand (neither amended nor
    withdrawn): `--allow-duplicate`, a hand edit, or two branches merged by hand. A
    warning, not an error: `--allow-duplicate` records them on purpose."""
    retracted = withdrawn([*tracker.evidence, *tracker.relief], tracker.retractions)
    superseded = {e.supersedes for e in tracker.evidence if e.supersedes}
    superseded |= {r.supersedes for r in tracker.relief if r.supersedes}

    def stands(entry_id: str) -> bool:
        return entry_id not in superseded and entry_id not in retracted

    warnings: list[str] = []
    reports: dict[str, str] = {}
    for entry in tracker.evidence:
        keys = report_keys(entry)
        if entry.supersedes is None and stands(entry.id):
            earlier = next((reports[k] for k in keys if k in reports), None)
            if earlier is not None:
                warnings.append(
                    f"evidence {entry.id} records the same report as {earlier} (same "
                    "condition, date, source and assessment, and the same summary or URL)"
                )
        if stands(entry.id):
            for key in keys:
                reports.setdefault(key, entry.id)
    steps: dict[str, list[tuple[str | None, str]]] = {}
    for step in tracker.relief:
        key, instrument = relief_step(step)
        if step.supersedes is None and stands(step.id):
            earlier = next(
                (i for other, i in steps.get(key, []) if same_step(instrument, other)), None
            )
            if earlier is not None:
                warnings.append(
                    f"relief entry {step.id} records the same step as {earlier} (same "
                    "sender, measure, action and date, and no different instrument)"
                )
        if stands(step.id):
            steps.setdefault(key, []).append((instrument, step.id))
    if len(warnings) > _DUPLICATES_SHOWN:  # a file of many: the first few, and a count
        more = len(warnings) - _DUPLICATES_SHOWN
        warnings = [*warnings[:_DUPLICATES_SHOWN], f"and {more} more duplicate{'s' * (more > 1)}"]
    return warnings


_DUPLICATES_SHOWN = 5
