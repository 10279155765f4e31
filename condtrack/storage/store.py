"""Finding, reading, appending to and rewriting the tracker file.

Guarantees: every write happens under an exclusive lock and lands atomically (a temporary
file beside the target, fsynced, then renamed over it), so a crash or a failed command
leaves the file byte-for-byte as it was. Appending lives in ``condtrack.storage.appending``.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import math
import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from condtrack import progress
from condtrack.errors import CondtrackError
from condtrack.storage import tomlread
from condtrack.storage.locating import lock_path as lock_path
from condtrack.storage.locating import owned_by_condtrack, path_argument
from condtrack.storage.portable import (
    BINARY,
    CLOEXEC,
    NOFOLLOW,
    NONBLOCK,
    current_user,
)

if TYPE_CHECKING:  # a read answered from a snapshot imports no pydantic (``view``)
    from condtrack.schema import shapes
    from condtrack.schema.models import Tracker
    from condtrack.schema.validation import Problem

ENV_LOCK_TIMEOUT = "CONDTRACK_LOCK_TIMEOUT"
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    path: Path
    data: bytes
    tracker: Tracker
    identity: tuple[int, int, int, int] = (0, 0, 0, 0)  # inode, device, size, mtime_ns


@dataclass(frozen=True)
class Viewed:
    """A tracker read to be looked at only (``check``): the models, or the plain objects of
    a snapshot (``view``); the domain reads either (``condtrack.schema.shapes``)."""

    path: Path
    data: bytes
    tracker: shapes.Tracker
    identity: tuple[int, int, int, int] = (0, 0, 0, 0)


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
}


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words: 'a folder', 'a device' ..."""
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_bytes(path: Path) -> bytes:
    """The tracker's bytes; a clear error for a missing, special or oversized file."""
    try:
        return read_regular(path, "tracker file")
    except FileNotFoundError:
        raise CondtrackError(
            f"{path} does not exist", hint=f"create it with `condtrack init {path_argument(path)}`"
        ) from None


def read_regular(path: Path, what: str) -> bytes:
    """The bytes of a regular file, at most ``MAX_FILE_BYTES`` of them.

    Anything else (a folder, a FIFO, a device, a socket) is refused before it is read from;
    the opened file is checked again, so a swap between the check and the open cannot
    fool it, and a FIFO never blocks (it is opened non-blocking).
    Raises ``FileNotFoundError`` for a missing file, ``CondtrackError`` for the rest.
    """
    limit = MAX_FILE_BYTES
    try:
        _must_be_readable(path, os.stat(path), what, limit)
        fd = os.open(path, os.O_RDONLY | NONBLOCK | CLOEXEC | BINARY)
        with open(fd, "rb") as handle:
            _must_be_readable(path, os.fstat(fd), what, limit)
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise CondtrackError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > limit:  # it grew while being read
        raise _too_large(path, limit)
    return data


