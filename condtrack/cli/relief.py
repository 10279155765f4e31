"""`condtrack relief`: the relief ledger (add, amend, list).

The ledger's rules live in ``condtrack.domain.relief``; entries are built by
``condtrack.domain.entries`` and appended as `log` appends evidence (locked, atomic, the
file's schema raised to 2 by the write that adds its first relief entry, to 3 by the one
that adds its first ``renewed`` entry).
"""

from __future__ import annotations

import datetime as dt
import functools
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from condtrack.cli import complete
from condtrack.cli.app import (
    Choice,
    Command,
    Group,
    MomentType,
    Output,
    app,
    date_option,
    emit,
    emit_view,
    examples,
    fail,
    guarded,
    options,
    options_named,
    today,
    two_times,
    warn_if_not_counted,
)
from condtrack.errors import CondtrackError
from condtrack.textsafe import message_line

if TYPE_CHECKING:
    from condtrack.domain.entries import FieldError
    from condtrack.storage.appending import Appended


relief = typer.Typer(
    cls=Group,
    name="relief",
    help="The relief ledger: what each sender eased, lifted, suspended, reimposed or renewed "
    "(kept in force), and whether relief ran ahead of compliance.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "condtrack relief list",
        "condtrack relief list --sender US \\",
        "    --as-of 2025-12-31 --format json",
        "condtrack relief add --sender US \\",
        "    --measure Belavia --action eased \\",
        "    --date 2025-09-11 --instrument 'GL 11' -r B2 \\",
        "    --source 'US Treasury' --summary 'GL 11'",
    ),
)
app.add_typer(relief, name="relief", rich_help_panel="Record")


class Action(StrEnum):
    eased = "eased"
    lifted = "lifted"
    suspended = "suspended"
    reimposed = "reimposed"
    expired = "expired"
    renewed = "renewed"  # kept in force: a renewal or extension without easing


# The fields `relief add` needs; at a terminal it asks for them (cli.asking.ReliefQuestions).
REQUIRED = ("sender", "measure", "action", "source", "summary")


class ReliefFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    table = "text"  # the old name of text: accepted, shown nowhere


# Option names as typed, for errors about a field of the new entry.
_OPTION_FOR_FIELD = {"tags": "--tag", "relief": "ID", "for": "--for"}

Sender = Annotated[
    str | None,
    typer.Option(
        "--sender", help="Who grants it: US, EU, UK, ...", autocompletion=complete.senders
    ),
]
MeasureName = Annotated[
    str | None,
    typer.Option(
        "--measure",
        help='The sanction it touches, e.g. "Belavia".',
        autocompletion=complete.measures,
    ),
]
Day = Annotated[
    dt.date | None,
    date_option(
        "--date", help="When it took effect, YYYY-MM-DD (default: today).", future_ok=False
    ),
]
Instrument = Annotated[
    str | None,
    typer.Option("--instrument", help='The legal instrument, e.g. "OFAC Belarus GL 13".'),
]
Expires = Annotated[
    dt.date | None,
    date_option(
        "--expires",
        help="The last day an eased, lifted or suspended measure holds, YYYY-MM-DD (not for "
        "reimposed, expired or renewed).",
    ),
]
ActionOption = Annotated[
    Action | None,
    typer.Option(
        "--action",
        parser=Choice(Action),
        help="What the sender did (renewed: kept the sanction in force, without easing).",
    ),
]
For = Annotated[
    list[str] | None,
    typer.Option(
        "--for",
        metavar="ID",
        autocompletion=complete.condition_lists,
        help="A condition an easing was granted for, or a reimposition or expiry answers; "
        "repeatable, or ids separated by commas (none: not tied to any; renewed takes none).",
    ),
]
Source = Annotated[str | None, typer.Option("--source", metavar="TEXT", help="Who reported it.")]
Url = Annotated[str | None, typer.Option("--url", metavar="URL", help="http(s) link.")]
Grade = Annotated[
    str | None,
    typer.Option("--reliability", "-r", metavar="GRADE", help="Admiralty code, e.g. B2."),
]
Summary = Annotated[
    str | None,
    typer.Option("--summary", "-s", metavar="TEXT", help="What the sender did."),
]
Tags = Annotated[
    list[str] | None, typer.Option("--tag", "-t", metavar="TAG", help="A tag; repeatable.")
]


