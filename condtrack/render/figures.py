"""Plain-text phrases for figures, shared by the briefing formats (Markdown, CSV, HTML).

They hold no user text except ids, which the schema restricts to slugs (and, in
``relief_summary``, relief senders, which are codes, and measure names: escape its result).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from condtrack.domain.briefing import Figure, ReliefSection, Row
from condtrack.domain.changes import Changes, ConditionChange
from condtrack.domain.relief import Ledger, Measure, Step
from condtrack.domain.scoring import (
    ConditionResult,
    OffsetResult,
    Overall,
    format_number,
    format_score,
)
from condtrack.schema.shapes import Evidence, Relief
from condtrack.textsafe import one_line

E = TypeVar("E", bound=Evidence)  # models or plain: the same kind back
ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def explained_entries(result: ConditionResult, entries: Mapping[str, E]) -> list[E]:
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
    on 2025-12-15", or "in step"; for an entry that does not count, why ("not counted:
    superseded by rl-…"; it is not judged); "" for an entry that does not ease. Holds user
    text (a retraction's reason): escape it for the output."""
    if step.excluded is not None:
        return f"not counted: {step.excluded}"
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
    """A measure's state and since when: "in effect since 2025-12-15", "in force", "in
    force, renewed 2026-02-26" (decided by a renewal)."""
    words = measure.state.replace("-", " ")
    if measure.since and renewed(measure):
        return f"{words}, renewed {measure.since}"
    return f"{words} since {measure.since}" if measure.since else words


def state_phrase(state: str, since: dt.date | None) -> str:
    """A measure's state as a phrase: "in effect since 2025-12-15", "in force"."""
    words = state.replace("-", " ")
    return f"{words} since {since}" if since else words


def relief_span(changes: Changes) -> str:
    """Which relief entries a comparison lists: "logged since D", or by their dates."""
    if changes.by == "event":
        return f"dated from {changes.since + dt.timedelta(days=1)} to {changes.until}"
    return f"logged since {changes.since}"


def relief_changes_rows(changes: Changes) -> list[tuple[str, ...]]:
    """The relief part of a comparison as rows of plain cells, for the report's tables:
    (change, date, id, sender, measure, what, instrument, for, mark); "entry" and
    "retracted" rows for the entries between the two points, "state" rows (the deciding
    entry's id, "then → now") for each measure whose state changed. User text as it is:
    each format escapes it."""
    relief = changes.relief
    if relief is None:
        return []
    rows: list[tuple[str, ...]] = []
    listed: list[tuple[str, Relief, str]] = [("entry", e, e.action) for e in relief.added]
    listed += [
        ("retracted", entry, f"retracted on {r.date}: {one_line(r.reason)}")
        for r, entry in relief.retracted
        if entry is not None
    ]
    for change, entry, what in listed:
        if change == "entry" and entry.expires:
            what += f", expires {entry.expires}"
        rows.append(
            (change, str(entry.date), entry.id, entry.sender, entry.measure, what,
             entry.instrument or "", ", ".join(entry.for_), relief.marks.get(entry.id, ""))
        )  # fmt: skip
    for m in relief.states:
        moved = f"{state_phrase(m.before, m.before_since)} → {state_phrase(m.after, m.after_since)}"
        rows.append(("state", "", m.event or "", m.sender, m.measure, moved, "", "", ""))
    return rows


def renewed(measure: Measure) -> bool:
    """Whether a renewal (the sender kept the sanction in force) decides the state."""
    return measure.event is not None and measure.event.entry.action == "renewed"


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


def measure_verdict(measure: Measure) -> str:
    """A measure's sequencing, as the status Relief table gives it: for a measure in effect,
    "ahead of compliance: overall 8/100 on 2025-12-15" or "in step"; then whether it is due
    to snap back. Holds the condition ids only (slugs)."""
    text = ""
    if measure.in_effect and measure.event is not None:
        text = ahead_text(measure.event, detail=False)
    if measure.snapback_due:
        due = f"due to snap back ({', '.join(measure.breached)})"
        text = f"{text}; {due}" if text else due
    return text


# ---------------------------------------------------------------------------------------
# The relief chart: the overall score over time, relief entries marked on it

