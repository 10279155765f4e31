"""What condtrack remembers about tracker contents it has already checked in full.

Appending to a 100,000-entry file should not cost a full read each time, nor should reading
it cost ``tomllib``'s slow verdict each time. After a write, and after a full check of a
large file, condtrack records that the exact bytes form a valid tracker that can be read
slice by slice, with the entry ids it holds, the keys of the reports they record (so that
a `log` can refuse a duplicate) and its relief entries (so that `relief add` can check a new
one against them: a reimposition needs an earlier easing). Valid means the bytes are
TOML 1.0 and every check passed; only then may the fast reader read them
(``condtrack.storage.tomlread``). TOML 1.0 means ``tomllib`` accepted them, or, for
entries condtrack appended itself, that its writer wrote them in a form ``tomllib``
accepts and reads back as the values written (``storage.appending.written_exactly``,
held by property tests). The record
is keyed by a SHA-256 of those bytes and of condtrack's own checking code and readers, so
any change to the file (an edit, a ``git pull``) or to the rules (an upgrade) finds no record
and costs one full check, as before.

Records live in a folder of their own, ``records-v2``, in the user's cache folder
($CONDTRACK_CACHE_DIR, else the platform's, from ``platformdirs``: on Linux
$XDG_CACHE_HOME/condtrack, else ~/.cache/condtrack; an empty $CONDTRACK_CACHE_DIR turns
them off). The cache folder may hold anything of the user's: condtrack creates, replaces
and deletes files only inside its records folder, and there only files named and marked as
its records.

A record vouches for bytes, so it is trusted only as git's safe.directory trusts a
repository: the records folder and the record must belong to the current user and be
writable by nobody else (condtrack creates them 0700 and 0600 whatever the umask). Anyone
else who can write there (a shared cache folder, a restored CI cache) could otherwise let
the fast reader read what ``tomllib`` refuses. A record failing that rule is ignored and
left alone. Records are a speed-up only: an untrusted, unreadable, damaged or missing
record means a full check, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from condtrack.storage.locating import ENV_CACHE as ENV_CACHE
from condtrack.storage.locating import cache_folder_named
from condtrack.storage.portable import CLOEXEC, DIRECTORY, NOFOLLOW, NONBLOCK, current_user
from condtrack.storage.portable import chmod_descriptor as fchmod

if TYPE_CHECKING:  # `check` answered from a snapshot imports no pydantic
    from pydantic import TypeAdapter

    from condtrack.schema.models import Relief

# Files this small are read in full each time: tomllib reads one in under 10 ms, so no record
# (nor snapshot) is worth its cost.
SMALL_BYTES = 64 << 10
KEEP = 16  # records kept; older ones are removed when a new one is written
MAX_RECORD_BYTES = 64 << 20  # far above the ids of any tracker condtrack will write
_MAGIC = b"condtrack-checked-v2"
RECORDS = "records-v2"  # the folder of the records, inside the cache folder
_RECORD_NAME = re.compile(r"[0-9a-f]{64}\.ids")  # a SHA-256 in hex: every record's name
MAX_RECORDS_BYTES = 64 << 20  # records kept in all: the newest one whatever its size
# Housekeeping, at most once a week (a stamp file in the records folder says when):
HOUSEKEEPING = "housekeeping"
HOUSEKEEPING_EVERY = 7 * 24 * 3600  # seconds
_TEMPORARY = re.compile(r"\.[0-9a-f]{16}\.tmp")  # ``_write_record``'s, left by a crash
_STALE = 24 * 3600  # a temporary file older than this is no write under way
# Where condtrack versions before records-v2 kept their records: <cache>/checked, the cache
# being $XDG_CACHE_HOME/condtrack or ~/.cache/condtrack (on every platform), records named
# as now, marked with one of these, and temporary files from ``tempfile.mkstemp``.
LEGACY = "checked"
_LEGACY_MARKS = (b"condtrack-checked-v1 ", b"condtrack-checked-v2 ")
_LEGACY_NAME = re.compile(r"[0-9a-f]{64}\.ids|\.[a-z0-9_]{8}\.tmp")
_DIRECTORY = os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC


@dataclass(frozen=True)
class Known:
    key: str
    size: int
    head_length: int  # where the first entry table starts
    ids: frozenset[str]  # every entry id in the file (evidence and relief)
    reports: Mapping[str, str]  # each report key (``schema.reports.report_keys``): its first entry
    content_hash: Any  # SHA-256 of the content, unfinished: a longer content extends it
    relief: tuple[Relief, ...] = ()  # the relief entries, in file order


def content_key(content_hash: Any) -> str | None:
    """The record's name for content with this hash; None when records cannot be trusted."""
    rules = _rules_fingerprint()
    if rules is None:
        return None
    digest = hashlib.sha256(rules)
    digest.update(content_hash.digest())
    return digest.hexdigest()


