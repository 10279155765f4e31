"""GitHub Actions output for ``check``: workflow-command annotations and a step summary.

Annotations (``::error``/``::warning``) point at the tracker file, and at the line of the
condition or evidence entry where one is known, so they show on the file in a pull request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from condtrack.domain.gate import Failure, Outcome
from condtrack.domain.scoring import ConditionResult, format_score
from condtrack.render.figures import criteria_lines, verdict_text
from condtrack.schema.validation import header_lines
from condtrack.textsafe import markdown_text, one_line, workflow_data, workflow_property

if TYPE_CHECKING:
    from condtrack.schema.shapes import Tracker


@dataclass(frozen=True)
class Places:
    """Where annotations point: the tracker file and the line of each entry in it."""

    file: str
    conditions: Mapping[str, int] = field(default_factory=dict)
    evidence: Mapping[str, int] = field(default_factory=dict)
    relief: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, file: str, text: str, tracker: Tracker) -> Places:
        return cls(
            file,
            _lines(text, "conditions", [c.id for c in tracker.conditions]),
            _lines(text, "evidence", [e.id for e in tracker.evidence]),
            _lines(text, "relief", [r.id for r in tracker.relief]),
        )


def _lines(text: str, table: str, ids: Sequence[str]) -> dict[str, int]:
    found = header_lines(text, table)
    # Inline arrays of tables, or a header inside a multi-line string, break the one-to-one
    # match between headers and entries: then no line at all rather than a wrong one.
    return dict(zip(ids, found, strict=True)) if len(found) == len(ids) else {}


_TITLES = {
    "met": "{title}: {status}, required met",
    "max-age": "{title}: evidence too old",
    "snapback": "SNAPBACK: {title}",
}


def workflow_commands(outcome: Outcome, places: Places) -> str:
    """One workflow command per failure (errors) and per stale condition (warnings)."""
    assessment = outcome.assessment
    commands: list[str] = []
    for failure in outcome.failures:
        if failure.relief is not None:  # a measure: at the relief entry that granted it
            title = (
                "relief ahead of compliance"
                if failure.requirement == "sequencing"
                else "SNAPBACK due: relief in effect"
            )
            line = places.relief.get(failure.relief)
            commands.append(_command("error", title, failure.message, places, line))
            continue
        result = assessment.condition(failure.condition) if failure.condition else None
        if result is None:  # the overall score: no condition to point at
            title = "overall score below the minimum"
            commands.append(_command("error", title, failure.message, places))
            continue
        title = _TITLES[failure.requirement].format(
            title=result.condition.title, status=result.status
        )
        message = "\n".join(
            [failure.message, f"score {format_score(result.score)}/100", *criteria_lines(result)]
        )
        commands.append(_command("error", title, message, places, places.conditions.get(result.id)))
    for result in assessment.conditions:
        if result.stale and result.last_evidence is not None:
            age = (assessment.as_of - result.last_evidence).days
            message = (
                f"{result.id}: latest counting evidence is from {result.last_evidence}, "
                f"{age} days before {assessment.as_of} "
                f"(stale after {assessment.stale_after_days} days)"
            )
            title = f"stale evidence: {result.condition.title}"
            commands.append(
                _command("warning", title, message, places, _latest_line(result, places))
            )
    commands.append("condtrack check: " + _verdict(outcome))
    return "\n".join(commands) + "\n"


def _command(kind: str, title: str, message: str, places: Places, line: int | None = None) -> str:
    properties = [f"file={workflow_property(places.file)}"]
    if line is not None:
        properties.append(f"line={line}")
    properties.append(f"title={workflow_property(title)}")
    return f"::{kind} {','.join(properties)}::{workflow_data(message)}"


def _latest_line(result: ConditionResult, places: Places) -> int | None:
    # The old entry itself, rather than the condition, shows a reviewer how old it is.
    latest = [e.id for e in result.counted if e.date == result.last_evidence]
    lines = [places.evidence[i] for i in latest if i in places.evidence]
    return max(lines, default=places.conditions.get(result.id))


def _verdict(outcome: Outcome) -> str:
    return one_line(outcome.verdict)


def step_summary(outcome: Outcome) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the verdict, a row per condition, the failures."""
    assessment = outcome.assessment
    by_condition: dict[str, list[Failure]] = {}
    for failure in outcome.failures:
        by_condition.setdefault(failure.condition or "", []).append(failure)
    lines = [
        "",
        f"## condtrack check: {markdown_text(assessment.title)}",
        "",
        f"**{markdown_text(_verdict(outcome))}**. Overall: {verdict_text(assessment.overall)}.",
        "",
        "| Condition | Status | Score | Latest evidence | Gate |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for result in assessment.conditions:
        failed = by_condition.get(result.id, [])
        if failed:
            gate = "fails: " + ", ".join(f.requirement for f in failed)
        else:
            gate = "passes" if result.id in outcome.checked else "not checked"
        latest = str(result.last_evidence or "none") + (" (stale)" if result.stale else "")
        cells = [
            f"{markdown_text(result.condition.title)} (`{result.id}`)",
            f"**{result.status}**",
            format_score(result.score),
            latest,
            gate,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if outcome.failures:
        lines += ["", "### Failures", ""]
        lines += [f"- {markdown_text(f.message)}" for f in outcome.failures]
    return "\n".join(lines) + "\n"