@relief.command(
    "add",
    cls=Command,
    epilog=examples(
        "# a step taken today: the US puts Belavia back",
        "condtrack relief add --sender US --measure Belavia \\",
        "    --action reimposed --for political-prisoners \\",
        "    --instrument 'OFAC SDN list' -r A1 \\",
        "    --source 'US Treasury' --summary 'Listed again'",
        "condtrack relief add --sender EU --measure Belavia \\",
        "    --action renewed --date 2026-02-26 \\",
        "    --source 'Council of the EU' -r C2 \\",
        "    --summary 'Kept in force to 2027-02-28'",
    ),
)
@guarded
def add(
    ctx: typer.Context,
    sender: Sender = None,
    measure: MeasureName = None,
    action: ActionOption = None,
    date: Day = None,
    instrument: Instrument = None,
    expires: Expires = None,
    for_: For = None,
    source: Source = None,
    url: Url = None,
    reliability: Grade = None,
    summary: Summary = None,
    tag: Tags = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate",
            help="Record it even when an entry has the same sender, measure, action and "
            "date, and no different instrument (refused otherwise).",
        ),
    ] = False,
) -> None:
    """Append one relief entry (dated today unless --date); prints its id on standard output.

    --sender, --measure, --action, --source and --summary are required; at a terminal it
    asks for whichever the command line leaves out. The first relief entry raises the
    file's schema to 2, the first renewed entry to 3, which older condtrack versions refuse.
    """
    given: dict[str, Any] = {
        "sender": sender,
        "measure": measure,
        "action": action.value if action else None,
        "date": date,
        "instrument": instrument,
        "expires": expires,
        "for": _ids(for_),
        "source": source,
        "url": url,
        "reliability": reliability,
        "summary": summary,
        "tags": tag or None,
    }
    left_out = [name for name in REQUIRED if given[name] is None]
    path = options(ctx).path()
    if left_out:
        from condtrack.cli import asking

        if not asking.at_terminal():
            fail(f"missing option '--{left_out[0]}'; see '{ctx.command_path} -h'")
        with options_named(_OPTION_FOR_FIELD):
            tracker = options(ctx).load().tracker
            record = functools.partial(_record, path, allow_duplicate=allow_duplicate)
            appended = asking.fill_in_and_record(tracker, given, record, asking.ReliefQuestions)
    else:
        with options_named(_OPTION_FOR_FIELD):
            appended = _record(path, given, allow_duplicate)
    _confirm("added", appended, path)


def _ids(values: list[str] | None) -> list[str] | None:
    """Condition ids given as repeated options or separated by commas; an empty one
    (``--for ""``, ``--for a,,b``) is refused, not read as "tied to none"."""
    if not values:
        return None
    named = [part.strip() for value in values for part in value.split(",")]
    if "" in named:
        raise CondtrackError(
            "--for: an empty condition id; name a condition, or leave --for out for relief "
            "tied to no condition in particular"
        )
    return list(dict.fromkeys(named))  # each once, in the order given


def _record(path: Path, given: dict[str, Any], allow_duplicate: bool = False) -> Appended:
    from condtrack.domain.entries import NewEntries, utc_now
    from condtrack.storage.appending import append

    fields = {**given, "date": given["date"] or today()}
    return append(
        path,
        lambda t: [
            ("relief", NewEntries(t).relief(fields, utc_now(), allow_duplicate=allow_duplicate))
        ],
    )


@relief.command(
    "amend",
    cls=Command,
    epilog=examples(
        "condtrack relief amend rl-0123456789 --date 2025-09-12 \\",
        "    --reason 'the licence took effect a day later'",
    ),
)
@guarded
def amend(
    ctx: typer.Context,
    relief_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Relief entry id to correct.", autocompletion=complete.relief_ids
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the correction is needed.")
    ],
    sender: Sender = None,
    measure: MeasureName = None,
    action: ActionOption = None,
    date: Day = None,
    instrument: Instrument = None,
    expires: Expires = None,
    for_: For = None,
    source: Source = None,
    url: Url = None,
    reliability: Grade = None,
    summary: Summary = None,
    tag: Tags = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear",
            metavar="FIELD",
            help="Remove instrument, expires, for, url or tags; repeatable.",
        ),
    ] = None,
) -> None:
    """Correct a relief entry: a new entry supersedes it, and the original stays on record.

    (`condtrack amend ID` corrects the fields relief shares with evidence too; `condtrack
    retract ID` withdraws a relief entry.)"""
    from condtrack.domain.entries import FieldError, NewEntries, utc_now
    from condtrack.storage.appending import append

    path = options(ctx).path()
    with options_named(_OPTION_FOR_FIELD):
        changes = {
            "sender": sender,
            "measure": measure,
            "action": action.value if action else None,
            "date": date,
            "instrument": instrument,
            "expires": expires,
            "for": _ids(for_),
            "source": source,
            "url": url,
            "reliability": reliability,
            "summary": summary,
            "tags": tag or None,
        }
        try:
            appended = append(
                path,
                lambda t: [
                    (
                        "relief",
                        NewEntries(t).relief_amendment(
                            relief_id, changes, clear or [], reason, utc_now()
                        ),
                    )
                ],
            )
        except FieldError as error:
            raise _kept_field_hint(error, changes) from None
    stored = appended.relief[-1].supersedes or relief_id  # the id as stored, however typed
    _confirm(f"amended {stored} with", appended, path)


