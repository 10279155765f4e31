"""Commands for CI: check (the gate) and validate."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli import complete
from condtrack.cli.app import AsOf, app, emit, fail, guarded, options, parse_day, warn
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.domain.gate import Outcome
    from condtrack.storage.store import Loaded


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


@app.command(rich_help_panel="CI")
@guarded
def check(
    ctx: typer.Context,
    as_of: AsOf = None,
    require: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID",
            help="A condition that must be met; repeatable, or ids separated by commas; 'all' "
            "for every condition.",
            autocompletion=complete.required_conditions,
        ),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(metavar="SCORE", help="Minimum overall score, 0-100.", min=0, max=100),
    ] = None,
    max_age: Annotated[
        int | None,
        typer.Option(
            metavar="DAYS", help="Fail when a condition's latest evidence is older.", min=0
        ),
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
    require_sequencing: Annotated[
        bool,
        typer.Option(
            "--require-sequencing",
            help="Fail when relief is in effect ahead of compliance (see `condtrack relief`).",
        ),
    ] = False,
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
    if require:
        named = [part.strip() for value in require for part in value.split(",")]
        required = valid if "all" in named else list(dict.fromkeys(named))
        for condition_id in required:
            if condition_id not in valid:
                fail(
                    f"--require: unknown condition {condition_id!r} {suggest(condition_id, valid)}"
                )
    assessment = assess(tracker, parse_day(as_of, "--as-of"))
    relief = None
    if tracker.relief:  # a file without relief pays nothing for it
        from condtrack.domain.relief import ledger

        relief = ledger(tracker, assessment.as_of, assessment)
    outcome = evaluate(
        assessment,
        require=required,
        min_score=min_score,
        max_age=max_age,
        relief=relief,
        sequencing=require_sequencing,
    )
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
    if summary in ("", "-"):  # no file named: "-" would create one of that name
        warn(f"$GITHUB_STEP_SUMMARY is {summary!r}, not a file: no step summary written")
    elif summary:
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


@app.command(rich_help_panel="CI")
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
        one_line(
            f"{path}: valid ({len(tracker.conditions)} conditions, {len(tracker.evidence)} "
            f"evidence entries, {len(tracker.retractions)} retractions)"
        )
    )
