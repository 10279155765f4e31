"""Commands that set a tracker up: init, conditions, git-setup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from condtrack.cli.app import TableOrJson, app, guarded, options, warn
from condtrack.errors import CondtrackError
from condtrack.textsafe import one_line

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


@app.command(rich_help_panel="Setup")
@guarded
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(metavar="PATH", help="Where to write it (default: ./conditions.toml)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file, keeping a .bak copy.")
    ] = False,
) -> None:
    """Start a new tracker with the default conditions and no evidence."""
    from importlib.resources import files

    from condtrack.storage.store import DEFAULT_NAME, check_output, locked, read_bytes, write_atomic

    target = path or options(ctx).file or Path(DEFAULT_NAME)
    template = files("condtrack").joinpath("templates/default.toml").read_bytes()
    check_output(target)  # a regular file (or none), and not one condtrack keeps for itself
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
    typer.echo(one_line(f"created {target}: edit its conditions, then `condtrack log`"), err=True)


def _free_backup_name(target: Path) -> Path:
    """conditions.toml.bak, or .bak.1, .bak.2 ...: an earlier backup is never overwritten."""
    backup = target.with_name(target.name + ".bak")
    number = 0
    while backup.exists() or backup.is_symlink():  # a dangling link too: never written through
        number += 1
        backup = target.with_name(f"{target.name}.bak.{number}")
    return backup


@app.command(rich_help_panel="Setup")
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


@app.command(name="git-setup", rich_help_panel="Setup")
@guarded
def git_setup(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="The tracker (default: as for every command)."),
    ] = None,
) -> None:
    """Make git merge the tracker with `condtrack merge`, so branches never conflict needlessly.

    Sets merge.condtrack.* in the repository's config and marks the file in the
    .gitattributes at the repository's root; prints each change. Running it again
    changes nothing.
    """
    from condtrack.git.repo import driver_command, register

    tracker = file or options(ctx).path()
    if not tracker.is_file():
        raise CondtrackError(f"{tracker} does not exist", hint="create it with `condtrack init`")
    command, why = driver_command(sys.argv[0], sys.executable)
    changes = register(tracker, command)
    if why is not None:
        typer.echo(one_line(f"registering {command}: {why}"))
    for change in changes:
        typer.echo(one_line(change))
    if not changes:
        typer.echo(one_line(f"already set up for {tracker}: nothing changed"))
