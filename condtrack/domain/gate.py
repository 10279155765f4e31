"""The CI gate: which requirements an assessment fails, and the exit code that follows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from condtrack.domain.relief import Ledger
from condtrack.domain.scoring import Assessment, format_score

PASSED, FAILED, USAGE, SNAPBACK = 0, 1, 2, 3


@dataclass(frozen=True)
class Failure:
    requirement: str  # "met", "min-score", "max-age", "snapback" or "sequencing"
    condition: str | None
    message: str
    relief: str | None = None  # the relief entry that put a measure in effect


@dataclass(frozen=True)
class Outcome:
    assessment: Assessment
    requirements: tuple[str, ...]
    failures: tuple[Failure, ...]
    # The conditions that "met" or "max-age" requirements cover, and the overall minimum:
    # what a per-requirement report (JUnit) lists as tested rather than skipped.
    checked: tuple[str, ...] = ()
    min_score: float | None = None

    @property
    def verdict(self) -> str:
        """One line: "gate passed (met: a, b) as of 2025-09-30", or failed."""
        result = "gate failed" if self.failures else "gate passed"
        return f"{result} ({'; '.join(self.requirements)}) as of {self.assessment.as_of}"

    @property
    def exit_code(self) -> int:
        if self.assessment.overall.snapback:
            return SNAPBACK
        return FAILED if self.failures else PASSED


def evaluate(
    assessment: Assessment,
    *,
    require: Sequence[str] | None,
    min_score: float | None,
    max_age: int | None,
    relief: Ledger | None = None,
    sequencing: bool = False,
) -> Outcome:
    """Check an assessment against the gate; with no requirement given, relief-readiness.

    ``relief``: the ledger on the same date; its measures due to snap back are named with
    the snapback failures, and with ``sequencing`` each measure in effect ahead of
    compliance fails the gate."""
    if require is None and min_score is None and max_age is None and not sequencing:
        require = [c.id for c in assessment.conditions]
    described: list[str] = []
    failures: list[Failure] = []
    if require is not None:
        described.append("met: " + ", ".join(require))
        for condition_id in require:
            result = assessment.condition(condition_id)
            if result is not None and result.status != "met":
                failures.append(
                    Failure("met", condition_id, f"{condition_id}: {result.status} (required: met)")
                )
    if min_score is not None:
        described.append(f"overall score >= {format_score(min_score)}")
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
        described.append(f"evidence no older than {max_age} days")
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
        described.append("relief in step with compliance")
    checked: Sequence[str] = ()
    if require is not None:
        checked = require
    elif max_age is not None:
        checked = [c.id for c in assessment.conditions]
    return Outcome(assessment, tuple(described), tuple(failures), tuple(checked), min_score)


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
                )
            )
    return failures
