"""Building new evidence and retraction entries, checked against the tracker they join."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from condtrack.errors import CondtrackError
from condtrack.models import Evidence, Retraction, Tracker
from condtrack.validation import cross_check

# Crockford's base32 without i, l, o, u: ids survive being read aloud or retyped.
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_LENGTH = 10  # 50 bits: collisions stay negligible even across merged branches
M = TypeVar("M", bound=BaseModel)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class FieldError(CondtrackError):
    """A problem with one field of a new entry."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


def new_id(taken: Iterable[str]) -> str:
    used = set(taken)
    while True:
        candidate = "ev-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
        if candidate not in used:
            return candidate


def parse_number(text: str) -> int | float:
    """A figure as typed: ``14`` stays an integer, ``2.5`` a float; ``1,5`` is refused."""
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        raise FieldError("value", f"{text!r} is not a number (write 1000 or 2.5)")
    if re.fullmatch(r"[-+]?\d+", cleaned):
        return int(cleaned)
    return float(cleaned)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def suggest(value: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"(valid: {', '.join(valid) or 'none defined'}){hint}"


def new_evidence(tracker: Tracker, fields: dict[str, Any], logged: dt.datetime) -> dict[str, Any]:
    """A complete, checked evidence entry (a dict in the file's key order)."""
    condition = tracker.condition(fields["condition"])
    if condition is None:
        valid = [c.id for c in tracker.conditions]
        raise FieldError(
            "condition",
            f"unknown condition {fields['condition']!r} {suggest(fields['condition'], valid)}",
        )
    for name, known in (
        ("criterion", [c.id for c in condition.criteria]),
        ("indicator", [i.id for i in condition.indicators]),
    ):
        value = fields.get(name)
        if value is not None and value not in known:
            raise FieldError(
                name, f"unknown {name} {value!r} for {condition.id} {suggest(value, known)}"
            )
    entry: dict[str, Any] = {"id": new_id(e.id for e in tracker.evidence)}
    for key in Evidence.model_fields:
        if key in fields and fields[key] is not None and key != "id":
            entry[key] = fields[key]
    entry.setdefault("reliability", "F6")
    entry["logged"] = logged
    checked = _checked(Evidence, entry)
    entry["reliability"] = checked.reliability
    problems = cross_check(tracker.header, [(0, checked)], [], known_ids=[])
    if problems:
        problem = problems[0]
        if problem.field is None:
            raise CondtrackError(problem.message)
        raise FieldError(problem.field, problem.message)
    return {key: entry[key] for key in Evidence.model_fields if key in entry}


def new_retraction(
    tracker: Tracker, evidence_id: str, reason: str, day: dt.date, logged: dt.datetime
) -> dict[str, Any]:
    ids = [e.id for e in tracker.evidence]
    if evidence_id not in ids:
        close = difflib.get_close_matches(evidence_id, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise FieldError("evidence", f"no evidence with id {evidence_id!r}{hint}")
    earlier = next((r for r in tracker.retractions if r.evidence == evidence_id), None)
    if earlier is not None:
        raise FieldError("evidence", f"{evidence_id} was already retracted on {earlier.date}")
    entry = {"evidence": evidence_id, "reason": reason, "date": day, "logged": logged}
    _checked(Retraction, entry)
    return entry


def _checked(model: type[M], entry: dict[str, Any]) -> M:
    try:
        return model.model_validate(entry)
    except ValidationError as error:
        detail = error.errors(include_url=False)[0]
        message = detail["msg"].removeprefix("Value error, ")
        if not detail["loc"]:  # a rule about several fields together
            raise CondtrackError(message) from None
        raise FieldError(str(detail["loc"][0]), message) from None
