"""Commands for the audit trail and bulk input: history and import."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from condtrack.cli import complete
from condtrack.cli.app import TableOrJson, app, fail, guarded, options, warn
from condtrack.errors import CondtrackError

if TYPE_CHECKING:
    from condtrack.storage.appending import Current


class ImportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command()
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


@app.command(name="import")
@guarded
def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="FILE", help="CSV or JSON to import.")],
    data_format: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="csv or json (default: from the file's extension)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and show what would be added.")
    ] = False,
    skip_duplicates: Annotated[
        bool, typer.Option("--skip-duplicates", help="Leave out rows already recorded.")
    ] = False,
) -> None:
    """Import evidence in bulk: every row is checked first, then all land or none do.

    Columns are the fields of `condtrack log` (condition, summary, source, url, date,
    criterion, status, indicator, value, reliability, tags separated by ';'), plus an
    optional id; a CSV may be separated by commas, semicolons or tabs, and its header is
    read regardless of case and spaces. Prints the new ids, one per line; --dry-run shows
    the same ids.
    """
    from condtrack.domain.entries import utc_now
    from condtrack.domain.importer import Plan, plan, read_rows
    from condtrack.storage.appending import append
    from condtrack.textsafe import one_line

    path = options(ctx).path()
    rows = read_rows(source, data_format.value if data_format else None, into=path)
    outcome: list[Plan] = []

    def build(current: Current) -> list[tuple[str, dict[str, Any]]]:
        result = plan(current.tracker, rows, utc_now())
        outcome.append(result)
        if result.problems or (result.duplicates and not skip_duplicates):
            raise _Refused
        return [("evidence", entry) for entry in result.entries]

    try:
        append(path, build, dry_run=dry_run)
    except _Refused:
        result = outcome[-1]
        for problem in result.problems:
            typer.echo(one_line(f"{source}: {problem}"), err=True)
        for row, earlier in result.duplicates:
            typer.echo(f"{source}: row {row}: duplicate of {earlier}", err=True)
        reasons = []
        if result.problems:
            reasons.append(_count(len(result.problems), "bad row"))
        if result.duplicates:
            duplicates = _count(len(result.duplicates), "duplicate")
            reasons.append(f"{duplicates} (--skip-duplicates leaves them out)")
        raise CondtrackError(f"nothing imported: {' and '.join(reasons)}") from None
    result = outcome[-1]
    if dry_run:
        from condtrack.render.terminal import console, evidence_view
        from condtrack.schema.models import Evidence

        entries = [Evidence.model_validate(entry) for entry in result.entries]
        console().print(evidence_view(entries, {}))
    else:
        for entry in result.entries:
            typer.echo(entry["id"])
    skipped = (
        f", {_count(len(result.duplicates), 'duplicate')} skipped" if result.duplicates else ""
    )
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {_count(len(result.entries), 'entry')} into {path}{skipped}", err=True)
    for column, found in result.left_out:
        why = (
            "entries are stamped as logged now"
            if column == "logged"
            else "a retraction is not imported: withdraw the entry with `condtrack retract`"
        )
        warn(f"column {column!r} is left out ({_rows(found)}): {why}")
    uncounted = result.uncounted()
    if uncounted:
        grades = ", ".join(sorted({grade for _, grade in uncounted}))
        warn(
            f"{_count(len(uncounted), 'entry')} ({_rows([row for row, _ in uncounted])}) "
            f"graded {grades}, below "
            f"this tracker's minimum {result.minimum} (F6 where a row gives no reliability): "
            f"{'would be ' if dry_run else ''}recorded, but not counted in scores"
        )


def _rows(numbers: Sequence[int]) -> str:
    listed = ", ".join(str(row) for row in numbers[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    return f"row {listed}" if len(numbers) == 1 else f"rows {listed}{more}"


def _count(number: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number} {noun if number == 1 else plural}"


class _Refused(Exception):
    """Raised inside the locked write to abandon it; the reasons are in the plan."""
