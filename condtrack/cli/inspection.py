"""Commands that inspect the record: status, explain, evidence, history."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

import typer

from condtrack.cli import complete
from condtrack.cli.app import (
    AsOf,
    Choice,
    KnownAt,
    MomentType,
    Output,
    TextOrJson,
    app,
    date_option,
    emit,
    emit_view,
    examples,
    fail,
    guarded,
    non_blank,
    number_option,
    options,
    two_times,
)


class EvidenceFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    table = "text"  # the old name of text: accepted, shown nowhere


Limit = Annotated[
    int | None,
    number_option(
        int,
        "--limit",
        min=0,
        metavar="N",
        show_default=False,
        help="Only the first (oldest) N of what passes the filters.",
    ),
]


Last = Annotated[
    int | None,
    number_option(
        int,
        "--last",
        min=0,
        metavar="N",
        show_default=False,
        help="Only the N newest of what passes the filters (still listed oldest first).",
    ),
]


@app.command(
    rich_help_panel="Inspect",
    epilog=examples(
        "condtrack evidence --last 20",
        "condtrack evidence --source reuters -t pardon",
        "condtrack evidence --criterion all-released \\",
        "    --format json",
        "condtrack evidence --format csv -o evidence.csv",
    ),
)
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
    since: Annotated[
        dt.date | None, date_option("--since", help="Only evidence dated on or after.")
    ] = None,
    until: Annotated[
        dt.date | None, date_option("--until", help="Only evidence dated on or before.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only evidence with this tag; repeated, with all.",
            parser=non_blank,
        ),
    ] = None,
    limit: Limit = None,
    last: Last = None,
    output_format: Annotated[
        EvidenceFormat, typer.Option("--format", parser=Choice(EvidenceFormat))
    ] = EvidenceFormat.text,
    output: Output = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Include entries superseded by an amendment.")
    ] = False,
    known_at: KnownAt = None,
    logged_since: Annotated[
        Any,
        typer.Option(
            "--logged-since",
            metavar=MomentType.metavar,
            parser=MomentType(),
            help="Only what was logged after this: YYYY-MM-DD (after the end of that day, "
            "UTC) or a timestamp; what was learned since a briefing.",
        ),
    ] = None,
) -> None:
    """List logged evidence, oldest first; retracted entries are marked.

    Filters combine: an entry is listed when it passes every one. --limit and --last then
    keep the oldest or newest N of those, in every format.
    """
    from condtrack.domain.chains import withdrawn
    from condtrack.domain.knowledge import known_at as as_known
    from condtrack.domain.listing import Cut, Filters, select

    cut = Cut(limit=limit, last=last)
    filters = Filters(
        condition=condition, criterion=criterion, indicator=indicator, source=source,
        tags=tuple(tag or ()), since=since, until=until, everything=everything,
        logged_after=logged_since,
    )  # fmt: skip
    loaded = options(ctx).load()
    tracker = as_known(loaded.tracker, known_at)
    listing = select(tracker, filters, cut)
    # Marked as `status` scores them: every version of a retracted entry, at every date.
    retractions = withdrawn(tracker.evidence, tracker.retractions)
    if output_format is EvidenceFormat.json:
        from condtrack.render.as_json import dumps, evidence_data

        emit(dumps(evidence_data(listing.shown, retractions)), output, loaded.path)
    elif output_format is EvidenceFormat.csv:
        from condtrack.render.as_csv import evidence_csv

        emit(evidence_csv(listing.shown, retractions), output, loaded.path)
    else:
        from condtrack.render.terminal import evidence_view

        emit_view(evidence_view(listing, retractions), output, loaded.path)


@app.command(
    rich_help_panel="Inspect",
    epilog=examples(
        "condtrack status",
        "condtrack status --as-of 2025-06-30",
        "condtrack status --format json -o status.json",
    ),
)
@guarded
def status(
    ctx: typer.Context,
    as_of: AsOf = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", parser=Choice(TextOrJson))
    ] = TextOrJson.text,
    output: Output = None,
    known_at: KnownAt = None,
) -> None:
    """Score every condition and show the overall verdict."""
    from condtrack.domain.knowledge import known_at as as_known
    from condtrack.domain.relief import ledger
    from condtrack.domain.scoring import assess

    loaded = options(ctx).load()
    day, known = two_times(as_of, known_at)
    assessment = assess(loaded.tracker, day, known)
    relief = ledger(as_known(loaded.tracker, known), assessment.as_of, assessment)
    if output_format is TextOrJson.json:
        from condtrack.render.as_json import dumps, status_data

        emit(dumps(status_data(assessment, relief)), output, loaded.path)
    else:
        from condtrack.render.terminal import status_view

        emit_view(status_view(assessment, relief), output, loaded.path)


@app.command(
    rich_help_panel="Inspect",
    epilog=examples(
        "condtrack explain political-prisoners",
        "condtrack explain political-prisoners --last 5",
        "condtrack explain russian-forces --format json",
    ),
)
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
        number_option(
            int,
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
        number_option(
            int,
            "--last",
            min=0,
            metavar="N",
            show_default=False,
            help="In the evidence, only the N newest of each criterion, each indicator and "
            "the context.",
        ),
    ] = None,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", parser=Choice(TextOrJson))
    ] = TextOrJson.text,
    output: Output = None,
    known_at: KnownAt = None,
) -> None:
    """Show how a condition's score is reached: criteria, deciding evidence, arithmetic."""
    from condtrack.domain.knowledge import known_at as as_known
    from condtrack.domain.listing import Cut
    from condtrack.domain.relief import ledger
    from condtrack.domain.scoring import assess
    from condtrack.schema.validation import suggest

    cut = Cut(limit=limit, last=last)
    loaded = options(ctx).load()
    tracker = loaded.tracker
    day, known = two_times(as_of, known_at)
    assessment = assess(tracker, day, known)
    result = assessment.condition(condition)
    if result is None:
        fail(
            f"CONDITION: unknown condition {condition!r} "
            + suggest(condition, [c.id for c in tracker.conditions])
        )
    entries = {e.id: e for e in tracker.evidence}
    relief = ledger(as_known(tracker, known), assessment.as_of, assessment)
    if output_format is TextOrJson.json:
        from condtrack.render.as_json import dumps, explain_data

        data = explain_data(result, assessment, entries, cut, relief)
        emit(dumps(data), output, loaded.path)
    else:
        from condtrack.render.terminal import explain_view

        view = explain_view(result, assessment, entries, cut, relief)
        emit_view(view, output, loaded.path)