_last_hashed: list[Any] = []  # [bytes, their hash]: the bytes last hashed, kept alive


def content_hash(data: bytes) -> Any:
    """A SHA-256 of ``data``, unfinished (a longer content may extend a copy of it).

    The last bytes hashed are kept with their hash, so a command that asks for a snapshot
    and then for a record of the same bytes hashes them once (compared by identity: the
    bytes object is held, so its id cannot be reused meanwhile).
    """
    if _last_hashed and _last_hashed[0] is data:
        return _last_hashed[1].copy()
    digest = hashlib.sha256(data)
    _last_hashed[:] = [data, digest]
    return digest.copy()


def forget_hashed() -> None:
    """Let go of the bytes ``content_hash`` keeps (a merge frees the base's bytes before
    its next stage, and they must go)."""
    _last_hashed.clear()


def recall(data: bytes, env: Mapping[str, str] = os.environ) -> Known | None:
    """What a record says of exactly these bytes, if one exists and is intact."""
    if records_folder(env) is None:
        return None
    return recall_hashed(content_hash(data), len(data), env)


def recall_hashed(
    hashed: Any, size: int, env: Mapping[str, str] = os.environ, *, reports: bool = True
) -> Known | None:
    """As ``recall``, for content known only by its unfinished SHA-256 and its size (the
    merge driver checks a side as the base's hash extended by what the side appended).

    ``reports=False``: the ids and relief entries only (``Known.reports`` left empty): at
    100,000 entries the reports are most of a record's memory, and a merge does not need
    them (``remember_derived`` carries them on as they are written)."""
    folder = records_folder(env)
    if folder is None:
        return None
    key = content_key(hashed)
    if key is None:
        return None
    with _opened_folder(folder) as folder_fd:
        if folder_fd is None:
            return None
        raw = _read_record(folder_fd, f"{key}.ids")
        secret = folder_secret(folder_fd)
    if raw is None:
        return None
    return _decode(key, raw, size, hashed, secret, with_reports=reports)


def trusted(info: os.stat_result) -> bool:
    """Whether a record or the records folder may be believed: the current user's (root's,
    for root), and writable by nobody else."""
    me = current_user()
    # Where there are no user ids (Windows) the owner is not compared: there is none to
    # compare (st_uid is always 0). The mode Python makes up there gives every writable file
    # to everyone, so records are not trusted there all the same: a full check, as before.
    mine = me is None or info.st_uid == me
    return mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@contextlib.contextmanager
def _opened_folder(folder: Path) -> Iterator[int | None]:
    """The records folder, opened (not followed if a link) and trusted; else None.

    Everything done in it goes through this descriptor, so nothing can swap the folder
    for another between the check and the use.
    """
    try:
        if not NOFOLLOW and stat.S_ISLNK(os.lstat(folder).st_mode):
            raise OSError("a symbolic link")  # no O_NOFOLLOW (Windows): looked at first
        fd = os.open(folder, _DIRECTORY)
    except OSError:
        yield None
        return
    try:
        yield fd if trusted(os.fstat(fd)) else None
    finally:
        os.close(fd)


