"""Commands for keeping a tracker in git as a team: the merge driver and its setup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from condtrack.cli.app import app, guarded, options
from condtrack.errors import CondtrackError
from condtrack.textsafe import one_line


@app.command()
@guarded
def merge(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor (git's %O).")],
    ours: Annotated[
        Path, typer.Argument(metavar="OURS", help="Our version, overwritten with the result (%A).")
    ],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (%B).")],
    path: Annotated[
        str | None, typer.Argument(metavar="PATH", help="The file's name in messages (%P).")
    ] = None,
    marker_size: Annotated[
        int, typer.Option("--marker-size", min=1, max=100, help="Conflict marker length (%L).")
    ] = 7,
) -> None:
    """Merge three versions of a tracker entry by entry: git's merge driver for it.

    Evidence from both sides is kept; only the same condition, criterion or entry changed
    differently on each side conflicts. Writes the result over OURS and exits 0, or marks
    each conflict in OURS with git's markers, names it on standard error and exits 1.
    `condtrack git-setup` registers it.
    """
    from condtrack.git.merge.driver import merge_trackers
    from condtrack.storage.store import read_bytes, write_atomic

    name = path or ours.name
    versions = [read_bytes(version) for version in (base, ours, theirs)]
    result = merge_trackers(*versions, name=name, marker_size=marker_size)
    if result.content != versions[1]:
        # No lock: OURS is git's own copy, git holds its index lock for the whole merge,
        # and a lock file beside OURS would be left in the work tree.
        write_atomic(ours, result.content)
    if result.notes:
        typer.echo(one_line(f"condtrack merge: {name}: {'; '.join(result.notes)}"), err=True)
    if result.clean:
        return
    for conflict in result.conflicts:
        typer.echo(one_line(f"conflict: {name}: {conflict}"), err=True)
    count = len(result.conflicts)
    typer.echo(
        one_line(
            f"{count} conflict{'s' if count != 1 else ''} in {name}: resolve "
            f"{'them' if count != 1 else 'it'}, check with `condtrack validate`, then `git add`"
        ),
        err=True,
    )
    raise typer.Exit(1)


@app.command(name="git-setup")
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