def _must_be_readable(path: Path, info: os.stat_result, what: str, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise CondtrackError(f"{path} is {kind_of(info.st_mode)}, not a {what}")
    if info.st_size > limit:
        raise _too_large(path, limit)


def _too_large(path: Path, limit: int) -> CondtrackError:
    return CondtrackError(f"{path} is larger than {limit // 2**20} MiB")


def parse(data: bytes, path: Path) -> tuple[dict[str, Any], str]:
    """The TOML document and its text; a clear error with line and column when malformed."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CondtrackError(f"{path}: line {line}: not valid UTF-8") from None
    # A BOM is harmless to TOML readers that skip it and fatal to those that don't.
    body = text.removeprefix("\ufeff")
    try:
        return tomlread.loads(body), text
    except tomlread.TOMLDecodeError as error:
        raise CondtrackError(f"{path}: malformed TOML: {error}") from None
    except ValueError as error:  # e.g. an integer too long to convert
        raise CondtrackError(f"{path}: unreadable TOML value: {error}") from None
    except RecursionError:
        raise CondtrackError(f"{path}: malformed TOML: nested too deeply") from None


def check(doc: dict[str, Any], text: str, path: Path) -> Tracker:
    from condtrack.schema.validation import check_document

    tracker, problems = check_document(doc, text)
    if tracker is None:
        raise _first_problem(path, problems)
    return tracker


def load(path: Path) -> Loaded:
    identity = identity_of(path)
    data = read_bytes(path)
    return Loaded(path, data, read_tracker(data, path), identity)


def view(path: Path) -> Viewed:
    """The tracker to be looked at only: from the snapshot of these bytes as plain objects
    when there is one, importing no pydantic; else read and checked as ``load`` reads it
    (and a snapshot written for next time)."""
    identity = identity_of(path)
    data = read_bytes(path)
    return Viewed(path, data, read_checked(data, path, plain=True)[0], identity)


def read_tracker(data: bytes, path: Path) -> Tracker:
    """The checked tracker: slice by slice when the file allows, else whole (see slices)."""
    return read_checked(data, path)[0]


@overload
def read_checked(
    data: bytes, path: Path, *, plain: Literal[False] = ...
) -> tuple[Tracker, bool]: ...
@overload
def read_checked(data: bytes, path: Path, *, plain: bool) -> tuple[shapes.Tracker, bool]: ...
def read_checked(data: bytes, path: Path, *, plain: bool = False) -> tuple[Any, bool]:
    """The checked tracker, and whether it could be read slice by slice (or came from a
    snapshot). ``plain``: a snapshot's may come as plain objects (``view``)."""
    from condtrack.storage import remembered, snapshot

    with _collector_paused():
        known = len(data) > remembered.SMALL_BYTES
        if known:  # a snapshot of these exact bytes, checked before: no parsing at all
            found = snapshot.recall(data, plain=True) if plain else snapshot.recall(data)
            if found is not None:
                return found, True
        from condtrack.storage import slices  # here: a snapshot's read imports no pydantic

        tracker = slices.read_tracker(data)
        if tracker is not None:
            if known:
                snapshot.remember(data, tracker)
            return tracker, True
        with progress.task("reading the tracker"):  # whole: no steps to tell
            doc, text = parse(data, path)
            return check(doc, text, path), False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    # Reading builds hundreds of thousands of objects and frees none of them; the cyclic
    # collector would walk all of them again and again for nothing, while reading and
    # afterwards (scoring), so what was read is set aside for the rest of the process.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def identity_of(path: Path) -> tuple[int, int, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0, 0, 0)  # read_bytes reports the problem
    return (info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns)


def inspect(path: Path) -> tuple[Tracker | None, list[Problem], dict[str, Any]]:
    """The tracker, every problem in it, and the parsed document (for ``validate``).

    Malformed TOML raises instead: nothing else can be checked then.
    """
    from condtrack.schema.validation import check_document

    doc, text = parse(read_bytes(path), path)
    tracker, problems = check_document(doc, text)
    return tracker, problems, doc


def _first_problem(path: Path, problems: list[Problem]) -> CondtrackError:
    more = len(problems) - 1
    hint = f"{more} more; run `condtrack validate` to list them all" if more else None
    return CondtrackError(f"{path}: {problems[0]}", hint=hint)


def write_atomic(path: Path, *parts: bytes) -> None:
    """Replace the file's content with ``parts`` joined, in one rename; the old content
    survives any failure. (Parts, so a large file plus an append need not be copied.)

    Only a regular file is replaced (a device, a FIFO or a folder is refused), and it keeps
    its owner and group where the user may give them (root always can). A name of an open
    descriptor (``/dev/stdout``, ``/dev/fd/3``) is refused: the rename would replace the
    file behind it, which is not the file named.
    """
    named = _descriptor_named(path)
    if named is not None:
        what = _STREAMS.get(named, "an open file descriptor")
        raise CondtrackError(
            f"cannot write {path}: it is {what}, not a file to replace; it is unchanged"
        )
    target = path.resolve()  # a symlinked tracker keeps its link; the target is replaced
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
        mode = 0o666 & ~_umask()
    except OSError as error:
        raise _write_error(path, error) from None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise CondtrackError(
                f"cannot write {path}: it is {kind_of(info.st_mode)}, not a regular file; "
                "it is unchanged"
            )
        mode = info.st_mode & 0o7777
        # A rename would replace a file its owner made read-only; honour the permission.
        if not os.access(target, os.W_OK):
            raise _write_error(path, PermissionError(errno.EACCES, "Permission denied"))
    import tempfile  # here: commands that only read should not pay for it

    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
            if info is not None:
                _keep_owner(handle.fileno(), info)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
        _fsync_folder(target.parent)
    except OSError as error:
        raise _write_error(path, error) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def append_to(path: Path, data: bytes) -> None:
    """Append to a regular file, creating it: e.g. a CI step summary other steps write too.

    Not a write of condtrack's own, so neither atomic nor locked; but nothing else than a
    regular file is written to, and opening never blocks (a FIFO without a reader).
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | NONBLOCK | CLOEXEC | BINARY
    try:
        info = os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise _write_error(path, error) from None
    else:
        if not stat.S_ISREG(info.st_mode):
            raise CondtrackError(f"cannot write {path}: it is {kind_of(info.st_mode)}")
    try:
        fd = os.open(path, flags, 0o666)
        with open(fd, "ab") as handle:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise CondtrackError(f"cannot write {path}: it is {kind_of(mode)}")
            handle.write(data)
    except OSError as error:
        raise _write_error(path, error) from None


def _keep_owner(fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner and group, as far as this user may (where
    files have owners: not on Windows, which has no ``fchown``)."""
    fchown = getattr(os, "fchown", None)
    new = os.fstat(fd)
    if fchown is None or (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        fchown(fd, old.st_uid, old.st_gid)
    except OSError:  # not root: the group alone, when the user is in it
        with contextlib.suppress(OSError):
            fchown(fd, -1, old.st_gid)


def _write_error(path: Path, error: OSError) -> CondtrackError:
    reason = error.strerror or str(error)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += " (check the file's and its folder's permissions)"
    return CondtrackError(f"cannot write {path}: {reason}; the file is unchanged")


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the tracker while a write is prepared and made.

    The lock lives on a sidecar file because the tracker itself is replaced by rename. It
    is the operating system's own lock, taken through ``filelock`` (``flock`` on Linux and
    macOS, ``LockFileEx`` on Windows): it dies with its process, so a killed writer never
    leaves a lock behind. The sidecar exists only while a write is made: the writer that
    created it removes it (still holding the lock), and a writer that waited on a removed
    one takes a new one. It is never followed if it is a symbolic link, and must be a
    regular file.
    """
    sidecar = lock_path(path)
    timeout = lock_timeout()
    lock, unlock = _lock_primitives(path)
    deadline = time.monotonic() + timeout
    while True:
        fd, created = _open_lock(sidecar, path)
        try:
            while not _take(lock, fd, sidecar, path):
                if time.monotonic() >= deadline:
                    raise CondtrackError(
                        f"{path} is locked by another condtrack process",
                        hint=f"waited {timeout:g}s for it to finish; try again, or wait "
                        f"longer with --lock-timeout SECONDS (or ${ENV_LOCK_TIMEOUT})",
                    )
                time.sleep(0.01)
        except BaseException:
            os.close(fd)
            raise
        if _is_at(fd, sidecar):
            break
        os.close(fd)  # its creator removed it while we waited: lock the one there now
    try:
        yield
    finally:
        if created and _is_at(fd, sidecar):
            with contextlib.suppress(OSError):
                os.unlink(sidecar)  # first, still locked: a waiter then sees it is gone
        with contextlib.suppress(OSError):
            unlock(fd)  # closing would release it too; Windows may take its time
        os.close(fd)


def _lock_primitives(path: Path) -> tuple[Callable[..., bool], Callable[[int], None]]:
    """filelock's lock and unlock of an open descriptor (the lock its ``FileLock`` takes,
    which dies with its process); refused before any file is touched where this Python
    has none (a Unix without ``fcntl``: filelock would offer only a lock file whose holder
    must remove it, which a killed writer never does)."""
    import sys
    import warnings

    with warnings.catch_warnings():  # "only soft file lock is available", where it is so
        warnings.simplefilter("ignore")
        import filelock
    if sys.platform != "win32" and not filelock.has_fcntl:
        raise CondtrackError(
            f"cannot lock {path}: this Python has no fcntl.flock, the operating system's "
            "file lock; the file is unchanged"
        )
    return filelock.lock_descriptor, filelock.unlock_descriptor


def _take(lock: Callable[..., bool], fd: int, sidecar: Path, path: Path) -> bool:
    """Whether the lock was free and is now ours; an error when it cannot be taken at all."""
    try:
        return bool(lock(fd, blocking=False))
    except OSError as error:
        raise CondtrackError(
            f"cannot lock {path}: {error.strerror or error} ({sidecar}); the file is unchanged"
        ) from None


def lock_timeout(env: Mapping[str, str] = os.environ) -> float:
    """How long a writer waits for the lock: ``$CONDTRACK_LOCK_TIMEOUT`` seconds, else 30.

    Asked only by a command that takes the lock, so a bad value stops no command that
    only reads. (``--lock-timeout`` sets the variable for its run, after the CLI has
    checked its value with ``parse_lock_timeout``, naming the option.)
    """
    return parse_lock_timeout(env.get(ENV_LOCK_TIMEOUT, "30"), f"${ENV_LOCK_TIMEOUT}")


def parse_lock_timeout(raw: str, where: str) -> float:
    """A lock timeout as written, from ``where`` (an option or a variable, as errors name it).

    A finite number of seconds, 0 or more: NaN, infinity or a negative number would make
    the wait endless (no deadline is ever passed) or meaningless, so they are refused.
    """
    try:  # as a number option reads (``cli.app.NumberType``): no 1_0, no other digits
        timeout = float(raw) if raw.isascii() and "_" not in raw else math.nan
    except ValueError:
        timeout = math.nan
    if not math.isfinite(timeout) or timeout < 0:
        raise CondtrackError(f"{where} must be a finite number of seconds >= 0, not {raw!r}")
    return timeout


def _open_lock(sidecar: Path, path: Path) -> tuple[int, bool]:
    """The lock file, opened without following a link; whether this call created it."""
    flags = os.O_RDWR | NOFOLLOW | NONBLOCK | CLOEXEC
    try:
        for _ in range(100):
            if not NOFOLLOW and _is_link(sidecar):  # no O_NOFOLLOW (Windows): look first
                raise OSError(errno.ELOOP, "a symbolic link")
            try:
                fd = os.open(sidecar, flags | os.O_CREAT | os.O_EXCL, 0o666)
                return _regular_lock(fd, sidecar, path), True
            except FileExistsError:
                pass
            try:
                return _regular_lock(os.open(sidecar, flags), sidecar, path), False
            except FileNotFoundError:
                continue  # removed between the two opens: create it
        raise OSError(errno.EAGAIN, "the lock file keeps disappearing")
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno == errno.ELOOP:
            reason = "it is a symbolic link, which condtrack does not follow"
        elif error.errno == errno.ENXIO:
            reason = "it is a named pipe (FIFO), not a regular file"
        raise CondtrackError(
            f"cannot lock {path}: {reason} ({sidecar}); the file is unchanged"
        ) from None


def _regular_lock(fd: int, sidecar: Path, path: Path) -> int:
    if not NOFOLLOW and _is_link(sidecar):  # a link made since: opened, never used
        os.close(fd)
        raise OSError(errno.ELOOP, "a symbolic link")
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise CondtrackError(
            f"cannot lock {path}: {sidecar} is {kind_of(mode)}, not a regular file; "
            "the file is unchanged"
        )
    return fd


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_at(fd: int, sidecar: Path) -> bool:
    """Whether the open lock file is still the one at the sidecar's path."""
    try:
        there = os.stat(sidecar, follow_symlinks=False)
    except OSError:
        return False
    here = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino)