@app.command(
    rich_help_panel="Inspect",
    epilog=examples(
        "condtrack history ev-t5j7g5ap0f",
        "condtrack history ev-t5j7g5ap0f \\",
        "    --format json",
        "condtrack history rl-m2r9vv1hx2",
    ),
)
@guarded
def history(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Any version's id, of evidence or of relief.",
            autocompletion=complete.evidence_ids,
        ),
    ],
    output_format: Annotated[
        TextOrJson, typer.Option("--format", parser=Choice(TextOrJson))
    ] = TextOrJson.text,
    output: Output = None,
    known_at: KnownAt = None,
) -> None:
    """Show an entry's chain: the original, each amendment with its reason, any retraction.

    Evidence and relief entries alike."""
    from condtrack.domain.history import chain, not_found
    from condtrack.domain.knowledge import known_at as as_known

    loaded = options(ctx).load()
    tracker = as_known(loaded.tracker, known_at)
    found = chain(tracker, evidence_id)
    if found is None:
        fail(f"ID: {not_found(loaded.tracker, tracker, evidence_id, known_at)}")
    if output_format is TextOrJson.json:
        from condtrack.render.as_json import dumps, history_data

        emit(dumps(history_data(found, known_at)), output, loaded.path)
    else:
        from condtrack.render.terminal import history_view

        emit_view(history_view(found), output, loaded.path)
