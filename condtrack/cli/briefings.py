"""Commands for briefings: report and diff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli.app import (
    Choice,
    KnownAt,
    Output,
    app,
    date_option,
    emit,
    emit_view,
    examples,
    guarded,
    options,
    two_times,
)
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.domain.briefing import Briefing
    from condtrack.domain.knowledge import KnownAt as Moment


class ReportFormat(StrEnum):
    markdown = "markdown"
    csv = "csv"
    html = "html"
    json = "json"


class By(StrEnum):
    logged = "logged"
    event = "event"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    table = "text"  # the old name of text: accepted, shown nowhere


def _span(
    start: dt.date | None,
    until: dt.date | None,
    until_option: str,
    known_at: Moment | None = None,
) -> tuple[dt.date | None, dt.date, Moment | None]:
    """The earlier date, the later one and the knowledge time (None: known now); with
    --known-at alone, the later date is its date."""
    end, known = two_times(until, known_at)
    if start is not None and start >= end:
        raise CondtrackError(f"--since {start} must be before {until_option} {end}")
    return start, end, known


_BY_HELP = (
    "logged: what the tracker said at --since against what it says now (backdated "
    "evidence, late retractions and amendments are changes); event: by event dates."
)


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
        date_option("--as-of", help="Report as of this date (default: today)."),
    ] = None,
    since: Annotated[
        dt.date | None,
        date_option("--since", help="Add what changed since this date, and trends from it."),
    ] = None,
    known_at: KnownAt = None,
    by: Annotated[By, typer.Option("--by", parser=Choice(By), help=_BY_HELP)] = By.logged,
) -> None:
    """Write a briefing table: Markdown, CSV (for Excel), self-contained HTML, or JSON."""
    from condtrack.domain.briefing import build

    start, end, known = _span(since, as_of, "--as-of", known_at)
    loaded = options(ctx).load()
    briefing = build(loaded.tracker, end, start, known, by.value)
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
    known_at: KnownAt = None,
    by: Annotated[By, typer.Option("--by", parser=Choice(By), help=_BY_HELP)] = By.logged,
) -> None:
    """What changed since a briefing, condition by condition.

    By default, what the tracker said on --since (known then, as of then) against what it
    says now, so backdated evidence, late retractions and amendments show as changes, each
    with both its dates. `--by event` compares two as-of dates with what is known now.
    With relief in the tracker, the relief entries between the two points and the measures
    whose state changed follow, by the same rule.
    """
    from condtrack.domain.changes import compare

    start, end, known = _span(since, until, "--until", known_at)
    assert start is not None
    loaded = options(ctx).load()
    changes = compare(loaded.tracker, start, end, known, by.value)
    if output_format is DiffFormat.json:
        from condtrack.render.as_json import diff_data, dumps

        emit(dumps(diff_data(changes)), output, loaded.path)
    elif output_format is DiffFormat.markdown:
        from condtrack.render.markdown import changes_table, relief_changes_table

        lines = [*changes_table(changes), *relief_changes_table(changes)]
        emit("\n".join(lines) + "\n", output, loaded.path)
    else:
        from condtrack.render.terminal import changes_view

        emit_view(changes_view(changes), output, loaded.path)