# --- where an output may go ----------------------------------------------------------------

_SIDECAR = re.compile(r"\.(?P<of>.+)\.(?:lock|[A-Za-z0-9_]+\.tmp)")


def _not_a_strangers_link(output: Path) -> None:
    """An output that is a symbolic link someone else made is not followed: in a shared
    folder (``/tmp``) it could point at any file the user can write, which the write would
    replace (and an ``init`` keep a readable copy of). Links the user made are theirs to
    follow, as git does with a work tree's links."""
    try:
        link = os.lstat(output)
    except OSError:
        return  # nothing there, or nothing to tell: the checks below report it
    me = current_user()  # None (Windows): links have no owner to tell apart
    if stat.S_ISLNK(link.st_mode) and me is not None and link.st_uid != me:
        raise CondtrackError(
            f"refusing to write {output}: it is a symbolic link that belongs to another user "
            f"(uid {link.st_uid}), not followed"
        )


def check_output(
    output: Path,
    tracker: Path | None = None,
    inputs: Sequence[Path] = (),
    *,
    instead: str | None = None,
) -> None:
    """Refuse to write ``output`` over a file condtrack reads or keeps for itself.

    That is the tracker, its lock file and temporary files (``.NAME.lock``,
    ``.NAME.*.tmp``, and any file so named beside the file it would belong to), the
    records in the cache folder, and every input of the same command, however the path is
    spelled: relative, with ``..``, through a symbolic link, or as a hard link (the same
    device and inode). Anything but a regular file (a folder, a FIFO, a device) is refused
    too: a rename would replace it, and writing to it could block or go anywhere.
    ``instead`` is the hint for that case (e.g. how to write to standard output). So is a
    name of one of condtrack's own streams or descriptors (``/dev/stdout``, ``/dev/fd/1``):
    a rename would replace whatever file it is (``condtrack.cli.app.emit`` writes to the
    stream instead).
    """
    stream = standard_stream(output, instead)
    if stream is not None:
        raise CondtrackError(
            f"refusing to write {output}: it is {_STREAMS[stream]}, which a rename would replace",
            hint=instead,
        )
    _not_a_strangers_link(output)
    try:
        info: os.stat_result | None = os.stat(output)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CondtrackError(f"cannot write {output}: {error.strerror or error}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise CondtrackError(
            f"refusing to write {output}: it is {kind_of(info.st_mode)}, not a regular file",
            hint=None if stat.S_ISDIR(info.st_mode) else instead,
        )
    real = Path(os.path.realpath(output))
    owned = owned_by_condtrack(tracker, inputs)
    for spot, what in owned:
        if real == Path(os.path.realpath(spot)) or (info is not None and _same_file(info, spot)):
            raise CondtrackError(f"refusing to write {output}: it is {what}")
    sidecar = _SIDECAR.fullmatch(real.name)
    if sidecar is not None and (real.parent / sidecar["of"]).exists():
        raise CondtrackError(
            f"refusing to write {output}: it is named like condtrack's lock or temporary "
            f"file for {real.parent / sidecar['of']}"
        )
    _not_in_cache(output, real, info)


