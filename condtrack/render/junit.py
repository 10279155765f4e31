"""JUnit XML for ``check``: a test case per condition, so CI test reports show the gate.

A condition fails when the gate fails on it (not met, evidence too old, snapback), is
skipped when no requirement covers it, and passes otherwise; ``--min-score`` adds one
case for the overall score. Every text goes through ``xml_text``: XML 1.0 refuses most
control characters, and one of them would make the whole report unreadable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from condtrack.domain.gate import Failure, Outcome
from condtrack.domain.scoring import ConditionResult, format_score
from condtrack.render.figures import criteria_lines
from condtrack.textsafe import xml_text

NOT_CHECKED = "not covered by this gate's requirements"


def junit(outcome: Outcome) -> str:
    assessment = outcome.assessment
    by_condition: dict[str | None, list[Failure]] = {}
    for failure in outcome.failures:
        by_condition.setdefault(failure.condition, []).append(failure)
    suite = ET.Element("testsuite", name=xml_text(assessment.title))
    properties = ET.SubElement(suite, "properties")
    for name, value in [
        ("as_of", str(assessment.as_of)),
        ("requirements", "; ".join(outcome.requirements)),
        ("overall", f"{assessment.overall.status}, score {format_score(assessment.overall.score)}"),
        ("exit_code", str(outcome.exit_code)),
    ]:
        ET.SubElement(properties, "property", name=name, value=xml_text(value))
    for result in assessment.conditions:
        case = _case(suite, "conditions", f"{result.id}: {result.condition.title}")
        failed = by_condition.get(result.id, [])
        if failed:
            _failure(case, failed)
        elif result.id not in outcome.checked:
            ET.SubElement(case, "skipped", message=NOT_CHECKED)
        ET.SubElement(case, "system-out").text = xml_text(_details(result))
    if outcome.min_score is not None:
        case = _case(suite, "overall", f"overall score >= {format_score(outcome.min_score)}")
        if failed := [f for f in by_condition.get(None, []) if f.relief is None]:
            _failure(case, failed)
    for failure in outcome.failures:  # a measure ahead of compliance, or due to snap back
        if failure.relief is not None:
            _failure(_case(suite, "relief", f"{failure.relief}: {failure.requirement}"), [failure])
    counts = {
        "tests": str(len(suite.findall("testcase"))),
        "failures": str(len(suite.findall("testcase/failure"))),
        "errors": "0",
        "skipped": str(len(suite.findall("testcase/skipped"))),
    }
    suite.attrib.update(counts, timestamp=f"{assessment.as_of}T00:00:00", time="0")
    root = ET.Element("testsuites", {"name": "condtrack check", **counts, "time": "0"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=xml_text(name), time="0")


def _failure(case: ET.Element, failed: list[Failure]) -> None:
    # One <failure> per case: the strict JUnit schema allows no more. Snapback names it.
    kinds = [f.requirement for f in failed]
    kind = "snapback" if "snapback" in kinds else kinds[0]
    messages = [f.message for f in failed]
    element = ET.SubElement(case, "failure", type=kind, message=xml_text("; ".join(messages)))
    element.text = xml_text("\n".join(messages))


def _details(result: ConditionResult) -> str:
    latest = f"latest evidence {result.last_evidence or 'none'}" + (
        " (stale)" if result.stale else ""
    )
    head = f"{result.status}, score {format_score(result.score)}/100, {latest}"
    return "\n".join([head, *criteria_lines(result)])
