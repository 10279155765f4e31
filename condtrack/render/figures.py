"""Plain-text phrases for figures, shared by the briefing formats (Markdown, CSV, HTML).

They hold no user text except ids, which the schema restricts to slugs (and, in
``relief_summary``, relief senders, which are codes, and measure names: escape its result).
"""

from __future__ import annotations

from collections.abc import Mapping

from condtrack.domain.briefing import Figure, Row
from condtrack.domain.changes import ConditionChange
from condtrack.domain.relief import Ledger, Measure, Step
from condtrack.domain.scoring import (
    ConditionResult,
    OffsetResult,
    Overall,
    format_number,
    format_score,
)
from condtrack.schema.models import Evidence

ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def explained_entries(result: ConditionResult, entries: Mapping[str, Evidence]) -> list[Evidence]:
    """The evidence `explain` lists for a condition: what counted and what was left out of
    its score, by date, in file order on the same date."""
    counted = {e.id for e in result.counted}
    excluded = {x.evidence for x in result.excluded}
    order = {entry_id: n for n, entry_id in enumerate(entries)}
    return sorted(
        (entries[i] for i in (*counted, *excluded) if i in entries),
        key=lambda e: (e.date, order[e.id]),
    )


def arithmetic(result: ConditionResult) -> str:
    """How the score is reached from the criteria, as `explain` writes it."""
    terms = " + ".join(f"{c.weight:g} * {c.verdict.score:.4g}" for c in result.criteria)
    weights = sum(c.weight for c in result.criteria)
    return f"score = 100 * ({terms}) / {weights:g} = {format_score(result.score)}"


def figure_text(figure: Figure, window_days: int) -> str:
    result = figure.result
    if result.indicator.kind == "flow":
        text = f"{result.indicator.id}: {format_number(result.window_total)} in {window_days} days"
    else:
        text = f"{result.indicator.id}: {format_number(result.value)} ({result.date})"
    if figure.trend is not None:
        text += f" {ARROWS[figure.trend]} from {format_number(figure.reference)}"
    return text


def balance_text(offset: OffsetResult) -> str:
    return (
        f"{offset.outflow} {format_number(offset.outflow_total)}, "
        f"{offset.inflow} {format_number(offset.inflow_total)}, net {format_number(offset.net)}"
        + (" (revolving door)" if offset.warning else "")
    )


def verdict_text(overall: Overall) -> str:
    readiness = "relief-ready" if overall.relief_ready else "not relief-ready"
    text = f"{overall.status}, score {format_score(overall.score)}/100, {readiness}"
    return text + ("; SNAPBACK triggered" if overall.snapback else "")


def criteria_lines(result: ConditionResult) -> list[str]:
    """Each criterion's verdict and its reason; the reasons quote sources, raw user text."""
    return [f"{c.id}: {c.verdict.status} ({c.verdict.reason})" for c in result.criteria]


def marks_text(row: Row) -> str:
    return ", ".join(row.marks)


def change_summary(change: ConditionChange) -> list[str]:
    """The moves of one condition between two dates, one phrase each."""
    parts = [f"{m.id}: {m.before} → {m.after}" for m in change.criteria]
    parts += [
        f"{m.id}: {format_number(_num(m.before))} → {format_number(_num(m.after))}"
        for m in change.indicators
    ]
    return parts + list(change.marks)


def _num(value: str | float | None) -> float | None:
    return value if isinstance(value, int | float) else None


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Values as block characters, lowest to highest; empty for fewer than two values."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return _BARS[3] * len(values)
    return "".join(_BARS[round((v - low) / (high - low) * (len(_BARS) - 1))] for v in values)


def ahead_text(step: Step, *, detail: bool = True) -> str:
    """An easing entry's sequencing verdict: "ahead of compliance: overall 8/100 (partial)
    on 2025-12-15", or "in step"; "" for an entry that does not ease."""
    if step.ahead is None:
        return ""
    if not step.ahead:
        return "in step"
    compliance = step.compliance
    if not detail:
        score = format_score(compliance.score)
        return f"ahead of compliance: overall {score}/100 on {compliance.date}"
    unmet = [f"{cid} {status}" for cid, status in compliance.required if status != "met"]
    which = (
        ", ".join(unmet)
        if len(unmet) <= 2
        else f"{len(unmet)} of {len(compliance.required)} required conditions unmet"
    )
    return (
        f"ahead of compliance: overall {format_score(compliance.score)}/100 on "
        f"{compliance.date} ({which})"
    )


def state_text(measure: Measure) -> str:
    """A measure's state and since when: "in effect since 2025-12-15", "in force"."""
    words = measure.state.replace("-", " ")
    return f"{words} since {measure.since}" if measure.since else words


def relief_summary(ledger: Ledger) -> str:
    """The overall line's relief clause: how many measures run ahead, per sender."""
    by_sender = ledger.ahead_by_sender()
    total = sum(by_sender.values())
    if not total:
        text = "relief in step: no measure in effect ahead of compliance"
    else:
        senders = ", ".join(f"{sender} {count}" for sender, count in sorted(by_sender.items()))
        noun = "measure" if total == 1 else "measures"
        text = f"relief ahead of compliance: {total} {noun} in effect ({senders})"
    due = ledger.snapback_due
    if due:
        names = "; ".join(f"{m.sender} {m.measure}" for m in due)
        text += f"; due to snap back: {names}"
    return text