_STREAMS = {0: "standard input", 1: "standard output", 2: "standard error"}
_NAMED_STREAMS = {"stdin": 0, "stdout": 1, "stderr": 2}
_FD_FOLDER = re.compile(r"/dev/fd|/proc/(?P<pid>self|thread-self|\d+)(?:/task/\d+)?/fd")


def standard_stream(output: Path, instead: str | None = None) -> int | None:
    """Which of condtrack's own streams ``output`` is: 1 (standard output) or 2 (standard
    error), to be written to as ``-o -`` writes, never replaced by a rename; None for any
    other path.

    A stream is recognised by its name (``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/2``,
    or a link to one) or as the same file (device and inode) as descriptor 1 or 2: with
    ``> out.md``, ``-o out.md`` is standard output too. Any other descriptor's name
    (``/dev/stdin``, ``/dev/fd/5``) is refused (``instead``: the hint), as it names no file
    condtrack may replace.
    """
    named = _descriptor_named(output)
    if named in (1, 2):
        return named
    if named is not None:
        what = _STREAMS.get(
            named, "an open file descriptor" if named < 0 else f"descriptor {named}"
        )
        raise CondtrackError(f"refusing to write {output}: it is {what}, not a file", hint=instead)
    try:
        info = os.stat(output)
    except OSError:
        return None
    for fd in (1, 2):
        try:
            there = os.fstat(fd)
        except OSError:
            continue
        if (there.st_dev, there.st_ino) == (info.st_dev, info.st_ino):
            return fd
    return None