def _read_record(
    folder_fd: int, name: str, limit: int = MAX_RECORD_BYTES + 1, largest: int = MAX_RECORD_BYTES
) -> bytes | None:
    """Up to ``limit`` bytes of a trusted record in the records folder; None for anything
    else. Non-blocking and regular files only: a FIFO or a device planted there must not
    hang or flood a command that only wanted to save time."""
    flags = os.O_RDONLY | NONBLOCK | NOFOLLOW | CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > largest:
            return None
        if not trusted(info):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def remember(
    data: bytes,
    head_length: int,
    ids: Iterable[str],
    reports: Mapping[str, str],
    relief: Sequence[Relief] = (),
) -> None:
    """Record that ``data`` is a checked tracker; best effort, silent on failure.

    ``ids``: every entry id, evidence and relief; ``relief``: the relief entries."""
    remember_hashed(content_hash(data), len(data), head_length, ids, reports, relief)


def remember_extended(
    known: Known,
    tail: bytes,
    ids: Iterable[str],
    reports: Mapping[str, str],
    relief: Sequence[Relief] = (),
) -> None:
    """Record that ``known``'s content followed by ``tail`` is a checked tracker.

    The hash of the known content is carried on rather than computed again. The old
    record stays, as long as the folder's limits keep it (``_prune``): it vouches only for
    the old bytes, which come back often (``git checkout``, ``git stash``, an undo, a copy
    made before the append), and the next append to them then checks only its entry,
    where without it the whole file would be read and every report worked out again.
    """
    content_hash = known.content_hash.copy()
    content_hash.update(tail)
    size = known.size + len(tail)
    remember_hashed(content_hash, size, known.head_length, ids, reports, relief)


def remember_hashed(
    content_hash: Any,
    size: int,
    head_length: int,
    ids: Iterable[str],
    reports: Mapping[str, str],
    relief: Sequence[Relief] = (),
    env: Mapping[str, str] = os.environ,
) -> None:
    """``remember`` for bytes whose SHA-256 (``content_hash``, unfinished) the caller has,
    without them (the merge of two appends, written as the base and the new entries)."""
    folder = records_folder(env)
    if folder is None:
        return
    key = content_key(content_hash)
    if key is None:
        return
    # The ids one a line, then each relief entry as a line of JSON ("{...}"), then "key id"
    # for each report (a key is hex digits: never "{").
    listed = list(ids)
    lines = listed + [_relief_line(entry) for entry in relief]
    lines += [f"{key} {entry_id}" for key, entry_id in reports.items()]
    body = "\n".join(lines).encode("utf-8")
    del lines
    with contextlib.suppress(OSError):
        _create_folder(folder)
        with _opened_folder(folder) as folder_fd:
            if folder_fd is None:
                return  # not ours alone: neither written to nor cleaned
            _write_sealed(folder_fd, key, size, head_length, len(listed), body)
            _prune(folder_fd)


def _relief_line(entry: Relief) -> str:
    return entry.model_dump_json(by_alias=True)


def _write_sealed(
    folder_fd: int, key: str, size: int, head_length: int, count: int, body: bytes
) -> None:
    numbers = b"%d %d %d" % (size, head_length, count)
    seal = _seal(numbers, body, folder_secret(folder_fd))
    _write_record(folder_fd, f"{key}.ids", b"%s %s %s\n" % (_MAGIC, numbers, seal) + body)