Shape = Literal["up", "down", "circle", "square"]
SHAPES: dict[str, Shape] = {
    "eased": "up", "lifted": "up", "suspended": "up", "reimposed": "down", "expired": "circle",
    "renewed": "square",
}  # fmt: skip
SHAPE_WORDS: tuple[tuple[Shape, str], ...] = (
    ("up", "eased, lifted or suspended"),
    ("down", "reimposed"),
    ("circle", "expired"),
    ("square", "renewed"),
)
# Okabe and Ito's colours, told apart with colour-blindness too; labels and shapes carry
# the meaning in black and white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LABEL_CHARS = 34  # longer labels are cut with "…" (the marker's title holds it whole)
_CHAR_WIDTH = 6.0  # an estimate of a label character's width at 11px
_ROW = 13.0  # the height of one row of labels
MAX_LABEL_ROWS = 8  # labels that would need more rows are left out (titles still name them)


@dataclass(frozen=True)
class ChartPoint:
    date: dt.date
    score: float
    x: float
    y: float


@dataclass(frozen=True)
class ChartMarker:
    step: Step
    sender: str
    colour: str
    shape: Shape
    x: float
    y: float
    label: str  # "": left out, no room (its title names it)
    label_x: float
    label_y: float
    anchor: Literal["start", "end"]
    title: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float
    points: tuple[ChartPoint, ...]
    line: tuple[tuple[float, float], ...]  # the score held until the next date: steps
    markers: tuple[ChartMarker, ...]
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    senders: tuple[tuple[str, str], ...]  # sender, colour
    legend_y: float
    summary: str
    caption: str


def relief_chart(section: ReliefSection, width: float = 880) -> Chart:
    """The geometry of the relief chart, from the data: x the date, y the overall score."""
    series = section.series
    as_of = section.ledger.as_of
    start = series[0].date if series else as_of
    colours = {
        s.casefold(): PALETTE[n % len(PALETTE)] for n, s in enumerate(section.matrix.senders)
    }
    names = {s.casefold(): s for s in section.matrix.senders}
    counting = [s for s in section.ledger.steps if s.counts]
    left, right_margin, plot_height = 44.0, 16.0, 180.0
    right = width - right_margin
    span = max((as_of - start).days, 1)

    def x_of(day: dt.date) -> float:
        return round(left + (day - start).days / span * (right - left), 1)

    labels = []
    for step in counting:
        entry = step.entry
        text = f"{names.get(entry.sender.casefold(), entry.sender)}: {one_line(entry.measure)}"
        if len(text) > LABEL_CHARS:
            text = text[: LABEL_CHARS - 1].rstrip() + "…"
        labels.append((x_of(entry.date), text))
    rows, placed = _stagger(labels, left, right)
    top = 8.0 + rows * _ROW + 6.0
    bottom = top + plot_height

    def y_of(score: float) -> float:
        return round(bottom - score / 100 * plot_height, 1)

    points = tuple(ChartPoint(p.date, p.score, x_of(p.date), y_of(p.score)) for p in series)
    line: list[tuple[float, float]] = []
    for n, point in enumerate(points):
        if n:
            line.append((point.x, points[n - 1].y))
        line.append((point.x, point.y))
    markers = []
    taken: list[tuple[float, float]] = []  # where markers are drawn so far
    for step, (label_x, label_row, anchor), (_, text) in zip(counting, placed, labels, strict=True):
        if label_row is None:
            text, label_row = "", 0
        entry = step.entry
        sender = names.get(entry.sender.casefold(), entry.sender)
        title = f"{entry.date} {sender} {entry.action}: {entry.measure}"
        if entry.instrument:
            title += f" ({entry.instrument})"
        title += f"; overall {format_score(step.compliance.score)}/100"
        verdict = ahead_text(step, detail=False)
        if verdict:
            title += f"; {verdict.split(':')[0]}"
        markers.append(
            ChartMarker(
                step=step,
                sender=sender,
                colour=colours.get(entry.sender.casefold(), PALETTE[-1]),
                shape=SHAPES[entry.action],
                x=x_of(entry.date),
                y=_unstacked(x_of(entry.date), y_of(step.compliance.score), taken, top, bottom),
                label=text,
                label_x=label_x,
                label_y=round(top - 6.0 - label_row * _ROW, 1),
                anchor=anchor,
                title=title,
            )
        )
    scores = [p.score for p in series]
    summary = (
        f"Overall compliance score from {start} to {as_of}"
        + (
            f": {format_score(scores[0])}/100 at the start, {format_score(scores[-1])}/100 "
            f"at the end, between {format_score(min(scores))} and {format_score(max(scores))}"
            if scores
            else ""
        )
        + f"; {len(counting)} relief {'entry' if len(counting) == 1 else 'entries'} marked"
        + (f" ({_by_sender(markers)})" if markers else "")
        + f"; {relief_summary(section.ledger)}"
    )
    caption = (
        (
            "The line: the overall score on the one date it can change"
            if section.dates == 1
            else f"The line: the overall score on each of the {section.dates} dates it can change"
        )
        if not section.sampled
        else f"The line: the overall score on {len(series)} of the {section.dates} dates it "
        "can change, sampled evenly (every relief date kept)"
    )
    caption += "; markers: each counting relief entry on its date"
    if any(m.y != y_of(m.step.compliance.score) for m in markers):
        caption += " (markers that would cover one another are stacked, each in view)"
    unlabelled = sum(1 for _, row, _ in placed if row is None)
    if unlabelled:
        caption += (
            f"; {unlabelled} of {len(placed)} markers unlabelled for want of room (each "
            "marker's title names its entry)"
        )
    return Chart(
        width=width,
        height=bottom + 58.0,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        points=points,
        line=tuple(line),
        markers=tuple(markers),
        x_ticks=tuple((x_of(day), text) for day, text in _date_ticks(start, as_of)),
        y_ticks=tuple((y_of(v), str(v)) for v in (0, 25, 50, 75, 100)),
        senders=tuple((s, colours[s.casefold()]) for s in section.matrix.senders),
        legend_y=bottom + 44.0,
        summary=summary,
        caption=caption + ".",
    )