def _descriptor_named(output: Path) -> int | None:
    """The descriptor a path names (following links to it), -1 for another process's; None
    when it names none."""
    path = os.path.abspath(output)
    for _ in range(40):  # the kernel's own limit on links in a row
        folder, name = os.path.split(path)
        real_folder = os.path.realpath(folder)
        if real_folder == "/dev" and name in _NAMED_STREAMS:
            return _NAMED_STREAMS[name]
        fd_folder = _FD_FOLDER.fullmatch(real_folder)
        if fd_folder is not None:
            pid = fd_folder["pid"]
            ours = pid in (None, "self", "thread-self", str(os.getpid()))
            return int(name) if ours and name.isdigit() else -1
        try:
            link = os.readlink(path)
        except OSError:
            return None
        path = os.path.normpath(os.path.join(real_folder, link))
    return None


def check_stream(fd: int, shown: str, tracker: Path | None) -> None:
    """Refuse to write to our own stream ``fd`` when it is the tracker or another file
    condtrack keeps for itself (``condtrack report -o /dev/stdout >> conditions.toml``)."""
    try:
        info = os.fstat(fd)
    except OSError:
        return  # closed: nothing is written anywhere
    if not stat.S_ISREG(info.st_mode):
        return
    for spot, what in owned_by_condtrack(tracker, ()):
        if _same_file(info, spot):
            raise CondtrackError(f"refusing to write {shown}: it is {what}")
    real = Path(os.path.realpath(f"/proc/self/fd/{fd}"))
    _not_in_cache(Path(shown), real, info)


