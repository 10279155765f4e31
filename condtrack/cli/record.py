"""Commands that record evidence: log, amend, retract, import."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from condtrack.cli import complete
from condtrack.cli.app import (
    Choice,
    FileNameType,
    app,
    date_option,
    examples,
    guarded,
    options,
    options_named,
    today,
    warn,
    warn_if_not_counted,
)
from condtrack.errors import CondtrackError
from condtrack.textsafe import message_line

if TYPE_CHECKING:
    from condtrack.schema.models import Tracker
    from condtrack.storage.appending import Appended

if TYPE_CHECKING:
    from condtrack.storage.appending import Current


# Option names as the user types them, for errors about a field of a new entry.
_OPTION_FOR_FIELD = {"tags": "--tag", "condition": "CONDITION", "evidence": "ID", "relief": "ID"}
# amend's and retract's: the entry is its ID argument (evidence or relief), the condition an
# option (`amend --condition`).
_AMEND_OPTION_FOR_FIELD = {"tags": "--tag", "evidence": "ID", "relief": "ID"}


# The fields of an entry, shared by `log` and `amend`.
Url = Annotated[str | None, typer.Option(help="http(s) link to the source.")]


# A day something happened: never after today.
Day = Annotated[
    dt.date | None,
    date_option("--date", help="Date of the event, YYYY-MM-DD.", future_ok=False),
]


CriterionId = Annotated[
    str | None,
    typer.Option(
        "--criterion", "-c", help="Criterion it bears on.", autocompletion=complete.criterion_ids
    ),
]


IndicatorId = Annotated[
    str | None,
    typer.Option(
        "--indicator", "-i", help="Indicator observed.", autocompletion=complete.indicator_ids
    ),
]


Value = Annotated[str | None, typer.Option(help="The observed figure.")]


Grade = Annotated[
    str | None, typer.Option("--reliability", "-r", help="Admiralty code, e.g. B2 (default F6).")
]


Tags = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag; repeatable.")]


class AssessedStatus(StrEnum):
    met = "met"
    partial = "partial"
    not_met = "not-met"


class Clearable(StrEnum):
    criterion = "criterion"
    status = "status"
    indicator = "indicator"
    url = "url"
    tags = "tags"


@app.command(
    rich_help_panel="Record",
    epilog=examples(
        "condtrack log russian-forces -s 'Bases shut' \\",
        "    --source AP --date 2025-10-01",
        "# a figure, graded B2",
        "condtrack log political-prisoners \\",
        "    -i prisoners-held --value 1100 -r B2 \\",
        "    -s 'Viasna count' --source Viasna -t viasna",
    ),
)
@guarded
def log(
    ctx: typer.Context,
    condition: Annotated[
        str | None,
        typer.Argument(
            metavar="CONDITION",
            help="Condition id (see `condtrack conditions`). Required; asked at a terminal.",
            autocompletion=complete.condition_ids,
        ),
    ] = None,
    summary: Annotated[
        str | None,
        typer.Option("--summary", "-s", help="What the evidence says. Required; asked too."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Who reported it. Required; asked too.")
    ] = None,
    url: Url = None,
    date: Day = None,
    criterion: CriterionId = None,
    status: Annotated[
        AssessedStatus | None,
        typer.Option(parser=Choice(AssessedStatus), help="Your assessment of the criterion."),
    ] = None,
    indicator: IndicatorId = None,
    value: Value = None,
    reliability: Grade = None,
    tag: Tags = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate",
            help="Record it even when an entry has the same condition, date and source, "
            "and the same summary or URL (refused otherwise).",
        ),
    ] = False,
) -> None:
    """Append one evidence entry (dated today unless --date); prints its id on standard output.

    At a terminal it asks for whatever the command line leaves out; elsewhere it never asks.
    """
    from condtrack.cli import asking

    given = {
        "condition": condition,
        "criterion": criterion,
        "status": status.value if status else None,
        "indicator": indicator,
        "value": value,
        "date": date,
        "source": source,
        "url": url,
        "reliability": reliability,
        "summary": summary,
        "tags": tag or None,
    }
    left_out = [name for name in asking.REQUIRED if given[name] is None]
    if left_out and not asking.at_terminal():
        asking.missing(ctx, left_out[0])
    path = options(ctx).path()
    record = functools.partial(_log_entry, path, allow_duplicate=allow_duplicate)
    with options_named(_OPTION_FOR_FIELD):
        if left_out:
            appended = asking.fill_in_and_record(options(ctx).load().tracker, given, record)
        else:
            appended = record(given)
    _confirm("logged", appended, path)


def _log_entry(path: Path, given: dict[str, Any], *, allow_duplicate: bool = False) -> Appended:
    """Append what `log` was given, converted and checked the same way however it came."""
    from condtrack.domain.entries import NewEntries, read_number, utc_now
    from condtrack.storage.appending import append

    fields = {
        **given,
        "date": given["date"] or today(),
        "value": read_number(given["value"]) if given["value"] is not None else None,
    }
    return append(
        path,
        lambda t: [
            (
                "evidence",
                NewEntries(t).new_report(fields, utc_now(), allow_duplicate=allow_duplicate),
            )
        ],
    )


@app.command(
    rich_help_panel="Record",
    epilog=examples(
        "# a new version; the original stays on record",
        "condtrack amend ev-t5j7g5ap0f \\",
        "    --value 1141 --reason 'misread the table'",
        "condtrack amend ev-sr3kmr3r8d \\",
        "    --clear tags --reason 'tags were wrong'",
    ),
)
@guarded
def amend(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Evidence or relief id to correct (`relief amend` for relief's own fields).",
            autocompletion=complete.amendable_ids,
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the correction is needed.")],
    condition: Annotated[
        str | None,
        typer.Option(help="Move it to another condition.", autocompletion=complete.condition_ids),
    ] = None,
    summary: Annotated[str | None, typer.Option("--summary", "-s")] = None,
    source: Annotated[str | None, typer.Option("--source")] = None,
    url: Url = None,
    date: Day = None,
    criterion: CriterionId = None,
    status: Annotated[AssessedStatus | None, typer.Option(parser=Choice(AssessedStatus))] = None,
    indicator: IndicatorId = None,
    value: Value = None,
    reliability: Annotated[
        str | None,
        typer.Option("--reliability", "-r", help="Admiralty code, e.g. B2 (default: unchanged)."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            help="A tag; repeatable. The tags given replace all of the entry's tags "
            "(repeat the ones to keep); --clear tags removes them.",
        ),
    ] = None,
    clear: Annotated[
        list[Clearable] | None,
        typer.Option(
            parser=Choice(Clearable), help="Remove this field from the entry; repeatable."
        ),
    ] = None,
) -> None:
    """Correct an entry: a new entry supersedes it, and the original stays on record."""
    from condtrack.domain.entries import NewEntries, read_number, utc_now
    from condtrack.storage.appending import append

    path = options(ctx).path()
    with options_named(_AMEND_OPTION_FOR_FIELD):
        changes = {
            "condition": condition,
            "summary": summary,
            "source": source,
            "url": url,
            "date": date,
            "criterion": criterion,
            "status": status.value if status else None,
            "indicator": indicator,
            "value": read_number(value) if value is not None else None,
            "reliability": reliability,
            "tags": tag or None,
        }
        cleared = [c.value for c in clear or []]

        def build(current: Current) -> list[tuple[str, dict[str, Any]]]:
            nonlocal evidence_id
            entries = NewEntries(current)
            evidence_id = entries.known_id(evidence_id)  # typed in any case
            entry = entries.amendment(evidence_id, changes, cleared, reason, utc_now())
            # An amendment joins its original's table: a relief id makes a relief entry.
            return [("relief" if evidence_id in entries.relief_by_id else "evidence", entry)]

        appended = append(path, build)
    _confirm(f"amended {evidence_id} with", appended, path)


@app.command(
    rich_help_panel="Record",
    epilog=examples(
        "condtrack retract ev-t5j7g5ap0f \\",
        "    --reason 'the source withdrew it'",
        "condtrack retract ev-sr3kmr3r8d \\",
        "    --reason 'a duplicate' --date 2026-03-10",
    ),
)
@guarded
def retract(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Evidence or relief id to withdraw.",
            autocompletion=complete.retractable_ids,
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it no longer counts.")],
    date: Annotated[
        dt.date | None,
        date_option("--date", help="Date of the retraction (default: today).", future_ok=False),
    ] = None,
) -> None:
    """Withdraw evidence from scoring, with every version of it; the entries stay in the file.

    Any version of an amended entry may be named: the original and its amendments are
    one record, withdrawn together.
    """
    from condtrack.domain.chains import chain_roots
    from condtrack.domain.entries import NewEntries, utc_now
    from condtrack.storage.appending import append

    day = date or today()
    path = options(ctx).path()
    versions: list[str] = []

    def build(current: Current) -> list[tuple[str, dict[str, Any]]]:
        nonlocal evidence_id
        entries = NewEntries(current)
        evidence_id = entries.known_id(evidence_id)  # typed in any case
        entry = entries.retraction(evidence_id, reason, day, utc_now())
        tracker = current.tracker
        links = [(e.id, e.supersedes) for e in tracker.evidence]
        links += [(r.id, r.supersedes) for r in tracker.relief]
        roots = chain_roots(links)
        versions.extend(i for i, root in roots.items() if root == roots[evidence_id])
        return [("retractions", entry)]

    with options_named(_AMEND_OPTION_FOR_FIELD):
        append(path, build)
    withdrawn = f": every version is withdrawn ({', '.join(versions)})" if len(versions) > 1 else ""
    typer.echo(message_line(f"retracted {evidence_id} in {path}{withdrawn}"), err=True)


def _confirm(verb: str, appended: Appended, path: Path) -> None:
    """The new id on stdout for scripts; what happened on stderr for people."""
    minimum = appended.header.scoring.min_reliability
    if appended.relief:  # `amend` of a relief entry
        step = appended.relief[-1]
        typer.echo(step.id)
        typer.echo(
            message_line(f"{verb} {step.id} ({step.sender} {step.measure}) in {path}"), err=True
        )
        warn_if_not_counted(step.reliability, minimum, "in the relief ledger")
        return
    entry = appended.evidence[-1]
    typer.echo(entry.id)
    what = f" ({entry.criterion}: {entry.status})" if entry.status else ""
    if entry.indicator:
        what += f" ({entry.indicator} = {entry.value})"
    typer.echo(
        message_line(f"{verb} {entry.id} against {entry.condition}{what} in {path}"), err=True
    )
    warn_if_not_counted(entry.reliability, minimum, "in scores")


class ImportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command(
    name="import",
    rich_help_panel="Record",
    epilog=examples(
        "# check every row, write nothing",
        "condtrack import rows.csv --dry-run",
        "condtrack import rows.csv",
        "condtrack import export.json --skip-duplicates",
    ),
)
@guarded
def import_(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", parser=FileNameType(as_path=True), help="CSV or JSON to import."
        ),
    ],
    data_format: Annotated[
        ImportFormat | None,
        typer.Option(
            "--format",
            parser=Choice(ImportFormat),
            help="csv or json (default: from the file's extension).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and show what would be added.")
    ] = False,
    skip_duplicates: Annotated[
        bool, typer.Option("--skip-duplicates", help="Leave out rows already recorded.")
    ] = False,
    skip_retracted: Annotated[
        bool,
        typer.Option(
            "--skip-retracted",
            help="Leave out rows of retracted entries (an export's `retracted` column); "
            "refused otherwise.",
        ),
    ] = False,
) -> None:
    """Import evidence and relief in bulk: every row is checked first, then all land or
    none do.

    Columns are the fields of `condtrack log` (condition, summary, source, url, date,
    criterion, status, indicator, value, reliability, tags separated by ';'), plus an
    optional id; a CSV may be separated by commas, semicolons or tabs, and its header is
    read regardless of case and spaces. A `kind` column says `evidence` (the default) or
    `relief`: a relief row has the fields of `condtrack relief add` (sender, measure,
    action, date, instrument, expires, for and tags separated by ';', source, url,
    reliability, summary), and the first one raises the file's schema to 2 (3 for a
    `renewed`). `relief list --format csv|json` imports back as it is, corrections with
    what they correct. Prints the new ids, one per line; --dry-run
    shows the same ids.
    """
    from condtrack.domain.entries import utc_now
    from condtrack.domain.importer import Plan, plan, read_rows
    from condtrack.storage.appending import append

    path = options(ctx).path()
    rows = read_rows(source, data_format.value if data_format else None, into=path)
    outcome: list[Plan] = []

    def build(current: Current) -> list[tuple[str, dict[str, Any]]]:
        # Checked against what a record of the file vouches for, as `log` is: the file's
        # entries are read whole only when no record holds them (see storage.appending).
        result = plan(current, rows, utc_now(), skip_retracted=skip_retracted)
        outcome.append(result)
        if result.problems or (result.duplicates and not skip_duplicates):
            raise _Refused
        before.append(current)
        current.reports_added = dict(result.reports)  # worked out once, for duplicates
        current.models_added = result.models  # validated once, by the checks
        return result.tables()

    before: list[Current] = []
    try:
        added = append(path, build, dry_run=dry_run)
    except _Refused:
        result = outcome[-1]
        for problem in result.problems:
            typer.echo(message_line(f"{source}: {problem}"), err=True)
        for row, earlier in result.duplicates:
            typer.echo(message_line(f"{source}: row {row}: duplicate of {earlier}"), err=True)
        reasons = []
        if result.problems:
            reasons.append(_count(len({p.row for p in result.problems}), "bad row"))
        if result.duplicates:
            duplicates = _count(len(result.duplicates), "duplicate")
            reasons.append(f"{duplicates} (--skip-duplicates leaves them out)")
        nothing = "nothing would be imported" if dry_run else "nothing imported"
        raise CondtrackError(f"{nothing}: {' and '.join(reasons)}") from None
    result = outcome[-1]
    if dry_run and result.entries:  # nothing to add: no empty table, the line says why
        _show_dry_run(added, before[-1].tracker if before and added.relief else None)
    elif not dry_run and result.entries:  # one write, not one a line: 10,000 at times
        typer.echo("\n".join(entry["id"] for entry in result.entries))
    skipped = (
        f", {_count(len(result.duplicates), 'duplicate')} skipped" if result.duplicates else ""
    )
    if result.duplicates and not result.entries and not result.retracted:
        skipped = (
            f": every row is a duplicate ({_count(len(result.duplicates), 'duplicate')} skipped)"
        )
    verb = "would import" if dry_run else "imported"
    typer.echo(
        message_line(f"{verb} {_count(len(result.entries), 'entry')} into {path}{skipped}"),
        err=True,
    )
    if result.retracted:
        left_out = _count(len(result.retracted), "row")
        typer.echo(
            f"{left_out} of retracted entries left out ({_rows(result.retracted)})", err=True
        )
    for column, found in result.left_out:
        why = (
            "entries are stamped as logged now"
            if column == "logged"
            else "corrections of entries this tracker does not hold, imported as new entries"
        )
        warn(f"column {column!r} is left out ({_rows(found)}): {why}")
    uncounted = result.uncounted()
    if uncounted:
        grades = ", ".join(sorted({grade for _, grade in uncounted}))
        warn(
            f"{_count(len(uncounted), 'entry')} ({_rows([row for row, _ in uncounted])}) "
            f"graded {grades}, below "
            f"this tracker's minimum {result.minimum} (F6 where a row gives no reliability): "
            f"{'would be ' if dry_run else ''}recorded, but not counted"
        )


def _show_dry_run(added: Appended, before: Tracker | None) -> None:
    """What an import would add: its evidence, then its relief with each entry's verdict."""
    from condtrack.render.terminal import console, evidence_view

    if added.evidence or not added.relief:
        console().print(evidence_view(added.evidence, {}))
    if added.relief and before is not None:
        from dataclasses import replace

        from condtrack.domain.relief import ledger
        from condtrack.render.terminal import relief_view
        from condtrack.schema.models import Tracker

        after = Tracker(
            header=added.header,
            evidence=[*before.evidence, *added.evidence],
            retractions=before.retractions,
            relief=[*before.relief, *added.relief],
        )
        new = {entry.id for entry in added.relief}
        found = ledger(after, today())
        found = replace(found, steps=tuple(s for s in found.steps if s.entry.id in new))
        console().print(relief_view(found))


def _rows(numbers: Sequence[int]) -> str:
    numbers = sorted(numbers)  # an amendment is taken after its original, whatever its row
    listed = ", ".join(str(row) for row in numbers[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    return f"row {listed}" if len(numbers) == 1 else f"rows {listed}{more}"


def _count(number: int, noun: str) -> str:
    from condtrack.textsafe import counted

    return counted(number, noun)


class _Refused(Exception):
    """Raised inside the locked write to abandon it; the reasons are in the plan."""
