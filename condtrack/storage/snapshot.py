"""A snapshot of a checked, parsed tracker, kept with the records: a known file read near the
cost of hashing it.

A record (``condtrack.storage.remembered``) vouches that bytes are a valid tracker, so the
fast reader may read them; reading and validating 100,000 entries still costs seconds. A
snapshot holds the checked tracker itself, every entry as a row of its field values (JSON
arrays, one per entry, in a fixed field order; dates as day numbers), next to the record of
the same bytes: ``<key>.snap`` in the records folder, ``<key>`` being the record's (a SHA-256
of the file's bytes and of condtrack's code and readers). A command that finds one builds
the tracker from it without parsing or validating the file again: the entries were checked
when the snapshot was written, and any difference (one byte of the file, of condtrack, of
Python or the fast reader) gives another key, hence no snapshot.

Safety, as for records, and more:

- **No code runs when a snapshot is loaded.** It is JSON, read by pydantic-core's JSON
  parser (``json.loads`` where it is missing, or for ``check``'s plain read of a small
  one), which builds only lists, strings and numbers; condtrack then puts those values
  into its models itself (or, for ``check``, into the plain objects of
  ``condtrack.schema.plain``: no pydantic imported at all). (No pickle, whose loading can
  call anything; no ``marshal``, documented as unsafe against malicious data.)
- **Checksummed and bound to its key**: the first line names the key, the file's size and a
  SHA-256 of all the rest; a snapshot renamed, truncated or damaged anywhere is ignored.
- **Trusted as records are**: in the records folder, which must be the user's and writable
  by nobody else, and itself the user's and writable by nobody else; an empty
  ``$CONDTRACK_CACHE_DIR`` turns snapshots off with the records.
- A snapshot is a speed-up only: missing, untrusted, damaged, stale or unreadable means the
  file is read as before (and a snapshot written for next time), never an error.

Appending: every ``log`` rewrites the file, so the next command would find no snapshot. An
append therefore writes a small snapshot of the new bytes that names the snapshot of the old
bytes (its base, a full one) and adds the entries appended since: reading it reads the base
and the additions, each checked by its own checksum, and the base's size must be what the
addition says. When the additions grow past a sixteenth of the base, the next read writes a
full snapshot again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import os
import re
import stat
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from condtrack.storage import remembered

if TYPE_CHECKING:
    from condtrack.schema import plain as plain_
    from condtrack.schema.models import Evidence, Header, Relief, Retraction, Tracker

MAGIC = b"condtrack-snapshot-v1"
SUFFIX = ".snap"
KEEP = 6  # snapshots kept at most (a full one is about the size of its file) ...
MAX_TOTAL_BYTES = 128 << 20  # ... and no more bytes than this in all, the newest whatever
MAX_SNAPSHOT_BYTES = 1 << 30
_NAME = re.compile(r"[0-9a-f]{64}\.snap")
_DATES = frozenset({"date", "expires"})  # EventDate fields: stored as day numbers
_MOMENTS = frozenset({"logged"})  # AwareDatetime fields: stored as ISO 8601 text
_SMALL_PLAIN = 4 << 20  # a plain read of a snapshot this large or less: json.loads (_parsed)
_ADDITIONS_SHARE = 16  # additions over 1/16 of the base's entries: a read writes a full one


@overload
def recall(data: bytes, env: Any = ..., *, plain: Literal[False] = ...) -> Tracker | None: ...
@overload
def recall(data: bytes, env: Any = ..., *, plain: Literal[True]) -> plain_.Tracker | None: ...
@overload
def recall(data: bytes, env: Any = ..., *, plain: bool) -> Tracker | plain_.Tracker | None: ...
def recall(data: bytes, env: Any = os.environ, *, plain: bool = False) -> Any:
    """The checked tracker a snapshot holds for exactly these bytes; None when there is no
    trusted, intact one.

    ``plain``: as the plain objects of ``condtrack.schema.plain`` rather than the models,
    importing no pydantic (``check``'s way; such a read leaves folding many additions into
    a full snapshot to the next read of the models, which has them at hand)."""
    folder = remembered.records_folder(env)
    if folder is None:
        return None
    key = remembered.content_key(remembered.content_hash(data))
    if key is None:
        return None
    with remembered._opened_folder(folder) as folder_fd:
        if folder_fd is None:
            return None
        try:
            loaded = _load(folder_fd, key, len(data), plain)
        except Exception:  # anything odd in a sealed file of ours: read the file instead
            return None
    if loaded is None:
        return None
    tracker, compact = loaded
    if compact and not plain:
        remember(data, tracker, env)  # many additions: one full snapshot again
    return tracker


def remember(data: bytes, tracker: Tracker, env: Any = os.environ) -> None:
    """Write a full snapshot of ``tracker``, the checked reading of ``data``; best effort."""
    folder = remembered.records_folder(env)
    if folder is None:
        return
    key = remembered.content_key(remembered.content_hash(data))
    if key is None:
        return
    with contextlib.suppress(Exception):
        body = _encode(
            [
                tracker.header.model_dump(mode="json"),
                *_tables(tracker.evidence, tracker.retractions, tracker.relief),
            ]
        )
        _store(folder, key, len(data), b"-", body)


def remember_appended(
    old_key: str,
    old_size: int,
    new_hash: Any,
    new_size: int,
    evidence: Sequence[Evidence],
    retractions: Sequence[Retraction],
    relief: Sequence[Relief],
    env: Any = os.environ,
) -> None:
    """After an append to bytes whose snapshot is ``old_key``: a snapshot of the new bytes
    as that one's base plus the entries appended (those of ``old_key``'s additions, if it is
    one, then these). Nothing when the old bytes have no snapshot; best effort."""
    folder = remembered.records_folder(env)
    if folder is None:
        return
    key = remembered.content_key(new_hash)
    if key is None:
        return
    with contextlib.suppress(Exception), remembered._opened_folder(folder) as folder_fd:
        if folder_fd is None:
            return
        base = _base_of(folder_fd, old_key, old_size)
        earlier: Any = [[], [], []]
        if base is None:  # a full snapshot (looked at, not read: reading checks it whole)
            base = (old_key, old_size)
        else:  # additions: read and checked, to be carried on
            old = _read(folder_fd, old_key, old_size)
            if old is None or old[0] != base:
                return
            earlier = old[1]
        added = _tables(evidence, retractions, relief)
        tables = [before + now for before, now in zip(earlier, added, strict=True)]
        reference = b"%s:%d" % (base[0].encode(), base[1])
        _write(folder_fd, key, new_size, reference, _encode(tables))
        with contextlib.suppress(OSError):  # the base stays among the newest
            os.utime(base[0] + SUFFIX, dir_fd=folder_fd)
        if old_key != base[0] and old_key != key:
            _remove(folder_fd, old_key + SUFFIX)  # additions that describe the file no more
        _prune(folder_fd)


# --- the format -----------------------------------------------------------------------------


def _fields(model: type[Any]) -> tuple[str, ...]:
    return tuple(model.model_fields)


def _encoders(names: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for i, name in enumerate(names):
        if name in _DATES:
            found.append((i, dt.date.toordinal))
        elif name in _MOMENTS:
            found.append((i, dt.datetime.isoformat))
    return found


def _decoders(names: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for i, name in enumerate(names):
        if name in _DATES:
            found.append((i, dt.date.fromordinal))
        elif name in _MOMENTS:
            found.append((i, dt.datetime.fromisoformat))
    return found


def _rows(entries: Sequence[Any], names: Sequence[str]) -> list[list[Any]]:
    encoders = _encoders(names)
    rows = []
    for entry in entries:
        values = entry.__dict__
        row = [values[name] for name in names]
        for i, encode in encoders:
            if row[i] is not None:
                row[i] = encode(row[i])
        rows.append(row)
    return rows


def _tables(
    evidence: Sequence[Evidence], retractions: Sequence[Retraction], relief: Sequence[Relief]
) -> list[list[list[Any]]]:
    from condtrack.schema.models import Evidence, Relief, Retraction

    return [
        _rows(evidence, _fields(Evidence)),
        _rows(retractions, _fields(Retraction)),
        _rows(relief, _fields(Relief)),
    ]


def _build(model: type[Any], rows: list[list[Any]]) -> list[Any]:
    """Model instances from rows, as ``model_construct`` makes them (no validation: these
    values were checked before they were written), without its per-field work."""
    names = _fields(model)
    width = len(names)
    # The dates apart from the other decoded fields, each looked up without a test of
    # which decoder it has for every row.
    day_of = dt.date.fromordinal
    decoders = _decoders(names)
    dated = [at for at, decode in decoders if decode is day_of]
    decoded = [(at, decode) for at, decode in decoders if decode is not day_of]
    every = set(names)
    new = object.__new__
    assign = object.__setattr__
    built = []
    days: dict[int, dt.date] = {}  # one date object for each day: most entries share theirs
    known_day = days.get
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) != width:
            raise ValueError("a row of the wrong shape")
        for at in dated:
            value = row[at]
            if value is not None:
                day = known_day(value)
                if day is None:
                    day = days[value] = day_of(value)
                row[at] = day
        for at, decode in decoded:
            value = row[at]
            if value is not None:
                row[at] = decode(value)
        instance = new(model)
        # strict=False: the width is checked above
        assign(instance, "__dict__", dict(zip(names, row, strict=False)))
        # One set for all: pydantic copies it before any change (``model_copy``).
        assign(instance, "__pydantic_fields_set__", every)
        assign(instance, "__pydantic_extra__", None)
        assign(instance, "__pydantic_private__", None)
        built.append(instance)
        rows[i] = None  # type: ignore[call-overload]  # freed as it goes: peak memory
    return built


def _encode(document: Any) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    return text.encode("utf-8")  # checked text: never a lone surrogate (that would raise)


def _seal(first: bytes, body: bytes | memoryview, secret: bytes) -> bytes:
    """A checksum of the whole snapshot, keyed to its folder (``remembered.folder_secret``)."""
    return remembered.seal(secret, first, b"\n", body)


def _store(folder: Any, key: str, size: int, base: bytes, body: bytes) -> None:
    remembered._create_folder(folder)
    with remembered._opened_folder(folder) as folder_fd:
        if folder_fd is None:
            return  # not ours alone: neither written to nor cleaned
        _write(folder_fd, key, size, base, body)
        _prune(folder_fd)


def _write(folder_fd: int, key: str, size: int, base: bytes, body: bytes) -> None:
    """The snapshot, in place of condtrack's own one of that name; one that is not (another
    user's, one others may write, a link) is left alone, as records are."""
    try:
        there = os.stat(key + SUFFIX, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(there.st_mode) or not remembered.trusted(there):
            return
    first = b"%s %s %d %s" % (MAGIC, key.encode(), size, base)
    content = b"%s %s\n%s" % (first, _seal(first, body, remembered.folder_secret(folder_fd)), body)
    remembered._write_record(folder_fd, key + SUFFIX, content)


def _read(
    folder_fd: int, key: str, size: int, plain: bool = False
) -> tuple[tuple[str, int] | None, Any] | None:
    """(its base's key and size, or None for a full snapshot; its document), if intact."""
    raw = remembered._read_record(
        folder_fd, key + SUFFIX, MAX_SNAPSHOT_BYTES + 1, MAX_SNAPSHOT_BYTES
    )
    if raw is None:
        return None
    end = raw.find(b"\n")
    parts = raw[: max(end, 0)].split(b" ")
    if end < 0 or len(parts) != 5 or parts[0] != MAGIC or parts[1] != key.encode():
        return None
    body = memoryview(raw)[end + 1 :]  # not copied: a snapshot can be tens of megabytes
    if parts[2] != b"%d" % size:
        return None  # another size
    secret = remembered.folder_secret(folder_fd)
    if not hmac.compare_digest(_seal(b" ".join(parts[:4]), body, secret), parts[4]):
        return None  # damaged, or written in another folder
    try:
        base = _base(parts[3], key)
    except ValueError:
        return None
    payload = raw[end + 1 :]
    del body, raw  # one copy of the bytes, while the values are built
    return base, _parsed(payload, plain and len(payload) <= _SMALL_PLAIN)


def _parsed(payload: bytes, small: bool = False) -> Any:
    """The JSON document: pydantic-core's parser (in Rust, as ``json.loads`` is in C, it
    builds only lists, dicts, text and numbers; a quarter faster, and it shares repeated
    text, so a column of the same few condition ids costs one string each), else
    ``json.loads``. Either raises ``ValueError`` on anything that is not JSON.

    ``small``: a plain read of a small snapshot takes ``json.loads`` whenever pydantic-core
    is not loaded yet: importing it would cost more than the parse saves."""
    if small and "pydantic_core" not in sys.modules:
        return json.loads(payload)
    try:
        from pydantic_core import from_json
    except ImportError:  # pragma: no cover - pydantic always brings it
        return json.loads(payload)
    return from_json(payload)


def _base_of(folder_fd: int, key: str, size: int) -> tuple[str, int] | None:
    """From a snapshot's first line only: its base, or None for a full snapshot. Raises
    ``ValueError`` when there is no such snapshot."""
    raw = remembered._read_record(folder_fd, key + SUFFIX, 512, MAX_SNAPSHOT_BYTES)
    parts = (raw or b"").partition(b"\n")[0].split(b" ")
    if len(parts) != 5 or parts[0] != MAGIC or parts[1] != key.encode():
        raise ValueError("no snapshot")
    if parts[2] != b"%d" % size:
        raise ValueError("a snapshot of other bytes")
    return _base(parts[3], key)


def _base(field: bytes, key: str) -> tuple[str, int] | None:
    if field == b"-":
        return None
    base_key, colon, base_size = field.decode("ascii").partition(":")
    if not colon or not _NAME.fullmatch(base_key + SUFFIX) or base_key == key:
        raise ValueError("not a base")
    return base_key, int(base_size)


def _load(folder_fd: int, key: str, size: int, plain: bool = False) -> tuple[Any, bool] | None:
    """The tracker, and whether it came with many additions to its base."""
    found = _read(folder_fd, key, size, plain)
    if found is None:
        return None
    base, document = found
    additions: Any = [[], [], []]
    if base is not None:
        additions = document
        found = _read(folder_fd, *base, plain)
        if found is None or found[0] is not None:
            return None  # the base is gone, damaged, or not a full snapshot
        document = found[1]
    if type(document) is not list or len(document) != 4:
        return None
    if type(additions) is not list or len(additions) != 3:
        return None
    added = sum(map(len, additions))
    compact = added * _ADDITIONS_SHARE > sum(map(len, document[1:]))
    tables = [table + more for table, more in zip(document[1:], additions, strict=True)]
    del document[1:], additions
    if plain:
        return _plain_tracker(document[0], *tables), compact
    return _tracker(document[0], *tables), compact


def _tracker(
    header: Any, evidence: list[Any], retractions: list[Any], relief: list[Any]
) -> Tracker:
    from condtrack.schema.models import Evidence, Header, Relief, Retraction, Tracker

    return Tracker.model_construct(
        header=_header(Header, header),
        evidence=_build(Evidence, evidence),
        retractions=_build(Retraction, retractions),
        relief=_build(Relief, relief),
    )


def _plain_tracker(
    header: Any, evidence: list[Any], retractions: list[Any], relief: list[Any]
) -> plain_.Tracker:
    """The tracker as plain objects (``condtrack.schema.plain``), no pydantic imported;
    the same values as ``_tracker`` gives, field by field."""
    from condtrack.schema import plain

    built: plain_.Tracker = plain.Tracker.from_values(
        (
            plain.Header.from_dump(header),
            _plain_rows(plain.Evidence, evidence),
            _plain_rows(plain.Retraction, retractions),
            _plain_rows(plain.Relief, relief),
        )
    )
    return built


def _plain_rows(kind: type[plain_.Plain], rows: list[Any]) -> list[Any]:
    """Plain objects from rows (in their model's field order: ``kind.FIELDS``)."""
    decoders = _decoders(kind.FIELDS)
    make = kind.from_values
    built = []
    for row in rows:
        if type(row) is not list:
            raise ValueError("a row of the wrong shape")
        for at, decode in decoders:
            if row[at] is not None:
                row[at] = decode(row[at])
        built.append(make(row))  # it checks the width
    return built


def _header(model: type[Header], document: Any) -> Header:
    """The head's settings and conditions, built as they were dumped (field by field,
    nested models included) without validating them again, so that no schema is built:
    building pydantic's validators is most of what a small tracker's read would cost."""
    header: Header = _constructed(model, document)
    return header


def _constructed(model: type[Any], values: Any) -> Any:
    if type(values) is not dict or set(values) != set(model.model_fields):
        raise ValueError(f"not a dumped {model.__name__}")
    fields = {
        name: _value(info.annotation, values[name]) for name, info in model.model_fields.items()
    }
    instance = object.__new__(model)
    object.__setattr__(instance, "__dict__", fields)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _value(annotation: Any, value: Any) -> Any:
    """A dumped value as its field holds it: nested models (alone, in a list, or optional)
    built again; anything else (text, numbers, lists of them) is as JSON gives it."""
    from pydantic import BaseModel

    if value is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _constructed(annotation, value)
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and arguments and _is_model(arguments[0]):
        if type(value) is not list:
            raise ValueError("not a list")
        return [_constructed(arguments[0], item) for item in value]
    models = [argument for argument in arguments if _is_model(argument)]
    if origin in (typing.Union, types.UnionType) and models:
        return _constructed(models[0], value)
    return value


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


# --- housekeeping ---------------------------------------------------------------------------


def _remove(folder_fd: int, name: str) -> None:
    """Delete ``name`` only if it is one of condtrack's snapshots (named and marked so)."""
    if not _NAME.fullmatch(name):
        return
    head = remembered._read_record(folder_fd, name, len(MAGIC) + 1, MAX_SNAPSHOT_BYTES)
    if head == MAGIC + b" ":
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder_fd)


def _prune(folder_fd: int) -> None:
    """Keep the ``KEEP`` newest snapshots, ``MAX_TOTAL_BYTES`` of them at most (the newest
    whatever its size: a 50 MB tracker's snapshots cost at most two full ones and the
    small ones of appends, not six full ones); only files named and marked as snapshots
    go. Then the records folder's housekeeping, when it is due."""
    found = []
    with os.scandir(folder_fd) as entries:
        for entry in entries:
            if _NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    found.append((info.st_mtime_ns, info.st_size, entry.name))
    for stale in remembered.newest_within(found, KEEP, MAX_TOTAL_BYTES)[1]:
        _remove(folder_fd, stale)
    remembered.housekeeping(folder_fd)