_MARKER_WIDTH = 12.0  # a marker's width, and a little room
_STACK = 11.0  # how far a marker moves off another it would cover: its height, and room


def _unstacked(
    x: float, y: float, taken: list[tuple[float, float]], top: float, bottom: float
) -> float:
    """Where a marker at (x, y) is drawn so that it covers none drawn before it (entries on
    one date, or dates too close to tell apart): moved up by a marker's height at a time,
    or down where the top of the plot is in the way. Notes the place it takes."""
    step = -_STACK if y - _STACK >= top else _STACK
    placed = y
    while any(abs(x - tx) < _MARKER_WIDTH and abs(placed - ty) < _STACK for tx, ty in taken):
        placed = round(placed + step, 1)
        if not top <= placed <= bottom:  # out of the plot that way: the other way
            step, placed = -step, y
            while any(
                abs(x - tx) < _MARKER_WIDTH and abs(placed - ty) < _STACK for tx, ty in taken
            ):
                placed = round(placed + step, 1)
            break
    taken.append((x, placed))
    return placed


def _by_sender(markers: list[ChartMarker]) -> str:
    counts: dict[str, int] = {}
    for marker in markers:
        counts[marker.sender] = counts.get(marker.sender, 0) + 1
    return ", ".join(f"{sender} {count}" for sender, count in counts.items())


def _stagger(
    labels: list[tuple[float, str]], left: float, right: float
) -> tuple[int, list[tuple[float, int | None, Literal["start", "end"]]]]:
    """Rows for labels so that none overlaps another: each goes in the first row (nearest
    the plot) where it fits after the labels already there, up to ``MAX_LABEL_ROWS`` rows
    (a label that fits in none is left out: None). Returns the number of rows and, for each
    label, its x, row and anchor."""
    ends: list[float] = []  # per row, where its rightmost label ends
    placed: list[tuple[float, int | None, Literal["start", "end"]]] = []
    for x, text in labels:
        width = len(text) * _CHAR_WIDTH
        anchor: Literal["start", "end"] = "start" if x + width <= right else "end"
        begin = x if anchor == "start" else max(x - width, left)
        row: int | None = next((n for n, end in enumerate(ends) if end + 8 <= begin), len(ends))
        if row == len(ends) and row < MAX_LABEL_ROWS:
            ends.append(0.0)
        if row is not None and row < len(ends):
            ends[row] = begin + width
        else:
            row = None
        placed.append((x, row, anchor))
    return max(len(ends), 1), placed


def _date_ticks(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """First days of months between the dates, every so many months: at most ten."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    for every in (1, 2, 3, 6, 12, 24, 60, 120):
        if months / every <= 10:
            break
    ticks = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        day = dt.date(year, month, 1)
        if start <= day <= end and (year * 12 + month - 1) % every == 0:
            ticks.append((day, str(year) if every >= 12 else f"{year}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks
