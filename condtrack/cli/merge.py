"""git's merge driver for tracker files, hidden from help: `condtrack git-setup`
registers it and git calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from condtrack.cli.app import (
    FileNameType,
    app,
    examples,
    guarded,
    non_blank_argument,
    number_option,
    refuse_tracker_streams,
)
from condtrack.errors import CondtrackError
from condtrack.textsafe import message_line


@app.command(
    hidden=True,
    epilog=examples(
        "# git runs it, as `condtrack git-setup` registers it:",
        "condtrack merge base.toml ours.toml theirs.toml",
        "condtrack merge base.toml ours.toml theirs.toml \\",
        "    conditions.toml --marker-size 9",
    ),
)
@guarded
def merge(
    base: Annotated[
        Path,
        typer.Argument(
            metavar="BASE",
            parser=FileNameType(as_path=True),
            help="The common ancestor (git's %O).",
        ),
    ],
    ours: Annotated[
        Path,
        typer.Argument(
            metavar="OURS",
            parser=FileNameType(as_path=True),
            help="Our version, overwritten with the result (%A).",
        ),
    ],
    theirs: Annotated[
        Path,
        typer.Argument(
            metavar="THEIRS", parser=FileNameType(as_path=True), help="Their version (%B)."
        ),
    ],
    path: Annotated[
        str | None,
        typer.Argument(
            metavar="PATH", parser=non_blank_argument, help="The file's name in messages (%P)."
        ),
    ] = None,
    marker_size: Annotated[
        int,
        number_option(int, "--marker-size", min=1, max=100, help="Conflict marker length (%L)."),
    ] = 7,
) -> None:
    """Merge three versions of a tracker entry by entry: git's merge driver for it.

    Evidence from both sides is kept; only the same condition, criterion or entry changed
    differently on each side conflicts. Writes the result over OURS and exits 0, or marks
    each conflict in OURS with git's markers, names it on standard error and exits 1.
    `condtrack git-setup` registers it.
    """
    from condtrack.git.merge.appended import merge_files, remember_full
    from condtrack.progress import task
    from condtrack.storage.store import write_atomic

    refuse_tracker_streams(base, ours, theirs)
    roles = ((base, "BASE"), (ours, "OURS"), (theirs, "THEIRS"))
    for file, role in roles:  # a missing one is named as git's argument, by either path
        if not file.exists():
            raise _missing(file, role)
        if not file.is_file():  # named by role, as the full merge's read names it (_version)
            _version(file, role)
    # Both sides only appended entries (the common case): merged on the bytes, quickly.
    name = path or ours.name
    with task(f"merging {name}"):  # a large file takes a while
        if merge_files(base, ours, theirs, write=lambda *parts: write_atomic(ours, *parts)):
            return
    from condtrack.git.merge.driver import merge_trackers

    with task(f"merging {name}"):  # three versions of a large file take a while
        versions = [_version(file, role) for file, role in roles]
        result = merge_trackers(*versions, name=name, marker_size=marker_size)
    if result.content != versions[1]:
        # No lock: OURS is git's own copy, git holds its index lock for the whole merge,
        # and a lock file beside OURS would be left in the work tree.
        write_atomic(ours, result.content)
    if result.tracker is not None:  # the next command reads no TOML
        remember_full(result.content, result.tracker)
    if result.notes:
        typer.echo(message_line(f"condtrack merge: {name}: {'; '.join(result.notes)}"), err=True)
    if result.clean:
        return
    for conflict in result.conflicts:
        typer.echo(message_line(f"conflict: {name}: {conflict}"), err=True)
    count = len(result.conflicts)
    typer.echo(
        message_line(
            f"{count} conflict{'s' if count != 1 else ''} in {name}: resolve "
            f"{'them' if count != 1 else 'it'}, check with `condtrack validate`, then `git add`"
        ),
        err=True,
    )
    raise typer.Exit(1)


def _version(path: Path, role: str) -> bytes:
    """One of the three versions git passes; a missing one is named as git's argument (no
    `condtrack init` hint: the driver merges files, it never starts one)."""
    from condtrack.storage.store import read_regular

    try:
        return read_regular(path, "file")
    except FileNotFoundError:
        raise _missing(path, role) from None
    except CondtrackError as error:  # e.g. "OURS: /dev/null is a device, not a file"
        raise CondtrackError(f"{role}: {error.args[0]}", hint=error.hint) from None


def _missing(path: Path, role: str) -> CondtrackError:
    return CondtrackError(
        f"{role}: {path} does not exist",
        hint="git passes the three versions of the file (see `condtrack git-setup`)",
    )