def remember_derived(
    source: Any,
    source_size: int,
    content_hash: Any,
    size: int,
    *,
    head_length: int,
    removed: Sequence[str],
    removed_relief: Sequence[Relief],
    ids: Sequence[str],
    relief: Sequence[Relief],
    reports: Mapping[str, str],
    env: Mapping[str, str] = os.environ,
) -> bool:
    """Record content (``content_hash``, unfinished, and ``size``) from the record of other
    content (``source``, ``source_size``) with the same head (``head_length`` bytes): the
    source's entries less ``removed`` (ids; ``removed_relief``: the source's last relief
    entries, which they must be), then the entries ``ids``, ``relief`` and ``reports``
    (each report key of the new evidence with its first entry). What the merge of two
    appends leaves: the base's record (or a side's, less what that side appended) plus the
    merged entries.

    The source's lines are carried over as they are written, never decoded into sets and
    maps: at 100,000 entries that is a few megabytes of bytes, not a hundred of objects.
    The result reads back (``recall``) as a record written from the whole file would: the
    same ids, relief entries in file order, and each report key with its first entry (the
    source's lines come first, and a key's first line is the one read). False, writing
    nothing, when the source has no trusted, intact record or it does not hold ``removed``.
    """
    folder = records_folder(env)
    key = None if folder is None else content_key(content_hash)
    source_key = content_key(source)
    if folder is None or key is None or source_key is None:
        return False
    with contextlib.suppress(OSError, ValueError), _opened_folder(folder) as folder_fd:
        if folder_fd is None:
            return False
        raw = _read_record(folder_fd, f"{source_key}.ids")
        opened = None if raw is None else _opened(raw, source_size, folder_secret(folder_fd))
        del raw
        if opened is None:
            return False
        recorded_head, count, body = opened
        del opened
        if recorded_head != head_length or head_length > size:
            return False
        ids_block, earlier, reports_block = _sections(body, count)
        del body
        gone = [entry_id.encode("utf-8") for entry_id in set(removed)]
        ids_block, dropped = _drop_lines(ids_block, gone, reports=False)
        cut = len(earlier) - len(removed_relief)
        if dropped != len(gone) or cut < 0:
            return False  # the source does not hold what is to be removed
        if removed_relief:
            decoded = _relief([line.decode("utf-8") for line in earlier[cut:]], frozenset(removed))
            if decoded is None or list(decoded) != list(removed_relief):
                return False
        added = [entry_id.encode("utf-8") for entry_id in ids]
        if len(set(added)) != len(added) or _drop_lines(ids_block, added, reports=False)[1]:
            return False  # an id twice: the record would not be read back
        reports_block, _ = _drop_lines(reports_block, gone, reports=True)
        new = [
            *([ids_block] if ids_block else []),
            *added,
            *earlier[:cut],
            *(_relief_line(entry).encode("utf-8") for entry in relief),
            *([reports_block] if reports_block else []),
            *(f"{report} {entry_id}".encode() for report, entry_id in reports.items()),
        ]
        del ids_block, reports_block
        content = b"\n".join(new)
        del new
        count = count - len(gone) + len(added)
        _write_sealed(folder_fd, key, size, head_length, count, content)
        _prune(folder_fd)
        return True
    return False


def _sections(body: bytes, count: int) -> tuple[bytes, list[bytes], bytes]:
    """A record's body cut in three: its ``count`` id lines (one block), its relief lines,
    and its report lines (one block); blocks without their last newline."""
    position = 0  # where the next line starts
    for _ in range(count):
        end = body.find(b"\n", position)
        position = (len(body) if end < 0 else end) + 1
    ids = body[: position - 1] if count else b""
    relief = []
    while body.startswith(b"{", position):
        end = body.find(b"\n", position)
        end = len(body) if end < 0 else end
        relief.append(body[position:end])
        position = end + 1
    return ids, relief, body[position:]


def _drop_lines(block: bytes, ids: Sequence[bytes], *, reports: bool) -> tuple[bytes, int]:
    """``block`` (lines) less the lines of ``ids`` (entry ids: no space, no newline): the
    id lines themselves, or (``reports``) the report lines "key id" naming them; and how
    many lines went. Found by searching the bytes, not by splitting them into lines."""
    if not ids or not block:
        return block, 0
    text = b"\n" + block + b"\n"
    spans = []
    for entry_id in ids:
        needle = (b" " if reports else b"\n") + entry_id + b"\n"
        at = text.find(needle)
        while at >= 0:
            start = text.rfind(b"\n", 0, at + 1)  # the newline the line follows
            end = at + len(needle) - 1  # the newline that ends it
            spans.append((start, end))
            at = text.find(needle, end) if reports else -1
    if not spans:
        return block, 0
    spans.sort()
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    del text
    kept = b"".join(pieces)
    return kept[1:-1], len(spans)


