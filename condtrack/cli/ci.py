"""Commands for CI: check (the gate) and validate."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli import complete
from condtrack.cli.app import (
    AsOf,
    Choice,
    FileNameType,
    KnownAt,
    Output,
    TrackerNameType,
    app,
    emit,
    examples,
    fail,
    guarded,
    non_blank,
    number_option,
    options,
    refuse_tracker_streams,
    two_times,
    warn,
)
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.domain.gate import Outcome
    from condtrack.render.as_json import Validated
    from condtrack.storage.store import Viewed


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


@app.command(
    rich_help_panel="CI",
    epilog=examples(
        "# relief-ready? exit 0 yes, 1 no, 3 snapback",
        "condtrack check",
        "condtrack check --require russian-forces",
        "condtrack check --min-score 50 --max-age 90",
        "condtrack check --format junit -o junit.xml",
    ),
)
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
        number_option(
            float,
            "--min-score",
            metavar="SCORE",
            help="Minimum overall score, 0-100.",
            min=0,
            max=100,
        ),
    ] = None,
    max_age: Annotated[
        int | None,
        number_option(
            int,
            "--max-age",
            metavar="DAYS",
            min=0,
            max=36500,  # as [gate].max_age_days
            help="Fail when a condition's latest evidence is older.",
        ),
    ] = None,
    no_gate: Annotated[
        bool,
        typer.Option(
            "--no-gate", help="Ignore the tracker's [gate] table: only the flags given count."
        ),
    ] = False,
    output_format: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            parser=Choice(CheckFormat),
            help="github: workflow-command annotations; junit: JUnit XML report.",
        ),
    ] = CheckFormat.text,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            parser=FileNameType(),
            help="Write to this file (atomically), or - for standard output; not with github "
            "(GitHub reads its annotations from standard output).",
        ),
    ] = None,
    require_sequencing: Annotated[
        bool | None,
        typer.Option(
            "--require-sequencing/--no-require-sequencing",
            help="Fail when relief is in effect ahead of compliance (see `condtrack relief`).",
            show_default=False,
        ),
    ] = None,
    known_at: KnownAt = None,
) -> None:
    """Gate CI: exit 0 when the gate holds, 1 when not, 3 on snapback, 2 on bad input.

    The requirements come from the tracker's [gate] table (require, min_score, max_age_days),
    so CI and a laptop give the same answer; a flag given overrides its field. With no
    requirement in either, the gate is relief-readiness: every condition met.
    """
    if output is not None and output_format is CheckFormat.github:
        fail(
            "--output: not with --format github: GitHub reads the annotations from standard "
            "output; use junit or json for a file"
        )
    from condtrack.domain.gate import Policy, evaluate_policy, required_ids
    from condtrack.domain.scoring import assess

    loaded = options(ctx).view()  # from a snapshot: plain objects, no pydantic imported
    tracker = loaded.tracker
    valid = [c.id for c in tracker.conditions]
    named: list[str] | None = None
    if require:
        named = [part.strip() for value in require for part in value.split(",")]
        for condition_id in required_ids(named, valid):
            if condition_id not in valid:
                from condtrack.schema.validation import suggest

                fail(
                    f"--require: unknown condition {condition_id!r} {suggest(condition_id, valid)}"
                )
    # Flags override the file's [gate] field by field (condtrack.domain.gate).
    policy = Policy.merged(
        None if no_gate else tracker.header.gate,
        valid,
        require=named,
        min_score=min_score,
        max_age_days=max_age,
        require_sequencing=require_sequencing,
    )
    day, known = two_times(as_of, known_at)
    assessment = assess(tracker, day, known)
    relief = None
    if tracker.relief:  # a file without relief pays nothing for it
        from condtrack.domain.knowledge import known_at as as_known
        from condtrack.domain.relief import ledger

        relief = ledger(as_known(tracker, known), assessment.as_of, assessment)
    outcome = evaluate_policy(assessment, policy, relief)
    if output_format is CheckFormat.json:
        from condtrack.render.as_json import check_data, dumps

        emit(dumps(check_data(outcome)), output, loaded.path)
    elif output_format is CheckFormat.junit:
        from condtrack.render.junit import junit

        emit(junit(outcome), output, loaded.path)
    elif output_format is CheckFormat.github:
        _github(outcome, loaded)
    elif output is not None and output != "-":
        from condtrack.render.plain import check_lines, plain_lines

        emit(plain_lines(check_lines(outcome)), output, loaded.path)
    else:
        from condtrack.render.plain import check_lines, echo_lines

        echo_lines(check_lines(outcome))
    raise typer.Exit(outcome.exit_code)


def _github(outcome: Outcome, loaded: Viewed) -> None:
    from condtrack.render.github import Places, step_summary, workflow_commands

    places = Places.of(_workspace_path(loaded.path), loaded.data.decode("utf-8"), loaded.tracker)
    typer.echo(workflow_commands(outcome, places), nl=False)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary in ("", "-"):  # no file named: "-" would create one of that name
        warn(f"$GITHUB_STEP_SUMMARY is {summary!r}, not a file: no step summary written")
    elif summary:
        # Appended, as GitHub asks: earlier steps of the job write to the same file. One of
        # condtrack's own streams (/dev/stdout, or the file stdout goes to) is written to
        # as that stream, after the workflow commands, as `-o /dev/stdout` is (``emit``).
        from condtrack.storage.store import (
            append_to,
            check_output,
            check_stream,
            standard_stream,
        )

        try:
            stream = standard_stream(Path(summary))
            if stream is not None:
                check_stream(stream, summary, loaded.path)
                typer.echo(step_summary(outcome), nl=False, err=stream == 2)
            else:
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


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    table = "text"  # the old name of text: accepted, shown nowhere


@app.command(
    rich_help_panel="CI",
    epilog=examples(
        "condtrack validate",
        "condtrack validate --against-git",
        "condtrack validate --format json other.toml",
    ),
)
@guarded
def validate(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            parser=TrackerNameType(),
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
            parser=non_blank,
        ),
    ] = None,
    output_format: Annotated[
        ValidateFormat,
        typer.Option(
            "--format",
            parser=Choice(ValidateFormat),
            help="json: every file with its problems (place, entry, field, message) and ok.",
        ),
    ] = ValidateFormat.text,
    output: Output = None,
) -> None:
    """Report every problem in the tracker file, each with its place; exit 2 if any."""
    if revision is not None and not against_git:
        fail("--revision: it names what --against-git compares with; add --against-git")

    refuse_tracker_streams(*(files or ()))
    checked = []
    valid_lines = []  # the text's standard output, when -o names a file for it
    for path in files or [options(ctx).path()]:
        # Every file is checked, so one commit's run names every broken tracker.
        result = _validate_file(path, against_git, revision or "HEAD")
        checked.append(result)
        if output_format is ValidateFormat.text:
            line = _say(result)
            if line is not None and output in (None, "-"):
                typer.echo(line)
            elif line is not None:
                valid_lines.append(line + "\n")
    if output_format is ValidateFormat.json:
        from condtrack.render.as_json import dumps, validation_data

        emit(dumps(validation_data(checked)), output, _tracker_of(files, ctx))
    elif output not in (None, "-"):
        emit("".join(valid_lines), output, _tracker_of(files, ctx))
    if not all(result.ok for result in checked):
        raise typer.Exit(CondtrackError.exit_code)


def _tracker_of(files: list[Path] | None, ctx: typer.Context) -> Path | None:
    """The tracker -o must never replace: the one checked when no FILE is named."""
    return None if files else options(ctx).path()


def _validate_file(path: Path, against_git: bool, revision: str) -> Validated:
    """Every problem in ``path``; the notes for people (a file new to git) said as found."""
    from condtrack.render.as_json import Validated
    from condtrack.schema.validation import Problem
    from condtrack.storage.store import inspect
    from condtrack.textsafe import message_line

    try:
        tracker, problems, document = inspect(path)
        if against_git:
            from condtrack.git.committed import committed_version, edits_since

            committed = committed_version(path, revision)
            if committed.content is None:
                why = "nothing is committed yet" if committed.commit is None else "a new file"
                typer.echo(
                    message_line(
                        f"{path}: not in git at {revision} ({why}): every entry in it is new"
                    ),
                    err=True,
                )
            else:
                problems = [*problems, *edits_since(committed.content, document, revision)]
                tracker = tracker if not problems else None
    except CondtrackError as error:  # it cannot be read, or is no TOML: nothing else to check
        return Validated(path, None, [Problem(str(path), str(error))], unreadable=True)
    if tracker is None:
        return Validated(path, tracker, problems)
    from condtrack.domain.entries import recorded_duplicates
    from condtrack.domain.knowledge import unstamped

    # Warnings: the file is valid, the exit code stays.
    return Validated(
        path, tracker, problems, warnings=[*unstamped(tracker), *recorded_duplicates(tracker)]
    )


def _say(result: Validated) -> str | None:
    """A file's problems on standard error; the line saying it is valid, for standard
    output (or -o)."""
    from condtrack.textsafe import message_line

    path, tracker, problems = result.path, result.tracker, result.problems
    if result.unreadable:
        typer.echo(f"error: {message_line(problems[0].message)}", err=True)
    elif tracker is None:
        for problem in problems:
            typer.echo(message_line(f"{path}: {problem}"), err=True)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        typer.echo(f"error: {message_line(f'{count} in {path}')}", err=True)
    else:
        for message in result.warnings:  # the file is valid, the exit code stays
            typer.echo(message_line(f"warning: {path}: {message}"), err=True)
        from condtrack.textsafe import counted

        relief = f", {counted(len(tracker.relief), 'relief entry')}" if tracker.relief else ""
        return message_line(
            f"{path}: valid ({counted(len(tracker.conditions), 'condition')}, "
            f"{counted(len(tracker.evidence), 'evidence entry')}, "
            f"{counted(len(tracker.retractions), 'retraction')}{relief})"
        )
    return None
