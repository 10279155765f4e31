"""JSON Schemas of the JSON outputs (``--format json``), published by ``condtrack schema``.

Written from what ``condtrack.render.as_json`` produces. Each object lists every key it
always has as required, and refuses others, so a renamed key fails the tests that check
real outputs against these schemas. Enumerations come from the domain's own types.
"""

from __future__ import annotations

from typing import Any, get_args

from condtrack.domain.briefing import Trend
from condtrack.domain.gate import FAILED, FIELDS, PASSED, SNAPBACK, Source
from condtrack.domain.relief import STATES
from condtrack.domain.scoring import Status
from condtrack.schema.jsonschema import DRAFT, entry_schema
from condtrack.schema.models import (
    Direction,
    Evidence,
    IndicatorKind,
    Relief,
    ReliefAction,
    ReliefPolicy,
)

OUTPUTS = (
    "status", "report", "check", "evidence", "conditions", "history", "diff", "explain", "validate",
    "relief",
)  # fmt: skip

_STRING = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_NUMBER = {"type": "number"}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}
_STATUS = {"enum": list(get_args(Status))}
_LOGGED = {"type": ["string", "null"], "format": "date-time"}
# --known-at as given: a date or a timestamp; null when not given (everything counts).
_KNOWN_AT = {"anyOf": [_DATE, {"type": "string", "format": "date-time"}, {"type": "null"}]}


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    """The same, or null."""
    if "enum" in schema:
        return {"enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def _object(**properties: Any) -> dict[str, Any]:
    """An object with exactly these keys, all always present."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def _optional(schema: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """``schema`` (an ``_object``) with more keys it may have, not required: present only
    when there is something to say, so older outputs stay as they were."""
    return {**schema, "properties": {**schema["properties"], **properties}}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}


_DEFINITIONS: dict[str, Any] = {
    "overall": _object(score=_NUMBER, status=_STATUS, relief_ready=_BOOLEAN, snapback=_BOOLEAN),
    "settings": _object(
        min_reliability={"type": "string", "pattern": "^[A-F][1-6]$"},
        stale_after_days=_INTEGER,
        window_days=_INTEGER,
    ),
    "warning": _object(code=_STRING, message=_STRING),
    "indicator": _object(
        id=_STRING,
        label=_STRING,
        unit=_STRING,
        kind={"enum": list(get_args(IndicatorKind))},
        better={"enum": list(get_args(Direction))},
        value=_null(_NUMBER),
        date=_null(_DATE),
        target=_null(_NUMBER),
        progress=_null(_NUMBER),
        window_total=_null(_NUMBER),
        trend=_null({"enum": list(get_args(Trend))}),
    ),
    "offset": _object(
        label=_STRING,
        outflow=_STRING,
        inflow=_STRING,
        outflow_total=_NUMBER,
        inflow_total=_NUMBER,
        net=_NUMBER,
        inflow_observed=_BOOLEAN,
        warning=_BOOLEAN,
    ),
    "changes": _object(
        as_of=_DATE,
        known_at=_KNOWN_AT,
        by={"enum": ["logged", "event"]},
        since=_DATE,
        until=_DATE,
        overall=_object(
            before=_object(score=_NUMBER, status=_STATUS),
            after=_object(score=_NUMBER, status=_STATUS),
        ),
        conditions=_array(
            _object(
                id=_STRING,
                changed=_BOOLEAN,
                status=_object(before=_STATUS, after=_STATUS),
                score=_object(before=_NUMBER, after=_NUMBER),
                added=_array(_STRING),
                added_entries=_array(_object(id=_STRING, date=_DATE, logged=_LOGGED)),
                retracted=_array(
                    _object(evidence=_STRING, date=_DATE, logged=_LOGGED, reason=_STRING)
                ),
                marks=_array(_STRING),
                criteria=_array(_object(id=_STRING, before=_STATUS, after=_STATUS)),
                indicators=_array(_object(id=_STRING, before=_null(_NUMBER), after=_null(_NUMBER))),
                new_warnings=_array(_ref("warning")),
            )
        ),
    ),
}

_CONDITION = _object(
    id=_STRING,
    title=_STRING,
    status=_STATUS,
    score=_NUMBER,
    stale=_BOOLEAN,
    snapback=_BOOLEAN,
    regressed=_BOOLEAN,
    last_evidence=_null(_DATE),
    criteria=_array(
        _object(
            id=_STRING,
            status=_STATUS,
            score=_NUMBER,
            decided_by=_null(_STRING),
            via={"enum": ["assessment", "indicator", None]},
            date=_null(_DATE),
            reason=_STRING,
        )
    ),
    indicators=_array(_ref("indicator")),
    offsets=_array(_ref("offset")),
    warnings=_array(_ref("warning")),
)

_FIGURE = _object(
    **_DEFINITIONS["indicator"]["properties"],
    reference=_null(_NUMBER),
    history=_array(_object(date=_DATE, value=_NUMBER)),
)

_REPORT_CONDITION = _object(
    **{k: _CONDITION["properties"][k] for k in ("id", "title", "status", "score", "stale")},
    snapback=_BOOLEAN,
    regressed=_BOOLEAN,
    direction=_null({"enum": list(get_args(Trend))}),
    figures=_array(_FIGURE),
    balances=_array(_ref("offset")),
    latest_evidence=_null(
        _object(
            id=_STRING,
            date=_DATE,
            logged=_LOGGED,
            source=_STRING,
            summary=_STRING,
            url=_null(_STRING),
        )
    ),
    warnings=_array(_ref("warning")),
)

_ONE = {"const": 1}

_COMPLIANCE = _object(
    date=_DATE,
    score=_NUMBER,
    status=_STATUS,
    required=_array(_object(id=_STRING, status=_STATUS)),
)
_MEASURE = _object(
    sender=_STRING,
    measure=_STRING,
    state={"enum": list(STATES)},
    since=_null(_DATE),
    event=_null(_STRING),
    instrument=_null(_STRING),
    ahead=_BOOLEAN,
    snapback_due=_BOOLEAN,
    breached=_array(_STRING),
    compliance_at_grant={"anyOf": [_COMPLIANCE, {"type": "null"}]},
)
# The report's relief section; left out when the tracker holds no relief entries.
_REPORT_RELIEF = _object(
    measures=_array(_MEASURE),
    matrix=_object(
        senders=_array(_STRING),
        rows=_array(
            _object(
                measure=_STRING,
                cells={
                    "type": "object",
                    "additionalProperties": _object(
                        state={"enum": list(STATES)}, since=_null(_DATE)
                    ),
                },
            )
        ),
    ),
    series=_array(_object(date=_DATE, score=_NUMBER)),
    series_dates=_INTEGER,
)
_STATUS_OVERALL = _object(
    **_DEFINITIONS["overall"]["properties"], relief_ahead=_INTEGER, snapback_due=_INTEGER
)

# What changed in the relief ledger between two points (`diff`, and `report --since`).
_RELIEF_CHANGES = _object(
    entries=_array(
        _object(
            id=_STRING,
            sender=_STRING,
            measure=_STRING,
            action={"enum": list(get_args(ReliefAction))},
            date=_DATE,
            logged=_LOGGED,
            instrument=_null(_STRING),
            expires=_null(_DATE),
            **{"for": _array(_STRING)},
            supersedes=_null(_STRING),
        )
    ),
    retracted=_array(_object(relief=_STRING, date=_DATE, logged=_LOGGED, reason=_STRING)),
    marks=_array(_STRING),
    measures=_array(
        _object(
            sender=_STRING,
            measure=_STRING,
            before=_object(state={"enum": list(STATES)}, since=_null(_DATE)),
            after=_object(state={"enum": list(STATES)}, since=_null(_DATE)),
            event=_null(_STRING),
        )
    ),
)

_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "relief": (
        "`condtrack relief list --format json`: the ledger, oldest first, each entry with "
        "whether it counts and whether it ran ahead of compliance.",
        _array(_ref("relief_step")),
    ),
    "status": (
        "`condtrack status --format json`: every condition scored as of a date.",
        _object(
            schema=_ONE,
            title=_STRING,
            as_of=_DATE,
            known_at=_KNOWN_AT,
            overall=_STATUS_OVERALL,
            settings=_ref("settings"),
            conditions=_array(_CONDITION),
            relief=_array(_MEASURE),
        ),
    ),
    "report": (
        "`condtrack report --format json`: the briefing as data.",
        _optional(
            _object(
                schema=_ONE,
                kind={"const": "report"},
                title=_STRING,
                as_of=_DATE,
                known_at=_KNOWN_AT,
                since=_null(_DATE),
                generated_by={"type": "string", "pattern": "^condtrack "},
                overall=_ref("overall"),
                settings=_ref("settings"),
                conditions=_array(_REPORT_CONDITION),
                # With relief in the tracker, its changes too (as `diff` gives them).
                changes={"anyOf": [_ref("report_changes"), {"type": "null"}]},
            ),
            relief=_REPORT_RELIEF,
        ),
    ),
    "check": (
        "`condtrack check --format json`: the CI gate's outcome.",
        _object(
            schema=_ONE,
            as_of=_DATE,
            known_at=_KNOWN_AT,
            passed=_BOOLEAN,
            exit_code={"enum": [PASSED, FAILED, SNAPBACK]},
            requirements=_array(_STRING),
            failures=_array(
                _object(
                    requirement={"enum": ["met", "min-score", "max-age", "snapback", "sequencing"]},
                    condition=_null(_STRING),
                    message=_STRING,
                )
            ),
            overall=_ref("overall"),
            policy=_object(
                require=_null(_array(_STRING)),
                min_score=_null(_NUMBER),
                max_age_days=_null(_INTEGER),
                require_sequencing=_BOOLEAN,
                **{"from": _object(**{key: {"enum": list(get_args(Source))} for key in FIELDS})},
            ),
        ),
    ),
    "evidence": (
        "`condtrack evidence --format json`: the entries listed, oldest first.",
        _array(_ref("listed")),
    ),
    "conditions": (
        "`condtrack conditions --format json`: the conditions and their ids.",
        _object(
            schema=_ONE,
            title=_STRING,
            subject=_STRING,
            settings=_ref("settings"),
            conditions=_array(
                _object(
                    id=_STRING,
                    title=_STRING,
                    text=_STRING,
                    weight=_NUMBER,
                    snapback=_BOOLEAN,
                    criteria=_array(_object(id=_STRING, text=_STRING, weight=_NUMBER)),
                    indicators=_array(
                        _object(
                            id=_STRING,
                            label=_STRING,
                            unit=_STRING,
                            kind={"enum": list(get_args(IndicatorKind))},
                            better={"enum": list(get_args(Direction))},
                            baseline=_null(_NUMBER),
                            target=_null(_NUMBER),
                            minimum=_null(_NUMBER),
                            criterion=_null(_STRING),
                        )
                    ),
                    offsets=_array(_object(outflow=_STRING, inflow=_STRING, label=_STRING)),
                )
            ),
        ),
    ),
    "history": (
        "`condtrack history ID --format json`: an entry, its amendments, and any retraction.",
        _object(
            schema=_ONE,
            known_at=_KNOWN_AT,
            kind={"enum": ["evidence", "relief"]},
            current=_STRING,
            versions={"anyOf": [_array(_ref("entry")), _array(_ref("relief_entry"))]},
            retracted=_null(_object(date=_DATE, logged=_LOGGED, reason=_STRING, evidence=_STRING)),
        ),
    ),
    "diff": (
        "`condtrack diff --format json`: what changed between two dates.",
        _optional(
            _DEFINITIONS["changes"],
            # Present when the tracker has relief (as known at either point).
            relief=_RELIEF_CHANGES,
        ),
    ),
    "explain": (
        "`condtrack explain CONDITION --format json`: how a condition's score is reached.",
        _optional(
            _object(
                schema=_ONE,
                title=_STRING,
                as_of=_DATE,
                condition=_object(
                    **_CONDITION["properties"],
                    text=_STRING,
                    weight=_NUMBER,
                    met_since=_null(_DATE),
                    last_met=_null(_DATE),
                ),
                arithmetic=_object(
                    terms=_array(_object(criterion=_STRING, weight=_NUMBER, score=_NUMBER)),
                    total_weight=_NUMBER,
                    score=_NUMBER,
                    formula=_STRING,
                ),
                evidence=_array(_ref("explained")),
                evidence_left_out=_INTEGER,
            ),
            # Present when the tracker has relief (as known): left out otherwise.
            relief_requires={"enum": list(get_args(ReliefPolicy))},
            relief=_array(_object(**_MEASURE["properties"], **{"for": _array(_STRING)})),
            relief_not_tied=_INTEGER,
        ),
    ),
    "validate": (
        "`condtrack validate --format json`: every file checked, with its problems.",
        _object(
            schema=_ONE,
            ok=_BOOLEAN,
            files=_array(
                _object(
                    path=_STRING,
                    ok=_BOOLEAN,
                    problems=_array(
                        _object(
                            place=_null(_STRING),
                            entry=_null(_STRING),
                            field=_null(_STRING),
                            message=_STRING,
                        )
                    ),
                    warnings=_array(_STRING),
                    counts=_null(
                        _object(conditions=_INTEGER, evidence=_INTEGER, retractions=_INTEGER)
                    ),
                )
            ),
        ),
    ),
}


def output_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one JSON output (a name in ``OUTPUTS``)."""
    description, body = _BODIES[name]
    definitions = dict(_DEFINITIONS)
    if name == "history":  # the versions of an evidence entry, or of a relief entry
        definitions["entry"] = _entry()
        definitions["relief_entry"] = _entry(Relief)
    if name == "relief":  # a relief entry, and its verdict (as-of date: the list's)
        step = _entry(Relief)
        step["properties"].update(
            counts=_BOOLEAN,
            excluded=_null(_STRING),
            state=_null({"enum": list(STATES)}),
            ahead=_null(_BOOLEAN),
            compliance_at_date=_COMPLIANCE,
        )
        step["required"] += ["counts", "excluded", "state", "ahead", "compliance_at_date"]
        definitions["relief_step"] = step
    if name == "report":
        definitions["report_changes"] = _optional(_DEFINITIONS["changes"], relief=_RELIEF_CHANGES)
    if name == "evidence":  # an entry, and whether (and why) it was retracted
        listed = _entry()
        listed["properties"]["retracted"] = _null(
            _object(date=_DATE, logged=_LOGGED, reason=_STRING)
        )
        listed["required"].append("retracted")
        definitions["listed"] = listed
    if name == "explain":  # an entry, and whether it counts in the score (and why not)
        explained = _entry()
        explained["properties"]["counted"] = _BOOLEAN
        explained["properties"]["not_counted"] = _null(_STRING)
        explained["required"] += ["counted", "not_counted"]
        definitions["explained"] = explained
    return {
        "$schema": DRAFT,
        "title": f"condtrack {name} (JSON)",
        "description": description,
        **body,
        "definitions": definitions,
    }


def _entry(model: type[Evidence | Relief] = Evidence) -> dict[str, Any]:
    """An evidence (or relief) entry as the outputs give it, from the model: a renamed
    field shows."""
    entry = entry_schema(model)
    entry.pop("$schema")
    definitions = entry.pop("$defs", {})
    assert not definitions, "an evidence entry refers to no other model"
    # The file leaves out a field that must not be given (an expiry on relief that does not
    # ease); the outputs give every field, as null: say that instead.
    for rule in entry.get("allOf", []):
        then = rule.get("then", {})
        if set(then) == {"not"} and set(then["not"]) == {"required"}:
            rule["then"] = {"properties": {f: {"type": "null"} for f in then["not"]["required"]}}
    return entry
