"""Commands that read: conditions, evidence, status, explain, check, validate."""

from __future__ import annotations

import datetime as dt
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli import complete
from condtrack.cli.app import TableOrJson, app, emit, fail, guarded, options, parse_day, warn
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.domain.gate import Outcome
    from condtrack.storage.store import Loaded


class EvidenceFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Score as known on this date, YYYY-MM-DD (default: today)."),
]


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


@app.command()
@guarded
def conditions(
    ctx: typer.Context,
    output: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """List the conditions with their criteria and indicators, and their ids."""
    tracker = options(ctx).load().tracker
    if output is TableOrJson.json:
        from condtrack.render.as_json import conditions_data, dumps

        typer.echo(dumps(conditions_data(tracker)), nl=False)
    else:
        from condtrack.render.terminal import conditions_view, console

        console().print(conditions_view(tracker))


@app.command()
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


@app.command()
@guarded
def status(
    ctx: typer.Context,
    as_of: AsOf = None,
    output: Annotated[TableOrJson, typer.Option("--format")] = TableOrJson.table,
) -> None:
    """Score every condition and show the overall verdict."""
    from condtrack.domain.scoring import assess

    assessment = assess(options(ctx).load().tracker, parse_day(as_of, "--as-of"))
    if output is TableOrJson.json:
        from condtrack.render.as_json import dumps, status_data

        typer.echo(dumps(status_data(assessment)), nl=False)
    else:
        from condtrack.render.terminal import console, status_view

        console().print(status_view(assessment))


@app.command()
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


@app.command()
@guarded
def check(
    ctx: typer.Context,
    as_of: AsOf = None,
    require: Annotated[
        str | None,
        typer.Option(
            help="'all' or comma-separated condition ids that must be met.",
            autocompletion=complete.required_conditions,
        ),
    ] = None,
    min_score: Annotated[
        float | None, typer.Option(help="Minimum overall score, 0-100.", min=0, max=100)
    ] = None,
    max_age: Annotated[
        int | None, typer.Option(help="Fail when a condition's latest evidence is older.", min=0)
    ] = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option(
            "--format", help="github: workflow-command annotations; junit: JUnit XML report."
        ),
    ] = CheckFormat.text,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to this file (atomically), or - for standard output; junit or json only.",
        ),
    ] = None,
) -> None:
    """Gate CI: exit 0 when the gate holds, 1 when not, 3 on snapback, 2 on bad input.

    With no requirement given, the gate is relief-readiness: every condition met.
    """
    if output is not None and output_format not in (CheckFormat.junit, CheckFormat.json):
        fail(f"--output: not with --format {output_format}; use junit or json")
    from condtrack.domain.gate import evaluate
    from condtrack.domain.scoring import assess
    from condtrack.schema.validation import suggest

    loaded = options(ctx).load()
    tracker = loaded.tracker
    valid = [c.id for c in tracker.conditions]
    required: list[str] | None = None
    if require is not None:
        required = valid if require.strip() == "all" else [r.strip() for r in require.split(",")]
        for condition_id in required:
            if condition_id not in valid:
                fail(
                    f"--require: unknown condition {condition_id!r} {suggest(condition_id, valid)}"
                )
    assessment = assess(tracker, parse_day(as_of, "--as-of"))
    outcome = evaluate(assessment, require=required, min_score=min_score, max_age=max_age)
    if output_format is CheckFormat.json:
        from condtrack.render.as_json import check_data, dumps

        emit(dumps(check_data(outcome)), output, loaded.path)
    elif output_format is CheckFormat.junit:
        from condtrack.render.junit import junit

        emit(junit(outcome), output, loaded.path)
    elif output_format is CheckFormat.github:
        _github(outcome, loaded)
    else:
        from condtrack.render.plain import check_lines, echo_lines

        echo_lines(check_lines(outcome))
    raise typer.Exit(outcome.exit_code)


def _github(outcome: Outcome, loaded: Loaded) -> None:
    from condtrack.render.github import Places, step_summary, workflow_commands

    places = Places.of(_workspace_path(loaded.path), loaded.data.decode("utf-8"), loaded.tracker)
    typer.echo(workflow_commands(outcome, places), nl=False)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        # Appended, as GitHub asks: earlier steps of the job write to the same file.
        from condtrack.storage.store import append_to, check_output

        try:
            check_output(Path(summary), loaded.path)
            append_to(Path(summary), step_summary(outcome).encode("utf-8"))
        except CondtrackError as error:
            warn(f"cannot append to $GITHUB_STEP_SUMMARY: {error}")


def _workspace_path(path: Path) -> str:
    """The tracker as GitHub places annotations: relative to the checkout, when inside it."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        try:
            return str(path.resolve().relative_to(Path(workspace).resolve()))
        except ValueError:  # a tracker outside the checkout: the path as given
            pass
    return str(path)


@app.command()
@guarded
def validate(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            help="Tracker files to check, as pre-commit passes them (default: --file or the "
            "one found).",
            show_default=False,
        ),
    ] = None,
    against_git: Annotated[
        bool,
        typer.Option(
            "--against-git", help="Also check that evidence committed to git was not edited."
        ),
    ] = False,
    revision: Annotated[
        str | None,
        typer.Option(
            help="The git revision to compare with (with --against-git; default HEAD; one "
            "that names no commit is an error).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Report every problem in the tracker file, each with its place; exit 2 if any."""
    from condtrack.textsafe import one_line

    if revision is not None and not against_git:
        fail("--revision: it names what --against-git compares with; add --against-git")

    invalid = 0
    for path in files or [options(ctx).path()]:
        try:
            _validate_file(path, against_git, revision or "HEAD")
        except CondtrackError as error:
            # Every file is checked, so one commit's run names every broken tracker.
            typer.echo(f"error: {one_line(str(error))}", err=True)
            invalid += 1
    if invalid:
        raise typer.Exit(CondtrackError.exit_code)


def _validate_file(path: Path, against_git: bool, revision: str) -> None:
    from condtrack.storage.store import inspect
    from condtrack.textsafe import one_line

    tracker, problems, document = inspect(path)
    if against_git:
        from condtrack.git.committed import committed_version, edits_since

        committed = committed_version(path, revision)
        if committed.content is None:
            why = "nothing is committed yet" if committed.commit is None else "a new file"
            typer.echo(
                one_line(f"{path}: not in git at {revision} ({why}): every entry in it is new"),
                err=True,
            )
        else:
            problems = [*problems, *edits_since(committed.content, document, revision)]
            tracker = tracker if not problems else None
    if tracker is None:
        for problem in problems:
            typer.echo(one_line(f"{path}: {problem}"), err=True)
        raise CondtrackError(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {path}"
        )
    typer.echo(
        f"{path}: valid ({len(tracker.conditions)} conditions, {len(tracker.evidence)} evidence "
        f"entries, {len(tracker.retractions)} retractions)"
    )
