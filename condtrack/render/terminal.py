"""Rich renderables for an analyst at a terminal.

All user text enters as ``rich.text.Text`` built from ``visible()`` strings, so markup
like ``[bold]`` and escape sequences in evidence are shown, never interpreted. Status is
always spelled out: colour helps but is never the only signal.
"""

from __future__ import annotations

import codecs
import datetime as dt
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from condtrack.models import Evidence, Retraction, Tracker
from condtrack.render.figures import ARROWS, change_summary, sparkline
from condtrack.scoring import (
    Assessment,
    ConditionResult,
    IndicatorResult,
    format_number,
)
from condtrack.textsafe import one_line, visible

if TYPE_CHECKING:
    from condtrack.audit import Chain
    from condtrack.changes import Changes

STATUS_STYLES = {
    "met": "bold green",
    "partial": "yellow",
    "not-met": "red",
    "unknown": "dim",
    "regressed": "bold magenta",
}


def console(*, stderr: bool = False) -> Console:
    # Rich turns colour off by itself when the output is not a terminal or NO_COLOR is set.
    stream = sys.stderr if stderr else sys.stdout
    narrow = stream is not None and not _encodes_everything(getattr(stream, "encoding", None))
    return Console(
        file=cast("TextIO", _Narrowed(stream)) if narrow else None,
        stderr=stderr,
        highlight=False,
        soft_wrap=False,
    )


def _encodes_everything(encoding: str | None) -> bool:
    try:
        return encoding is None or codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


