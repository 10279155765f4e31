"""JSON for scripts and dashboards: stable keys, ISO dates, no terminal styling."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, cast

from condtrack import __version__
from condtrack.domain.relief import state_of, tied_to
from condtrack.textsafe import serialized_escapes

if TYPE_CHECKING:  # each command imports what it writes: `status` needs none of these
    from condtrack.domain.briefing import Briefing, ReliefSection
    from condtrack.domain.changes import Changes
    from condtrack.domain.gate import Outcome, Policy
    from condtrack.domain.history import Chain
    from condtrack.domain.knowledge import KnownAt
    from condtrack.domain.listing import Cut
    from condtrack.domain.relief import Compliance, Ledger, Measure, Step
    from condtrack.domain.scoring import Assessment, ConditionResult, IndicatorResult
    from condtrack.schema.models import Evidence, Retraction, Tracker
    from condtrack.schema.validation import Problem

SCHEMA = 1
P = ParamSpec("P")


def dumps(data: Any) -> str:
    """``data`` as JSON text, indented by two spaces, with a final newline.

    pydantic-core's writer (Rust) writes it: Python's own, whose C part cannot indent,
    took a twentieth of a second for a ``diff`` at 100,000 entries. It writes what
    ``json.dumps(data, indent=2, ensure_ascii=False, default=_default)`` writes, byte for
    byte, but for floats, which it may spell otherwise (``1e-7``, ``0.000037``) with the
    same value. Dates are written as ISO 8601, as ``_default`` writes them; a time of day
    must come as text (``_logged``), as the two writers would spell its offset differently.
    Text it cannot encode (a lone surrogate) and a type it does not know take Python's
    path, which writes them or fails as it did. (It knows a few that Python refused, such
    as enums and paths: no output holds one.)
    """
    from pydantic_core import PydanticSerializationError, to_json

    try:
        text = to_json(data, indent=2, fallback=_default).decode()
    except PydanticSerializationError:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=_default)
    return serialized_escapes(text, json=True) + "\n"


def _whole_figures(build: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """The data ``build`` makes, with its figures that are whole written as integers.

    A total of nothing is ``0.0`` and a total of whole amounts ``416``: JSON has one kind of
    number, and a figure's spelling should not depend on how it was summed (``0``, ``416``,
    ``6.25``). Evidence and its history keep their values as recorded.
    """

    @functools.wraps(build)
    def run(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        return cast(dict[str, Any], _whole_as_integers(build(*args, **kwargs)))

    return run


class _Figureless(list[Any]):
    """A list whose items hold no figure (ids, dates, times, text): ``_whole_as_integers``
    has nothing to change in it and does not walk it (a diff's entries: ~50,000 at 100k).
    JSON writes it as any list."""


def _whole_as_integers(data: Any) -> Any:
    if type(data) is _Figureless:
        return data
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, dict):
        return {key: _whole_as_integers(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_whole_as_integers(value) for value in data]
    return data


def _logged(moment: dt.datetime | None) -> str | None:
    """A ``logged`` time as entries give it (``model_dump``): ISO 8601, ``Z`` for UTC."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def _default(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


@_whole_figures
def status_data(assessment: Assessment, ledger: Ledger | None = None) -> dict[str, Any]:
    measures = ledger.measures if ledger is not None else ()
    return {
        "schema": SCHEMA,
        "title": assessment.title,
        "as_of": assessment.as_of,
        "known_at": _known(assessment.known_at),
        "overall": {
            **_overall(assessment),
            "relief_ahead": sum(1 for m in measures if m.ahead),
            "snapback_due": sum(1 for m in measures if m.snapback_due),
        },
        "settings": {
            "min_reliability": assessment.min_reliability,
            "stale_after_days": assessment.stale_after_days,
            "window_days": assessment.window_days,
        },
        "conditions": [_condition(result) for result in assessment.conditions],
        "relief": [measure_data(m) for m in measures],
    }


def _overall(assessment: Assessment) -> dict[str, Any]:
    overall = assessment.overall
    return {
        "score": overall.score,
        "status": overall.status,
        "relief_ready": overall.relief_ready,
        "snapback": overall.snapback,
    }


def measure_data(measure: Measure) -> dict[str, Any]:
    """One measure on the as-of date (``status``'s ``relief`` list)."""
    event = measure.event
    grant = event.compliance if event is not None and event.entry.easing else None
    return {
        "sender": measure.sender,
        "measure": measure.measure,
        "state": measure.state,
        "since": measure.since,
        "event": event.entry.id if event is not None else None,
        "instrument": measure.instrument,
        "ahead": measure.ahead,
        "snapback_due": measure.snapback_due,
        "breached": list(measure.breached),
        "compliance_at_grant": _compliance(grant) if grant is not None else None,
    }


def relief_data(ledger: Ledger) -> list[dict[str, Any]]:
    """`relief list --format json`: every entry, oldest first, with its verdict (whole
    scores as integers, as every other output writes them; relief records no figures)."""
    return [cast(dict[str, Any], _whole_as_integers(_step(step))) for step in ledger.steps]


def _step(step: Step) -> dict[str, Any]:
    from condtrack.schema.models import relief_model

    entry = relief_model(step.entry)
    fields = entry.model_dump(by_alias=True)
    if fields.get("logged") is not None:  # as it was always written (``dumps``: not ``Z``)
        fields["logged"] = fields["logged"].isoformat()
    return {
        **fields,
        "counts": step.counts,
        "excluded": step.excluded,
        # A step that does not count sets no measure's state: why is in "excluded".
        "state": state_of(step, entry.date)[0] if step.counts else None,
        "ahead": step.ahead,
        "compliance_at_date": _compliance(step.compliance),
    }


def _compliance(compliance: Compliance) -> dict[str, Any]:
    return {
        "date": compliance.date,
        "score": compliance.score,
        "status": compliance.status,
        "required": [{"id": cid, "status": status} for cid, status in compliance.required],
    }


def _known(known: KnownAt | None) -> str | None:
    """``--known-at`` as given (a date, or a timestamp with its offset); null: not given,
    everything in the file counts."""
    return None if known is None else known.text


def _condition(result: ConditionResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "title": result.condition.title,
        "status": result.status,
        "score": result.score,
        "stale": result.stale,
        "snapback": result.snapback,
        "regressed": result.regressed,
        "last_evidence": result.last_evidence,
        "criteria": [
            {
                "id": c.id,
                "status": c.verdict.status,
                "score": round(c.verdict.score, 4),
                "decided_by": c.verdict.decided_by,
                "via": c.verdict.via,
                "date": c.verdict.date,
                "reason": c.verdict.reason,
            }
            for c in result.criteria
        ],
        "indicators": [_indicator(i) for i in result.indicators],
        "offsets": [
            {
                "label": o.label,
                "outflow": o.outflow,
                "inflow": o.inflow,
                "outflow_total": o.outflow_total,
                "inflow_total": o.inflow_total,
                "net": o.net,
                "inflow_observed": o.inflow_observed,
                "warning": o.warning,
            }
            for o in result.offsets
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
    }


def _indicator(result: IndicatorResult) -> dict[str, Any]:
    indicator = result.indicator
    return {
        "id": indicator.id,
        "label": indicator.label,
        "unit": indicator.unit,
        "kind": indicator.kind,
        "better": indicator.better,
        "value": result.value,
        "date": result.date,
        "target": indicator.target,
        "progress": None if result.progress is None else round(result.progress, 4),
        "window_total": result.window_total,
        "trend": result.trend,
    }


@_whole_figures
def explain_data(
    result: ConditionResult,
    assessment: Assessment,
    entries: Mapping[str, Evidence],
    cut: Cut | None = None,
    relief: Ledger | None = None,
) -> dict[str, Any]:
    """What `explain` shows, as data: the condition's score as `status` gives it, how the
    criteria weigh into it, and the evidence listed (``counted``: whether it counts).

    With relief in the tracker: ``relief``, each measure granted for the condition (or for
    none named: for all), ``relief_requires``, the policy that decides whether they ran
    ahead, and ``relief_not_tied``, how many other measures there are. Without relief the
    keys are left out, so the output is as it was before relief existed."""
    from condtrack.domain.listing import Cut, per_subject
    from condtrack.render.figures import arithmetic, explained_entries

    condition = result.condition
    excluded = {x.evidence: x.reason for x in result.excluded}
    listing = per_subject(explained_entries(result, entries), cut or Cut())
    tied: dict[str, Any] = {}
    if relief is not None and relief.measures:
        measures = tied_to(relief, condition.id)
        tied = {
            "relief_requires": relief.policy,
            "relief": [
                {**measure_data(m), "for": list(m.event.entry.for_) if m.event else []}
                for m in measures
            ],
            "relief_not_tied": sum(1 for m in relief.measures if m.event is not None)
            - len(measures),
        }
    return {
        "schema": SCHEMA,
        "title": assessment.title,
        "as_of": assessment.as_of,
        "condition": {
            **_condition(result),
            "text": condition.text,
            "weight": condition.weight,
            "met_since": result.met_since,
            "last_met": result.last_met,
        },
        "arithmetic": {
            "terms": [
                {
                    "criterion": c.id,
                    "weight": c.weight,
                    "score": round(c.verdict.score, 4),
                }
                for c in result.criteria
            ],
            "total_weight": sum(c.weight for c in result.criteria),
            "score": result.score,
            "formula": arithmetic(result),
        },
        "evidence": [
            {
                **entry.model_dump(mode="json"),
                "counted": entry.id not in excluded,
                "not_counted": excluded.get(entry.id),
            }
            for entry in listing.shown
        ],
        "evidence_left_out": listing.left_out,
        **tied,
    }


@_whole_figures
def conditions_data(tracker: Tracker) -> dict[str, Any]:
    """What `conditions` lists, as data: every key always present, null when not set."""
    info = tracker.header.tracker
    return {
        "schema": SCHEMA,
        "title": info.title,
        "subject": info.subject,
        "settings": {
            "min_reliability": tracker.scoring.min_reliability,
            "stale_after_days": tracker.scoring.stale_after_days,
            "window_days": tracker.scoring.window_days,
        },
        "conditions": [
            {
                "id": c.id,
                "title": c.title,
                "text": c.text,
                "weight": c.weight,
                "snapback": c.snapback,
                "criteria": [{"id": k.id, "text": k.text, "weight": k.weight} for k in c.criteria],
                "indicators": [
                    {
                        "id": i.id,
                        "label": i.label,
                        "unit": i.unit,
                        "kind": i.kind,
                        "better": i.better,
                        "baseline": i.baseline,
                        "target": i.target,
                        "minimum": i.minimum,
                        "criterion": i.criterion,
                    }
                    for i in c.indicators
                ],
                "offsets": [
                    {"outflow": o.outflow, "inflow": o.inflow, "label": o.label} for o in c.offsets
                ],
            }
            for c in tracker.conditions
        ],
    }


def evidence_data(
    entries: Iterable[Evidence], retractions: Mapping[str, Retraction]
) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        row = entry.model_dump(mode="json")
        retraction = retractions.get(entry.id)
        row["retracted"] = (
            None
            if retraction is None
            else {
                "date": retraction.date.isoformat(),
                "logged": _logged(retraction.logged),
                "reason": retraction.reason,
            }
        )
        rows.append(row)
    return rows


@_whole_figures
def check_data(outcome: Outcome) -> dict[str, Any]:
    overall = outcome.assessment.overall
    return {
        "schema": SCHEMA,
        "as_of": outcome.assessment.as_of,
        "known_at": _known(outcome.assessment.known_at),
        "passed": not outcome.failures,
        "exit_code": outcome.exit_code,
        "requirements": list(outcome.requirements),
        "failures": [
            {"requirement": f.requirement, "condition": f.condition, "message": f.message}
            for f in outcome.failures
        ],
        "overall": {
            "score": overall.score,
            "status": overall.status,
            "relief_ready": overall.relief_ready,
            "snapback": overall.snapback,
        },
        "policy": _policy(outcome.policy),
    }


def _policy(policy: Policy) -> dict[str, Any]:
    """The gate applied, and where each part came from: flag, gate (the file) or default."""
    return {
        "require": list(policy.require) if policy.require is not None else None,
        "min_score": policy.min_score,
        "max_age_days": policy.max_age_days,
        "require_sequencing": policy.require_sequencing,
        "from": dict(policy.sources),
    }


@_whole_figures
def report_data(briefing: Briefing) -> dict[str, Any]:
    """The briefing as data; figures are the very ones ``status_data`` gives."""
    status = status_data(briefing.assessment)
    conditions = []
    for row, scored in zip(briefing.rows, status["conditions"], strict=True):
        latest = row.latest
        conditions.append(
            {
                **{k: scored[k] for k in ("id", "title", "status", "score", "stale", "snapback")},
                "regressed": scored["regressed"],
                "direction": row.result.direction,
                "figures": [
                    {
                        **_indicator(f.result),
                        "reference": f.reference,
                        "trend": f.trend,
                        "history": [{"date": o.date, "value": o.value} for o in f.result.history],
                    }
                    for f in row.figures
                ],
                "balances": [o for o in scored["offsets"] if o["inflow_observed"]],
                "latest_evidence": None
                if latest is None
                else {
                    "id": latest.id,
                    "date": latest.date,
                    "logged": _logged(latest.logged),
                    "source": latest.source,
                    "summary": latest.summary,
                    "url": latest.url,
                },
                "warnings": scored["warnings"],
            }
        )
    return {
        "schema": SCHEMA,
        "kind": "report",
        "title": status["title"],
        "as_of": status["as_of"],
        "known_at": status["known_at"],
        "since": briefing.since,
        "generated_by": f"condtrack {__version__}",
        "overall": _overall(briefing.assessment),
        "settings": status["settings"],
        "conditions": conditions,
        "changes": None if briefing.changes is None else diff_data(briefing.changes),
        # Left out without relief entries, so such a report reads as it always did.
        **({} if briefing.relief is None else {"relief": _report_relief(briefing.relief)}),
    }


def _report_relief(section: ReliefSection) -> dict[str, Any]:
    """The report's relief: each measure (as ``status`` gives it), the sender x measure
    matrix (a sender with no entry on a measure: ``in-force``), and the overall score on
    each date it can change (``series_dates`` of them; fewer in ``series`` when sampled)."""
    senders = section.matrix.senders
    return {
        "measures": [measure_data(m) for m in section.ledger.measures],
        "matrix": {
            "senders": list(senders),
            "rows": [
                {
                    "measure": row.measure,
                    "cells": {
                        sender: {
                            "state": cell.state if cell else "in-force",
                            "since": cell.since if cell else None,
                        }
                        for sender, cell in zip(senders, row.cells, strict=True)
                    },
                }
                for row in section.matrix.rows
            ],
        },
        "series": [{"date": p.date, "score": p.score} for p in section.series],
        "series_dates": section.dates,
    }


@_whole_figures
def changes_data(changes: Changes) -> dict[str, Any]:
    return {
        "as_of": changes.until,
        "known_at": _known(changes.known_at),
        "by": changes.by,
        "since": changes.since,
        "until": changes.until,
        "overall": {
            "before": {
                "score": changes.before.overall.score,
                "status": changes.before.overall.status,
            },
            "after": {"score": changes.after.overall.score, "status": changes.after.overall.status},
        },
        "conditions": [
            {
                "id": c.id,
                "changed": c.changed,
                "status": {"before": c.before.status, "after": c.after.status},
                "score": {"before": c.before.score, "after": c.after.score},
                "added": _Figureless([e.id for e in c.added]),
                "added_entries": _Figureless(
                    [
                        # the date as ``_default`` writes it, without a call back for each
                        {"id": e.id, "date": e.date.isoformat(), "logged": _logged(e.logged)}
                        for e in c.added
                    ]
                ),
                "retracted": _Figureless(
                    [
                        {
                            "evidence": r.evidence,
                            "date": r.date,
                            "logged": _logged(r.logged),
                            "reason": r.reason,
                        }
                        for r in c.retracted
                    ]
                ),
                "marks": _Figureless(c.marks),
                "criteria": [
                    {"id": m.id, "before": m.before, "after": m.after} for m in c.criteria
                ],
                "indicators": [
                    {"id": m.id, "before": m.before, "after": m.after} for m in c.indicators
                ],
                "new_warnings": [{"code": w.code, "message": w.message} for w in c.new_warnings],
            }
            for c in changes.conditions
        ],
    }


@_whole_figures
def diff_data(changes: Changes) -> dict[str, Any]:
    """`diff --format json`: the changes, and with relief in the tracker a ``relief``
    object (left out without relief, so such a tracker's output is as it was)."""
    data = changes_data(changes)
    relief = changes.relief
    if relief is None:
        return data
    data["relief"] = {
        "entries": [
            {
                "id": r.id,
                "sender": r.sender,
                "measure": r.measure,
                "action": r.action,
                "date": r.date,
                "logged": _logged(r.logged),
                "instrument": r.instrument,
                "expires": r.expires,
                "for": list(r.for_),
                "supersedes": r.supersedes,
            }
            for r in relief.added
        ],
        "retracted": [
            {
                "relief": retraction.evidence,
                "date": retraction.date,
                "logged": _logged(retraction.logged),
                "reason": retraction.reason,
            }
            for retraction, _ in relief.retracted
        ],
        "marks": [f"{entry_id} {mark}" for entry_id, mark in relief.marks.items()],
        "measures": [
            {
                "sender": m.sender,
                "measure": m.measure,
                "before": {"state": m.before, "since": m.before_since},
                "after": {"state": m.after, "since": m.after_since},
                "event": m.event,
            }
            for m in relief.states
        ],
    }
    return data


def history_data(found: Chain, known: KnownAt | None = None) -> dict[str, Any]:
    retraction = found.retraction
    return {
        "schema": SCHEMA,
        "known_at": _known(known),
        "kind": found.kind,
        "current": found.versions[-1].id,
        "versions": [v.model_dump(mode="json", by_alias=True) for v in found.versions],
        "retracted": None
        if retraction is None
        else {
            "date": retraction.date.isoformat(),
            "logged": _logged(retraction.logged),
            "reason": retraction.reason,
            "evidence": retraction.evidence,  # the version named; every version is withdrawn
        },
    }


@dataclass(frozen=True)
class Validated:
    """What `validate` found in one file: the tracker when it is valid, else its problems
    (``unreadable``: one problem, the file could not be read or parsed at all)."""

    path: Path
    tracker: Tracker | None
    problems: Sequence[Problem]
    unreadable: bool = False
    warnings: Sequence[str] = ()  # of a valid file: the exit code stays 0

    @property
    def ok(self) -> bool:
        return self.tracker is not None


def validation_data(checked: Sequence[Validated]) -> dict[str, Any]:
    """What `validate` reports, as data: ``ok`` for all files, then each file's."""
    return {
        "schema": SCHEMA,
        "ok": all(result.ok for result in checked),
        "files": [
            {
                "path": str(result.path),
                "ok": result.ok,
                "problems": [
                    {
                        "place": None if result.unreadable else problem.place,
                        "entry": problem.entry,
                        "field": problem.field,
                        "message": problem.message,
                    }
                    for problem in result.problems
                ],
                "warnings": list(result.warnings),
                "counts": None
                if result.tracker is None
                else {
                    "conditions": len(result.tracker.conditions),
                    "evidence": len(result.tracker.evidence),
                    "retractions": len(result.tracker.retractions),
                },
            }
            for result in checked
        ],
    }
