"""CSV (RFC 4180, UTF-8) that opens cleanly in a spreadsheet without running formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from condtrack.models import Evidence, Retraction
from condtrack.textsafe import csv_cell

EVIDENCE_COLUMNS = (
    "id",
    "condition",
    "criterion",
    "status",
    "indicator",
    "value",
    "date",
    "source",
    "url",
    "reliability",
    "summary",
    "tags",
    "logged",
    "retracted",
    "retraction_reason",
)


def evidence_csv(entries: Iterable[Evidence], retractions: Mapping[str, Retraction]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EVIDENCE_COLUMNS)
    for entry in entries:
        retraction = retractions.get(entry.id)
        cells = [
            entry.id,
            entry.condition,
            entry.criterion or "",
            entry.status or "",
            entry.indicator or "",
            "" if entry.value is None else str(entry.value),
            entry.date.isoformat(),
            entry.source,
            entry.url or "",
            entry.reliability,
            entry.summary,
            ";".join(entry.tags),
            entry.logged.isoformat(),
            "" if retraction is None else retraction.date.isoformat(),
            "" if retraction is None else retraction.reason,
        ]
        writer.writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue()
