"""Commands that write: init, log, retract."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from condtrack.cli.app import app, guarded, options, parse_day, warn
from condtrack.errors import CondtrackError

# Option names as the user types them, for errors about a field of a new entry.
_OPTION_FOR_FIELD = {"tags": "--tag", "condition": "CONDITION", "evidence": "ID"}


class AssessedStatus(StrEnum):
    met = "met"
    partial = "partial"
    not_met = "not-met"


@app.command()
@guarded
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="Where to write it (default: ./conditions.toml).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file, keeping a .bak copy.")
    ] = False,
) -> None:
    """Start a new tracker with the default conditions and no evidence."""
    from importlib.resources import files

    from condtrack.store import DEFAULT_NAME, locked, read_bytes, write_atomic

    target = path or options(ctx).file or Path(DEFAULT_NAME)
    template = files("condtrack").joinpath("templates/default.toml").read_bytes()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CondtrackError(f"cannot create {target.parent}: {error.strerror}") from None
    with locked(target):
        if target.exists() or target.is_symlink():
            if not force:
                raise CondtrackError(
                    f"{target} already exists", hint="use --force to replace it (a .bak is kept)"
                )
            backup = _free_backup_name(target)
            write_atomic(backup, read_bytes(target))
            warn(f"kept the old file as {backup}")
        write_atomic(target, template)
    typer.echo(f"created {target}: edit its conditions, then `condtrack log`", err=True)


def _free_backup_name(target: Path) -> Path:
    """conditions.toml.bak, or .bak.1, .bak.2 ...: an earlier backup is never overwritten."""
    backup = target.with_name(target.name + ".bak")
    number = 0
    while backup.exists():
        number += 1
        backup = target.with_name(f"{target.name}.bak.{number}")
    return backup


@app.command()
@guarded
def log(
    ctx: typer.Context,
    condition: Annotated[
        str, typer.Argument(metavar="CONDITION", help="Condition id (see `condtrack conditions`).")
    ],
    summary: Annotated[str, typer.Option("--summary", "-s", help="What the evidence says.")],
    source: Annotated[str, typer.Option("--source", help="Who reported it.")],
    url: Annotated[str | None, typer.Option(help="http(s) link to the source.")] = None,
    date: Annotated[
        str | None, typer.Option(help="Date of the event, YYYY-MM-DD (default: today).")
    ] = None,
    criterion: Annotated[
        str | None, typer.Option("--criterion", "-c", help="Criterion it bears on.")
    ] = None,
    status: Annotated[
        AssessedStatus | None, typer.Option(help="Your assessment of the criterion.")
    ] = None,
    indicator: Annotated[
        str | None, typer.Option("--indicator", "-i", help="Indicator observed.")
    ] = None,
    value: Annotated[str | None, typer.Option(help="The observed figure.")] = None,
    reliability: Annotated[
        str | None,
        typer.Option("--reliability", "-r", help="Admiralty code, e.g. B2 (default F6)."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag; repeatable.")] = None,
) -> None:
    """Append one evidence entry; prints its id on standard output."""
    from condtrack.entries import FieldError, new_evidence, parse_number, utc_now
    from condtrack.models import grade_counts
    from condtrack.store import append

    day = parse_day(date, "--date", future_ok=False)
    path = options(ctx).path()
    try:
        fields = {
            "condition": condition,
            "criterion": criterion,
            "status": status.value if status else None,
            "indicator": indicator,
            "value": parse_number(value) if value is not None else None,
            "date": day,
            "source": source,
            "url": url,
            "reliability": reliability,
            "summary": summary,
            "tags": tag or None,
        }
        tracker = append(path, "evidence", lambda t: new_evidence(t, fields, utc_now()))
    except FieldError as error:
        option = _OPTION_FOR_FIELD.get(error.field, f"--{error.field}")
        raise CondtrackError(f"{option}: {error.detail}") from None
    entry = tracker.evidence[-1]
    typer.echo(entry.id)
    what = f" ({entry.criterion}: {entry.status})" if entry.status else ""
    if entry.indicator:
        what += f" ({entry.indicator} = {entry.value})"
    typer.echo(f"logged {entry.id} against {entry.condition}{what} in {path}", err=True)
    minimum = tracker.scoring.min_reliability
    if not grade_counts(entry.reliability, minimum):
        warn(
            f"graded {entry.reliability}, below this tracker's minimum {minimum}: "
            "recorded, but it will not count in scores"
        )


@app.command()
@guarded
def retract(
    ctx: typer.Context,
    evidence_id: Annotated[str, typer.Argument(metavar="ID", help="Evidence id to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it no longer counts.")],
    date: Annotated[
        str | None, typer.Option(help="Date of the retraction (default: today).")
    ] = None,
) -> None:
    """Withdraw evidence from scoring; the entry itself stays in the file."""
    from condtrack.entries import FieldError, new_retraction, utc_now
    from condtrack.store import append

    day = parse_day(date, "--date", future_ok=False)
    path = options(ctx).path()
    try:
        append(
            path, "retractions", lambda t: new_retraction(t, evidence_id, reason, day, utc_now())
        )
    except FieldError as error:
        option = _OPTION_FOR_FIELD.get(error.field, f"--{error.field}")
        raise CondtrackError(f"{option}: {error.detail}") from None
    typer.echo(f"retracted {evidence_id} in {path}", err=True)
