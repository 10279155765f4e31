"""What differs between operating systems, in one place, so that condtrack imports and reads
on any of them: nothing POSIX-only is imported or looked up at module level elsewhere.

POSIX systems (Linux, macOS) have user ids, ``open`` flags and ``fchown``/``fchmod`` that
Windows lacks. A flag that does not exist is 0 here (its caller makes up for it where it
protects something, e.g. checks for a link itself where ``O_NOFOLLOW`` is missing), and
``current_user`` is None where there are no user ids: the checks that compare a file's
owner with the user are skipped there (Windows decides who may write a file by its access
control list, which ``os.stat`` does not show; its ``st_uid`` is always 0).
"""

from __future__ import annotations

import os

NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)  # Windows: none; callers check for a link
NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)  # a FIFO never blocks an open (POSIX only)
CLOEXEC: int = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)  # Windows' name
BINARY: int = getattr(os, "O_BINARY", 0)  # Windows: no newline translation on os.read
DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)


def current_user() -> int | None:
    """The effective user id; None where the system has none (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else int(geteuid())


def user_name(uid: int) -> str:
    """'user NAME' for a user id, else 'user id N' (no such user, or no user database)."""
    try:
        import pwd
    except ImportError:  # Windows
        return f"user id {uid}"
    try:
        return f"user {pwd.getpwuid(uid).pw_name}"
    except (KeyError, OSError):
        return f"user id {uid}"


def chmod_descriptor(fd: int, mode: int) -> None:
    """``os.fchmod`` where it exists (not on Windows before Python 3.13, which has no such
    modes: nothing to do there)."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is not None:
        fchmod(fd, mode)