class _Narrowed:
    """A console whose encoding lacks characters (``LC_ALL=C``, a Windows code page): each
    one it cannot show becomes ASCII of the same width (``—`` a ``-``, ``Ж`` a ``?``), so
    tables stay aligned. Rich sees the encoding and draws its boxes in ASCII itself."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding = stream.encoding

    def write(self, text: str) -> int:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            text = "".join(_narrowed(c, self.encoding) for c in text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno ...
        return getattr(self._stream, name)


def _narrowed(char: str, encoding: str) -> str:
    try:
        char.encode(encoding)
        return char
    except UnicodeEncodeError:
        pass
    if char in _ASCII_LOOKALIKES:
        return _ASCII_LOOKALIKES[char]
    if "\u2500" <= char <= "\u257f":  # box drawing
        name = unicodedata.name(char, "")
        return "-" if "HORIZONTAL" in name else "|" if "VERTICAL" in name else "+"
    return "?" * cell_len(char)


_ASCII_LOOKALIKES = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u2033", '"'),
    **{"\u2026": ".", "\u2022": "*", "\u00b7": ".", "\u00d7": "x", "\u00a0": " "},
    **{ARROWS["up"]: "^", ARROWS["down"]: "v", ARROWS["flat"]: ">", "\u2190": "<"},
    **{chr(0x2580 + level): str(level) for level in range(1, 9)},  # a sparkline's heights
}


def user(text: str, style: str = "") -> Text:
    """User-supplied text, shown literally."""
    return Text(visible(text), style=style)


def status_label(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def status_view(assessment: Assessment) -> RenderableType:
    table = Table(
        title=user(f"{assessment.title} — as of {assessment.as_of}"),
        box=box.SIMPLE_HEAVY,
        show_lines=True,
    )
    table.add_column("Condition", overflow="fold", min_width=16)
    table.add_column("Status", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Key figures", overflow="fold", min_width=20)
    table.add_column("Last evidence", no_wrap=True, min_width=10)
    notes: list[Text] = []
    for result in assessment.conditions:
        name = Text.assemble(user(result.condition.title, "bold"), "\n", (result.id, "dim"))
        status = status_label(result.status)
        if result.snapback:
            status.append("\nSNAPBACK", style="bold white on red")
        last = Text(str(result.last_evidence) if result.last_evidence else "none")
        if result.stale:
            last.append("\nstale", style="yellow")
        score = Text(f"{result.score:.0f}")
        if result.direction is not None:
            style = {"up": "green", "down": "red"}.get(result.direction, "dim")
            score.append(" " + ARROWS[result.direction], style=style)
        table.add_row(
            name,
            status,
            score,
            _key_figures(result, assessment),
            last,
        )
        for warning in result.warnings:
            if warning.code != "stale":  # shown beside the date already
                style = "bold red" if warning.code == "snapback" else "yellow"
                notes.append(
                    Text.assemble((f"! {result.id}: ", style), user(warning.message, style))
                )
    return Group(table, *notes, verdict_line(assessment))


def verdict_line(assessment: Assessment) -> Text:
    overall = assessment.overall
    line = Text("Overall: ")
    line.append_text(status_label(overall.status))
    line.append(f", score {overall.score:.0f}/100 — ")
    if overall.relief_ready:
        line.append("relief-ready: every condition is met", style="bold green")
    else:
        unmet = sum(1 for c in assessment.conditions if c.status != "met")
        line.append(f"not relief-ready: {unmet} of {len(assessment.conditions)} conditions unmet")
    if overall.snapback:
        line.append(
            "\nSNAPBACK triggered: a snapback condition was met and no longer is", "bold red"
        )
    return line


def _key_figures(result: ConditionResult, assessment: Assessment) -> Text:
    lines = [_figure(i, assessment) for i in result.indicators]
    shown = [line for line in lines if line is not None]
    for offset in result.offsets:
        if offset.inflow_observed:
            shown.append(
                Text.assemble(
                    user(offset.label),
                    f" net {format_number(offset.net)}",
                    style="red" if offset.warning else "",
                )
            )
    return Text("\n").join(shown) if shown else Text("—", style="dim")


def _figure(result: IndicatorResult, assessment: Assessment) -> Text | None:
    indicator = result.indicator
    if indicator.kind == "flow":
        if result.window_total is None or (not result.window_total and result.value is None):
            return None
        figure = f"{format_number(result.window_total)} in {assessment.window_days}d"
    else:
        if result.value is None:
            return None
        start = assessment.as_of - dt.timedelta(days=assessment.window_days)
        recent = [o.value for o in result.history if o.date > start]
        figure = format_number(result.value)
        if spark := sparkline(recent):
            figure += " " + spark
    line = Text.assemble((indicator.id, "cyan"), " ", figure)
    if result.trend is not None:
        improving = result.improving
        style = "green" if improving else "red" if improving is False else "dim"
        line.append(" " + ARROWS[result.trend], style=style)
    return line


def explain_view(
    result: ConditionResult, assessment: Assessment, entries: Mapping[str, Evidence]
) -> RenderableType:
    condition = result.condition
    head = Text.assemble(
        user(condition.title, "bold"),
        f" ({condition.id}) — ",
        status_label(result.status),
        f", score {result.score:g}/100 as of {assessment.as_of}",
    )
    parts: list[RenderableType] = [head]
    if condition.text:
        parts.append(user(condition.text, "italic"))
    criteria = Table(box=box.SIMPLE, title="Criteria", title_justify="left", expand=False)
    for column in ("criterion", "weight", "status", "score", "decided by"):
        criteria.add_column(column)
    for criterion in result.criteria:
        verdict = criterion.verdict
        decided = user(verdict.reason)
        if verdict.decided_by and verdict.decided_by in entries:
            decided.append("\n")
            decided.append_text(
                user(
                    f"{verdict.decided_by}: {one_line(entries[verdict.decided_by].summary)}", "dim"
                )
            )
        criteria.add_row(
            Text(criterion.id),
            f"{criterion.weight:g}",
            status_label(verdict.status),
            f"{verdict.score:.4g}",
            decided,
        )
    parts.append(criteria)
    terms = " + ".join(f"{c.weight:g} * {c.verdict.score:.4g}" for c in result.criteria)
    weights = sum(c.weight for c in result.criteria)
    parts.append(Text(f"score = 100 * ({terms}) / {weights:g} = {result.score:g}"))
    if result.status == "regressed":
        parts.append(Text(f"regressed: met on {result.last_met}, no longer met", "bold magenta"))
    elif result.met_since:
        parts.append(Text(f"met since {result.met_since}", "green"))
    for offset in result.offsets:
        observed = "" if offset.inflow_observed else f" (no {offset.inflow} observed)"
        parts.append(
            Text.assemble(
                user(offset.label),
                f": {offset.outflow} {format_number(offset.outflow_total)}, "
                f"{offset.inflow} {format_number(offset.inflow_total)}, "
                f"net {format_number(offset.net)} over {assessment.window_days} days{observed}",
                style="red" if offset.warning else "",
            )
        )
    parts.append(_timeline(result, entries))
    return Group(*parts)


def _timeline(result: ConditionResult, entries: Mapping[str, Evidence]) -> RenderableType:
    counted = {e.id for e in result.counted}
    excluded = {x.evidence: x.reason for x in result.excluded}
    order = {entry_id: n for n, entry_id in enumerate(entries)}
    rows = sorted(
        (entries[i] for i in (*counted, *excluded) if i in entries),
        key=lambda e: (e.date, order[e.id]),
    )
    if not rows:
        return Text("Evidence: none logged", style="dim")
    items: list[RenderableType] = [Text("Evidence, oldest first", style="bold")]
    for entry in rows:
        line = Text.assemble(
            (str(entry.date), "bold"),
            "  ",
            (entry.id, "" if entry.id in counted else "dim strike"),
            "  ",
            _what(entry),
            "  ",
            (f"[{entry.reliability}] ", "dim"),
            user(one_line(entry.source), "dim"),
        )
        items.append(line)
        items.append(Padding(user(one_line(entry.summary)), (0, 0, 0, 4)))
        if entry.id in excluded:
            note = user(f"not counted: {excluded[entry.id]}", "yellow")
            items.append(Padding(note, (0, 0, 0, 4)))
    return Group(*items)


def _what(entry: Evidence) -> Text:
    parts = []
    if entry.criterion:
        parts.append(f"{entry.criterion}: {entry.status}" if entry.status else entry.criterion)
    if entry.indicator:
        parts.append(f"{entry.indicator} = {format_number(entry.value)}")
    return Text("; ".join(parts) or "context", style="cyan")


def conditions_view(tracker: Tracker) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAVY, title=user(tracker.header.tracker.title), show_lines=True)
    table.add_column("Condition")
    table.add_column("Criteria")
    table.add_column("Indicators")
    for condition in tracker.conditions:
        name = Text.assemble((condition.id, "bold"), "\n", user(condition.title))
        if condition.snapback:
            name.append("\nsnapback", style="red")
        criteria = Text("\n").join(
            Text.assemble((c.id, "cyan"), " ", user(one_line(c.text), "dim"))
            for c in condition.criteria
        )
        indicators = Text("\n").join(
            Text.assemble(
                (i.id, "cyan"),
                f" {i.kind}, {i.better} is better",
                f", target {format_number(i.target)}" if i.target is not None else "",
                f" → {i.criterion}" if i.criterion else "",
            )
            for i in condition.indicators
        ) or Text("—", style="dim")
        table.add_row(name, criteria, indicators)
    return table


def evidence_view(
    entries: Sequence[Evidence], retractions: Mapping[str, Retraction]
) -> RenderableType:
    table = Table(box=box.SIMPLE, title=f"{len(entries)} evidence entries", title_justify="left")
    table.add_column("date", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("condition: what", overflow="fold")
    table.add_column("grade", no_wrap=True)
    table.add_column("summary (source)", overflow="fold", ratio=1, min_width=20)
    for entry in entries:
        retraction = retractions.get(entry.id)
        summary = Text.assemble(
            user(one_line(entry.summary)), " (", user(one_line(entry.source), "dim"), ")"
        )
        if retraction is not None:
            summary.append_text(
                user(f"\nretracted {retraction.date}: {one_line(retraction.reason)}", "yellow")
            )
        table.add_row(
            str(entry.date),
            Text(entry.id, style="dim strike" if retraction else ""),
            Text.assemble(entry.condition, ": ", _what(entry)),
            entry.reliability,
            summary,
        )
    return table


def changes_view(changes: Changes) -> RenderableType:
    table = Table(
        box=box.SIMPLE_HEAVY,
        title=f"Changes from {changes.since} to {changes.until}",
        show_lines=True,
    )
    table.add_column("Condition", overflow="fold", min_width=12)
    table.add_column("Status", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Evidence", justify="right", no_wrap=True)
    table.add_column("Moves", overflow="fold", ratio=1)
    for change in changes.conditions:
        before, after = change.before, change.after
        status = status_label(before.status)
        if before.status != after.status:
            status.append("\n→ ")
            status.append_text(status_label(after.status))
        evidence = f"+{len(change.added)}"
        if change.retracted:
            evidence += f"\n-{len(change.retracted)} retracted"
        moves = Text("\n").join(
            [Text(m) for m in change_summary(change)]
            + [user(w.message, "yellow") for w in change.new_warnings]
        )
        table.add_row(
            Text(change.id, style="bold" if change.changed else "dim"),
            status,
            f"{before.score:g} → {after.score:g}",
            evidence,
            moves if moves.plain else Text("no change", style="dim"),
        )
    old, new = changes.before.overall, changes.after.overall
    line = Text(f"Overall: score {old.score:g} → {new.score:g}, ")
    line.append_text(status_label(old.status))
    if old.status != new.status:
        line.append(" → ")
        line.append_text(status_label(new.status))
    return Group(table, line)


def history_view(found: Chain) -> RenderableType:
    from condtrack.audit import changed_fields

    items: list[RenderableType] = []
    previous: Evidence | None = None
    for number, version in enumerate(found.versions, start=1):
        current = number == len(found.versions)
        head = Text.assemble(
            (f"v{number} ", "bold"),
            (version.id, "bold" if current else "dim"),
            f"  logged {version.logged.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z  ",
            _what(version),
            ("  (current)" if current else "  (superseded)", "green" if current else "dim"),
        )
        items.append(head)
        if previous is not None:
            fields = ", ".join(changed_fields(previous, version)) or "nothing"
            items.append(Padding(Text(f"changed: {fields}", style="cyan"), (0, 0, 0, 4)))
            items.append(Padding(user(f"reason: {one_line(version.reason or '')}"), (0, 0, 0, 4)))
        line = Text.assemble(
            f"{version.date}  ",
            user(one_line(version.source), "dim"),
            "  ",
            user(one_line(version.summary)),
        )
        items.append(Padding(line, (0, 0, 0, 4)))
        previous = version
    if found.retraction is not None:
        reason = one_line(found.retraction.reason)
        items.append(user(f"retracted {found.retraction.date}: {reason}", "yellow"))
    return Group(*items)