def _opened(raw: bytes, size: int, secret: bytes) -> tuple[int, int, bytes] | None:
    """A record's head length, id count and body, if it is intact and of ``size`` bytes."""
    first, _, body = raw.partition(b"\n")
    parts = first.split(b" ")
    if len(parts) != 5 or parts[0] != _MAGIC:
        return None
    try:
        recorded_size, head_length, count = (int(p) for p in parts[1:4])
    except ValueError:
        return None
    if recorded_size != size or not 0 < head_length <= size or count < 0:
        return None
    if not hmac.compare_digest(_seal(b" ".join(parts[1:4]), body, secret), parts[4]):
        return None
    return head_length, count, body


def _reports_start(body: bytes, count: int) -> int:
    """Where a record's report lines start: after ``count`` id lines and the relief lines."""
    end = -1
    for _ in range(count):
        end = body.find(b"\n", end + 1)
        if end < 0:
            return len(body)
    while body.startswith(b"{", end + 1):
        end = body.find(b"\n", end + 1)
        if end < 0:
            return len(body)
    return max(end, 0)


def _create_folder(folder: Path) -> None:
    """The records folder, 0700 whatever the umask, when it does not exist yet.

    The cache folder above it is created if missing, but an existing one is left as it is:
    it may be a folder of the user's.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        return
    fd = os.open(folder, _DIRECTORY)
    try:
        fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _write_record(folder_fd: int, name: str, content: bytes) -> None:
    """A record, written to a temporary file (0600) and renamed into place."""
    temporary = f".{os.urandom(8).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC
    fd = os.open(temporary, flags, 0o600, dir_fd=folder_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            fchmod(handle.fileno(), 0o600)
            handle.write(content)
        os.replace(temporary, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except OSError:
        os.unlink(temporary, dir_fd=folder_fd)
        raise


def _remove_record(folder_fd: int, name: str) -> None:
    """Delete ``name`` only if it is one of condtrack's records: a regular file named as
    records are, that begins with the record mark. Anything else stays."""
    if not _RECORD_NAME.fullmatch(name):
        return
    head = _read_record(folder_fd, name, limit=len(_MAGIC) + 1)
    if head == _MAGIC + b" ":
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder_fd)


def cache_folder(env: Mapping[str, str] = os.environ) -> Path | None:
    """The user's cache folder for condtrack; None when records are turned off.

    ``$CONDTRACK_CACHE_DIR`` (from ``env``) when set, empty meaning off (a leading ``~``
    the home folder; a relative path an error: ``locating.cache_folder_named``); else the platform's
    from ``platformdirs`` (which reads the process environment): ``$XDG_CACHE_HOME/condtrack``
    (an absolute one), else ``~/.cache/condtrack`` on Linux and other Unixes;
    ``~/Library/Caches/condtrack`` on macOS; ``%LOCALAPPDATA%\\condtrack\\Cache`` on
    Windows. None (off) when there is no home folder to put it in.
    """
    if ENV_CACHE in env:
        return cache_folder_named(env[ENV_CACHE])
    import platformdirs  # here: only commands that look for records pay for it

    try:
        return Path(platformdirs.user_cache_dir("condtrack", appauthor=False))
    except (RuntimeError, OSError, KeyError):  # no home folder to be found
        return None


def records_folder(env: Mapping[str, str] = os.environ) -> Path | None:
    """The folder condtrack keeps its records in, and the only one it deletes files from."""
    folder = cache_folder(env)
    return None if folder is None else folder / RECORDS


def _decode(
    key: str, raw: bytes, size: int, content_hash: Any, secret: bytes, *, with_reports: bool = True
) -> Known | None:
    opened = _opened(raw, size, secret)
    if opened is None:
        return None  # a damaged record, or one written in another folder
    head_length, count, body = opened
    if not with_reports:  # the reports follow the ids and relief entries: not decoded
        body = body[: _reports_start(body, count)]
    try:
        lines = body.decode("utf-8").split("\n") if body else []
    except UnicodeDecodeError:
        return None
    del body, opened
    ids = frozenset(lines[:count])
    if len(ids) != count:
        return None
    rest = count
    while rest < len(lines) and lines[rest].startswith("{"):
        rest += 1
    relief = _relief(lines[count:rest], ids)
    if relief is None:
        return None
    reports: dict[str, str] = {}
    for line in lines[rest:] if with_reports else ():
        report, space, entry_id = line.partition(" ")
        if not space or entry_id not in ids:
            return None
        reports.setdefault(report, entry_id)
    return Known(key, size, head_length, ids, reports, content_hash, relief)


def _relief(lines: Sequence[str], ids: frozenset[str]) -> tuple[Relief, ...] | None:
    """The relief entries a record lists, each one of its ids; None if any is not."""
    if not lines:
        return ()
    try:
        entries = _relief_adapter().validate_json("[" + ",".join(lines) + "]")
    except ValueError:  # pydantic's ValidationError is one
        return None
    if any(entry.id not in ids for entry in entries):
        return None
    return tuple(entries)


@cache
def _relief_adapter() -> TypeAdapter[list[Relief]]:
    from pydantic import TypeAdapter

    from condtrack.schema.models import Relief

    return TypeAdapter(list[Relief])


def _seal(numbers: bytes, body: bytes, secret: bytes) -> bytes:
    """A checksum over everything a record says, so damage anywhere in it shows, keyed
    to the folder it was written in (``folder_secret``)."""
    return seal(secret, numbers, b"\n", body)


def folder_secret(folder_fd: int) -> bytes:
    """The key that seals records and snapshots to the records folder they were written in:
    its device and inode. A folder restored or copied from elsewhere (a CI cache, a backup,
    another machine's cache) is another folder, so what it holds is not believed, even when
    its owner and permissions pass: its records and snapshots could have been made by
    anyone, checksums included. (Whoever can already write files as you can change the
    tracker itself; this does not try to stop them.)"""
    info = os.fstat(folder_fd)
    return b"condtrack-seal %d %d" % (info.st_dev, info.st_ino)


def seal(secret: bytes, *parts: bytes | memoryview) -> bytes:
    """An HMAC-SHA-256 of ``parts``, in hex, keyed by ``secret`` (``folder_secret``)."""
    digest = hmac.new(secret, digestmod=hashlib.sha256)
    for part in parts:
        digest.update(part)
    return digest.hexdigest().encode()


def _prune(folder_fd: int) -> None:
    """Keep the ``KEEP`` newest records, and no more than ``MAX_RECORDS_BYTES`` of them
    (the newest is kept whatever its size); only files named as records count (and only
    those marked as records are removed). Then the housekeeping, when it is due."""
    records = []
    with os.scandir(folder_fd) as entries:
        for entry in entries:
            if _RECORD_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    records.append((info.st_mtime_ns, info.st_size, entry.name))
    for stale in newest_within(records, KEEP, MAX_RECORDS_BYTES)[1]:
        _remove_record(folder_fd, stale)
    housekeeping(folder_fd)


def newest_within(
    found: Iterable[tuple[int, int, str]], count: int, total: int
) -> tuple[list[str], list[str]]:
    """Of files (modified, size, name): the newest, as many as fit in ``count`` files and
    ``total`` bytes (the newest always), and the rest."""
    kept: list[str] = []
    rest: list[str] = []
    size_kept = 0
    for _, size, name in sorted(found, reverse=True):
        if not kept or (len(kept) < count and size_kept + size <= total):
            kept.append(name)
            size_kept += size
        else:
            rest.append(name)
    return kept, rest


def housekeeping(folder_fd: int, env: Mapping[str, str] = os.environ) -> None:
    """At most once in ``HOUSEKEEPING_EVERY`` (a stamp file in the records folder tells
    when it was last done; one stat each time otherwise): remove what crashed writes left
    in the records folder and the records of condtrack versions before ``records-v2``.

    Only files that are provably condtrack's go: named as condtrack names them, marked as
    it marks them, regular files (no link followed), the user's and writable by nobody
    else, in a folder that is the user's and writable by nobody else. Best effort."""
    try:
        stamp = os.stat(HOUSEKEEPING, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        stamp = None
    except OSError:
        return
    now = time.time()
    if stamp is not None and (not trusted(stamp) or now - stamp.st_mtime < HOUSEKEEPING_EVERY):
        return  # done lately (or a stamp that is not ours: then never)
    with contextlib.suppress(OSError):
        _write_record(folder_fd, HOUSEKEEPING, b"condtrack housekeeping\n")
        _remove_marked(
            folder_fd, _TEMPORARY, (_MAGIC + b" ", b"condtrack-snapshot-v1 "), now - _STALE
        )
        _remove_legacy(env)


def _remove_marked(
    folder_fd: int, names: re.Pattern[str], marks: tuple[bytes, ...], before: float
) -> int:
    """Delete files in the folder named as ``names`` and beginning with one of ``marks``,
    last modified before ``before``; how many went."""
    removed = 0
    with os.scandir(folder_fd) as entries:
        found = [entry.name for entry in entries if names.fullmatch(entry.name)]
    for name in found:
        head = _read_record(folder_fd, name, max(map(len, marks)), MAX_RECORD_BYTES << 4)
        if head is None or not head.startswith(marks):
            continue  # not ours for sure (a link, another's, unmarked): left alone
        with contextlib.suppress(OSError):
            info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
            if info.st_mtime < before:
                os.unlink(name, dir_fd=folder_fd)
                removed += 1
    return removed


def legacy_folder(env: Mapping[str, str] = os.environ) -> Path | None:
    """Where condtrack kept its records before ``records-v2`` (commit 1e1076a), as it
    found it: ``$XDG_CACHE_HOME/condtrack/checked``, else ``~/.cache/condtrack/checked``.
    None when ``$CONDTRACK_CACHE_DIR`` is set: those versions put their records straight
    into that folder, which may hold anything of the user's, so nothing there is touched."""
    if ENV_CACHE in env:
        return None
    base = env.get("XDG_CACHE_HOME") or (
        str(Path(env["HOME"]) / ".cache") if env.get("HOME") else None
    )
    return Path(base) / "condtrack" / LEGACY if base else None


def _remove_legacy(env: Mapping[str, str]) -> None:
    """The old records folder's records and temporary files (marked as records), then the
    folder itself if that leaves it empty and its parent is the user's alone."""
    folder = legacy_folder(env)
    if folder is None:
        return
    with _opened_folder(folder.parent) as parent_fd:
        if parent_fd is None:
            return
        try:
            fd = os.open(LEGACY, _DIRECTORY, dir_fd=parent_fd)
        except OSError:
            return  # none (the usual case), or a link: left alone
        try:
            if not trusted(os.fstat(fd)):
                return
            _remove_marked(fd, _LEGACY_NAME, _LEGACY_MARKS, time.time())
            with os.scandir(fd) as entries:
                empty = next(iter(entries), None) is None
        finally:
            os.close(fd)
        if empty:
            with contextlib.suppress(OSError):
                os.rmdir(LEGACY, dir_fd=parent_fd)


@cache
def _rules_fingerprint() -> bytes | None:
    """What a record's verdict depends on: the readers, and the whole of condtrack's source.

    Every module counts, so no rename, move or new module can leave a rule out; any change
    to condtrack expires every record (one full check each, then fast again). None, and no
    records, where the source cannot be read (a zip import): a version string alone would
    vouch for code it does not describe.
    """
    import condtrack
    from condtrack.storage import tomlread

    digest = hashlib.sha256(f"{condtrack.__version__} {tomlread.reader_name()}".encode())
    digest.update(_validator_version())
    package = Path(condtrack.__file__).parent
    try:
        sources = sorted(package.rglob("*.py"))
        for source in sources:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0")
            digest.update(source.read_bytes())
    except OSError:
        return None
    return digest.digest() if sources else None


def _validator_version() -> bytes:
    """Which pydantic checked the file: its ``version.py`` (its version, and the exact
    pydantic-core it requires), read without importing pydantic, so that upgrading it
    alone expires every record as an upgrade of condtrack does. Empty where it cannot be
    found; the source of condtrack still counts."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pydantic")
        if spec is None or spec.origin is None:
            return b""
        return Path(spec.origin).with_name("version.py").read_bytes()
    except (ImportError, ValueError, OSError):
        return b""
