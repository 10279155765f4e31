"""Commands that inspect the record: status, explain, evidence, history."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli import complete
from condtrack.cli.app import AsOf, TableOrJson, app, fail, guarded, options, parse_day

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


class EvidenceFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


Limit = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=0,
        metavar="N",
        show_default=False,
        help="Only the first (oldest) N of what passes the filters.",
    ),
]


Last = Annotated[
    int | None,
    typer.Option(
        "--last",
        min=0,
        metavar="N",
        show_default=False,
        help="Only the N newest of what passes the filters (still listed oldest first).",
    ),
]


@app.command(rich_help_panel="Inspect")
@guarded
def evidence(
    ctx: typer.Context,
    condition: Annotated[
        str | None,
        typer.Option(
            "--condition", help="Only this condition.", autocompletion=complete.condition_ids
        ),
    ] = None,
    criterion: Annotated[
        str | None,
        typer.Option(
            "--criterion",
            "-c",
            help="Only evidence on this criterion.",
            autocompletion=complete.criterion_ids,
        ),
    ] = None,
    indicator: Annotated[
        str | None,
        typer.Option(
            "--indicator",
            "-i",
            help="Only observations of this indicator.",
            autocompletion=complete.indicator_ids,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Only evidence whose source contains this, ignoring case."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only evidence dated on or after.")] = None,
    until: Annotated[str | None, typer.Option(help="Only evidence dated on or before.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", metavar="TAG", help="Only evidence with this tag; repeated, with all."
        ),
    ] = None,
    limit: Limit = None,
    last: Last = None,
    output: Annotated[EvidenceFormat, typer.Option("--format")] = EvidenceFormat.table,
    everything: Annotated[
        bool, typer.Option("--all", help="Include entries superseded by an amendment.")
    ] = False,
) -> None:
    """List logged evidence, oldest first; retracted entries are marked.

    Filters combine: an entry is listed when it passes every one. --limit and --last then
    keep the oldest or newest N of those, in every format.
    """
    from condtrack.domain.chains import withdrawn
    from condtrack.domain.listing import Cut, Filters, select

    cut = Cut(limit=limit, last=last)
    filters = Filters(
        condition=condition, criterion=criterion, indicator=indicator, source=source,
        tags=tuple(tag or ()), since=parse_day(since, "--since") if since else None,
        until=parse_day(until, "--until") if until else None, everything=everything,
    )  # fmt: skip
    tracker = options(ctx).load().tracker
    listing = select(tracker, filters, cut)
    # Marked as `status` scores them today: every version of a retracted entry.
    retractions = withdrawn(tracker.evidence, tracker.retractions, dt.date.today())
    if output is EvidenceFormat.json:
        from condtrack.render.as_json import dumps, evidence_data

        typer.echo(dumps(evidence_data(listing.shown, retractions)), nl=False)
    elif output is EvidenceFormat.csv:
        from condtrack.render.as_csv import evidence_csv

        typer.echo(evidence_csv(listing.shown, retractions), nl=False)
    else:
        from condtrack.render.terminal import console, evidence_view

        console().print(evidence_view(listing, retractions))


@app.command(rich_help_panel="Inspect")
@guarded
def status(
    ctx: typer.Context,
    as_of: AsOf = None,
    output: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """Score every condition and show the overall verdict."""
    from condtrack.domain.relief import ledger
    from condtrack.domain.scoring import assess

    tracker = options(ctx).load().tracker
    assessment = assess(tracker, parse_day(as_of, "--as-of"))
    relief = ledger(tracker, assessment.as_of, assessment)
    if output is TableOrJson.json:
        from condtrack.render.as_json import dumps, status_data

        typer.echo(dumps(status_data(assessment, relief)), nl=False)
    else:
        from condtrack.render.terminal import console, status_view

        console().print(status_view(assessment, relief))


@app.command(rich_help_panel="Inspect")
@guarded
def explain(
    ctx: typer.Context,
    condition: Annotated[
        str,
        typer.Argument(
            metavar="CONDITION", help="Condition id.", autocompletion=complete.condition_ids
        ),
    ],
    as_of: AsOf = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            show_default=False,
            help="In the evidence, only the first N of each criterion, each indicator and "
            "the context.",
        ),
    ] = None,
    last: Annotated[
        int | None,
        typer.Option(
            "--last",
            min=0,
            metavar="N",
            show_default=False,
            help="In the evidence, only the N newest of each criterion, each indicator and "
            "the context.",
        ),
    ] = None,
) -> None:
    """Show how a condition's score is reached: criteria, deciding evidence, arithmetic."""
    from condtrack.domain.listing import Cut
    from condtrack.domain.scoring import assess
    from condtrack.render.terminal import console, explain_view
    from condtrack.schema.validation import suggest

    cut = Cut(limit=limit, last=last)
    tracker = options(ctx).load().tracker
    assessment = assess(tracker, parse_day(as_of, "--as-of"))
    result = assessment.condition(condition)
    if result is None:
        fail(
            f"CONDITION: unknown condition {condition!r} "
            + suggest(condition, [c.id for c in tracker.conditions])
        )
    entries = {e.id: e for e in tracker.evidence}
    console().print(explain_view(result, assessment, entries, cut))


@app.command(rich_help_panel="Inspect")
@guarded
def history(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Any version's id.", autocompletion=complete.evidence_ids
        ),
    ],
    output: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """Show an entry's chain: the original, each amendment with its reason, any retraction."""
    from condtrack.domain.history import chain
    from condtrack.schema.validation import did_you_mean

    tracker = options(ctx).load().tracker
    found = chain(tracker, evidence_id)
    if found is None:
        hint = did_you_mean(evidence_id, (e.id for e in tracker.evidence))
        fail(f"ID: no evidence with id {evidence_id!r}{hint}")
    if output is TableOrJson.json:
        from condtrack.render.as_json import dumps, history_data

        typer.echo(dumps(history_data(found)), nl=False)
    else:
        from condtrack.render.terminal import console, history_view

        console().print(history_view(found))
