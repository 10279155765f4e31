"""Commands for briefings: report and diff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli.app import (
    Choice,
    Output,
    app,
    date_option,
    emit,
    emit_view,
    examples,
    guarded,
    options,
    today,
)
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.domain.briefing import Briefing


class ReportFormat(StrEnum):
    markdown = "markdown"
    csv = "csv"
    html = "html"
    json = "json"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    table = "text"  # the old name of text: accepted, shown nowhere


def _span(
    start: dt.date | None, until: dt.date | None, until_option: str
) -> tuple[dt.date | None, dt.date]:
    end = until or today()
    if start is not None and start >= end:
        raise CondtrackError(f"--since {start} must be before {until_option} {end}")
    return start, end


@app.command(
    rich_help_panel="Briefings",
    epilog=examples(
        "condtrack report -o briefing.md",
        "condtrack report --format html -o briefing.html",
        "condtrack report --since 2025-06-01 \\",
        "    --format csv -o briefing.csv",
    ),
)
@guarded
def report(
    ctx: typer.Context,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", parser=Choice(ReportFormat))
    ] = ReportFormat.markdown,
    output: Output = None,
    as_of: Annotated[
        dt.date | None,
        date_option("--as-of", help="Report as known on this date (default: today)."),
    ] = None,
    since: Annotated[
        dt.date | None,
        date_option("--since", help="Add what changed since this date, and trends from it."),
    ] = None,
) -> None:
    """Write a briefing table: Markdown, CSV (for Excel), self-contained HTML, or JSON."""
    from condtrack.domain.briefing import build

    start, end = _span(since, as_of, "--as-of")
    loaded = options(ctx).load()
    briefing = build(loaded.tracker, end, start)
    emit(_renderer(output_format)(briefing), output, loaded.path)


def _renderer(output_format: ReportFormat) -> Callable[[Briefing], str]:
    if output_format is ReportFormat.markdown:
        from condtrack.render.markdown import report as markdown

        return markdown
    if output_format is ReportFormat.html:
        from condtrack.render.html import report as html

        return html
    if output_format is ReportFormat.csv:
        from condtrack.render.as_csv import report_csv

        return report_csv
    from condtrack.render.as_json import dumps, report_data

    return lambda briefing: dumps(report_data(briefing))


@app.command(
    rich_help_panel="Briefings",
    epilog=examples(
        "condtrack diff --since 2025-06-01",
        "condtrack diff --since 2025-06-01 --until 2025-09-30",
        "condtrack diff --since 2025-06-01 --format markdown",
    ),
)
@guarded
def diff(
    ctx: typer.Context,
    since: Annotated[dt.date, date_option("--since", help="The earlier date, YYYY-MM-DD.")],
    until: Annotated[
        dt.date | None, date_option("--until", help="The later date (default: today).")
    ] = None,
    output_format: Annotated[
        DiffFormat, typer.Option("--format", parser=Choice(DiffFormat))
    ] = DiffFormat.text,
    output: Output = None,
) -> None:
    """What changed between two dates, condition by condition."""
    from condtrack.domain.changes import compare

    start, end = _span(since, until, "--until")
    assert start is not None
    loaded = options(ctx).load()
    changes = compare(loaded.tracker, start, end)
    if output_format is DiffFormat.json:
        from condtrack.render.as_json import changes_data, dumps

        emit(dumps(changes_data(changes)), output, loaded.path)
    elif output_format is DiffFormat.markdown:
        from condtrack.render.markdown import changes_table

        emit("\n".join(changes_table(changes)) + "\n", output, loaded.path)
    else:
        from condtrack.render.terminal import changes_view

        emit_view(changes_view(changes), output, loaded.path)
