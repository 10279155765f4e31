"""Commands that set a tracker up: init, conditions, git-setup, schema."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from condtrack.cli.app import (
    INIT_REDIRECT,
    Choice,
    Output,
    TextOrJson,
    TrackerNameType,
    app,
    emit,
    emit_view,
    examples,
    guarded,
    options,
    refuse_tracker_streams,
    warn,
)
from condtrack.errors import CondtrackError
from condtrack.textsafe import message_line


@app.command(
    rich_help_panel="Setup",
    epilog=examples(
        "condtrack init",
        "# elsewhere, under another name",
        "condtrack init briefings/belarus.toml",
    ),
)
@guarded
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            parser=TrackerNameType(),
            help="Where to write it (default: ./conditions.toml).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file, keeping a .bak copy.")
    ] = False,
) -> None:
    """Start a new tracker with the default conditions and no evidence.

    An existing file is refused (--force replaces it, keeping a .bak), unless it is empty
    or only whitespace, as `touch` or a shell redirect leaves it: init fills that one.
    Beside it goes condtrack.schema.json, the JSON Schema its first line names, so editors
    with Taplo (Even Better TOML) check and complete the file as you type.
    """
    from importlib.resources import files

    from condtrack.schema.jsonschema import SCHEMA_FILE, dumps, tracker_schema
    from condtrack.storage.locating import DEFAULT_NAME
    from condtrack.storage.store import check_output, locked, read_bytes, write_atomic

    named = path or options(ctx).file or Path(DEFAULT_NAME)
    refuse_tracker_streams(named, hint=INIT_REDIRECT)  # `condtrack init > conditions.toml`
    template = files("condtrack").joinpath("templates/default.toml").read_bytes()
    schema = dumps(tracker_schema()).encode("utf-8")
    if named.is_symlink():
        _refuse_a_link_to_nothing(named, force)
    check_output(named)  # a regular file (or none), and not one condtrack keeps for itself
    # A link is written through, as every command writes a linked tracker: the file
    # written is the one it leads to, and its .bak and schema go beside that file.
    target = Path(os.path.realpath(named)) if named.is_symlink() else named
    schema_path = target.parent / SCHEMA_FILE
    if target.name == SCHEMA_FILE:  # the schema's own place: the two would be one file
        other = target.parent / DEFAULT_NAME
        raise CondtrackError(
            f"cannot start a tracker at {target}: {SCHEMA_FILE} is the JSON Schema that init "
            "writes beside the tracker",
            hint=f"give the tracker another name, e.g. `condtrack init {other}`",
        )
    check_output(schema_path, target)
    if schema_path.is_symlink():  # condtrack writes that file itself: a link would be followed
        raise CondtrackError(
            f"{schema_path} is a symbolic link; condtrack writes that file beside the tracker "
            "itself: remove the link, or start the tracker in another folder"
        )
    # Read before anything is written: a file that cannot be read refuses the command.
    old_schema = (
        read_bytes(schema_path) if schema_path.exists() or schema_path.is_symlink() else None
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CondtrackError(f"cannot create {target.parent}: {error.strerror}") from None
    with locked(target):
        if (target.exists() or target.is_symlink()) and not _blank(target):
            if not force:
                raise CondtrackError(
                    f"{target} already exists", hint="use --force to replace it (a .bak is kept)"
                )
            backup = _free_backup_name(target)
            write_atomic(backup, read_bytes(target))
            warn(f"kept the old file as {backup}")
        write_atomic(target, template)
        _write_schema(schema_path, schema, old_schema)
    through = f" (the file {named} links to)" if target != named else ""
    typer.echo(
        message_line(f"created {target}{through}: edit its conditions, then `condtrack log`"),
        err=True,
    )


def _refuse_a_link_to_nothing(link: Path, force: bool) -> None:
    """A link that leads to no file (dangling, or round in a loop) is not written through
    to create a file elsewhere without a word: init says what it is and what to do.
    ``--force`` writes through it, as it does through every link (into a folder that
    exists: init never creates folders at the far end of a link)."""
    import errno

    try:
        os.stat(link)
        return  # it leads to something: written through (a file) or refused (the rest)
    except FileNotFoundError:
        pass
    except OSError as error:
        if error.errno != errno.ELOOP:
            return  # check_output names the problem
        raise CondtrackError(
            f"{link} is a symbolic link that leads round in a loop, to no file",
            hint="remove the link, then run `condtrack init` again",
        ) from None
    leads = os.readlink(link)
    target = Path(os.path.realpath(link))
    if not force:
        raise CondtrackError(
            f"{link} is a symbolic link to {leads}, a file that does not exist",
            hint=f"remove the link to start the tracker at {link}, or `condtrack init --force "
            f"{link}` creates the file it links to ({target})",
        )
    if not target.parent.is_dir():
        raise CondtrackError(
            f"{link} is a symbolic link to {leads}, in a folder that does not exist "
            f"({target.parent})",
            hint="create that folder first, or remove the link to start the tracker here",
        )


def _blank(target: Path) -> bool:
    """An empty or whitespace-only regular file, as `touch` or a shell redirect leaves it:
    nothing to keep, so init fills it (read under init's lock)."""
    from condtrack.storage.store import read_bytes

    if target.is_symlink() or not target.is_file() or target.stat().st_size > 65536:
        return False
    return not read_bytes(target).removeprefix(b"\xef\xbb\xbf").strip()  # an editor's BOM


def _write_schema(path: Path, schema: bytes, old: bytes | None) -> None:
    """The schema beside a new tracker; another file of that name is kept, as a .bak."""
    from condtrack.storage.store import write_atomic

    if old == schema:
        return
    if old is not None:
        backup = _free_backup_name(path)
        write_atomic(backup, old)
        warn(f"kept the old {path.name} as {backup}")
    write_atomic(path, schema)


def _free_backup_name(target: Path) -> Path:
    """conditions.toml.bak, or .bak.1, .bak.2 ...: an earlier backup is never overwritten."""
    backup = target.with_name(target.name + ".bak")
    number = 0
    while backup.exists() or backup.is_symlink():  # a dangling link too: never written through
        number += 1
        backup = target.with_name(f"{target.name}.bak.{number}")
    return backup


@app.command(
    rich_help_panel="Setup",
    epilog=examples(
        "condtrack conditions",
        "condtrack conditions --format json",
    ),
)
@guarded
def conditions(
    ctx: typer.Context,
    output_format: Annotated[
        TextOrJson, typer.Option("--format", parser=Choice(TextOrJson))
    ] = TextOrJson.text,
    output: Output = None,
) -> None:
    """List the conditions with their criteria and indicators, and their ids."""
    loaded = options(ctx).load()
    if output_format is TextOrJson.json:
        from condtrack.render.as_json import conditions_data, dumps

        emit(dumps(conditions_data(loaded.tracker)), output, loaded.path)
    else:
        from condtrack.render.terminal import conditions_view

        emit_view(conditions_view(loaded.tracker), output, loaded.path)


@app.command(
    name="git-setup",
    rich_help_panel="Setup",
    epilog=examples(
        "condtrack git-setup",
        "condtrack git-setup --file conditions.toml",
    ),
)
@guarded
def git_setup(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            parser=TrackerNameType(),
            help="The tracker (default: as for every command).",
        ),
    ] = None,
) -> None:
    """Make git merge the tracker with `condtrack merge`, so branches never conflict needlessly.

    Sets merge.condtrack.* in the repository's config and marks the file in the
    .gitattributes at the repository's root; prints each change. Running it again
    changes nothing.
    """
    from condtrack.git.repo import driver_command, register

    tracker = file or options(ctx).path()
    refuse_tracker_streams(tracker)
    if not tracker.is_file():
        raise CondtrackError(f"{tracker} does not exist", hint="create it with `condtrack init`")
    command, why = driver_command(sys.argv[0], sys.executable)
    changes = register(tracker, command)
    if why is not None:
        typer.echo(message_line(f"registering {command}: {why}"))
    for change in changes:
        typer.echo(message_line(change))
    if not changes:
        typer.echo(message_line(f"already set up for {tracker}: nothing changed"))