def _kept_field_hint(error: FieldError, changes: dict[str, Any]) -> FieldError:
    """An amendment refused for a field kept from the original (its ``for`` or ``expires``
    once --action changes to one that takes neither): say how to remove it."""
    from condtrack.domain.entries import field_errors

    return field_errors(
        [
            (field, f"{detail}; --clear {field} removes it")
            if field in ("for", "expires") and changes.get(field) is None
            else (field, detail)
            for field, detail in error.problems
        ]
    )


@relief.command(
    "list",
    cls=Command,
    epilog=examples(
        "condtrack relief list",
        "condtrack relief list --sender US --as-of 2025-12-31",
        "condtrack relief list --format csv -o relief.csv",
    ),
)
@guarded
def list_(
    ctx: typer.Context,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            help="Only this sender's entries (any case or width).",
            autocompletion=complete.senders,
        ),
    ] = None,
    as_of: Annotated[
        dt.date | None,
        date_option(
            "--as-of",
            help="The ledger as it stood on this date, YYYY-MM-DD: entries dated later are "
            "left out, and whether each counts is as of then (default: today).",
        ),
    ] = None,
    output_format: Annotated[
        ReliefFormat, typer.Option("--format", parser=Choice(ReliefFormat))
    ] = ReliefFormat.text,
    output: Output = None,
    known_at: Annotated[
        Any,
        typer.Option(
            "--known-at",
            metavar=MomentType.metavar,
            parser=MomentType(),
            help="The ledger as it was known then: entries, amendments and retractions "
            "logged later are left out. YYYY-MM-DD (to the end of that day, UTC) or a "
            "timestamp (UTC unless it has an offset); --as-of defaults to its date.",
        ),
    ] = None,
) -> None:
    """The ledger, oldest first: each entry, whether it counts, and whether the relief it
    granted ran ahead of compliance (the conditions it required not all met on its date).

    An entry that does not count (superseded, retracted, graded below min_reliability) is
    not judged: the ledger says why it does not count instead."""
    from condtrack.domain.knowledge import known_at as as_known
    from condtrack.domain.relief import from_sender, ledger

    loaded = options(ctx).load()
    day, known = two_times(as_of, known_at)
    tracker = as_known(loaded.tracker, known)
    found = ledger(tracker, day)
    if sender is not None:
        found = from_sender(found, tracker, sender)
    if output_format is ReliefFormat.json:
        from condtrack.render.as_json import dumps, relief_data

        text = dumps(relief_data(found))
    elif output_format is ReliefFormat.csv:
        from condtrack.render.as_csv import relief_csv

        text = relief_csv(found)
    elif output_format is ReliefFormat.markdown:
        from condtrack.render.markdown import relief_ledger

        text = relief_ledger(found, known)
    else:
        from condtrack.render.terminal import relief_view

        emit_view(relief_view(found, known), output, loaded.path)
        return
    emit(text, output, loaded.path)


def _confirm(verb: str, appended: Appended, path: Path) -> None:
    """The new id on standard output for scripts; what happened on standard error."""
    entry = appended.relief[-1]
    typer.echo(entry.id)
    tied = f" for {', '.join(entry.for_)}" if entry.for_ else ""
    what = f"{entry.sender} {entry.action} {entry.measure}{tied}"
    typer.echo(message_line(f"{verb} {entry.id}: {what} in {path}"), err=True)
    warn_if_not_counted(
        entry.reliability, appended.header.scoring.min_reliability, "in the relief ledger"
    )
