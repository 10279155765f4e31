"""Commands for briefings: report and diff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli.app import KnownAt, Output, app, emit, guarded, options, parse_day, two_times
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
    table = "table"
    json = "json"
    markdown = "markdown"


def _span(
    since: str | None, until: str | None, until_option: str, known_at: str | None = None
) -> tuple[dt.date | None, dt.date, Moment | None]:
    """The earlier date, the later one and the knowledge time (None: known now); with
    --known-at alone, the later date is its date."""
    end, known = two_times(until, known_at)
    start = parse_day(since, "--since") if since is not None else None
    if start is not None and start >= end:
        raise CondtrackError(f"--since {start} must be before {until_option} {end}")
    return start, end, known


_BY_HELP = (
    "logged: what the tracker said at --since against what it says now (backdated "
    "evidence, late retractions and amendments are changes); event: by event dates."
)


@app.command(rich_help_panel="Briefings")
@guarded
def report(
    ctx: typer.Context,
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.markdown,
    output: Output = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Report as of this date (default: today).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Add what changed since this date, and trends from it.")
    ] = None,
    known_at: KnownAt = None,
    by: Annotated[By, typer.Option("--by", help=_BY_HELP)] = By.logged,
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


@app.command(rich_help_panel="Briefings")
@guarded
def diff(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="The earlier date, YYYY-MM-DD.")],
    until: Annotated[str | None, typer.Option(help="The later date (default: today).")] = None,
    output_format: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.table,
    known_at: KnownAt = None,
    by: Annotated[By, typer.Option("--by", help=_BY_HELP)] = By.logged,
) -> None:
    """What changed since a briefing, condition by condition.

    By default, what the tracker said on --since (known then, as of then) against what it
    says now, so backdated evidence, late retractions and amendments show as changes, each
    with both its dates. `--by event` compares two as-of dates with what is known now.
    """
    from condtrack.domain.changes import compare

    start, end, known = _span(since, until, "--until", known_at)
    assert start is not None
    changes = compare(options(ctx).load().tracker, start, end, known, by.value)
    if output_format is DiffFormat.json:
        from condtrack.render.as_json import changes_data, dumps

        typer.echo(dumps(changes_data(changes)), nl=False)
    elif output_format is DiffFormat.markdown:
        from condtrack.render.markdown import changes_table

        typer.echo("\n".join(changes_table(changes)))
    else:
        from condtrack.render.terminal import changes_view, console

        console().print(changes_view(changes))
