"""Finding, reading, appending to and rewriting the tracker file.

Guarantees: every write happens under an exclusive lock and lands atomically (a temporary
file beside the target, fsynced, then renamed over it), so a crash or a failed command
leaves the file byte-for-byte as it was. Appending lives in ``condtrack.appending``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from condtrack import tomlread
from condtrack.errors import CondtrackError
from condtrack.models import Tracker
from condtrack.validation import Problem, check_document

DEFAULT_NAME = "conditions.toml"
ENV_FILE = "CONDTRACK_FILE"
ENV_LOCK_TIMEOUT = "CONDTRACK_LOCK_TIMEOUT"
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    path: Path
    data: bytes
    tracker: Tracker
    identity: tuple[int, int, int, int] = (0, 0, 0, 0)  # inode, device, size, mtime_ns


def locate(explicit: Path | None, env: Mapping[str, str] = os.environ) -> Path:
    """``--file``, else ``$CONDTRACK_FILE``, else conditions.toml here or in a parent folder."""
    if explicit is not None:
        return explicit
    if env.get(ENV_FILE):
        return Path(env[ENV_FILE])
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_NAME
        if candidate.is_file():
            return candidate
    raise CondtrackError(
        f"no {DEFAULT_NAME} in {here} or any parent folder",
        hint="create one with `condtrack init`, or name one with --file",
    )


def read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise CondtrackError(f"{path} is a folder, not a tracker file")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CondtrackError(
            f"{path} does not exist", hint=f"create it with `condtrack init {path}`"
        ) from None
    except OSError as error:
        raise CondtrackError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise CondtrackError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    return data


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
    tracker, problems = check_document(doc, text)
    if tracker is None:
        raise _first_problem(path, problems)
    return tracker


def load(path: Path) -> Loaded:
    identity = identity_of(path)
    data = read_bytes(path)
    return Loaded(path, data, read_tracker(data, path), identity)


def read_tracker(data: bytes, path: Path) -> Tracker:
    """The checked tracker: slice by slice when the file allows, else whole (see slices)."""
    return read_checked(data, path)[0]


def read_checked(data: bytes, path: Path) -> tuple[Tracker, bool]:
    """The checked tracker, and whether it could be read slice by slice."""
    from condtrack.slices import read_tracker as read_in_slices

    with _collector_paused():
        tracker = read_in_slices(data)
        if tracker is not None:
            return tracker, True
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
    doc, text = parse(read_bytes(path), path)
    tracker, problems = check_document(doc, text)
    return tracker, problems, doc


def _first_problem(path: Path, problems: list[Problem]) -> CondtrackError:
    more = len(problems) - 1
    hint = f"{more} more; run `condtrack validate` to list them all" if more else None
    return CondtrackError(f"{path}: {problems[0]}", hint=hint)


def write_atomic(path: Path, *parts: bytes) -> None:
    """Replace the file's content with ``parts`` joined, in one rename; the old content
    survives any failure. (Parts, so a large file plus an append need not be copied.)"""
    target = path.resolve()  # a symlinked tracker keeps its link; the target is replaced
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as error:
        raise _write_error(path, error) from None
    else:
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


def lock_path(path: Path) -> Path:
    target = path.resolve()
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the tracker while a write is prepared and made.

    The lock lives on a sidecar file because the tracker itself is replaced by rename.
    An flock dies with its process, so a killed writer never leaves a lock behind.
    """
    sidecar = lock_path(path)
    try:
        timeout = float(os.environ.get(ENV_LOCK_TIMEOUT, "30"))
    except ValueError:
        raise CondtrackError(f"${ENV_LOCK_TIMEOUT} must be a number of seconds") from None
    try:
        fd = os.open(sidecar, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise CondtrackError(
            f"cannot lock {path}: {error.strerror or error} ({sidecar}); the file is unchanged"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CondtrackError(
                        f"{path} is locked by another condtrack process",
                        hint=f"waited {timeout:g}s; if none is running, delete {sidecar}",
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)