class JsonOnly(StrEnum):
    json = "json"


class SchemaOf(StrEnum):
    tracker = "tracker"
    status = "status"
    report = "report"
    check = "check"
    evidence = "evidence"
    conditions = "conditions"
    history = "history"
    diff = "diff"
    explain = "explain"
    validate = "validate"
    relief = "relief"  # `relief list`


@app.command(
    rich_help_panel="Setup",
    epilog=examples(
        "condtrack schema -o condtrack.schema.json",
        "# the schema of a JSON output, to check it in a script",
        "condtrack schema status -o status.schema.json",
    ),
)
@guarded
def schema(
    ctx: typer.Context,
    of: Annotated[
        SchemaOf,
        typer.Argument(
            metavar="WHAT",
            parser=Choice(SchemaOf),
            help="tracker (the file; the default), or a command whose JSON output: "
            "status, report, check, evidence, conditions, history, diff, explain, validate "
            "or relief (`relief list`).",
            show_default=False,
        ),
    ] = SchemaOf.tracker,
    output_format: Annotated[
        JsonOnly,
        typer.Option("--format", parser=Choice(JsonOnly), help="json (a JSON Schema is JSON)."),
    ] = JsonOnly.json,
    output: Output = None,
) -> None:
    """Print the JSON Schema of the tracker file, or of a command's JSON output.

    Editors with Taplo (Even Better TOML) check the tracker against its schema as you
    type; scripts can check the JSON outputs against theirs.
    """
    from condtrack.schema.jsonschema import dumps, tracker_schema

    if of is SchemaOf.tracker:
        document = tracker_schema()
    else:
        from condtrack.render.output_schemas import output_schema

        document = output_schema(of.value)
    emit(dumps(document), output, _tracker_if_any(ctx))


def _tracker_if_any(ctx: typer.Context) -> Path | None:
    """The tracker a command would read, to refuse writing over it; None when there is none."""
    try:
        return options(ctx).path()
    except CondtrackError:
        return None