def _same_file(info: os.stat_result, other: Path) -> bool:
    try:
        there = os.stat(other)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == (there.st_dev, there.st_ino)


def _not_in_cache(output: Path, real: Path, info: os.stat_result | None) -> None:
    """Refuse an output in the folders condtrack writes in its cache folder (``records-v2``,
    and the ``checked`` of older versions it clears), or a hard link to a record. The rest
    of the cache folder is left to its owner: ``$CONDTRACK_CACHE_DIR`` may name a folder
    that holds anything of the user's."""
    from condtrack.storage.remembered import cache_folder, legacy_folder, records_folder

    folder, records = cache_folder(), records_folder()
    if folder is None or records is None:
        return
    cache = Path(os.path.realpath(folder))
    owned = [Path(os.path.realpath(records))]
    legacy = legacy_folder()
    if legacy is not None:
        owned.append(Path(os.path.realpath(legacy)))
    if real == cache:
        raise CondtrackError(f"refusing to write {output}: it is condtrack's cache folder")
    for spot in owned:
        if real == spot or spot in real.parents:
            raise CondtrackError(f"refusing to write {output}: it is in condtrack's cache {spot}")
    if info is None:
        return
    try:  # a hard link to a record: look for its inode (the folder holds a few files)
        with os.scandir(records) as entries:
            linked = any(
                (there.st_dev, there.st_ino) == (info.st_dev, info.st_ino)
                for there in (entry.stat(follow_symlinks=False) for entry in entries)
            )
    except OSError:  # no cache folder, or not ours to look into
        return
    if linked:
        raise CondtrackError(
            f"refusing to write {output}: it is a record in condtrack's cache {cache}"
        )
