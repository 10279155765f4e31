"""The CI gate: which requirements an assessment fails, and the exit code that follows.

The policy comes from ``check``'s flags and the tracker's ``[gate]`` table: a flag given
overrides its field, a field not given by flag comes from ``[gate]``, and with neither the
gate is relief-readiness (every condition met).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from condtrack.domain.relief import Ledger
from condtrack.domain.scoring import Assessment, format_score

if TYPE_CHECKING:
    from condtrack.schema.shapes import Gate

PASSED, FAILED, USAGE, SNAPBACK = 0, 1, 2, 3

Source = Literal["flag", "gate", "default"]
# Each policy field: its name in [gate], and the flag that overrides it.
FIELDS = {
    "require": "--require",
    "min_score": "--min-score",
    "max_age_days": "--max-age",
    "require_sequencing": "--require-sequencing",
}


def required_ids(named: Sequence[str], valid: Sequence[str]) -> list[str]:
    """Condition ids as ``--require`` and ``[gate].require`` take them: "all" is every
    condition, in the file's order; otherwise as named, each once."""
    return list(valid) if "all" in named else list(dict.fromkeys(named))


@dataclass(frozen=True)
class Policy:
    """What the gate requires, merged from flags and ``[gate]``, and where each part came from."""

    require: tuple[str, ...] | None = None
    min_score: float | None = None
    max_age_days: int | None = None
    require_sequencing: bool = False
    sources: Mapping[str, Source] = field(default_factory=lambda: dict.fromkeys(FIELDS, "default"))

    @classmethod
    def merged(
        cls,
        gate: Gate | None,
        valid: Sequence[str],
        *,
        require: Sequence[str] | None = None,
        min_score: float | None = None,
        max_age_days: int | None = None,
        require_sequencing: bool | None = None,
    ) -> Policy:
        """Flags (``None``: not given) over the file's ``[gate]`` over the defaults.

        ``require`` holds ids or "all", as ``required_ids`` reads them."""
        given = {
            "require": require,
            "min_score": min_score,
            "max_age_days": max_age_days,
            "require_sequencing": require_sequencing,
        }
        in_file = {
            "require": gate.require if gate else None,
            "min_score": gate.min_score if gate else None,
            "max_age_days": gate.max_age_days if gate else None,
            "require_sequencing": gate.require_sequencing if gate else None,
        }
        values: dict[str, object] = {}
        sources: dict[str, Source] = {}
        for name in FIELDS:
            if given[name] is not None:
                values[name], sources[name] = given[name], "flag"
            elif in_file[name] is not None:
                values[name], sources[name] = in_file[name], "gate"
            else:
                values[name], sources[name] = None, "default"
        named = values["require"]
        ids = tuple(required_ids(named, valid)) if isinstance(named, list | tuple) else None
        score, age = values["min_score"], values["max_age_days"]
        return cls(
            require=ids,
            min_score=float(score) if isinstance(score, int | float) else None,
            max_age_days=age if isinstance(age, int) else None,
            require_sequencing=values["require_sequencing"] is True,
            sources=sources,
        )

    def from_gate(self, name: str) -> bool:
        return self.sources.get(name) == "gate"


@dataclass(frozen=True)
class Failure:
    requirement: str  # "met", "min-score", "max-age", "snapback" or "sequencing"
    condition: str | None
    message: str
    relief: str | None = None  # the relief entry that put a measure in effect
    measure: str | None = None  # its sender and measure ("US Belavia")


@dataclass(frozen=True)
class Outcome:
    assessment: Assessment
    requirements: tuple[str, ...]
    failures: tuple[Failure, ...]
    # The conditions that "met" or "max-age" requirements cover, and the overall minimum:
    # what a per-requirement report (JUnit) lists as tested rather than skipped.
    checked: tuple[str, ...] = ()
    min_score: float | None = None
    policy: Policy = Policy()

    @property
    def verdict(self) -> str:
        """One line: "gate passed (met: a, b) as of 2025-09-30" (what was required), or
        what failed: "gate failed: a not met; 2 measures in effect ahead of compliance as of
        2025-09-30"."""
        if not self.failures:
            return f"gate passed ({'; '.join(self.requirements)}) as of {self.assessment.as_of}"
        return f"gate failed: {'; '.join(self.failed())} as of {self.assessment.as_of}"

    def failed(self) -> list[str]:
        """What failed, one phrase per kind of failure, in the order they were found;
        "(from [gate])" where the requirement came from the file."""
        groups: dict[str, list[Failure]] = {}
        for failure in self.failures:
            kind = "snapback-due" if failure.requirement == "snapback" and failure.measure else None
            groups.setdefault(kind or failure.requirement, []).append(failure)
        phrases = []
        for kind, failures in groups.items():
            named = ", ".join(dict.fromkeys(f.condition or f.measure or "" for f in failures))
            count = len(failures)
            if kind == "met":
                phrase = (
                    f"{named} not met" if count == 1 else f"{count} conditions not met: {named}"
                )
            elif kind == "min-score":
                phrase = failures[0].message
            elif kind == "max-age":
                phrase = f"evidence missing or too old: {named}"
            elif kind == "sequencing":
                measures = "measure" if count == 1 else "measures"
                phrase = f"{count} {measures} in effect ahead of compliance"
            elif kind == "snapback-due":
                phrase = f"snapback due: {named}"
            else:  # a condition's snapback
                phrase = f"snapback: {named}"
            field = _FIELD_OF.get(kind)
            phrases.append(
                f"{phrase} (from [gate])" if field and self.policy.from_gate(field) else phrase
            )
        return phrases

    @property
    def exit_code(self) -> int:
        if self.assessment.overall.snapback:
            return SNAPBACK
        return FAILED if self.failures else PASSED


