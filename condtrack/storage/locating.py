"""Which tracker a command uses: ``--file``, ``$CONDTRACK_FILE``, or the conditions.toml
found here or in a parent folder. Kept apart from ``store`` (which builds on the schema
models) so that what runs before every command, even ``--version`` (is standard output
the tracker?), imports nothing heavy."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from condtrack.errors import CondtrackError
from condtrack.storage.portable import current_user, user_name

DEFAULT_NAME = "conditions.toml"
ENV_FILE = "CONDTRACK_FILE"
ENV_CACHE = "CONDTRACK_CACHE_DIR"


def lock_path(path: Path) -> Path:
    """The tracker's lock file (``.NAME.lock`` beside the file a link leads to)."""
    return _lock_beside(path.resolve())


def _lock_beside(target: Path) -> Path:
    """The lock file of ``target``, a tracker's path with its links resolved."""
    return target.with_name(f".{target.name}.lock")


def owned_by_condtrack(tracker: Path | None, inputs: Sequence[Path]) -> list[tuple[Path, str]]:
    """The files a command must never write over, each with how to name it: its
    ``inputs``, and the ``tracker`` with its lock and temporary files."""
    owned = [(source, f"{source}, which this command reads") for source in inputs]
    if tracker is not None:
        owned.append((tracker, f"the tracker {tracker}"))
        try:
            target = tracker.resolve()
        # A link loop, or a NUL in the name: no file to lock; reading it says why.
        except (OSError, RuntimeError, ValueError):
            return owned
        owned.append((_lock_beside(target), f"the lock file of {tracker}"))
        with contextlib.suppress(OSError):
            for temporary in target.parent.glob(f".{target.name}.*.tmp"):
                owned.append((temporary, f"a temporary file of {tracker}"))
    return owned


def tracker_named(raw: str) -> Path:
    """The tracker a ``--file`` or ``$CONDTRACK_FILE`` names (a path for every command that
    takes a tracker): a leading ``~`` or ``~user`` is a home folder, as for
    ``$CONDTRACK_CACHE_DIR`` (``cache_folder_named``), since a quoted ``~``, ``--file=~/x``
    or an environment file leave it to condtrack (``./~`` names a folder called ``~``).
    ``-`` is refused: a tracker is read and rewritten in place, never standard input."""
    if raw == "-":
        raise CondtrackError(
            "'-' names standard input, and the tracker cannot come from there: condtrack "
            "reads and rewrites the file in place; give its path (./- for a file named -)"
        )
    return Path(os.path.expanduser(raw)) if raw.startswith("~") else Path(raw)


def path_argument(path: Path) -> str:
    """``path`` as a shell word in a command a message suggests (``condtrack init PATH``):
    quoted where a shell would split or expand it, and ``./`` before a name that starts
    with ``-`` (an option) or ``~`` (a home folder), so the command names this file."""
    import shlex

    text = str(path)
    if text.startswith(("-", "~")):
        text = f"./{text}"
    return shlex.quote(text)


def cache_folder_named(raw: str, where: str = f"${ENV_CACHE}") -> Path | None:
    """The cache folder a ``$CONDTRACK_CACHE_DIR`` (or ``--cache-dir``, ``where``) names:
    None (records off) when empty; a leading ``~`` is the home folder. A relative path is
    refused (an error naming ``where``): it would be a different folder in each folder a
    command runs in, and the XDG rule holds a relative cache path invalid."""
    if not raw:
        return None
    folder = Path(os.path.expanduser(raw))
    if not folder.is_absolute():
        raise CondtrackError(
            f"{where} is {raw!r}, a relative path: give an absolute one (a leading ~ is "
            "your home folder), or an empty value to keep no records"
        )
    return folder


def locate(explicit: Path | None, env: Mapping[str, str] = os.environ) -> Path:
    """``--file``, else ``$CONDTRACK_FILE``, else conditions.toml here or in a parent folder.

    The search trusts only what the current user owns, as git's safe.directory does: it
    stops at a folder or a conditions.toml that belongs to another user (root included),
    whom it would otherwise let choose the file that is read and rewritten. (Where the
    system has no user ids, Windows, there is no owner to compare and the search does not.)
    """
    if explicit is not None:
        return explicit
    if env.get(ENV_FILE):
        return tracker_named(env[ENV_FILE])
    here = Path.cwd()
    me = current_user()
    searched: Path | None = None
    for folder in (here, *here.parents):
        owner = _owner(folder)
        if owner is not None and me is not None and owner != me:
            raise _nothing_found(here, searched, f"{folder}, which belongs to {user_name(owner)}")
        candidate = folder / DEFAULT_NAME
        found = _owner_of_candidate(candidate, me)
        if found is not None:
            if me is not None and found != me:
                raise CondtrackError(
                    f"not using {candidate}: it belongs to {user_name(found)}, not to you, "
                    "and condtrack looks no further up",
                    hint="name it with --file if you trust it, or create your own with "
                    "`condtrack init`",
                )
            return candidate
        searched = folder
    raise _nothing_found(here, searched, None)


def _nothing_found(here: Path, searched: Path | None, stop: str | None) -> CondtrackError:
    if stop is None:
        where = f"in {here} or any parent folder"
    elif searched is None:
        where = f"in {here}: {stop}, so condtrack does not look there"
    elif searched == here:
        where = f"in {here}: the search stops at {stop}"
    else:
        where = f"in {here} or a parent folder up to {searched}: the search stops at {stop}"
    return CondtrackError(
        f"no {DEFAULT_NAME} {where}",
        hint="create one with `condtrack init`, or name one with --file",
    )


def _owner(path: Path) -> int | None:
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def _owner_of_candidate(candidate: Path, me: int | None) -> int | None:
    """Who owns the conditions.toml found here (a link and its target must both be the
    same user's, else the other owner); None when there is no regular file."""
    try:
        link = os.lstat(candidate)
        target = os.stat(candidate) if stat.S_ISLNK(link.st_mode) else link
    except OSError:
        return None
    if not stat.S_ISREG(target.st_mode):
        return None
    return link.st_uid if link.st_uid != me else target.st_uid
