"""CSV (RFC 4180, UTF-8) that opens cleanly in a spreadsheet without running formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from condtrack.domain.briefing import Briefing, ReliefSection
from condtrack.domain.relief import Ledger
from condtrack.domain.scoring import format_score
from condtrack.render.figures import (
    ahead_text,
    balance_text,
    change_summary,
    figure_text,
    marks_text,
    measure_verdict,
    relief_changes_rows,
    state_text,
    verdict_text,
)
from condtrack.schema.models import Evidence, Retraction, relief_model
from condtrack.textsafe import csv_cell, one_line, visible

EVIDENCE_COLUMNS = (*Evidence.model_fields, "retracted", "retraction_reason")


def evidence_csv(entries: Iterable[Evidence], retractions: Mapping[str, Retraction]) -> str:
    """Every field of each entry; tags joined by ';' as `condtrack import` reads them.

    Starts with a byte-order mark so that Excel reads it as UTF-8, as the report does.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EVIDENCE_COLUMNS)
    for entry in entries:
        row = entry.model_dump(mode="json")
        row["tags"] = ";".join(entry.tags)
        retraction = retractions.get(entry.id)
        row["retracted"] = "" if retraction is None else retraction.date.isoformat()
        row["retraction_reason"] = "" if retraction is None else retraction.reason
        cells = ["" if row[name] is None else str(row[name]) for name in EVIDENCE_COLUMNS]
        # Newlines are data a spreadsheet keeps; other controls could act on a terminal.
        writer.writerow([csv_cell(visible(cell)) for cell in cells])
    return "\ufeff" + buffer.getvalue()


REPORT_COLUMNS = (
    "condition",
    "title",
    "status",
    "score",
    "marks",
    "key_figures",
    "balance",
    "latest_date",
    "latest_source",
    "latest_summary",
    "latest_url",
    "as_of",
)
CHANGE_COLUMNS = ("status_before", "score_before", "new_evidence", "retracted", "moves")


def report_csv(briefing: Briefing) -> str:
    """One row per condition, then the overall verdict; change columns with --since.

    Starts with a byte-order mark so that Excel reads it as UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    changes = {c.id: c for c in briefing.changes.conditions} if briefing.changes else None
    columns = REPORT_COLUMNS + (CHANGE_COLUMNS if changes is not None else ())
    writer.writerow(columns)
    window = briefing.assessment.window_days
    for row in briefing.rows:
        result, latest = row.result, row.latest
        cells: list[str] = [
            result.id,
            result.condition.title,
            result.status,
            format_score(result.score),
            marks_text(row),
            "; ".join(figure_text(f, window) for f in row.figures),
            "; ".join(f"{o.label}: {balance_text(o)}" for o in row.balances),
            latest.date.isoformat() if latest else "",
            latest.source if latest else "",
            latest.summary if latest else "",
            (latest.url or "") if latest else "",
            briefing.as_of.isoformat(),
        ]
        if changes is not None:
            change = changes[result.id]
            cells += [
                change.before.status,
                format_score(change.before.score),
                str(len(change.added)),
                str(len(change.retracted)),
                "; ".join(change_summary(change)),
            ]
        writer.writerow([csv_cell(one_line(cell)) for cell in cells])
    overall = briefing.assessment.overall
    summary = dict.fromkeys(columns, "")
    summary.update(
        condition="overall",
        title=verdict_text(overall),
        status=overall.status,
        score=format_score(overall.score),
        as_of=briefing.as_of.isoformat(),
    )
    writer.writerow([csv_cell(cell) for cell in summary.values()])
    if briefing.relief is not None:
        writer.writerows(_relief_rows(briefing.relief))
    if briefing.changes is not None and briefing.changes.relief is not None:
        # With --since: the relief entries between the two points and the measures whose
        # state changed, as `diff` lists them, under their own header.
        rows = relief_changes_rows(briefing.changes)
        writer.writerows([[""], list(RELIEF_CHANGE_COLUMNS)])
        writer.writerows([csv_cell(one_line(cell)) for cell in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


RELIEF_CHANGE_COLUMNS = (
    "relief_change", "date", "id", "sender", "measure", "change", "instrument", "for", "mark",
)  # fmt: skip


MEASURE_COLUMNS = (
    "sender", "measure", "instrument", "state", "since", "sequencing", "ahead",
    "snapback_due", "event", "event_date", "event_source", "event_summary", "event_url",
    "as_of",
)  # fmt: skip


def _relief_rows(section: ReliefSection) -> list[list[str]]:
    """After the conditions, a row of one empty cell and the measures, one row each under
    their own header; then another such row and the sender x measure matrix (its header row
    names the senders). The separator is one empty cell, not an empty record, so that
    every row has a first cell to read."""
    found = section.ledger
    rows: list[list[str]] = [[""], list(MEASURE_COLUMNS)]
    for measure in found.measures:
        entry = measure.event.entry if measure.event is not None else None
        cells = [
            measure.sender,
            measure.measure,
            measure.instrument or "",
            measure.state,
            measure.since.isoformat() if measure.since else "",
            measure_verdict(measure),
            "yes" if measure.ahead else "no",
            "yes" if measure.snapback_due else "no",
            entry.id if entry else "",
            entry.date.isoformat() if entry else "",
            entry.source if entry else "",
            entry.summary if entry else "",
            (entry.url or "") if entry else "",
            found.as_of.isoformat(),
        ]
        rows.append([csv_cell(one_line(cell)) for cell in cells])
    rows += [[""], [csv_cell(one_line(cell)) for cell in ("measure", *section.matrix.senders)]]
    for row in section.matrix.rows:
        states = [state_text(cell) if cell else "in force" for cell in row.cells]
        rows.append([csv_cell(one_line(cell)) for cell in (row.measure, *states)])
    return rows


RELIEF_COLUMNS = (
    "id", "date", "sender", "measure", "action", "instrument", "expires", "for", "source",
    "url", "reliability", "summary", "tags", "supersedes", "reason", "logged", "counts",
    "excluded", "ahead", "score_at_date", "status_at_date", "sequencing",
)  # fmt: skip


def relief_csv(ledger: Ledger) -> str:
    """`relief list --format csv`: every entry with its verdict; lists joined by ';'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RELIEF_COLUMNS)
    for step in ledger.steps:
        row = relief_model(step.entry).model_dump(mode="json", by_alias=True)
        row["for"] = ";".join(step.entry.for_)
        row["tags"] = ";".join(step.entry.tags)
        row.update(
            counts="yes" if step.counts else "no",
            excluded=step.excluded,
            ahead="" if step.ahead is None else "yes" if step.ahead else "no",
            score_at_date=format_score(step.compliance.score),
            status_at_date=step.compliance.status,
            sequencing=ahead_text(step),
        )
        cells = ["" if row[name] is None else str(row[name]) for name in RELIEF_COLUMNS]
        writer.writerow([csv_cell(visible(cell)) for cell in cells])
    return "\ufeff" + buffer.getvalue()