# The [gate] field each kind of failure comes from.
_FIELD_OF = {
    "met": "require",
    "min-score": "min_score",
    "max-age": "max_age_days",
    "sequencing": "require_sequencing",
}


def evaluate_policy(
    assessment: Assessment, policy: Policy, relief: Ledger | None = None
) -> Outcome:
    """Check an assessment against a merged policy; its requirements say which came from
    the file's ``[gate]``. ``relief``: the ledger on the same date, if the file has one."""
    return evaluate(
        assessment,
        require=policy.require,
        min_score=policy.min_score,
        max_age=policy.max_age_days,
        policy=policy,
        relief=relief,
        sequencing=policy.require_sequencing,
    )


def evaluate(
    assessment: Assessment,
    *,
    require: Sequence[str] | None,
    min_score: float | None,
    max_age: int | None,
    policy: Policy | None = None,
    relief: Ledger | None = None,
    sequencing: bool = False,
) -> Outcome:
    """Check an assessment against the gate; with no requirement given, relief-readiness.

    ``relief``: the ledger on the same date; its measures due to snap back are named with
    the snapback failures, and with ``sequencing`` each measure in effect ahead of
    compliance fails the gate."""
    policy = policy or Policy(
        tuple(require) if require is not None else None,
        min_score,
        max_age,
        sequencing,
        {
            name: "default" if value is None else "flag"
            for name, value in zip(
                FIELDS, (require, min_score, max_age, sequencing or None), strict=True
            )
        },
    )
    if require is None and min_score is None and max_age is None and not sequencing:
        require = [c.id for c in assessment.conditions]
        policy = Policy(tuple(require), None, None, False, policy.sources)

    def noted(text: str, name: str) -> str:
        return f"{text} (from [gate])" if policy.from_gate(name) else text

    described: list[str] = []
    failures: list[Failure] = []
    if require is not None:
        described.append(noted("met: " + ", ".join(require), "require"))
        for condition_id in require:
            result = assessment.condition(condition_id)
            if result is not None and result.status != "met":
                failures.append(
                    Failure("met", condition_id, f"{condition_id}: {result.status} (required: met)")
                )
    if min_score is not None:
        described.append(noted(f"overall score >= {format_score(min_score)}", "min_score"))
        if assessment.overall.score < min_score:
            failures.append(
                Failure(
                    "min-score",
                    None,
                    f"overall score {format_score(assessment.overall.score)} "
                    f"is below {format_score(min_score)}",
                )
            )
    if max_age is not None:
        described.append(noted(f"evidence no older than {max_age} days", "max_age_days"))
        scope = require if require is not None else [c.id for c in assessment.conditions]
        for condition_id in scope:
            result = assessment.condition(condition_id)
            if result is None:
                continue
            if result.last_evidence is None:
                failures.append(Failure("max-age", condition_id, f"{condition_id} has no evidence"))
            elif (age := (assessment.as_of - result.last_evidence).days) > max_age:
                failures.append(
                    Failure(
                        "max-age",
                        condition_id,
                        f"{condition_id}: latest evidence is {age} days old "
                        f"({result.last_evidence}), limit {max_age}",
                    )
                )
    for result in assessment.conditions:
        if result.snapback:
            failures.append(
                Failure(
                    "snapback",
                    result.id,
                    f"snapback: {result.id} was met on {result.last_met} and no longer is",
                )
            )
    if relief is not None:
        failures += _relief_failures(relief, sequencing)
    if sequencing:
        described.append(noted("relief in step with compliance", "require_sequencing"))
    checked: Sequence[str] = ()
    if require is not None:
        checked = require
    elif max_age is not None:
        checked = [c.id for c in assessment.conditions]
    return Outcome(assessment, tuple(described), tuple(failures), tuple(checked), min_score, policy)


def _relief_failures(ledger: Ledger, sequencing: bool) -> list[Failure]:
    failures: list[Failure] = []
    for measure in ledger.measures:
        event = measure.event
        if event is None:
            continue
        name = f"{measure.sender} {measure.measure}"
        if sequencing and measure.ahead:
            compliance = event.compliance
            unmet = ", ".join(cid for cid, status in compliance.required if status != "met")
            failures.append(
                Failure(
                    "sequencing",
                    None,
                    f"relief ahead of compliance: {name} in effect since {measure.since} "
                    f"({event.entry.id}), granted when overall was "
                    f"{format_score(compliance.score)}/100 ({compliance.status}); unmet: {unmet}",
                    event.entry.id,
                    name,
                )
            )
        if measure.snapback_due:
            failures.append(
                Failure(
                    "snapback",
                    None,
                    f"snapback due: {name} ({event.entry.id}) is in effect while "
                    f"{', '.join(measure.breached)} is in snapback",
                    event.entry.id,
                    name,
                )
            )
    return failures
